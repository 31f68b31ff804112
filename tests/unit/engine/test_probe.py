"""Feature activations in the activation-dump format of seed-method §2.5 (spec §6.1)."""
from __future__ import annotations

import numpy as np
import pytest

from agp_dash.engine import UnknownWordsError
from agp_dash.engine.probe import activations, parse_features
from agp_dash.errors import InputError

from .conftest import DALLAS

PROBES = [
    {"id": "probe_0_Dallas", "text": "entity: A city in Texas, USA is Dallas"},
    {"id": "probe_1_Austin", "text": "entity: The capital city of Texas is Austin"},
    {"id": "probe_2_Texas", "text": "entity: A state in the United States is Texas"},
    {"id": "probe_4_the_state_containing",
     "text": "relationship: the state in which a city is located is the state containing"},
]


def test_dump_format(engine):
    dump = engine.probe(PROBES, [(0, 1), "1_2", (3, 511)])
    assert dump["model"] == "agp-demo-states" and dump["source_set"] == "tc512-k8"
    assert dump["n_prompts"] == 4 and dump["n_features_requested"] == 3
    first = dump["results"][0]
    assert first["probe_id"] == "probe_0_Dallas" and first["prompt"] == PROBES[0]["text"]
    assert first["tokens"][:4] == ["<bos>", "entity", " :", " A"]
    T = len(first["tokens"])
    assert len(first["counts"]) == 4 and all(len(row) == T for row in first["counts"])
    for entry in first["activations"]:
        layer = int(entry["source"].split("-")[0])  # feature_key = f"{layer}_{index}"
        assert entry["source"] == f"{layer}-tc512-k8" and len(entry["values"]) == T
        assert entry["values"][0] == 0.0, "BOS reads 0"
        assert entry["sum_values"] == 0.0
        assert entry["max_value"] == max(entry["values"])
        assert entry["values"][entry["max_value_index"]] == entry["max_value"]
    assert [(int(e["source"][0]), e["index"]) for e in first["activations"]] == [(0, 1), (1, 2), (3, 511)]


def test_probing_a_graph_prompt_reproduces_its_node_activations(engine):
    attr = engine.attribute(DALLAS)
    feats = list(dict.fromkeys(zip(attr.feature_layer.tolist(), attr.feature_index.tolist())))
    dump = engine.probe([DALLAS], feats)
    values = {(int(e["source"].split("-")[0]), e["index"]): e["values"] for e in dump["results"][0]["activations"]}
    for layer, pos, index, act in zip(attr.feature_layer, attr.feature_pos, attr.feature_index, attr.activation):
        assert values[(layer, index)][pos] == pytest.approx(float(act), abs=1e-6)


def test_batched_equals_unbatched(engine):
    encoded = [engine.tokenize(p["text"]) for p in PROBES] + [engine.tokenize(DALLAS)]
    feats = [(layer, f) for layer in range(4) for f in range(0, 512, 37)]
    w = engine.weights(np.float64)
    batched, counts = activations(w, encoded, feats, batch_size=8)
    for enc, values in zip(encoded, batched):
        alone, _ = activations(w, [enc], feats)
        assert values.shape == (len(feats), len(enc))
        np.testing.assert_allclose(values, alone[0], atol=1e-12)
    assert all(c[:, 0].sum() == 0 and (c[:, 1:] <= 8).all() for c in counts)


def test_one_forward_pass_gives_every_feature(engine):
    every = [(layer, f) for layer in range(4) for f in range(512)]
    dump = engine.probe(["The capital of Texas is"], every)
    assert len(dump["results"][0]["activations"]) == 2048


def test_probe_errors_name_the_prompt(engine):
    with pytest.raises(UnknownWordsError, match=r"Probe prompt 2 \(b\): the local model does not know the word 'Gotham'"):
        engine.probe([{"id": "a", "text": "The capital of Texas is"}, {"id": "b", "text": "Gotham is a city"}], [(0, 1)])
    with pytest.raises(InputError, match="does not exist"):
        parse_features([(4, 0)], 4, 512)
    with pytest.raises(InputError, match="not a feature key"):
        parse_features(["x"], 4, 512)
    with pytest.raises(InputError, match="no probe prompts"):
        engine.probe([], [(0, 1)])
