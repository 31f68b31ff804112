"""Interventions on transcoder features (spec local-engine §6.2).

An intervention gives a feature an absolute value (or ``factor × clean value``) at chosen
positions; ``δ·W_dec[f]`` is added to the real MLP output, so the error term is kept. Modes:

* ``open``        — everything downstream is recomputed (circuit-tracer ``freeze_attention=False``);
* ``frozen``      — attention patterns from the clean run, the rest recomputed (the default);
* ``constrained`` — patterns, LayerNorm scales, every other feature and every error frozen:
  only direct effects flow, so each target's pre-activation moves by exactly
  ``Σ_s (δ_s / a_s)·Adj[t, s]`` (ablation: ``−Adj[t, s]``), tying interventions to graphs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agp_dash.errors import InputError
from agp_dash.engine.model import Cache, Frozen, Weights, forward, softmax
from agp_dash.engine.tokenizer import Encoded

MODES = ("open", "frozen", "constrained")


@dataclass(frozen=True)
class Intervention:
    """Set (``value``) or scale (``scale``) feature ``feature`` of ``layer``; ``positions``
    None means every position where it is active in the clean run."""
    layer: int
    feature: int
    value: float | None = None
    scale: float | None = None
    positions: tuple[int, ...] | None = None

    def describe(self) -> str:
        where = "" if self.positions is None else ":" + ",".join(str(p) for p in self.positions)
        what = f"={self.value:g}" if self.value is not None else f"×{self.scale:g}"
        return f"{self.layer}:{self.feature}{where}{what}"


@dataclass
class InterventionResult:
    tokens: list[str]
    mode: str
    applied: list[dict]                  # layer, feature, position, clean, new
    clean_logits: np.ndarray             # last position, full vocabulary
    new_logits: np.ndarray
    vocab: list[str]
    top_k: int = 5
    watch: list[int] = field(default_factory=list)
    clean_cache: Cache | None = None
    new_cache: Cache | None = None

    @property
    def clean_probs(self) -> np.ndarray:
        return softmax(self.clean_logits.astype(np.float64))

    @property
    def new_probs(self) -> np.ndarray:
        return softmax(self.new_logits.astype(np.float64))

    def top(self, which: str = "new") -> list[dict]:
        probs = self.new_probs if which == "new" else self.clean_probs
        order = np.argsort(-probs, kind="stable")[:self.top_k]
        return [{"token": self.vocab[i], "id": int(i), "prob": float(probs[i])} for i in order]

    def changes(self) -> list[dict]:
        """Probability before/after for watched tokens (default: both top-k lists)."""
        clean, new = self.clean_probs, self.new_probs
        ids = list(dict.fromkeys([*self.watch, *(t["id"] for t in self.top("clean")), *(t["id"] for t in self.top("new"))]))
        return [{"token": self.vocab[i], "id": int(i), "clean": float(clean[i]), "new": float(new[i]),
                 "delta": float(new[i] - clean[i])} for i in ids]

    def to_dict(self) -> dict:
        return {"tokens": self.tokens, "mode": self.mode, "interventions": self.applied,
                "clean_top": self.top("clean"), "new_top": self.top("new"), "changes": self.changes()}


def resolve(w: Weights, clean: Cache, interventions: list[Intervention]) -> dict[int, tuple]:
    """Per layer, arrays (positions, features, new values, clean values) to apply."""
    cfg, T = w.cfg, clean.ids.shape[1]
    per_layer: dict[int, dict[tuple[int, int], tuple[float, float]]] = {}  # a later item wins
    for item in interventions:
        if not 0 <= item.layer < cfg.n_layers or not 0 <= item.feature < w.n_features:
            raise InputError(f"Feature {item.layer}:{item.feature} does not exist: the local model has layers "
                             f"0–{cfg.n_layers - 1} with features 0–{w.n_features - 1}.")
        if (item.value is None) == (item.scale is None):
            raise InputError(f"Intervention {item.layer}:{item.feature} needs exactly one of a value or a scale.")
        act = clean.tc_act[item.layer][0, :, item.feature]
        if item.positions is None:
            positions = [int(p) for p in np.flatnonzero(act > 0)]
            if not positions and item.value is not None and item.value != 0:
                raise InputError(f"Feature {item.layer}:{item.feature} is not active on this prompt; "
                                 f"give a position (LAYER:FEATURE:POSITION=VALUE) to set it.")
        else:
            positions = [int(p) for p in item.positions]
            bad = [p for p in positions if not 1 <= p < T]
            if bad:
                raise InputError(f"Position {bad[0]} is outside the prompt: use 1–{T - 1} "
                                 "(position 0 is <bos>, where features are always 0).")
        for p in positions:
            new = item.value if item.value is not None else item.scale * float(act[p])
            per_layer.setdefault(item.layer, {})[(p, item.feature)] = (float(new), float(act[p]))
    out = {}
    for layer, rows in per_layer.items():
        if not rows:
            continue
        pos, feat, new, old = (np.array(c) for c in zip(*((p, f, n, o) for (p, f), (n, o) in rows.items())))
        out[layer] = (pos.astype(np.int64), feat.astype(np.int64), new.astype(w.dtype), old.astype(w.dtype))
    return out


def run_intervention(w: Weights, encoded: Encoded, interventions: list[Intervention], *, mode: str = "frozen",
                     vocab: list[str], top_k: int = 5, watch: list[int] | None = None) -> InterventionResult:
    if mode not in MODES:
        raise InputError(f"Intervention mode must be one of {', '.join(MODES)}, not {mode!r}.")
    if not interventions:
        raise InputError("Give at least one intervention (--set or --scale).")
    clean = forward(w, [encoded.ids])
    plan = resolve(w, clean, interventions)
    constrained = mode == "constrained"

    def edit(layer, pre, act, out):
        if layer not in plan:
            return (clean.tc_act[layer].copy(), out) if constrained else (act, out)
        pos, feat, new, _ = plan[layer]
        act = clean.tc_act[layer].copy() if constrained else act.copy()
        delta = new - act[0, pos, feat]      # value is absolute; δ against the current value
        np.add.at(out[0], pos, delta[:, None] * w.tc(layer, "W_dec")[feat])
        act[0, pos, feat] = new              # TopK is not re-applied to overridden values
        return act, out

    if mode == "open":
        frozen = None
    elif mode == "frozen":
        frozen = Frozen(patterns=clean.patterns)
    else:
        frozen = Frozen(patterns=clean.patterns, ln1_scale=clean.ln1_scale, ln2_scale=clean.ln2_scale,
                        lnf_scale=clean.lnf_scale, mlp_out=clean.mlp_out)
    new = forward(w, [encoded.ids], frozen=frozen, edit=edit)
    applied = [{"layer": int(layer), "feature": int(f), "position": int(p), "clean": float(o), "new": float(n)}
               for layer, (pos, feat, vals, olds) in sorted(plan.items())
               for p, f, n, o in zip(pos, feat, vals, olds)]
    return InterventionResult(tokens=encoded.display_tokens, mode=mode, applied=applied,
                              clean_logits=clean.logits[0, -1], new_logits=new.logits[0, -1], vocab=vocab,
                              top_k=top_k, watch=list(watch or []), clean_cache=clean, new_cache=new)
