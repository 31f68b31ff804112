"""Subgraph save / list / delete (contract C-13, C-14) and payload rules (spec §1.9, seed §2.10)."""
from __future__ import annotations

import json

import pytest
import requests

from agp_dash.clients import (AuthError, ForbiddenError, NotFoundError, SubgraphRejectedError, clerp_key,
                              subgraph_payload, validate_subgraph_payload)
from agp_dash.errors import InputError
from tests.fakes.neuronpedia_server import API_KEY, OTHER_API_KEY, SYNTHETIC_SLUG
from tests.fixture_paths import real_fixture


def payload(**changes):
    values = dict(pinned_ids=["E_2_0", "0_500_1", "6_700_1"], supernodes=[["capital", "0_500_1", "6_700_1"]],
                  clerps=[["0_500_1", "my label"]], display_name="agp test")
    values.update(changes)
    return subgraph_payload("gemma-2-2b", SYNTHETIC_SLUG, **values)


def test_save_stores_exactly_what_was_sent_with_null_thresholds(np_client, fake_np):  # C-13
    sub_id = np_client.save_subgraph(payload())
    sent = json.loads(fake_np.requests_to("/api/graph/subgraph/save")[0].raw)
    assert sent["pruningThreshold"] is None and "pruningThreshold" in sent
    assert sent["densityThreshold"] == 0.99 and sent["overwriteId"] == ""
    stored = fake_np.subgraphs()
    assert [s["id"] for s in stored] == [sub_id]
    assert stored[0]["pinnedIds"] == ["E_2_0", "0_500_1", "6_700_1"]
    assert stored[0]["supernodes"] == [["capital", "0_500_1", "6_700_1"]]
    assert stored[0]["clerps"] == [["0_500_1", "my label"]] and stored[0]["displayName"] == "agp test"


def test_overwrite_updates_only_the_five_fields(np_client, fake_np):  # C-13
    sub_id = np_client.save_subgraph(payload())
    again = np_client.save_subgraph(payload(pinned_ids=["E_2_0"], supernodes=[], clerps=[], display_name="renamed",
                                            pruning_threshold=0.6, overwrite_id=sub_id))
    assert again == sub_id
    stored = fake_np.subgraphs()[0]
    assert stored["pinnedIds"] == ["E_2_0"] and stored["supernodes"] == [] and stored["pruningThreshold"] == 0.6
    assert stored["displayName"] == "agp test"


def test_overwrite_of_someone_elses_or_missing_subgraph_is_403(np_client, make_np_client, fake_np):  # C-13
    theirs = make_np_client(api_key=OTHER_API_KEY).save_subgraph(payload())
    for target in (theirs, "cm-does-not-exist"):
        with pytest.raises(ForbiddenError, match="cannot overwrite subgraph"):
            np_client.save_subgraph(payload(overwrite_id=target))


def test_save_on_unknown_graph_is_a_rejection_with_a_hint(np_client, fake_np):  # C-13
    body = payload()
    body["slug"] = "not-on-neuronpedia"
    with pytest.raises(SubgraphRejectedError, match=r"rejected the subgraph \(500.*'not-on-neuronpedia' exists"):
        np_client.save_subgraph(body)


def test_fake_answers_500_to_an_invalid_body(fake_np):  # subgraph_invalid (natural behaviour)
    body = {k: v for k, v in payload().items() if k != "pruningThreshold"}
    reply = requests.post(fake_np.url + "/graph/subgraph/save", json=body, headers={"x-api-key": API_KEY})
    assert reply.status_code == 500 and reply.json() == {"error": "Failed to save subgraph"}


@pytest.mark.parametrize("change, words", [
    ({"pruningThreshold": "high"}, "pruningThreshold must be a number or null"),
    ({"supernodes": [["only-label", 3]]}, "supernodes must be a list"),
    ({"supernodes": [[" ", "1_2_3"]]}, "non-empty label"),
    ({"clerps": [["a", "b", "c"]]}, r"\[featureId, label\]"),
    ({"pinnedIds": "1_2_3"}, "pinnedIds must be a list"),
    ({"slug": ""}, "slug must be a non-empty string"),
])
def test_payload_validation_names_the_problem(np_client, fake_np, change, words):
    body = {**payload(), **change}
    with pytest.raises(InputError, match=words):
        np_client.save_subgraph(body)
    assert fake_np.calls("/api/graph/subgraph") == 0


def test_missing_threshold_key_is_refused_locally():
    body = payload()
    del body["densityThreshold"]
    with pytest.raises(InputError, match="lacks densityThreshold"):
        validate_subgraph_payload(body)


def test_real_request_example_is_valid():
    example = json.loads(real_fixture("neuronpedia", "subgraph_save_request_example.json").read_text())
    assert validate_subgraph_payload(example) == example


def test_no_key_is_refused_before_sending(make_np_client, fake_np):  # C-13: 401 path
    client = make_np_client(api_key="")
    with pytest.raises(AuthError, match="needs a Neuronpedia API key"):
        client.save_subgraph(payload())
    assert fake_np.calls("/api/graph/subgraph") == 0


def test_invalid_key_is_401_invalid_api_key(make_np_client, fake_np):  # C-16
    client = make_np_client(api_key="np-wrong-key-000")
    with pytest.raises(AuthError, match="rejected the API key"):
        client.list_subgraphs("gemma-2-2b", SYNTHETIC_SLUG)
    assert client.check_api_key() is False
    assert make_np_client().check_api_key() is True and make_np_client(api_key="").check_api_key() is False


def test_list_is_mine_newest_first(np_client, make_np_client, fake_np):  # C-14
    first = np_client.save_subgraph(payload(display_name="one"))
    second = np_client.save_subgraph(payload(display_name="two"))
    make_np_client(api_key=OTHER_API_KEY).save_subgraph(payload(display_name="theirs"))
    listed = np_client.list_subgraphs("gemma-2-2b", SYNTHETIC_SLUG)
    assert [s["id"] for s in listed] == [second, first]
    assert listed[0]["user"] == {"name": "tester", "id": "user-tester"}
    assert np_client.list_subgraphs("gemma-2-2b", "no-such-graph") == []


def test_delete_paths(np_client, make_np_client, fake_np):  # C-14
    mine = np_client.save_subgraph(payload())
    theirs = make_np_client(api_key=OTHER_API_KEY).save_subgraph(payload())
    with pytest.raises(ForbiddenError, match="belongs to another"):
        np_client.delete_subgraph(theirs)
    np_client.delete_subgraph(mine)
    with pytest.raises(NotFoundError, match="no subgraph"):
        np_client.delete_subgraph(mine)
    assert [s["id"] for s in fake_np.subgraphs()] == [theirs]


@pytest.mark.parametrize("node, n_tokens, key", [
    ({"node_id": "20_44686_6", "feature": 999380257, "layer": "20", "ctx_idx": 6,
      "feature_type": "cross layer transcoder"}, 8, "20_999380257_6"),
    ({"node_id": "23_12237_10", "feature": 2312237, "layer": "23", "ctx_idx": 10,
      "feature_type": "cross layer transcoder"}, 11, "23_2312237_10"),
    ({"node_id": "0_3_5", "feature": -1, "layer": "3", "ctx_idx": 5,
      "feature_type": "mlp reconstruction error"}, 11, "3_-1_5_mlp__err_idx_6"),
    ({"node_id": "E_26865_9", "feature": 9, "layer": "E", "ctx_idx": 9, "feature_type": "embedding"}, 11, "E_9_9"),
    ({"node_id": "27_22605_10", "feature": 22605, "layer": "27", "ctx_idx": 10, "feature_type": "logit"}, 11,
     "27_22605_10"),
])
def test_clerp_keys(node, n_tokens, key):
    assert clerp_key(node, n_tokens) == key
