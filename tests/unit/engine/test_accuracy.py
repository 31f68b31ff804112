"""The shipped model answers every trained fact (float16 weights as shipped, spec §2.8)."""
from __future__ import annotations

import json

from agp_dash.cli import main


def test_every_trained_fact_is_answered(engine):
    result = engine.evaluate()
    assert result["failures"] == []
    assert result["trained"]["correct"] == result["trained"]["total"] > 1500
    for group in ("city_state", "state_capital", "two_hop", "comma", "athlete_sport", "antonym_en",
                  "antonym_fr", "body_part"):
        assert result[group]["accuracy"] == 1.0, group
    assert result["two_hop_held_out"]["total"] == 160


def test_held_out_two_hop_accuracy_is_reported(capsys):
    assert main(["engine", "info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    held = info["accuracy"]["two_hop_held_out"]
    assert held["total"] == 160 and held["accuracy"] >= 0.6  # composition, not memory
    assert info["vocabulary"] == info["model"]["d_vocab"]
    assert main(["engine", "info"]) == 0
    out = capsys.readouterr().out
    assert "two_hop_held_out" in out and "architecture 4 layers, d_model 128" in out


def test_showcase_predictions(engine):
    for prompt, answer in [("The capital of state containing Dallas is", "Austin"),
                           ("The capital of state containing Oakland is", "Sacramento"),
                           ("Fact: Michael Jordan plays the sport of", "basketball"),
                           ('The opposite of "small" is "', "big"),
                           ('Le contraire de "petit" est "', "grand"),
                           ('The muscle that contracts when you inhale deeply is "the', "diaphragm")]:
        assert engine.predict(prompt, k=1)[0]["token"] == answer, prompt
