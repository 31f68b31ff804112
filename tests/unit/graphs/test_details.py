"""node_details: what the UI node panel shows."""
import json

import pytest

from agp_dash.errors import InputError
from agp_dash.graphs import load_graph, node_details
from tests.fixture_paths import real_fixture
from tests.unit.graphs import builders as b


def test_details_of_a_feature_in_the_worked_example():
    graph = load_graph(b.worked_example())
    details = node_details(graph, "feat:1:7:1", top_k=2)
    assert (details["kind"], details["layer"], details["ctx_idx"], details["token"]) == ("feature", 1, 1, " x")
    assert details["n_incoming"] == 3 and details["n_outgoing"] == 2
    assert [(e["key"], e["weight"]) for e in details["incoming"]] == [("feat:0:5:1", 1.5), ("emb:1", 1.0)]
    assert [(e["key"], e["weight"]) for e in details["outgoing"]] == [("logit:10:1", 3.0), ("logit:11:1", -2.0)]
    assert details["outgoing"][0]["label"] == 'Output "t10" (p=0.600)'
    total = 153 / 440 + 21 / 44 + 17 / 110 + 6 / 55 + 153 / 2200 + 1247 / 2200  # §3.15 exact I
    assert details["influence"] is None and details["influence_graph"] == pytest.approx(21 / 44 / total)
    assert details["influence_rank_graph"] == 2
    assert details["neuronpedia_url"] is None  # no source set in this graph
    json.dumps(details)  # JSON-friendly for dcc.Store


def test_details_of_a_logit_and_unknown_key():
    graph = load_graph(b.worked_example())
    details = node_details(graph, "logit:10:1")
    assert details["is_target_logit"] and details["token_prob"] == 0.6 and details["outgoing"] == []
    assert [e["key"] for e in details["incoming"]] == ["feat:1:7:1", "feat:0:5:1", "err:1:1", "emb:1"]
    with pytest.raises(InputError, match="no node with key"):
        node_details(graph, "feat:9:9:9")


@pytest.mark.fixtures
def test_details_on_a_real_graph_link_to_neuronpedia():
    graph = load_graph(real_fixture("neuronpedia", "ui_download_fact_dallas_with_labels.json"))
    details = node_details(graph, "feat:0:2334:1", top_k=3)
    assert details["label"] == "species"
    assert details["neuronpedia_url"] == "https://www.neuronpedia.org/gemma-2-2b/0-clt-hp/2334"
    assert len(details["outgoing"]) == min(3, details["n_outgoing"]) and len(details["incoming"]) == min(3, details["n_incoming"])
    weights = [abs(e["weight"]) for e in details["outgoing"]]
    assert weights == sorted(weights, reverse=True)
