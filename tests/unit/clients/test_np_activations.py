"""Probing features on prompts: call counts, request shape, caching, faults (contract C-08…C-10)."""
from __future__ import annotations

import json
import math

import pytest

from agp_dash.clients import (CancelledError, InvalidResponseError, Probe, RateLimitError, RemoteUnavailableError,
                              baseline_probe, features_from_graph, plan_probe_calls, plan_probe_run, probe_features)
from agp_dash.clients.np_activations import _align, normalize_features, normalize_probes
from agp_dash.clients.np_transport import CallPolicy
from agp_dash.errors import InputError
from agp_dash.graphs import load_graph
from tests.fakes.neuronpedia_server import SYNTHETIC_SLUG
from tests.fixture_paths import real_fixture

PROBES = [f"probe text number {i} is here" for i in range(9)]
FEATURES = [(0, 18753), (20, 44686), (6, 12928)]


def probe(client, features=FEATURES, probes=PROBES, **kwargs):
    return probe_features(client, features, probes, model_id="gemma-2-2b", source_set="clt-hp", **kwargs)


def test_calls_are_f_times_ceil_p_over_4_not_f_times_p(np_client, fake_np):
    dump = probe(np_client, method="new")
    calls = fake_np.requests_to("/api/activation/new")
    assert len(calls) == len(FEATURES) * math.ceil(len(PROBES) / 4) == 9  # the original made 3 × 9 = 27
    bodies = [json.loads(c.raw) for c in calls]
    assert all(isinstance(b["customText"], list) and 1 <= len(b["customText"]) <= 4 for b in bodies)
    assert {(b["feature"]["source"], b["feature"]["index"]) for b in bodies} == {
        ("0-clt-hp", "18753"), ("20-clt-hp", "44686"), ("6-clt-hp", "12928")}
    assert len(dump["results"]) == len(PROBES)


@pytest.mark.parametrize("n_features, n_prompts", [(1, 1), (2, 4), (2, 5), (5, 8), (4, 13)])
def test_call_count_matches_the_planner(np_client, fake_np, n_features, n_prompts):
    features = [(layer, 100 + layer) for layer in range(n_features)]
    probe(np_client, features, PROBES[:n_prompts] + [f"extra {i}" for i in range(max(0, n_prompts - 9))],
          method="new")
    plan = plan_probe_calls(n_features, n_prompts)
    assert fake_np.calls("/api/activation/new") == plan.calls == n_features * math.ceil(n_prompts / 4)
    assert plan.calls <= plan.calls_one_per_text


def test_dump_has_the_activation_dump_format(np_client, fake_np):
    dump = probe(np_client, probes=[{"id": "p_dallas", "text": "entity: A city in Texas, USA is Dallas"}],
                 graph_slug="g1")
    assert dump["model"] == "gemma-2-2b" and dump["source_set"] == "clt-hp" and dump["graph_slug"] == "g1"
    assert dump["backend"] == "neuronpedia-api" and dump["n_prompts"] == 1 and dump["n_features_requested"] == 3
    result = dump["results"][0]
    assert result["probe_id"] == "p_dallas" and result["tokens"][0] == "<bos>"
    for act in result["activations"]:
        assert set(act) == {"source", "index", "values", "sum_values", "max_value", "max_value_index"}
        assert len(act["values"]) == len(result["tokens"]) and act["values"][0] == 0.0
        assert act["max_value"] == max(act["values"]) and act["values"][act["max_value_index"]] == act["max_value"]
        assert act["sum_values"] == pytest.approx(sum(act["values"]))
    assert [a["index"] for a in result["activations"]] == [18753, 44686, 12928]


def test_real_dump_values_are_reproduced(np_client, fake_np):
    real = json.loads(real_fixture("dallas", "activations_dump.json").read_text(encoding="utf-8"))
    features = [(int(a["source"].split("-")[0]), a["index"]) for a in real["results"][0]["activations"]]
    probes = [{"probe_id": r["probe_id"], "prompt": r["prompt"]} for r in real["results"]]
    dump = probe(np_client, features[:6], probes, method="new")
    for ours, theirs in zip(dump["results"], real["results"]):
        assert ours["tokens"] == theirs["tokens"] and ours["probe_id"] == theirs["probe_id"]
        expected = {(a["source"], a["index"]): a["values"] for a in theirs["activations"]}
        for act in ours["activations"]:
            assert act["values"] == pytest.approx(expected[(act["source"], act["index"])])


def test_single_text_and_index_zero_sent_as_string(np_client, fake_np):
    records = np_client.activation("gemma-2-2b", "3-clt-hp", 0, "hello there")
    assert len(records) == 1 and records[0].tokens == ["<bos>", "hello", " there"]
    body = json.loads(fake_np.requests_to("/api/activation/new")[0].raw)
    assert body["feature"]["index"] == "0" and body["customText"] == "hello there"


def test_ignore_bos_drops_the_bos_position(np_client, fake_np):
    with_bos = np_client.activation("gemma-2-2b", "3-clt-hp", 7, ["a b c"])[0]
    without = np_client.activation("gemma-2-2b", "3-clt-hp", 7, ["a b c"], ignore_bos=True)[0]
    assert without.tokens == with_bos.tokens[1:] and without.values == with_bos.values[1:]


def test_activation_rejects_more_than_four_texts(np_client, fake_np):
    with pytest.raises(InputError, match="1 to 4"):
        np_client.activation("gemma-2-2b", "3-clt-hp", 7, ["a", "b", "c", "d", "e"])
    assert fake_np.calls("/api/activation/new") == 0


def test_alignment_when_a_response_lacks_bos():
    assert _align(["a", "b"], [1.0, 2.0], ["<bos>", "a", "b"]) == [0.0, 1.0, 2.0]
    with pytest.raises(InvalidResponseError):
        _align(["x"], [1.0], ["<bos>", "a", "b"])


def test_unavailable_source_set_says_use_the_local_engine(np_client, fake_np):  # C-08
    fake_np.config.unavailable_source_sets.add("clt-hp")
    with pytest.raises(RemoteUnavailableError, match="cannot compute activations for source set 'clt-hp'.*local"):
        probe(np_client, method="new")
    assert fake_np.calls("/api/activation/new") == 1  # not retried: it will not get better


def test_wrong_shape_nested_values_are_accepted(np_client, fake_np):
    fake_np.add_faults("/api/activation/new", "wrong_shape")
    records = np_client.activation("gemma-2-2b", "3-clt-hp", 7, ["a b", "c d"])
    assert [len(r.values) for r in records] == [3, 3]


@pytest.mark.parametrize("fault", ["malformed_json", "empty_200"])
def test_bad_bodies_are_invalid_responses(np_client, fake_np, fault):
    fake_np.add_faults("/api/activation/new", fault)
    with pytest.raises(InvalidResponseError, match="invalid response for /api/activation/new"):
        np_client.activation("gemma-2-2b", "3-clt-hp", 7, ["a b"])


def test_5xx_is_retried_twice(np_client, fake_np):
    fake_np.add_faults("/api/activation/new", "502_html", "500_generic")
    assert np_client.activation("gemma-2-2b", "3-clt-hp", 7, "a b")
    assert fake_np.calls("/api/activation/new") == 3


def test_429_stops_by_default_and_keeps_what_was_fetched(np_client, fake_np):
    fake_np.set_remaining("/api/activation/new", 2)
    with pytest.raises(RateLimitError, match="1000 requests per 60 m") as caught:
        probe(np_client, method="new")
    assert fake_np.calls("/api/activation/new") == 3 and caught.value.bucket == "/api/activation/new"
    fake_np.limiter.reset()
    probe(np_client, method="new", over_quota_ok=True)  # this client last saw 0 left: the user agrees
    assert fake_np.calls("/api/activation/new") == 3 + 9 - 2  # the two answered calls came from the cache


def test_429_backoff_with_jitter_when_enabled_then_cached(make_np_client, fake_np):  # C-09
    client = make_np_client(policies={"activation": CallPolicy(read_timeout=10, retries_429=5)})
    fake_np.add_faults("/api/activation/new", "429", "429", "ok")
    first = probe(client, features=[(3, 7)], probes=["a b"])
    assert len(client.sleeps) == 2 and client.sleeps[0] != client.sleeps[1]  # jittered
    assert all(0 <= s <= 0.05 for s in client.sleeps)
    again = probe(client, features=[(3, 7)], probes=["a b"])
    assert again == first and fake_np.calls("/api/activation/new") == 3


def test_cache_avoids_refetching_and_clear_cache(np_client, fake_np):
    probe(np_client, method="new")
    probe(np_client, method="new")
    assert fake_np.calls("/api/activation/new") == 9
    assert np_client.clear_cache() > 0
    probe(np_client, method="new")
    assert fake_np.calls("/api/activation/new") == 18


def test_cache_is_per_text_so_new_prompts_only_cost_their_calls(np_client, fake_np):
    probe(np_client, probes=PROBES[:4], method="new")
    probe(np_client, probes=PROBES[:6], method="new")
    assert fake_np.calls("/api/activation/new") == 3 + 3  # second run: one call (2 texts) per feature


def test_progress_and_cancel_between_calls(np_client, fake_np):
    seen = []
    with pytest.raises(CancelledError, match="after 2 of 9"):
        probe(np_client, method="new", progress=lambda f, m: seen.append(f), cancel=lambda: len(seen) >= 2)
    assert fake_np.calls("/api/activation/new") == 2 and seen == [0.0, 1 / 9]


@pytest.mark.parametrize("wrapped", [False, True])
def test_activation_source_both_shapes_and_agrees_with_new(make_np_client, fake_np, wrapped):  # C-10
    fake_np.config.wrap_source_data = wrapped
    graph = load_graph(make_np_client().fetch_graph(model_id="gemma-2-2b", slug=SYNTHETIC_SLUG).graph)
    features = features_from_graph(graph)
    by_source = probe(make_np_client(), features, PROBES[:5], method="auto")
    assert fake_np.calls("/api/activation/source") == 4 * 2 and fake_np.calls("/api/activation/new") == 0
    by_feature = probe(make_np_client(cache=None), features, PROBES[:5], method="new")
    for a, b in zip(by_source["results"], by_feature["results"]):
        for x, y in zip(a["activations"], b["activations"]):
            assert x["values"] == pytest.approx(y["values"], abs=1e-3)


def test_activation_source_absent_falls_back_to_new(np_client, fake_np):
    fake_np.config.activation_source_enabled = False
    probe(np_client, [(0, 101), (0, 102), (0, 103)], PROBES[:2])
    assert fake_np.calls("/api/activation/source") == 1 and fake_np.calls("/api/activation/new") == 3


def test_auto_uses_new_when_it_needs_fewer_calls(np_client, fake_np):
    probe(np_client, [(0, 101), (5, 102)], PROBES[:2])
    assert fake_np.calls("/api/activation/source") == 0 and fake_np.calls("/api/activation/new") == 2


def test_features_and_probes_from_a_graph(np_client, fake_np):
    graph = load_graph(np_client.fetch_graph(model_id="gemma-2-2b", slug=SYNTHETIC_SLUG).graph)
    features = features_from_graph(graph)
    assert len(features) == len(set(features)) and all(isinstance(i, int) for pair in features for i in pair)
    one_key = graph.nodes.loc[graph.nodes["kind"] == "feature", "key"].iloc[0]
    assert len(features_from_graph(graph, keys=[one_key])) == 1
    assert baseline_probe(graph) == Probe("baseline", "The opposite of small is")


def test_input_normalisation_errors():
    assert normalize_features(["20_44686", (20, 44686), {"layer": "3", "index": "7"}]) == [(20, 44686), (3, 7)]
    assert [p.probe_id for p in normalize_probes(["a", ("x", "b")])] == ["probe_0", "x"]
    for bad in (["nope"], [(-1, 3)]):
        with pytest.raises(InputError):
            normalize_features(bad)
    with pytest.raises(InputError, match="unique"):
        normalize_probes([("a", "x"), ("a", "y")])
    with pytest.raises(InputError, match="no text"):
        normalize_probes([""])


def test_quota_plan_numbers():
    plan = plan_probe_calls(53, 5, n_sources=17)
    assert (plan.calls, plan.calls_one_per_text, plan.source_calls, plan.fits) == (106, 265, 34, True)
    assert plan.share_of_limit == pytest.approx(0.106)
    late = plan_probe_calls(400, 10, remaining=100)
    assert late.calls == 1200 and not late.fits and late.hours_needed == 3 and "more than can run now" in late.summary()


def test_plan_for_a_run_counts_the_cache_and_the_remaining_quota(np_client, fake_np):
    args = dict(model_id="gemma-2-2b", source_set="clt-hp")
    assert plan_probe_run(np_client, FEATURES, PROBES, **args).calls == 9
    probe(np_client, probes=PROBES[:4], method="new")
    plan = plan_probe_run(np_client, FEATURES, PROBES, **args)
    assert plan.calls == 6 and plan.available == 997 and plan.source_calls == 9


def test_run_over_the_remaining_quota_needs_consent(np_client, fake_np):
    from agp_dash.clients import OverQuotaError

    fake_np.set_remaining("/api/activation/new", 5)
    np_client.activation("gemma-2-2b", "3-clt-hp", 7, "learn the quota")  # the answer says 4 are left
    before = fake_np.calls("/api/activation/new")
    with pytest.raises(OverQuotaError, match="Not started: 9 call") as refused:
        probe(np_client, method="new")
    assert not refused.value.plan.fits and "Agree to run over the limit" in str(refused.value)
    assert fake_np.calls("/api/activation/new") == before  # nothing was sent
    with pytest.raises(RateLimitError):  # with consent it runs until the server says stop
        probe(np_client, method="new", over_quota_ok=True)
    assert fake_np.calls("/api/activation/new") > before
