"""Loading graph JSON: real fixtures, every malformed-input message, collisions, other producers."""
import gzip
import json

import numpy as np
import pytest

from agp_dash.errors import InputError
from agp_dash.graphs import load_graph, synthetic_graph
from tests.fixture_paths import real_fixture
from tests.unit.graphs import builders as b

REAL_GRAPHS = [("dallas", "graph.json"), ("oakland", "graph.json"),
               ("neuronpedia", "ui_download_fact_dallas_with_labels.json")]


# --------------------------------------------------------------------- real files
@pytest.mark.fixtures
@pytest.mark.parametrize("parts", REAL_GRAPHS, ids=[p[0] for p in REAL_GRAPHS])
def test_real_graphs_load_cleanly(parts):
    path = real_fixture(*parts)
    raw = json.loads(path.read_text())
    graph = load_graph(path)
    assert graph.warnings == []
    assert graph.n_nodes == len(raw["nodes"]) and graph.n_links == len(raw["links"])
    assert graph.model_id == "gemma-2-2b" and graph.source_set == "clt-hp" and graph.n_layers == 26
    assert graph.nodes["key"].is_unique
    assert list(graph.nodes["node_id"]) == [n["node_id"] for n in raw["nodes"]]
    # exactly one node exceeds the node threshold: the boundary node (spec §2.7(6), §3.15)
    assert int((graph.nodes["influence"] > graph.node_threshold).sum()) == 1
    # adjacency: rows = targets, columns = sources, weights as written
    first = raw["links"][0]
    kinds = dict(zip(graph.nodes["node_id"], graph.nodes["key"]))
    t, s = graph.index_of(kinds[first["target"]]), graph.index_of(kinds[first["source"]])
    assert graph.adjacency[t, s] == first["weight"]
    assert graph.adjacency.dtype == np.float64 and graph.adjacency.nnz == len(raw["links"])
    assert graph.prompt_tokens[0] == "<bos>"


@pytest.mark.fixtures
def test_dallas_node_columns_and_links():
    graph = load_graph(real_fixture("dallas", "graph.json"))
    nodes = graph.nodes.set_index("node_id")
    f = nodes.loc["20_44686_6"]
    assert (f["key"], f["kind"], f["layer"], f["feature_index"], f["ctx_idx"], f["token"]) == \
        ("feat:20:44686:6", "feature", 20, 44686, 6, " Dallas")
    assert f["feature"] == 999380257 and f["activation"] > 0
    e = nodes.loc["0_5_3"]
    assert (e["key"], e["kind"], e["layer"], e["feature_index"]) == ("err:5:3", "error", 5, -1)
    assert np.isnan(e["activation"])
    t = nodes.loc["E_26865_6"]
    assert (t["key"], t["kind"], t["layer"], t["token_id"]) == ("emb:6", "embedding", -1, 26865)
    l = nodes.loc["27_22605_7"]
    assert (l["key"], l["kind"], l["layer"], l["token_id"], bool(l["is_target_logit"])) == \
        ("logit:22605:7", "logit", 27, 22605, True)
    assert l["token_prob"] == 0.33203125 and np.isnan(l["influence"])
    assert graph.target_logit_key == "logit:22605:7"
    assert graph.neuronpedia_feature_url("feat:20:44686:6") == "https://www.neuronpedia.org/gemma-2-2b/20-clt-hp/44686"
    assert graph.neuronpedia_feature_url("err:5:3") is None
    assert graph.neuronpedia_graph_url().endswith("graph?sourceSet=clt-hp&slug=clt-hp-the-capital-of-201020250035-20251020-003525")
    frame = graph.links_frame()
    assert len(frame) == 3506 and not frame["ambiguous"].any()


@pytest.mark.fixtures
def test_ui_download_keeps_labels():
    graph = load_graph(real_fixture("neuronpedia", "ui_download_fact_dallas_with_labels.json"))
    labels = dict(zip(graph.nodes["node_id"], graph.nodes["label"]))
    assert labels["0_2334_1"] == "species"
    assert labels["E_2_0"] == 'Emb: " <bos>"'
    assert graph.source_set == "clt-hp"


# ----------------------------------------------------------------- input shapes
def test_load_from_bytes_text_dict_gzip_and_path(tmp_path):
    obj = synthetic_graph()
    text = json.dumps(obj)
    path = tmp_path / "g.json"
    path.write_text(text)
    gz = tmp_path / "g.json.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    graphs = [load_graph(obj), load_graph(text), load_graph(text.encode()), load_graph(str(path)),
              load_graph(path), load_graph(gz), load_graph(b"\xef\xbb\xbf" + text.encode())]
    for graph in graphs:
        assert graph.n_nodes == len(obj["nodes"]) and graph.n_links == len(obj["links"])
        assert (graph.adjacency != graphs[0].adjacency).nnz == 0
    assert graphs[3].size_bytes == len(text.encode())


def test_load_does_not_modify_the_callers_object():
    obj = synthetic_graph()
    before = json.dumps(obj, sort_keys=True)
    load_graph(obj)
    assert json.dumps(obj, sort_keys=True) == before


# --------------------------------------------------------------- malformed input
def _graph_with(mutate):
    obj = b.hand_graph()
    mutate(obj)
    return json.dumps(obj, allow_nan=True).encode()


MALFORMED = {
    "empty file": (b"", "empty"),
    "whitespace only": (b"  \n\t ", "empty"),
    "not json": (b"this is not json", "not valid JSON"),
    "truncated json": (b'{"metadata": {', "not valid JSON"),
    "not utf-8": (b'{"metadata": "\xff"}', "not UTF-8"),
    "json list": (b"[1, 2, 3]", "not an attribution graph"),
    "json string": (b'"graph"', "not an attribution graph"),
    "missing nodes": (_graph_with(lambda g: g.pop("nodes")), "no 'nodes' key"),
    "missing links": (_graph_with(lambda g: g.pop("links")), "no 'links' key"),
    "missing metadata": (_graph_with(lambda g: g.pop("metadata")), "no 'metadata' key"),
    "nodes not a list": (_graph_with(lambda g: g.update(nodes={"a": 1})), "'nodes' must be a list"),
    "metadata not an object": (_graph_with(lambda g: g.update(metadata=[])), "'metadata' must be an object"),
    "no nodes": (_graph_with(lambda g: g.update(nodes=[], links=[])), "has no nodes"),
    "node not an object": (_graph_with(lambda g: g["nodes"].__setitem__(1, "x")), "Node 1 must be an object"),
    "node without node_id": (_graph_with(lambda g: g["nodes"][0].pop("node_id")), "Node 0 has no 'node_id'"),
    "node without feature_type": (_graph_with(lambda g: g["nodes"][2].pop("feature_type")),
                                  "Node 2 (E_7_1) has no 'feature_type'"),
    "ctx_idx as string": (_graph_with(lambda g: g["nodes"][0].update(ctx_idx="1")),
                          "'ctx_idx' of type a string; expected an integer"),
    "node_id as number": (_graph_with(lambda g: g["nodes"][0].update(node_id=5)), "expected a string"),
    "bad layer": (_graph_with(lambda g: g["nodes"][0].update(layer="x")), "layer 'x'; expected an integer or 'E'"),
    "feature as string": (_graph_with(lambda g: g["nodes"][0].update(feature="12")), "'feature' of type a string"),
    "influence NaN": (_graph_with(lambda g: g["nodes"][0].update(influence=float("nan"))),
                      "non-finite influence"),
    "activation as string": (_graph_with(lambda g: g["nodes"][0].update(activation="high")),
                             "'activation' of type a string"),
    "prompt_tokens not strings": (_graph_with(lambda g: g["metadata"].update(prompt_tokens=[1, 2])),
                                  "prompt_tokens must be a list of strings"),
    "slug not a string": (_graph_with(lambda g: g["metadata"].update(slug=3)), "metadata.slug must be a string"),
    "links not a list": (_graph_with(lambda g: g.update(links="none")), "'links' must be a list"),
    "link not an object": (_graph_with(lambda g: g["links"].__setitem__(2, [1, 2])), "Link 2 must be an object"),
    "link without weight": (_graph_with(lambda g: g["links"][1].pop("weight")), "Link 1 has no 'weight'"),
    "link without target": (_graph_with(lambda g: g["links"][0].pop("target")), "Link 0 has no 'target'"),
    "unknown source": (_graph_with(lambda g: g["links"][3].update(source="9_9_9")),
                       "Link 3 (9_9_9 -> 2_99_1) has source '9_9_9', which is not a node of the graph"),
    "unknown target": (_graph_with(lambda g: g["links"][0].update(target="nope")), "has target 'nope'"),
    "weight NaN": (_graph_with(lambda g: g["links"][2].update(weight=float("nan"))), "non-finite weight (nan)"),
    "weight Infinity": (_graph_with(lambda g: g["links"][2].update(weight=float("inf"))), "non-finite weight (inf)"),
    "weight as string": (_graph_with(lambda g: g["links"][1].update(weight="1.5")), "expected a number"),
    "weight as bool": (_graph_with(lambda g: g["links"][1].update(weight=True)), "expected a number"),
    "source as number": (_graph_with(lambda g: g["links"][1].update(source=3)), "expected a node_id string"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_input_gives_one_clear_sentence(case):
    data, expected = MALFORMED[case]
    with pytest.raises(InputError) as info:
        load_graph(data)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and message.endswith(".")


def test_too_large_and_missing_files(tmp_path):
    data = json.dumps(b.hand_graph()).encode()
    with pytest.raises(InputError, match="larger than the limit"):
        load_graph(data, max_bytes=100)
    path = tmp_path / "big.json"
    path.write_bytes(data)
    with pytest.raises(InputError, match=r"big\.json is 0\.0 MB, larger than the limit"):
        load_graph(path, max_bytes=100)
    assert load_graph(path, max_bytes=len(data)).n_nodes == 4
    with pytest.raises(InputError, match="decompressed graph is larger"):
        load_graph(gzip.compress(data), max_bytes=100)
    with pytest.raises(InputError, match="not found"):
        load_graph(tmp_path / "absent.json")
    (tmp_path / "empty.json").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        load_graph(tmp_path / "empty.json")
    with pytest.raises(InputError, match="Not a file"):
        load_graph(tmp_path)
    with pytest.raises(InputError, match="gzip"):
        load_graph(b"\x1f\x8b" + b"garbage")
    with pytest.raises(InputError, match="Cannot load a graph from a int"):
        load_graph(42)


# ------------------------------------------------------------------ collisions
def test_node_id_collision_is_resolved_by_the_spec_rules():
    graph = load_graph(b.collision_graph())
    keys = list(graph.nodes["key"])
    assert "feat:0:2:1" in keys and "err:2:1" in keys and graph.nodes["key"].is_unique
    assert (graph.nodes["node_id"] == "0_2_1").sum() == 2
    A = graph.adjacency
    f0, e2 = graph.index_of("feat:0:2:1"), graph.index_of("err:2:1")
    f1, f3 = graph.index_of("feat:1:50:1"), graph.index_of("feat:3:60:1")
    t1, out = graph.index_of("emb:1"), graph.index_of("logit:77:2")
    assert A[f0, t1] == 1.0                       # into X -> feature
    assert A[f1, f0] == 2.0 and A[f1, e2] == 0    # target layer 1 <= 2 -> feature
    assert A[f3, f0] == 3.0 and A[f3, e2] == 4.0  # duplicate pair: feature first, error second
    assert A[out, e2] == 5.0 and A[out, f0] == 0  # single ambiguous link -> error, flagged
    assert graph.n_links == 7 and A.nnz == 7      # nothing deduplicated or merged
    assert graph.has_ambiguous_links and int(graph.link_ambiguous.sum()) == 1
    assert graph.link_ambiguous[5]
    text = " ".join(graph.warnings)
    assert "'0_2_1'" in text and "shared by 2 nodes" in text and "could not be attributed" in text
    # the error has no inputs: nothing was misrouted into it
    assert A[e2].nnz == 0
    graph.influence  # still a DAG


def test_collision_into_link_and_details_stay_separate():
    from agp_dash.graphs import node_details
    graph = load_graph(b.collision_graph())
    feature = node_details(graph, "feat:0:2:1")
    error = node_details(graph, "err:2:1")
    assert [e["weight"] for e in feature["outgoing"]] == [3.0, 2.0]
    assert [e["weight"] for e in error["outgoing"]] == [5.0, 4.0]
    assert feature["incoming"][0]["key"] == "emb:1" and error["incoming"] == []


def test_duplicate_node_records_get_unique_keys():
    obj = b.hand_graph()
    obj["nodes"].insert(1, dict(obj["nodes"][0]))
    graph = load_graph(obj)
    assert graph.nodes["key"].is_unique
    assert "feat:0:40:1#2" in set(graph.nodes["key"])
    assert any("duplicate node records" in w.lower() for w in graph.warnings)


# ------------------------------------------------------------- other producers
def test_legacy_graph_without_schema_version():
    nodes = [
        b.node("23_12237_2", 23, 2, "cross layer transcoder", 2312237, activation=1.5),
        b.node("0_2_1", 0, 1, "cross layer transcoder", 2, activation=0.5),
        b.node("5_77_2", 5, 2, "cross layer transcoder", 999, activation=0.5),  # wrong code: warned
        b.emb(2, 0), b.emb(3, 1), b.emb(4, 2),
        b.logit(27, 22605, 2, 0.9, target=True),
    ]
    links = [("E_3_1", "0_2_1", 1.0), ("0_2_1", "23_12237_2", 2.0), ("23_12237_2", "27_22605_2", 1.0),
             ("5_77_2", "27_22605_2", 0.5), ("E_4_2", "5_77_2", 1.0)]
    graph = load_graph(b.graph(nodes, links, ["<bos>", " a", " b"], schema_version=None, nodeThreshold=0.8))
    assert graph.schema_version is None
    assert graph.source_set == "gemmascope-transcoder-16k"  # Neuronpedia's legacy rule (§1.1.2 rule 7)
    nodes = graph.nodes.set_index("node_id")
    assert nodes.loc["23_12237_2", "feature_index"] == 12237 and nodes.loc["23_12237_2", "layer"] == 23
    assert nodes.loc["0_2_1", "key"] == "feat:0:2:1"
    assert any("does not decode to their node_id" in w and "5_77_2" in w for w in graph.warnings)
    assert graph.neuronpedia_feature_url("feat:23:12237:2").endswith("/gemma-2-2b/23-gemmascope-transcoder-16k/12237")


def test_circuit_tracer_create_graph_files_output():
    """circuit-tracer writes no info / generation settings; there is no source set then."""
    obj = b.worked_example()
    obj["metadata"] = {"slug": "ct", "scan": "gemma-2-2b", "transcoder_list": [], "prompt_tokens": ["<bos>", " x"],
                       "prompt": "<bos> x", "node_threshold": 0.8, "schema_version": 1}
    graph = load_graph(obj)
    assert graph.source_set is None and graph.warnings == []
    assert graph.neuronpedia_feature_url("feat:0:5:1") is None
    assert graph.neuronpedia_graph_url() == "https://www.neuronpedia.org/gemma-2-2b/graph?slug=ct"
    assert load_graph(obj, source_set="clt-hp").neuronpedia_feature_url("feat:0:5:1").endswith("/0-clt-hp/5")


def test_anthropic_style_graph_without_influence_or_activation():
    nodes = []
    for record in (b.feat(18, 16400899, 1), b.feat(3, 12, 1), b.emb(5, 0), b.emb(6, 1),
                   b.logit(19, 42, 1, 0.98, target=True)):
        record.pop("influence")
        record.pop("activation")
        nodes.append(record)
    nodes[0]["jsNodeId"] = "18_16400899_-0"
    nodes[-1]["clerp"] = 'output: "Austin" (p=0.984)'
    links = [("E_6_1", "3_12_1", 1.0), ("3_12_1", "18_16400899_1", 2.0), ("18_16400899_1", "19_42_1", 1.0)]
    obj = b.graph(nodes, links, ["<bos>", "Austin"], scan="jackl-circuits-runs-1-4-sofa-v3_0", schema_version=None)
    obj.pop("qParams")
    graph = load_graph(obj)
    assert graph.nodes["influence"].isna().all() and graph.nodes["activation"].isna().all()
    assert graph.source_set is None
    assert any("qParams" in w for w in graph.warnings)
    from agp_dash.graphs import compute_metrics, select_nodes
    seed = compute_metrics(graph, "seed-v2")
    assert (seed["cumulative_influence"] == 0.0).all()  # missing key reads as 0.0 in seed-v2
    default = compute_metrics(graph)
    linked = default["node_id"] != "E_5_0"  # the only node without links
    assert default.loc[linked, "logit_influence_graph"].gt(0).all()
    selection = select_nodes(graph, max_cumulative=0.5)
    assert selection.params["basis_used"] == "graph"


def test_lorsa_and_bias_nodes_do_not_crash():
    nodes = [b.node("2_5_1", 2, 1, "lorsa", None, activation=1.0), b.node("1_1", 1, 1, "bias", None),
             b.node("0_2_1", 2, 1, "lorsa error", -1), b.emb(1, 0), b.emb(2, 1), b.logit(27, 3, 1, 0.9, target=True)]
    links = [("E_2_1", "2_5_1", 1.0), ("2_5_1", "27_3_1", 1.0), ("1_1", "27_3_1", 0.5), ("0_2_1", "27_3_1", 0.5)]
    graph = load_graph(b.graph(nodes, links, ["<bos>", " z"]))
    assert list(graph.nodes["kind"]) == ["feature", "other", "error", "embedding", "embedding", "logit"]
    assert list(graph.nodes["key"][:3]) == ["lorsa:2:5:1", "other:bias:1_1", "lerr:2:1"]
    assert graph.kind_counts()["other"] == 1
    from agp_dash.graphs import neuronpedia_subgraph_scores
    assert neuronpedia_subgraph_scores(graph).replacement == -1.0


def test_structural_warnings():
    obj = b.hand_graph()
    obj["links"].append({"source": "2_99_1", "target": "0_0_1", "weight": 1.0})  # into an error, from a logit
    obj["links"].append({"source": "E_7_1", "target": "0_40_1", "weight": 1.0})  # duplicate pair
    obj["nodes"][3]["is_target_logit"] = False
    graph = load_graph(obj)
    text = " ".join(graph.warnings)
    for expected in ("go into embedding or error nodes", "leave logit nodes", "duplicate link",
                     "0 logit nodes are marked is_target_logit"):
        assert expected in text
    assert graph.adjacency[graph.index_of("feat:0:40:1"), graph.index_of("emb:1")] == 3.0  # summed


def test_self_loop_is_reported_as_a_cycle():
    obj = b.hand_graph()
    obj["links"].append({"source": "0_40_1", "target": "0_40_1", "weight": 1.0})
    graph = load_graph(obj)
    assert any("self-loop" in w for w in graph.warnings)
    with pytest.raises(InputError, match="cycle"):
        graph.influence


def test_ui_download_supernode_prefixed_clerps_are_kept_verbatim():
    obj = b.hand_graph()
    obj["nodes"][3]["clerp"] = '[Output "big" or "large"] Output "large" (p=0.420)'
    obj["qParams"]["supernodes"] = [['Output "big" or "large"', "2_99_1"]]
    obj["nodes"][1]["clerp"] = 'Err: mlp "  y"'
    graph = load_graph(obj)
    logit = graph.node("logit:99:1")
    assert logit["label"].startswith("[Output") and logit["token_id"] == 99 and logit["token_prob"] == 0.5
    assert graph.qparams["supernodes"][0][1] == "2_99_1"
    assert graph.warnings == []


def test_float_where_an_integer_is_required():
    obj = b.hand_graph()
    obj["nodes"][0]["ctx_idx"] = 1.0
    with pytest.raises(InputError, match="'ctx_idx' of type a decimal number; expected an integer"):
        load_graph(obj)
