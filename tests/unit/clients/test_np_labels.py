"""Feature details and labels (contract C-11, C-12)."""
from __future__ import annotations

import json

import pytest
import requests

from agp_dash.clients import NotFoundError, ServerError, feature_labels, graph_labels, label_from_explanations
from agp_dash.graphs import load_graph
from tests.fakes.neuronpedia_server import SYNTHETIC_SLUG
from tests.fixture_paths import real_fixture


def labels(client, features):
    return feature_labels(client, features, model_id="gemma-2-2b", source_set="clt-hp")


def test_label_rule():
    assert label_from_explanations([{"typeName": "oai", "description": "a"},
                                    {"typeName": "np_max-act-logits", "description": " say b "}]) == "say b"
    assert label_from_explanations([{"typeName": "x", "description": "first"},
                                    {"typeName": "y", "description": "second"}]) == "first"
    assert label_from_explanations([{"typeName": "np_max-act", "description": "max act"},
                                    {"typeName": "np_max-act-logits", "description": "logits"}]) == "max act"
    assert label_from_explanations([]) == "" and label_from_explanations(None) == ""


def test_labels_through_features_batch(np_client, fake_np):  # C-11
    found = labels(np_client, [(20, 44686), (6, 12928), (1, 57794), (16, 89970), (3, 500)])
    assert found == {(20, 44686): "say Austin", (6, 12928): "capital cities", (1, 57794): "",
                     (16, 89970): "state names", (3, 500): "synthetic feature 3-clt-hp/500"}
    body = json.loads(fake_np.requests_to("/api/features")[0].raw)
    assert body[0]["maxActsToReturn"] == 1 and all("maxActsToReturn" not in item for item in body[1:])
    assert body[0] == {"modelId": "gemma-2-2b", "layer": "20-clt-hp", "index": 44686, "maxActsToReturn": 1}


def test_labels_match_by_layer_and_index_despite_reordering(np_client, fake_np):  # C-11, F-38
    wanted = [(5, 100), (3, 500), (7, 500), (2, 100)]
    found = labels(np_client, wanted)
    assert found == {(layer, index): f"synthetic feature {layer}-clt-hp/{index}" for layer, index in wanted}
    raw = requests.post(fake_np.url + "/features", json=[{"modelId": "gemma-2-2b", "layer": f"{l}-clt-hp", "index": i}
                                                         for l, i in wanted]).json()
    assert [(r["layer"], r["index"]) for r in raw] == [("5-clt-hp", "100"), ("2-clt-hp", "100"),
                                                      ("3-clt-hp", "500"), ("7-clt-hp", "500")]


def test_missing_features_get_no_label_and_are_asked_again(np_client, fake_np):  # C-11
    fake_np.config.missing_features.add(("3-clt-hp", 500))
    assert labels(np_client, [(3, 500), (3, 501)]) == {(3, 501): "synthetic feature 3-clt-hp/501"}
    assert labels(np_client, [(3, 500), (3, 501)]) == {(3, 501): "synthetic feature 3-clt-hp/501"}
    second = json.loads(fake_np.requests_to("/api/features")[1].raw)
    assert second == [{"modelId": "gemma-2-2b", "layer": "3-clt-hp", "index": 500, "maxActsToReturn": 1}]


def test_labels_are_batched_sequentially(np_client, fake_np, monkeypatch):
    monkeypatch.setattr("agp_dash.clients.np_labels.FEATURES_BATCH", 2)
    monkeypatch.setattr("agp_dash.clients.neuronpedia.FEATURES_BATCH", 2)
    found = labels(np_client, [(1, i) for i in range(5)])
    assert len(found) == 5 and fake_np.calls("/api/features") == 3
    assert all(json.loads(r.raw)[0]["maxActsToReturn"] == 1 for r in fake_np.requests_to("/api/features"))


def test_graph_labels_map_every_feature_node(np_client, fake_np):
    graph = load_graph(np_client.fetch_graph(model_id="gemma-2-2b", slug=SYNTHETIC_SLUG).graph)
    by_node = graph_labels(np_client, graph)
    feature_nodes = graph.nodes[graph.nodes["kind"] == "feature"]
    assert set(by_node) == set(feature_nodes["key"])
    row = feature_nodes.iloc[0]
    assert by_node[row["key"]] == f"synthetic feature {row['layer']}-clt-hp/{row['feature_index']}"
    calls = fake_np.calls("/api/features")
    graph_labels(np_client, graph)
    assert fake_np.calls("/api/features") == calls  # all cached


def test_graph_labels_on_the_real_ui_download(np_client, fake_np):
    graph = load_graph(real_fixture("neuronpedia", "ui_download_fact_dallas_with_labels.json"))
    by_node = graph_labels(np_client, graph)
    features = graph.nodes[graph.nodes["kind"] == "feature"]
    unexplained = (features["layer"] == 1) & (features["feature_index"] == 57794)  # the fake's "no explanation"
    assert set(by_node) == set(features.loc[~unexplained, "key"])
    labelled = features[features["node_id"] == "0_9418_1"].iloc[0]
    assert by_node[labelled["key"]] == "fact"


def test_single_feature_details(np_client, fake_np):  # C-12
    neuron = np_client.feature("gemma-2-2b", "20-clt-hp", 44686)
    assert neuron["index"] == "44686" and neuron["layer"] == "20-clt-hp"
    assert label_from_explanations(neuron["explanations"]) == "say Austin"
    assert len(np_client.feature("gemma-2-2b", "0-clt-hp", 18753)["activations"]) == 50


def test_single_feature_404_head_style(np_client, fake_np):  # C-12
    with pytest.raises(NotFoundError, match="no feature 3-clt-hp/99999999"):
        np_client.feature("gemma-2-2b", "3-clt-hp", 99999999)
    with pytest.raises(NotFoundError, match="no feature 3-nope/1"):
        np_client.feature("gemma-2-2b", "3-nope", 1)


def test_single_feature_unknown_source_legacy_style(np_client, fake_np):  # C-12
    fake_np.config.error_style = "legacy"
    with pytest.raises(ServerError, match="500: Internal Server Error"):
        np_client.feature("gemma-2-2b", "3-nope", 1)
    with pytest.raises(NotFoundError):
        np_client.feature("gemma-2-2b", "3-clt-hp", 99999999)


def test_fake_features_endpoint_errors(fake_np):
    url = fake_np.url + "/features"
    assert requests.post(url, json=[]).json() == {"message": "Unknown Error"}
    assert requests.post(url, data="null", headers={"Content-Type": "application/json"}).status_code == 400
    bad = requests.post(url, json=[{"modelId": "gemma-2-2b", "layer": "1-clt-hp", "index": "abc"}])
    assert bad.status_code == 400 and "must be a `number` type" in bad.json()["message"]
    everything = requests.post(url, json=[{"modelId": "gemma-2-2b", "layer": "0-clt-hp", "index": 18753}]).json()
    assert len(everything[0]["activations"]) == 50  # no maxActsToReturn: every example (F-39)
