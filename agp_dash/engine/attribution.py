"""Exact attribution in the local replacement model (spec local-engine §5).

Attention patterns and LayerNorm scales are frozen, transcoder activations, error vectors
and embeddings are sources, so every target (a feature's pre-activation, a logit's demeaned
value) is an affine function of the sources. One backward sweep propagates every target's
gradient at once (a batched vector-Jacobian product), reading edges off at each MLP and at
the embeddings, and collecting every constant in ``bias``. The closure check
``Σ_s Adj[t, s] + bias[t] == value[t]`` is run on every result (§5.7).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agp_dash.errors import BackendError, InputError
from agp_dash.engine.model import Cache, Weights, forward, softmax
from agp_dash.engine.tokenizer import Encoded

CLOSURE_TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


@dataclass
class Attribution:
    """Targets are rows (features, then logits); sources are columns (features, errors
    layer-major over every position, embeddings). Feature i is row i and column i."""
    encoded: Encoded
    n_layers: int
    feature_layer: np.ndarray      # (n_F,) sorted by (layer, position, feature)
    feature_pos: np.ndarray
    feature_index: np.ndarray
    activation: np.ndarray
    logit_ids: np.ndarray          # (n_L,) by descending probability
    logit_probs: np.ndarray
    adjacency: np.ndarray          # (n_F + n_L, n_F + L·T + T)
    bias: np.ndarray               # (n_F + n_L,)
    values: np.ndarray             # pre-activations, then demeaned logits
    closure: dict = field(default_factory=dict)
    embedding_token_part: np.ndarray | None = None   # (rows, T): token-embedding-only edges
    embedding_position_part: np.ndarray | None = None
    cache: Cache | None = None

    @property
    def n_features(self) -> int:
        return int(self.feature_layer.size)

    @property
    def n_positions(self) -> int:
        return len(self.encoded.ids)

    @property
    def n_logits(self) -> int:
        return int(self.logit_ids.size)

    def error_column(self, layer: int, pos: int) -> int:
        return self.n_features + layer * self.n_positions + pos

    def embedding_column(self, pos: int) -> int:
        return self.n_features + self.n_layers * self.n_positions + pos


def select_logits(logits: np.ndarray, max_n_logits: int, desired_logit_prob: float,
                  targets: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """circuit-tracer's rule (§5.8): the shortest top prefix reaching ``desired_logit_prob``,
    at most ``max_n_logits``; or explicit ``targets`` (sorted by probability)."""
    probs = softmax(logits.astype(np.float64))
    if targets:
        ids = np.array(list(dict.fromkeys(int(t) for t in targets)), dtype=np.int64)
        order = np.argsort(-probs[ids], kind="stable")
        return ids[order], probs[ids[order]]
    top = np.argsort(-probs, kind="stable")[:max_n_logits]
    cutoff = int(np.searchsorted(np.cumsum(probs[top]), desired_logit_prob, side="left")) + 1
    top = top[:min(cutoff, top.size)]
    return top, probs[top]


def _centre(g: np.ndarray) -> np.ndarray:
    return g - g.mean(-1, keepdims=True)


def _attention_backward(w: Weights, layer: int, grad: np.ndarray, pattern: np.ndarray,
                        ln1_scale: np.ndarray) -> np.ndarray:
    """Gradient at the attention input for ``grad`` (T, R, D) at its output, A and σ1 frozen.

    Position-major layout so every step is one BLAS call (per head for the pattern)."""
    cfg = w.cfg
    T, R, D = grad.shape
    H, dh = cfg.n_heads, cfg.d_head
    grad = np.ascontiguousarray(grad)  # a strided matmul is about 2x slower
    u = (grad @ w.block(layer, "attn.W_O").T).reshape(T, R, H, dh).transpose(2, 0, 1, 3).reshape(H, T, R * dh)
    routed = np.matmul(pattern.transpose(0, 2, 1), u)            # A_hᵀ @ U_h
    routed = routed.reshape(H, T, R, dh).transpose(1, 2, 0, 3).reshape(T, R, D)
    z = routed @ w.block(layer, "attn.W_V").T
    return _centre(z * w.block(layer, "ln1.w")) / ln1_scale[:, :, None]


def attribute(w: Weights, encoded: Encoded, *, max_n_logits: int = 10, desired_logit_prob: float = 0.95,
              targets: list[int] | None = None, keep_parts: bool = False, check: bool = True) -> Attribution:
    """Every edge into every active feature and every selected logit, exactly."""
    cfg = w.cfg
    L, D, T = cfg.n_layers, cfg.d_model, len(encoded.ids)
    dtype = w.dtype
    cache = forward(w, [encoded.ids])

    # nodes: active features at p >= 1 in (layer, position, feature) order (§5.2)
    layers, positions, indices, acts = [], [], [], []
    for layer in range(L):
        p, f = np.nonzero(cache.tc_act[layer][0])
        layers.append(np.full(p.size, layer, dtype=np.int64))
        positions.append(p)
        indices.append(f)
        acts.append(cache.tc_act[layer][0, p, f])
    f_layer, f_pos, f_idx = np.concatenate(layers), np.concatenate(positions), np.concatenate(indices)
    f_act = np.concatenate(acts)
    n_F = f_layer.size
    logit_ids, logit_probs = select_logits(cache.logits[0, -1], max_n_logits, desired_logit_prob, targets)
    n_L = logit_ids.size
    n_rows, n_cols = n_F + n_L, n_F + L * T + T
    adjacency = np.zeros((n_rows, n_cols), dtype=dtype)
    bias = np.zeros(n_rows, dtype=dtype)
    grad = np.zeros((T, n_rows, D), dtype=dtype)  # position-major: per-position slices are contiguous
    start = np.searchsorted(f_layer, np.arange(L + 1))  # rows of layer >= l begin at start[l]

    # logit seeds at the final residual of the last position (demeaned unembedding, §5.3)
    W_U, b_U = w["unembed.W_U"], w["unembed.b_U"]
    W_Ut = W_U[:, logit_ids] - W_U.mean(1, keepdims=True)
    b_Ut = b_U[logit_ids] - b_U.mean()
    grad[T - 1, n_F:] = _centre((w["ln_final.w"][:, None] * W_Ut).T) / cache.lnf_scale[0, T - 1]
    bias[n_F:] = w["ln_final.b"] @ W_Ut + b_Ut
    logits_last = cache.logits[0, -1]
    values = np.concatenate([cache.tc_pre[l][0, p, f] for l, (p, f) in enumerate(zip(positions, indices))]
                            + [logits_last[logit_ids] - logits_last.mean()]).astype(dtype)

    for layer in range(L - 1, -1, -1):
        # sources written by MLP `layer`: its features, its error, its b_dec (skip path only)
        rows = slice(start[layer + 1], n_rows)
        g = grad[:, rows]
        own = np.arange(start[layer], start[layer + 1])
        if own.size:
            scaled = f_act[own, None] * w.tc(layer, "W_dec")[f_idx[own]]     # (n_own, D)
            for pos in np.unique(f_pos[own]):
                cols = own[f_pos[own] == pos]
                adjacency[rows, cols] = g[pos] @ scaled[cols - own[0]].T
        errors = cache.errors(w, layer)[0]                                  # (T, D)
        err_cols = n_F + layer * T + np.arange(T)
        adjacency[rows, err_cols] = np.einsum("qrd,qd->rq", g, errors)
        bias[rows] += g.sum(0) @ w.tc(layer, "b_dec")
        # seed this layer's feature targets at r_mid[layer], read through LN2 (§5.3)
        if own.size:
            enc = w.tc(layer, "W_enc")[:, f_idx[own]].T                      # (n_own, D)
            seeds = _centre(w.block(layer, "ln2.w") * enc) / cache.ln2_scale[layer][0, f_pos[own]]
            grad[f_pos[own], own] = seeds
            bias[own] = enc @ w.block(layer, "ln2.b") + w.tc(layer, "b_enc")[f_idx[own]]
        # cross attention `layer`: its constant, then the frozen linear map (§5.4)
        rows = slice(start[layer], n_rows)
        g = grad[:, rows]
        const = (w.block(layer, "ln1.b") @ w.block(layer, "attn.W_V") + w.block(layer, "attn.b_V")) \
            @ w.block(layer, "attn.W_O") + w.block(layer, "attn.b_O")
        bias[rows] += g.sum(0) @ const
        g += _attention_backward(w, layer, g, cache.patterns[layer][0], cache.ln1_scale[layer][0])

    token_part = w["embed.W_E"][np.asarray(encoded.ids)]
    pos_part = w["embed.W_pos"][:T]
    emb_cols = n_F + L * T + np.arange(T)
    adjacency[:, emb_cols] = np.einsum("qrd,qd->rq", grad, token_part + pos_part)
    result = Attribution(encoded=encoded, n_layers=L, feature_layer=f_layer, feature_pos=f_pos,
                         feature_index=f_idx, activation=f_act, logit_ids=logit_ids, logit_probs=logit_probs,
                         adjacency=adjacency, bias=bias, values=values, cache=cache)
    if keep_parts:
        result.embedding_token_part = np.einsum("qrd,qd->rq", grad, token_part)
        result.embedding_position_part = np.einsum("qrd,qd->rq", grad, pos_part)
    result.closure = closure(result)
    if check:
        tolerance = CLOSURE_TOLERANCE.get(np.dtype(dtype), 1e-5)
        scale = max(1.0, float(np.abs(values).max(initial=0.0)) / 10.0)  # relative above |value| ~ 10
        worst = max(result.closure.values())
        if worst > tolerance * scale:
            raise BackendError(f"The local engine's attribution failed its exactness check "
                               f"(error {worst:.2e} > {tolerance * scale:.0e}); this is an engine bug.")
    return result


def closure(result: Attribution) -> dict:
    """Max |Σ_s Adj[t, s] + bias_t − value_t| over features and over logits (§5.7)."""
    gap = np.abs(result.adjacency.sum(1, dtype=np.float64) + result.bias - result.values)
    n_F = result.n_features
    return {"features": float(gap[:n_F].max(initial=0.0)), "logits": float(gap[n_F:].max(initial=0.0))}


def check_settings(max_n_logits, desired_logit_prob, node_threshold=None, edge_threshold=None,
                   max_feature_nodes=None) -> None:
    """One clear sentence for an out-of-range generation setting."""
    if not (isinstance(max_n_logits, (int, np.integer)) and max_n_logits >= 1):
        raise InputError(f"max_n_logits must be a whole number of at least 1, not {max_n_logits!r}.")
    if not 0 < float(desired_logit_prob) <= 1:
        raise InputError(f"desired_logit_prob must be in (0, 1], not {desired_logit_prob!r}.")
    for name, value in (("node_threshold", node_threshold), ("edge_threshold", edge_threshold)):
        if value is not None and not 0 < float(value) <= 1:
            raise InputError(f"{name} must be in (0, 1], not {value!r}.")
    if max_feature_nodes is not None and not (isinstance(max_feature_nodes, (int, np.integer))
                                              and max_feature_nodes >= 1):
        raise InputError(f"max_feature_nodes must be a whole number of at least 1, not {max_feature_nodes!r}.")
