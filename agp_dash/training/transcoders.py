"""Per-layer TopK transcoders in torch (spec local-engine §4).

Each maps the LN2 output (affine included) to the MLP output: ``pre = x @ W_enc + b_enc``,
``a = TopK_k(ReLU(pre))``, ``ŷ = a @ W_dec + b_dec``. Loss: normalised MSE plus AuxK (1/32)
on dead features, so 75–95 % of features stay alive.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class TranscoderConfig:
    n_features: int = 512
    k: int = 8
    steps: int = 2000
    first_layer_steps: int = 4000  # layer 0 (token lookups) is the hardest to reconstruct
    batch: int = 1024
    lr: float = 2e-3
    decay_fraction: float = 0.2   # linear decay to 0 over the last 20 % of steps
    dead_after: int = 200         # steps without firing -> dead (AuxK)
    aux_weight: float = 1 / 32
    seed: int = 0

    def to_dict(self) -> dict:
        return {**asdict(self), "activation": "relu_topk"}


def relu_topk(pre: torch.Tensor, k: int) -> torch.Tensor:
    values, index = torch.relu(pre).topk(k, dim=-1)
    return torch.zeros_like(pre).scatter(-1, index, values)


def train_transcoder(x: torch.Tensor, y: torch.Tensor, cfg: TranscoderConfig, layer: int, log=print) -> tuple[dict, dict]:
    """Train one layer's transcoder on (x, y) of shape (N, D); returns float32 arrays and a record."""
    gen = torch.Generator().manual_seed(cfg.seed + layer)
    n, d = x.shape
    y_mean = y.mean(0)
    variance = float(((y - y_mean) ** 2).sum(1).mean())
    W_enc = (torch.randn(d, cfg.n_features, generator=gen) / d ** 0.5)
    scale = float(y.std() / x.std())
    params = {
        "W_enc": W_enc.clone().requires_grad_(),
        "b_enc": torch.zeros(cfg.n_features, requires_grad=True),
        "W_dec": (W_enc.T * scale).clone().requires_grad_(),
        "b_dec": y_mean.clone().requires_grad_(),
    }
    opt = torch.optim.Adam(params.values(), lr=cfg.lr)
    since_fired = torch.zeros(cfg.n_features, dtype=torch.long)
    steps = cfg.first_layer_steps if layer == 0 else cfg.steps
    decay_start = int(steps * (1 - cfg.decay_fraction))
    start = time.perf_counter()
    for step in range(steps):
        lr = cfg.lr if step < decay_start else cfg.lr * (steps - step) / (steps - decay_start)
        for group in opt.param_groups:
            group["lr"] = lr
        rows = torch.randint(n, (cfg.batch,), generator=gen)
        xb, yb = x[rows], y[rows]
        pre = xb @ params["W_enc"] + params["b_enc"]
        acts = relu_topk(pre, cfg.k)
        recon = acts @ params["W_dec"] + params["b_dec"]
        loss = ((yb - recon) ** 2).sum(1).mean() / variance
        fired = (acts > 0).any(0)
        since_fired = torch.where(fired, torch.zeros_like(since_fired), since_fired + 1)
        dead = since_fired > cfg.dead_after
        n_dead = int(dead.sum())
        if n_dead:
            k_aux = min(2 * cfg.k, n_dead)
            dead_pre = torch.where(dead, torch.relu(pre), torch.zeros_like(pre))
            aux = relu_topk(dead_pre, k_aux) @ params["W_dec"]
            residual = (yb - recon).detach()
            loss = loss + cfg.aux_weight * ((residual - aux) ** 2).sum(1).mean() / variance
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 500 == 0 or step == steps - 1:
            log(f"  tc layer {layer} step {step:5d}  loss={float(loss.detach()):.4f}  dead={n_dead}")
    arrays = {name: t.detach().numpy().astype(np.float32) for name, t in params.items()}
    return arrays, {"seconds": round(time.perf_counter() - start, 1)}
