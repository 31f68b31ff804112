"""NumPy forward pass of the tiny GPT and its transcoders (spec local-engine §3.1, §4.2, §5.1).

Row-vector convention (``x @ W``), batched over prompts (right-padded). Everything the
attribution sweep, probes and interventions need is cached. Optional freezing (attention
patterns, LayerNorm scales, MLP outputs) and an ``edit`` hook at each MLP implement the
intervention modes of §6.2 with the same code path as the clean run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

_GELU_C = float(np.sqrt(2.0 / np.pi))  # a Python float keeps float32 arrays float32


@dataclass(frozen=True)
class ModelConfig:
    n_layers: int
    d_model: int
    n_heads: int
    d_head: int
    d_mlp: int
    n_ctx: int
    d_vocab: int
    ln_eps: float
    act_fn: str

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Weights:
    """Model and transcoder arrays in one dtype (float32 by default, float64 for tests)."""
    cfg: ModelConfig
    k: int
    arrays: dict[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    @property
    def dtype(self):
        return self.arrays["embed.W_E"].dtype

    def block(self, layer: int, name: str) -> np.ndarray:
        return self.arrays[f"blocks.{layer}.{name}"]

    def tc(self, layer: int, name: str) -> np.ndarray:
        return self.arrays[f"transcoders.{layer}.{name}"]

    @property
    def n_features(self) -> int:
        return self.arrays["transcoders.0.W_enc"].shape[1]


@dataclass
class Frozen:
    """Values taken from a clean run instead of being recomputed (per layer lists)."""
    patterns: list[np.ndarray] | None = None   # (B, H, T, T)
    ln1_scale: list[np.ndarray] | None = None  # (B, T, 1)
    ln2_scale: list[np.ndarray] | None = None
    lnf_scale: np.ndarray | None = None
    mlp_out: list[np.ndarray] | None = None    # (B, T, D)


@dataclass
class Cache:
    """Everything a forward pass computed; per-layer lists, arrays batched (B, T, …)."""
    ids: np.ndarray
    resid_pre: list[np.ndarray] = field(default_factory=list)  # L + 1 entries; last = final residual
    resid_mid: list[np.ndarray] = field(default_factory=list)
    ln1_scale: list[np.ndarray] = field(default_factory=list)
    ln2_scale: list[np.ndarray] = field(default_factory=list)
    patterns: list[np.ndarray] = field(default_factory=list)
    mlp_in: list[np.ndarray] = field(default_factory=list)
    mlp_out: list[np.ndarray] = field(default_factory=list)
    tc_pre: list[np.ndarray] = field(default_factory=list)
    tc_act: list[np.ndarray] = field(default_factory=list)
    lnf_scale: np.ndarray | None = None
    logits: np.ndarray | None = None

    def errors(self, weights: Weights, layer: int) -> np.ndarray:
        """MLP output minus the transcoder reconstruction (BOS keeps its whole MLP output)."""
        recon = self.tc_act[layer] @ weights.tc(layer, "W_dec") + weights.tc(layer, "b_dec")
        return self.mlp_out[layer] - recon


# Called at each MLP as edit(layer, pre, act, mlp_out) -> (act, mlp_out); used by interventions.
EditHook = Callable[[int, np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    inner = x * (1.0 + 0.044715 * (x * x))  # x + 0.044715 x³ without the slow float power
    return 0.5 * x * (1.0 + np.tanh(_GELU_C * inner))


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float,
               scale: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """LayerNorm; with ``scale`` given, that frozen σ is used (the linearised LayerNorm)."""
    centred = x - x.mean(-1, keepdims=True)
    if scale is None:
        scale = np.sqrt((centred ** 2).mean(-1, keepdims=True) + eps)
    return centred / scale * w + b, scale


def relu_topk(pre: np.ndarray, k: int) -> np.ndarray:
    """ReLU then keep the k largest per row; ties at the k-th value go to the lower index."""
    x = np.maximum(pre, 0)
    kth = -np.partition(-x, k - 1, axis=-1)[..., k - 1:k]
    keep = (x >= kth) & (x > 0)
    over = keep.sum(-1) > k  # rare exact ties at the k-th value: resolve by index
    if over.any():
        rows_x, rows_kth = x[over], kth[over]
        ties = rows_x == rows_kth
        need = k - (rows_x > rows_kth).sum(-1, keepdims=True)
        keep[over] = (rows_x > rows_kth) | (ties & (np.cumsum(ties, axis=-1) <= need))
    return np.where(keep, x, 0).astype(pre.dtype, copy=False)


def attention_patterns(w: Weights, layer: int, h: np.ndarray) -> np.ndarray:
    cfg = w.cfg
    B, T, _ = h.shape
    q = (h @ w.block(layer, "attn.W_Q") + w.block(layer, "attn.b_Q")).reshape(B, T, cfg.n_heads, cfg.d_head)
    k = (h @ w.block(layer, "attn.W_K") + w.block(layer, "attn.b_K")).reshape(B, T, cfg.n_heads, cfg.d_head)
    scores = np.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(cfg.d_head).astype(h.dtype)
    scores = np.where(np.tri(T, dtype=bool), scores, -np.inf)
    scores -= scores.max(-1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(-1, keepdims=True)


def attention_apply(w: Weights, layer: int, h: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    cfg = w.cfg
    B, T, D = h.shape
    v = (h @ w.block(layer, "attn.W_V") + w.block(layer, "attn.b_V")).reshape(B, T, cfg.n_heads, cfg.d_head)
    z = np.matmul(patterns, v.transpose(0, 2, 1, 3))  # (B, H, T, d_head)
    return z.transpose(0, 2, 1, 3).reshape(B, T, D) @ w.block(layer, "attn.W_O") + w.block(layer, "attn.b_O")


def mlp(w: Weights, layer: int, m: np.ndarray) -> np.ndarray:
    hidden = gelu_tanh(m @ w.block(layer, "mlp.W_in") + w.block(layer, "mlp.b_in"))
    return hidden @ w.block(layer, "mlp.W_out") + w.block(layer, "mlp.b_out")


def encode(w: Weights, layer: int, m: np.ndarray, zero_bos: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Transcoder pre-activations and ReLU-TopK activations of (B, T, D) inputs; BOS
    (position 0) reads 0 as in circuit-tracer, unless ``zero_bos`` is off."""
    pre = m @ w.tc(layer, "W_enc") + w.tc(layer, "b_enc")
    act = relu_topk(pre, w.k)
    if zero_bos:
        act[:, 0] = 0
    return pre, act


def forward(w: Weights, ids, *, frozen: Frozen | None = None, edit: EditHook | None = None,
            light: bool = False) -> Cache:
    """Run the model on right-padded ``ids`` (B, T). ``light`` keeps only what probes need."""
    ids = np.atleast_2d(np.asarray(ids, dtype=np.int64))
    cfg = w.cfg
    T = ids.shape[1]
    frozen = frozen or Frozen()
    cache = Cache(ids=ids)
    x = w["embed.W_E"][ids] + w["embed.W_pos"][:T]
    for layer in range(cfg.n_layers):
        h, s1 = layer_norm(x, w.block(layer, "ln1.w"), w.block(layer, "ln1.b"), cfg.ln_eps,
                           None if frozen.ln1_scale is None else frozen.ln1_scale[layer])
        pattern = attention_patterns(w, layer, h) if frozen.patterns is None else frozen.patterns[layer]
        mid = x + attention_apply(w, layer, h, pattern)
        m, s2 = layer_norm(mid, w.block(layer, "ln2.w"), w.block(layer, "ln2.b"), cfg.ln_eps,
                           None if frozen.ln2_scale is None else frozen.ln2_scale[layer])
        out = mlp(w, layer, m) if frozen.mlp_out is None else frozen.mlp_out[layer].copy()
        pre, act = encode(w, layer, m)
        if edit is not None:
            act, out = edit(layer, pre, act, out)
        cache.tc_pre.append(pre)
        cache.tc_act.append(act)
        if not light:
            cache.resid_pre.append(x)
            cache.resid_mid.append(mid)
            cache.ln1_scale.append(s1)
            cache.ln2_scale.append(s2)
            cache.patterns.append(pattern)
            cache.mlp_in.append(m)
            cache.mlp_out.append(out)
        x = mid + out
    final, sf = layer_norm(x, w["ln_final.w"], w["ln_final.b"], cfg.ln_eps, frozen.lnf_scale)
    cache.logits = final @ w["unembed.W_U"] + w["unembed.b_U"]
    if not light:
        cache.resid_pre.append(x)
        cache.lnf_scale = sf
    return cache


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def pad_batch(rows: list[tuple[int, ...]], pad_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad id rows; causal masking keeps real positions identical to unbatched runs."""
    lengths = np.array([len(r) for r in rows], dtype=np.int64)
    out = np.full((len(rows), int(lengths.max())), pad_id, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r
    return out, lengths
