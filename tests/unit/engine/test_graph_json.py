"""Graph JSON: schema, load_graph round trip, ids, pruning, circuit-tracer files (spec §5.9, §5.11)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from agp_dash.engine import write_graph_files
from agp_dash.errors import InputError
from agp_dash.graphs.encoding import cantor_decode
from agp_dash.graphs.influence import cumulative_scores, influence_vector, normalize_matrix
from agp_dash.graphs import load_graph
from tests.fixture_paths import spec_file

from .conftest import DALLAS


def test_graph_validates_against_the_neuronpedia_schema(engine, dallas_graph):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(spec_file("neuronpedia-graph-schema.json").read_text())
    for graph in (dallas_graph, engine.graph("Fact: Michael Jordan plays the sport of")):
        errors = list(jsonschema.Draft7Validator(schema).iter_errors(graph))
        assert not errors, errors[:3]


def test_load_graph_round_trip(dallas_graph, tmp_path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(dallas_graph))
    graph = load_graph(path)
    assert not graph.warnings or all("collision" in w or "share" in w for w in graph.warnings)
    assert graph.n_nodes == len(dallas_graph["nodes"]) and graph.n_links == len(dallas_graph["links"])
    assert graph.model_id == "agp-demo-states" and graph.n_layers == 4
    assert graph.prompt_tokens[0] == "<bos>" and graph.prompt_tokens[1] == "The"
    kinds = graph.nodes["kind"].value_counts().to_dict()
    assert set(kinds) == {"feature", "error", "embedding", "logit"}


def test_node_ids_and_metadata(engine, dallas_graph):
    meta = dallas_graph["metadata"]
    assert meta["scan"] == "agp-demo-states" and meta["schema_version"] == 1
    assert meta["prompt"] == "<bos>" + "The capital of state containing Dallas is"
    assert meta["info"]["transcoder_set"] == "tc512-k8" and "neuronpedia_source_set" not in meta["info"]
    settings = meta["generation_settings"]
    assert settings["bos_error_node"] and settings["embedding_includes_position"]
    assert settings["activation"] == "relu_topk" and settings["k"] == 8 and settings["exact"]
    assert meta["pruning_settings"] == {"node_threshold": 1.0, "edge_threshold": 1.0}
    T = len(meta["prompt_tokens"])
    logits = [n for n in dallas_graph["nodes"] if n["feature_type"] == "logit"]
    assert logits[0]["is_target_logit"] and sum(n["is_target_logit"] for n in logits) == 1
    assert logits[0]["node_id"] == f"5_{engine.vocab.index('Austin')}_{T - 1}"
    assert logits[0]["clerp"].startswith('Output "Austin" (p=0.9')
    for node in dallas_graph["nodes"]:
        kind = node["feature_type"]
        if kind == "cross layer transcoder":
            layer, index, ctx = (int(x) for x in node["node_id"].split("_"))
            assert cantor_decode(node["feature"]) == (layer, index) and node["layer"] == str(layer)
            assert 1 <= ctx == node["ctx_idx"] and node["activation"] > 0 and node["clerp"]
        elif kind == "embedding":
            assert node["node_id"] == f"E_{engine.tokenize(DALLAS).ids[node['ctx_idx']]}_{node['ctx_idx']}"
        elif kind == "mlp reconstruction error":
            assert node["node_id"].startswith("0_") and node["feature"] == -1
    # no links into embeddings or errors, none out of logits
    kind_of = {n["node_id"]: n["feature_type"] for n in dallas_graph["nodes"] if n["feature_type"] != "cross layer transcoder"}
    for link in dallas_graph["links"]:
        assert kind_of.get(link["target"]) not in ("embedding", "mlp reconstruction error")
        assert kind_of.get(link["source"]) != "logit"


def test_whole_graph_lets_the_stored_influence_be_checked_from_the_file(engine, dallas_graph):
    graph = load_graph(dallas_graph)
    weights = graph.logit_weights()
    influence, _ = influence_vector(normalize_matrix(graph.adjacency), weights)
    stored = graph.nodes["influence"].to_numpy()
    has = ~np.isnan(stored)
    recomputed = cumulative_scores(influence)
    np.testing.assert_allclose(recomputed[has], stored[has], atol=1e-9)
    attr = engine.attribute(DALLAS)
    n_edges = int((attr.adjacency != 0).sum())
    assert len(dallas_graph["links"]) <= n_edges
    assert (influence[graph.nodes["kind"].to_numpy() != "logit"] > 0).all()


def test_pruning_thresholds_shrink_the_graph(engine, dallas_graph):
    pruned = engine.graph(DALLAS, slug="p", node_threshold=0.5, edge_threshold=0.9)
    assert len(pruned["nodes"]) < len(dallas_graph["nodes"])
    assert len(pruned["links"]) < len(dallas_graph["links"])
    kept = [n["influence"] for n in pruned["nodes"] if n["feature_type"] in ("cross layer transcoder",
                                                                          "mlp reconstruction error")]
    assert sum(i > 0.5 for i in kept) <= 1, "only the boundary node lies past the threshold"
    load_graph(pruned)
    for bad in (0, 1.5, -0.1):
        with pytest.raises(InputError, match="node_threshold must be in"):
            engine.graph(DALLAS, node_threshold=bad)
        with pytest.raises(InputError, match="edge_threshold must be in"):
            engine.graph(DALLAS, edge_threshold=bad)


def test_max_feature_nodes_keeps_the_most_influential(engine):
    full = engine.graph(DALLAS, slug="a", node_threshold=1.0, edge_threshold=1.0)
    capped = engine.graph(DALLAS, slug="b", node_threshold=1.0, edge_threshold=1.0, max_feature_nodes=20)
    n_features = sum(n["feature_type"] == "cross layer transcoder" for n in capped["nodes"])
    assert n_features <= 20 and capped["metadata"]["generation_settings"]["n_dropped_features"] > 0
    assert not capped["metadata"]["generation_settings"]["exact"]
    best = sorted((n for n in full["nodes"] if n["feature_type"] == "cross layer transcoder"),
                  key=lambda n: n["influence"])[:5]
    ids = {n["node_id"] for n in capped["nodes"]}
    assert all(n["node_id"] in ids for n in best)
    load_graph(capped)


def test_circuit_tracer_viewer_files(dallas_graph, tmp_path):
    path = write_graph_files(dallas_graph, tmp_path)
    assert path.name == "dallas-test.json"
    write_graph_files(dallas_graph, tmp_path)
    index = json.loads((tmp_path / "graph-metadata.json").read_text())
    assert [g["slug"] for g in index["graphs"]] == ["dallas-test"]
    assert json.loads(path.read_text())["metadata"]["slug"] == "dallas-test"
