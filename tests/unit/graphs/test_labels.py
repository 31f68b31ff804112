import pytest

from agp_dash.errors import InputError
from agp_dash.graphs import load_graph
from agp_dash.graphs.labels import with_labels
from agp_dash.graphs.synthetic import synthetic_graph


def test_lb01_labels_go_to_the_right_nodes_and_reload():
    raw = synthetic_graph()
    graph = load_graph(raw)
    feature_keys = graph.nodes.loc[graph.nodes["kind"] == "feature", "key"].tolist()[:3]
    updated, n_set = with_labels(raw, graph, {k: f"label {i}" for i, k in enumerate(feature_keys)})
    assert n_set == 3
    reloaded = load_graph(updated)
    got = dict(zip(reloaded.nodes["key"], reloaded.nodes["label"]))
    assert [got[k] for k in feature_keys] == ["label 0", "label 1", "label 2"]
    assert raw["nodes"][0].get("clerp", "") == graph.nodes["label"].iloc[0]  # the input is not modified


def test_lb02_labels_for_another_graph_are_refused():
    raw = synthetic_graph()
    with pytest.raises(InputError, match="different graph"):
        with_labels({"nodes": raw["nodes"][:-1]}, load_graph(raw), {})
