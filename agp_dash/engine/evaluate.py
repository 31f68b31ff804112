"""Greedy accuracy on the world's facts (spec local-engine §2.4, §2.8), batched in NumPy.

A fact is ``{"relation", "prompt", "answer", "held_out"}`` (``world.json["facts"]``); it is
right when the argmax after the prompt is the answer. Held-out two-hop facts are reported
as their own group, ``two_hop_held_out``: they measure composition, not memory.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from agp_dash.engine.model import Weights, forward, pad_batch
from agp_dash.engine.tokenizer import Tokenizer


def greedy_next(w: Weights, rows: list[tuple[int, ...]], batch: int = 512) -> np.ndarray:
    """Argmax token id after each id row."""
    out = np.empty(len(rows), dtype=np.int64)
    for start in range(0, len(rows), batch):
        ids, lengths = pad_batch(rows[start:start + batch])
        logits = forward(w, ids, light=True).logits
        out[start:start + len(lengths)] = logits[np.arange(len(lengths)), lengths - 1].argmax(-1)
    return out


def group_of(fact: dict) -> str:
    return f"{fact['relation']}_held_out" if fact.get("held_out") else fact["relation"]


def evaluate_facts(w: Weights, tokenizer: Tokenizer, facts: list[dict]) -> dict:
    """Per-group ``{"correct", "total", "accuracy"}``, plus ``"trained"`` (every non-held-out
    fact) and the list of ``"failures"`` (prompt, expected, got)."""
    rows = [tokenizer.encode(f["prompt"]).ids for f in facts]
    predicted = greedy_next(w, rows) if rows else np.zeros(0, dtype=np.int64)
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for fact, pred in zip(facts, predicted):
        ok = tokenizer.vocab[pred] == fact["answer"]
        for group in (group_of(fact), "trained") if not fact.get("held_out") else (group_of(fact),):
            stats[group][0] += ok
            stats[group][1] += 1
        if not ok and not fact.get("held_out"):
            failures.append({"prompt": fact["prompt"], "expected": fact["answer"], "got": tokenizer.vocab[pred]})
    result = {g: {"correct": c, "total": t, "accuracy": round(c / t, 4)} for g, (c, t) in sorted(stats.items())}
    result["failures"] = failures
    return result
