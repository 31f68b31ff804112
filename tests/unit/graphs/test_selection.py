"""Node selection, filter accounting, Selected Features JSON in and out."""
import datetime as dt
import json

import pytest

from agp_dash.errors import InputError
from agp_dash.graphs import (FILTER_ORDER, load_graph, read_selected_features, select_nodes, select_seed_v2,
                             selection_from_file, synthetic_graph)
from tests.fixture_paths import real_fixture
from tests.unit.graphs import builders as b

# The slider values (step 0.01) that reproduce the original exports exactly.
ORIGINAL_EXPORTS = [("dallas", 0.58), ("oakland", 0.59)]


@pytest.mark.fixtures
@pytest.mark.parametrize("folder, tau", ORIGINAL_EXPORTS, ids=[f for f, _ in ORIGINAL_EXPORTS])
def test_seed_v2_selection_reproduces_the_original_export(tmp_path, folder, tau):
    graph = load_graph(real_fixture(folder, "graph.json"))
    expected = json.loads(real_fixture(folder, "selected_features_with_nodes.json").read_text())
    selection = select_seed_v2(graph, tau)
    when = dt.datetime(2025, 10, 27, 14, 6, 20, 176587)
    path = selection.write_json(tmp_path / "selected.json", exported_at=when)
    written = json.loads(path.read_text())
    assert list(written) == ["features", "node_ids", "metadata"]
    assert written["features"] == expected["features"]
    assert written["node_ids"] == expected["node_ids"]
    meta = written["metadata"]
    assert list(meta)[:4] == ["n_features", "n_nodes", "cumulative_threshold", "exported_at"]
    assert (meta["n_features"], meta["n_nodes"]) == (expected["metadata"]["n_features"],
                                                    expected["metadata"]["n_nodes"])
    assert meta["cumulative_threshold"] == tau and meta["exported_at"] == "2025-10-27T14:06:20.176587"
    assert meta["graph_slug"] == graph.slug and meta["preset"] == "seed-v2"
    # the agp-default selection at the same threshold exports the same features
    default = select_nodes(graph, max_cumulative=tau)
    assert default.node_ids == expected["node_ids"] and [list(f) for f in default.features] == \
        [[f["layer"], f["index"]] for f in expected["features"]]
    # one step lower loses features: the threshold is the tightest that reproduces the file
    assert len(select_seed_v2(graph, round(tau - 0.01, 2)).node_ids) < len(expected["node_ids"])


@pytest.mark.fixtures
def test_seed_v2_default_threshold_keeps_everything_and_reads_back():
    graph = load_graph(real_fixture("dallas", "graph.json"))
    selection = select_seed_v2(graph)
    assert selection.mask.all() and len(selection.node_ids) == 228
    parsed = read_selected_features(real_fixture("dallas", "selected_features_with_nodes.json"))
    assert parsed.form == "current" and len(parsed.features) == 42 and len(parsed.node_ids) == 54
    again = selection_from_file(graph, parsed)
    assert again.node_ids == parsed.node_ids and again.params["unmatched"] == 0


def test_filters_report_what_they_hide():
    graph = load_graph(synthetic_graph(n_tokens=10, n_layers=6, n_features=120, seed=3))
    kinds = graph.nodes["kind"].to_numpy()
    layer = graph.nodes["layer"].to_numpy()
    selection = select_nodes(graph, max_cumulative=0.7, layers=[0, 1, 2], positions=range(2, 10), top_n=15)
    assert list(selection.hidden_by) == list(FILTER_ORDER)
    assert sum(selection.hidden_by.values()) == selection.n_hidden
    assert selection.hidden_by["errors"] == int((kinds == "error").sum())
    chosen = selection.mask
    assert not (chosen & (kinds == "error")).any()
    assert ((kinds[chosen] != "feature") | (layer[chosen] <= 2)).all()
    assert (chosen & (kinds == "feature")).sum() <= 15
    assert (chosen & (kinds == "logit")).sum() == (kinds == "logit").sum()       # anchors stay
    influence = graph.nodes["influence"].to_numpy()
    assert (influence[chosen & (kinds == "feature")] <= 0.7).all()
    for name, count in selection.hidden_alone.items():
        assert count >= selection.hidden_by[name]
    assert any(line.startswith("error nodes excluded hid") for line in selection.filter_summary())
    table = selection.table()
    assert len(table) == selection.n_selected and table.columns[0] == "node_id"


def test_top_n_ranks_by_influence_and_positions_filter():
    graph = load_graph(b.worked_example())
    top = select_nodes(graph, include_errors=True, top_n=2)
    assert [k for k in top.keys if k.startswith(("feat", "err"))] == ["feat:0:5:1", "feat:1:7:1"]
    assert top.hidden_by["top_n"] == 4
    by_graph = select_nodes(graph, include_errors=True, top_n=1, basis="graph")
    assert [k for k in by_graph.keys if k.startswith(("feat", "err"))] == ["feat:1:7:1"]
    pos = select_nodes(graph, include_errors=True, positions=[0])
    assert set(pos.keys) == {"err:0:0", "err:1:0", "emb:0", "logit:10:1", "logit:11:1"}
    only = select_nodes(graph, kinds=["feature"])
    assert only.keys == ["feat:0:5:1", "feat:1:7:1"]


def test_threshold_semantics_follow_neuronpedia():
    obj = b.hand_graph()
    obj["nodes"][0]["influence"] = 0.5   # feature
    obj["nodes"][1]["influence"] = 0.9   # error
    obj["nodes"][2]["influence"] = 0.95  # embedding: always shown
    graph = load_graph(obj)
    selection = select_nodes(graph, max_cumulative=0.5, include_errors=True)
    assert selection.keys == ["feat:0:40:1", "emb:1", "logit:99:1"]  # <= is inclusive
    assert selection.hidden_by["influence"] == 1
    obj["nodes"][0]["influence"] = None  # unknown influence is never hidden
    assert "feat:0:40:1" in select_nodes(load_graph(obj), max_cumulative=0.1).keys


@pytest.mark.parametrize("kwargs, message", [
    ({"max_cumulative": 1.5}, "between 0 and 1"),
    ({"top_n": 0}, "top-N"),
    ({"basis": "mystery"}, "influence basis"),
    ({"kinds": ["feature", "neuron"]}, "Unknown node kind 'neuron'"),
])
def test_bad_selection_parameters(kwargs, message):
    with pytest.raises(InputError, match=message):
        select_nodes(load_graph(b.hand_graph()), **kwargs)


def test_csv_export(tmp_path):
    selection = select_nodes(load_graph(b.worked_example()), max_cumulative=0.9)
    path = selection.write_csv(tmp_path / "sel.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == ("node_id,key,kind,feature_type,layer,feature_index,ctx_idx,token,activation,influence,"
                        "node_influence_graph,label")
    assert len(lines) == selection.n_selected + 1 and selection.csv_text() == path.read_text()


def test_export_sorts_node_ids_as_strings():
    nodes = [b.feat(3, 1, 1, influence=0.1), b.feat(20, 2, 1, influence=0.2), b.feat(3, 1, 2, influence=0.3),
             b.emb(1, 0), b.emb(2, 1), b.emb(3, 2), b.logit(27, 5, 2, 0.9, target=True)]
    links = [("E_2_1", "3_1_1", 1.0), ("3_1_1", "20_2_1", 1.0), ("20_2_1", "27_5_2", 1.0),
             ("E_3_2", "3_1_2", 1.0), ("3_1_2", "27_5_2", 1.0)]
    out = select_nodes(load_graph(b.graph(nodes, links, ["<bos>", " a", " b"]))).to_selected_features()
    assert out["node_ids"] == ["20_2_1", "3_1_1", "3_1_2"]
    assert out["features"] == [{"layer": 3, "index": 1}, {"layer": 20, "index": 2}]
    assert (out["metadata"]["n_features"], out["metadata"]["n_nodes"]) == (2, 3)
    assert out["metadata"]["cumulative_threshold"] is None


# ------------------------------------------------------------------ reading files
def test_read_legacy_forms():
    bare = read_selected_features([{"layer": 3, "index": 7}, {"layer": 0, "index": 230}, {"layer": 3, "index": 7}])
    assert bare.form == "legacy-list" and bare.features == [(0, 230), (3, 7)] and bare.node_ids == []
    sourced = read_selected_features(b'[{"source": "12-clt-hp", "index": "87969"}, {"source": "0-clt-hp", "index": 5}]')
    assert sourced.form == "legacy-source" and sourced.features == [(0, 5), (12, 87969)]
    assert sourced.source_set == "clt-hp"
    graph = load_graph(b.worked_example())
    again = selection_from_file(graph, read_selected_features([{"layer": 1, "index": 7}, {"layer": 9, "index": 9}]))
    assert [k for k in again.keys if k.startswith("feat")] == ["feat:1:7:1"] and again.params["unmatched"] == 1


@pytest.mark.parametrize("payload, message", [
    (b"{}", "no 'features' list"),
    (b'{"features": {}}', "must be a list"),
    (b'{"features": [], "node_ids": [1]}', "list of strings"),
    (b'{"features": [3]}', "Selected feature 0 must be an object"),
    (b'{"features": [{"layer": 1}]}', "has no 'index'"),
    (b'{"features": [{"index": 1}]}', "neither 'layer' nor 'source'"),
    (b'{"features": [{"layer": "one", "index": 1}]}', "non-integer layer"),
    (b'"text"', "must be a JSON object or list"),
    (b"", "empty"),
])
def test_read_selected_features_errors(payload, message):
    with pytest.raises(InputError, match=message):
        read_selected_features(payload)


def test_tau_one_keeps_nodes_whose_cumulative_share_rounds_above_one():
    from agp_dash.graphs import load_graph, select_nodes
    from agp_dash.graphs.synthetic import synthetic_graph

    graph = load_graph(synthetic_graph())
    assert graph.nodes["influence"].max() > 1.0  # 1.0000000000000002 from float summation
    selection = select_nodes(graph, max_cumulative=1.0, include_errors=True)
    assert selection.n_selected == graph.n_nodes and selection.hidden_by["influence"] == 0
