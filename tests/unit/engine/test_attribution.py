"""Exact attribution (spec §5): closure, structure, logit targets."""
from __future__ import annotations

import numpy as np
import pytest

from agp_dash.engine.attribution import select_logits
from agp_dash.errors import InputError

from .conftest import PROMPTS


@pytest.mark.parametrize("prompt", PROMPTS)
def test_edges_plus_bias_equal_each_target_float64(engine, prompt):
    attr = engine.attribute(prompt, dtype=np.float64)
    gap = np.abs(attr.adjacency.sum(1) + attr.bias - attr.values)
    assert gap.max() <= 1e-10
    assert attr.closure["features"] <= 1e-10 and attr.closure["logits"] <= 1e-10


@pytest.mark.parametrize("prompt", PROMPTS)
def test_edges_plus_bias_equal_each_target_float32(engine, prompt):
    attr = engine.attribute(prompt, dtype=np.float32, max_n_logits=5, desired_logit_prob=1.0)
    assert attr.n_logits == 5
    gap = np.abs(attr.adjacency.astype(np.float64).sum(1) + attr.bias - attr.values)
    assert gap.max() <= 1e-5


def test_targets_are_pre_activations_and_demeaned_logits(engine, dallas64):
    attr = dallas64
    cache = attr.cache
    for i in range(0, attr.n_features, 17):
        layer, pos, f = attr.feature_layer[i], attr.feature_pos[i], attr.feature_index[i]
        assert attr.values[i] == cache.tc_pre[layer][0, pos, f]
        assert attr.activation[i] == cache.tc_act[layer][0, pos, f] > 0
    logits = cache.logits[0, -1]
    np.testing.assert_allclose(attr.values[attr.n_features:], logits[attr.logit_ids] - logits.mean(), atol=1e-12)


def test_structure(dallas64):
    attr = dallas64
    n_F, T, L = attr.n_features, attr.n_positions, attr.n_layers
    assert (attr.feature_pos >= 1).all(), "BOS has no feature nodes"
    order = np.lexsort((attr.feature_index, attr.feature_pos, attr.feature_layer))
    assert (order == np.arange(n_F)).all(), "features sorted by (layer, position, feature)"
    assert (np.bincount(attr.feature_pos * L + attr.feature_layer) <= 8).all(), "at most k per layer and position"
    ff = attr.adjacency[:n_F, :n_F]
    same_or_later = attr.feature_layer[None, :] >= attr.feature_layer[:, None]
    assert (ff[same_or_later] == 0).all(), "no same-layer or backward-layer feature edges"
    backwards = attr.feature_pos[None, :] > attr.feature_pos[:, None]
    assert (ff[backwards] == 0).all(), "no edges backwards in position"
    err = attr.adjacency[:n_F, n_F:n_F + L * T].reshape(n_F, L, T)
    layer_ok = np.arange(L)[None, :] < attr.feature_layer[:, None]
    assert (err[~np.broadcast_to(layer_ok[:, :, None], err.shape)] == 0).all(), "errors only from lower layers"
    emb = attr.adjacency[:, n_F + L * T:]
    np.testing.assert_allclose(emb, attr.embedding_token_part + attr.embedding_position_part, atol=1e-12)


def test_logit_targets_follow_circuit_tracer(engine):
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    ids, probs = select_logits(logits, 10, 0.95)
    assert ids.tolist() == [0, 1, 2] and np.isclose(probs.sum(), 0.95)
    assert select_logits(logits, 2, 0.95)[0].tolist() == [0, 1]
    attr = engine.attribute("The capital of state containing Dallas is", targets=["Sacramento", "Austin"])
    assert [engine.vocab[i] for i in attr.logit_ids] == ["Austin", "Sacramento"]
    with pytest.raises(InputError, match="not a token"):
        engine.attribute("The capital of Texas is", targets=["Nowhere"])
    with pytest.raises(InputError, match="desired_logit_prob"):
        engine.attribute("The capital of Texas is", desired_logit_prob=0)
