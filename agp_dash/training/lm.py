"""The tiny GPT-style language model in torch (spec local-engine §3).

Parameters are stored under the exported names and in row-vector orientation (``x @ W``),
so export is a plain name-for-name copy and the numpy forward pass reads the same arrays.
GELU is the tanh form (``gelu_new``), which numpy computes exactly (§3.2).
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class LMConfig:
    n_layers: int = 4
    d_model: int = 128
    n_heads: int = 4
    d_mlp: int = 512
    n_ctx: int = 32
    d_vocab: int = 0
    ln_eps: float = 1e-5
    act_fn: str = "gelu_new"

    @property
    def d_head(self) -> int:
        return self.d_model // self.n_heads

    def to_dict(self) -> dict:
        return {**asdict(self), "d_head": self.d_head}


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000
    warmup: int = 200
    lr: float = 3e-3
    weight_decay: float = 0.01
    betas: tuple[float, float] = (0.9, 0.98)
    short_rows: int = 112   # single sentences: half facts, half filler
    long_rows: int = 16     # several sentences joined by " . ", filling every position
    seed: int = 0
    eval_every: int = 100


def _uniform(*shape: int, fan_in: int) -> nn.Parameter:
    bound = 1.0 / math.sqrt(fan_in)  # torch's default Linear initialisation
    return nn.Parameter(torch.empty(*shape).uniform_(-bound, bound))


class _DottedParams(nn.ParameterDict):
    """ParameterDict that accepts the exported dotted names (torch forbids '.' in keys)."""

    def __setitem__(self, key, value):
        super().__setitem__(key.replace(".", "__"), value)

    def __getitem__(self, key):
        return super().__getitem__(key.replace(".", "__"))

    def items(self):
        return [(k.replace("__", "."), v) for k, v in super().items()]


class TinyGPT(nn.Module):
    def __init__(self, cfg: LMConfig):
        super().__init__()
        self.cfg = cfg
        D, V = cfg.d_model, cfg.d_vocab
        self.params = _DottedParams()
        p = self.params
        p["embed.W_E"] = nn.Parameter(torch.randn(V, D) * 0.02)
        p["embed.W_pos"] = nn.Parameter(torch.randn(cfg.n_ctx, D) * 0.02)
        for layer in range(cfg.n_layers):
            b = f"blocks.{layer}."
            for ln in ("ln1", "ln2"):
                p[b + ln + ".w"] = nn.Parameter(torch.ones(D))
                p[b + ln + ".b"] = nn.Parameter(torch.zeros(D))
            for name in ("Q", "K", "V", "O"):
                p[b + f"attn.W_{name}"] = _uniform(D, D, fan_in=D)
                p[b + f"attn.b_{name}"] = _uniform(D, fan_in=D)
            p[b + "mlp.W_in"] = _uniform(D, cfg.d_mlp, fan_in=D)
            p[b + "mlp.b_in"] = _uniform(cfg.d_mlp, fan_in=D)
            p[b + "mlp.W_out"] = _uniform(cfg.d_mlp, D, fan_in=cfg.d_mlp)
            p[b + "mlp.b_out"] = _uniform(D, fan_in=cfg.d_mlp)
        p["ln_final.w"] = nn.Parameter(torch.ones(D))
        p["ln_final.b"] = nn.Parameter(torch.zeros(D))
        p["unembed.W_U"] = _uniform(D, V, fan_in=D)
        p["unembed.b_U"] = _uniform(V, fan_in=D)

    def _ln(self, x, name):
        return F.layer_norm(x, (self.cfg.d_model,), self.params[name + ".w"], self.params[name + ".b"],
                            eps=self.cfg.ln_eps)

    def forward(self, ids: torch.Tensor, capture: bool = False):
        """Logits (B, T, V); with ``capture`` also each layer's (MLP input, MLP output)."""
        cfg, p = self.cfg, self.params
        B, T = ids.shape
        x = p["embed.W_E"][ids] + p["embed.W_pos"][:T]
        captured = []
        for layer in range(cfg.n_layers):
            b = f"blocks.{layer}."
            h = self._ln(x, b + "ln1")
            q, k, v = (
                (h @ p[b + f"attn.W_{n}"] + p[b + f"attn.b_{n}"]).view(B, T, cfg.n_heads, cfg.d_head).transpose(1, 2)
                for n in ("Q", "K", "V"))
            z = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + z.transpose(1, 2).reshape(B, T, cfg.d_model) @ p[b + "attn.W_O"] + p[b + "attn.b_O"]
            m = self._ln(x, b + "ln2")
            out = F.gelu(m @ p[b + "mlp.W_in"] + p[b + "mlp.b_in"], approximate="tanh") @ p[b + "mlp.W_out"] \
                + p[b + "mlp.b_out"]
            if capture:
                captured.append((m, out))
            x = x + out
        logits = self._ln(x, "ln_final") @ p["unembed.W_U"] + p["unembed.b_U"]
        return (logits, captured) if capture else logits

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: t.detach().cpu().numpy().copy() for name, t in self.params.items()}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        with torch.no_grad():
            for name, t in self.params.items():
                t.copy_(torch.from_numpy(np.asarray(arrays[name], dtype=np.float32)))


def pad_rows(rows: list[list[int]], pad_id: int = 0) -> torch.Tensor:
    width = max(len(r) for r in rows)
    out = torch.full((len(rows), width), pad_id, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, :len(r)] = torch.tensor(r, dtype=torch.long)
    return out


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to 10 % of the peak (§3.3)."""
    warm = min(1.0, step / cfg.warmup)
    return cfg.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / cfg.steps)))


class RowSampler:
    """Draws training rows: single sentences and long multi-sentence rows (seeded numpy)."""

    def __init__(self, facts: list[list[int]], filler: list[list[int]], *, bos_id: int, sep_id: int,
                 n_ctx: int, seed: int):
        self.facts, self.filler = facts, filler
        self.bos_id, self.sep_id, self.n_ctx = bos_id, sep_id, n_ctx
        self.rng = np.random.default_rng(seed)

    def _sentence(self, pool) -> list[int]:
        return pool[int(self.rng.integers(len(pool)))]

    def short(self, n: int) -> list[list[int]]:
        half = n // 2
        return [self._sentence(self.facts) for _ in range(half)] + \
            [self._sentence(self.filler) for _ in range(n - half)]

    def long(self, n: int) -> list[list[int]]:
        """Rows of n_ctx + 1 tokens at most, so every positional embedding is trained (§2.7.8)."""
        rows = []
        for _ in range(n):
            row = [self.bos_id]
            while True:
                pool = self.facts if self.rng.random() < 0.5 else self.filler
                words = self._sentence(pool)[1:]  # drop the sentence's own <bos>
                piece = ([self.sep_id] if len(row) > 1 else []) + list(words)
                if len(row) + len(piece) > self.n_ctx + 1:
                    break
                row += piece
            rows.append(row)
        return rows


def _loss(model: TinyGPT, batch: torch.Tensor) -> tuple[torch.Tensor, int]:
    inputs, targets = batch[:, :-1], batch[:, 1:].clone()
    targets[targets == 0] = -100  # <pad> targets are ignored
    logits = model(inputs)
    total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                            ignore_index=-100, reduction="sum")
    return total, int((targets != -100).sum())


def greedy_accuracy(model: TinyGPT, prompts: list[list[int]], answers: list[int]) -> float:
    if not prompts:
        return float("nan")
    with torch.no_grad():
        batch = pad_rows(prompts)
        logits = model(batch)
        last = torch.tensor([len(p) - 1 for p in prompts])
        pred = logits[torch.arange(len(prompts)), last].argmax(-1)
    return float((pred == torch.tensor(answers)).float().mean())


def train_lm(cfg: LMConfig, tcfg: TrainConfig, sampler: RowSampler, evals: dict, log=print) -> tuple[TinyGPT, dict]:
    """Train with AdamW and the warm-up + cosine schedule; returns the model and a record."""
    torch.manual_seed(tcfg.seed)
    model = TinyGPT(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=0.0, betas=tcfg.betas, weight_decay=tcfg.weight_decay)
    history = []
    start = time.perf_counter()
    for step in range(tcfg.steps + 1):
        model.train()
        for group in opt.param_groups:
            group["lr"] = lr_at(step, tcfg)
        loss_s, n_s = _loss(model, pad_rows(sampler.short(tcfg.short_rows)))
        loss_l, n_l = _loss(model, pad_rows(sampler.long(tcfg.long_rows)))
        loss = (loss_s + loss_l) / (n_s + n_l)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % tcfg.eval_every == 0 or step == tcfg.steps:
            model.eval()
            row = {"step": step, "loss": round(float(loss.detach()), 4),
                   "seconds": round(time.perf_counter() - start, 1)}
            for name, (prompts, answers) in evals.items():
                row[name] = round(greedy_accuracy(model, prompts, answers), 4)
            history.append(row)
            log(f"  lm step {step:5d}  " + "  ".join(f"{k}={v}" for k, v in row.items() if k != "step"))
    model.eval()
    return model, {"history": history, "seconds": round(time.perf_counter() - start, 1)}
