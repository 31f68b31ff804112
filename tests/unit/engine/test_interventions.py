"""Interventions (spec §6.2): exact direct effects, no-op checks, CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest

from agp_dash.cli import main
from agp_dash.cli.engine import parse_intervention
from agp_dash.engine import Intervention
from agp_dash.errors import InputError

from .conftest import DALLAS


def test_constrained_ablation_moves_every_target_by_minus_the_edge(engine, dallas64):
    attr = dallas64
    n_F = attr.n_features
    for s in (0, n_F // 2, n_F - 1):
        layer, pos, index = int(attr.feature_layer[s]), int(attr.feature_pos[s]), int(attr.feature_index[s])
        result = engine.intervene(DALLAS, [Intervention(layer, index, value=0.0, positions=(pos,))],
                                  mode="constrained", dtype=np.float64)
        pre = result.new_cache.tc_pre
        changed = np.array([pre[l][0, p, f] for l, p, f in zip(attr.feature_layer, attr.feature_pos,
                                                                  attr.feature_index)]) - attr.values[:n_F]
        np.testing.assert_allclose(changed, -attr.adjacency[:n_F, s], atol=1e-10)
        new = result.new_logits - result.new_logits.mean()
        np.testing.assert_allclose(new[attr.logit_ids] - attr.values[n_F:], -attr.adjacency[n_F:, s], atol=1e-10)


def test_constrained_scaling_is_linear_in_the_edges(engine, dallas64):
    attr = dallas64
    n_F = attr.n_features
    picks = [n_F - 3, n_F - 2]
    ivs = [Intervention(int(attr.feature_layer[s]), int(attr.feature_index[s]), scale=2.5,
                        positions=(int(attr.feature_pos[s]),)) for s in picks]
    result = engine.intervene(DALLAS, ivs, mode="constrained", dtype=np.float64)
    new = result.new_logits - result.new_logits.mean()
    expected = attr.values[n_F:] + 1.5 * attr.adjacency[n_F:, picks].sum(1)
    np.testing.assert_allclose(new[attr.logit_ids], expected, atol=1e-10)


@pytest.mark.parametrize("mode", ["open", "frozen", "constrained"])
def test_setting_the_clean_value_changes_nothing(engine, dallas64, mode):
    s = dallas64.n_features - 1
    iv = Intervention(int(dallas64.feature_layer[s]), int(dallas64.feature_index[s]),
                      value=float(dallas64.activation[s]), positions=(int(dallas64.feature_pos[s]),))
    result = engine.intervene(DALLAS, [iv], mode=mode, dtype=np.float64)
    np.testing.assert_allclose(result.new_logits, result.clean_logits, atol=1e-9)


def test_intervention_errors(engine):
    with pytest.raises(InputError, match="does not exist"):
        engine.intervene(DALLAS, [Intervention(9, 0, value=0.0)])
    with pytest.raises(InputError, match="outside the prompt"):
        engine.intervene(DALLAS, [Intervention(0, 0, value=1.0, positions=(99,))])
    with pytest.raises(InputError, match="mode must be one of"):
        engine.intervene(DALLAS, [Intervention(0, 0, value=0.0)], mode="sideways")
    with pytest.raises(InputError, match="LAYER:FEATURE"):
        parse_intervention("1-2=3", "set")
    iv = parse_intervention("1:42:5,7=2.5", "scale")
    assert iv == Intervention(1, 42, scale=2.5, positions=(5, 7))


def test_cli_intervene(engine, dallas64, capsys):
    s = dallas64.n_features - 1
    spec = f"{dallas64.feature_layer[s]}:{dallas64.feature_index[s]}:{dallas64.feature_pos[s]}=0"
    assert main(["engine", "intervene", "--prompt", DALLAS, "--set", spec, "--freeze-attention",
                 "--watch", "Austin", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "frozen" and out["clean_top"][0]["token"] == "Austin"
    assert any(c["token"] == "Austin" for c in out["changes"])
    assert main(["engine", "intervene", "--prompt", DALLAS, "--set", spec, "--watch", "Austin"]) == 0
    text = capsys.readouterr().out
    assert "before" in text and "p(Austin)" in text
    assert main(["engine", "intervene", "--prompt", "Gotham is", "--set", spec]) == 2
    assert "does not know the word 'Gotham'" in capsys.readouterr().err
