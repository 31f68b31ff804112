"""``agp engine train``: corpus -> LM -> activations -> transcoders -> float16 export ->
evaluation, labels, reference outputs -> manifest (spec local-engine §8.4).

Everything is written into a temporary folder beside the target and swapped in at the end,
so a failed run leaves the shipped ``data/`` untouched. Every number in the manifest comes
from the float16-rounded weights as shipped. torch runs on one thread (shared machines).
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import platform
import random
import shutil
import time
from pathlib import Path

import numpy as np
import torch

import agp_dash
from agp_dash.atomic import atomic_write_bytes, atomic_write_json
from agp_dash.engine import artifacts as A
from agp_dash.engine.evaluate import evaluate_facts
from agp_dash.engine.model import ModelConfig, Weights, encode, forward, pad_batch
from agp_dash.engine.tokenizer import Tokenizer
from agp_dash.training import world as W
from agp_dash.training.corpus import CORPUS_VERSION, SEPARATOR, build_corpus, world_record
from agp_dash.training.labels import feature_labels
from agp_dash.training.lm import LMConfig, RowSampler, TrainConfig, pad_rows, train_lm
from agp_dash.training.transcoders import TranscoderConfig, train_transcoder

REFERENCE_PROMPTS = [p["prompt"] for p in W.EXAMPLE_PROMPTS]
FACT_REPEATS = 4       # transcoder data: facts x4, filler, held-out text, long rows (§4.5)
LONG_ROWS_FOR_TC = 600


def _f16(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Round to float16 and back: every later step sees the weights as shipped."""
    return {k: np.asarray(v, dtype=np.float16).astype(np.float32) for k, v in arrays.items()}


def _collect(model, rows: list[list[int]], n_layers: int, batch: int = 512):
    """(MLP input, MLP output) at every non-pad position of ``rows``, per layer (§4.5)."""
    xs = [[] for _ in range(n_layers)]
    ys = [[] for _ in range(n_layers)]
    with torch.no_grad():
        for start in range(0, len(rows), batch):
            ids = pad_rows(rows[start:start + batch])
            _, captured = model(ids, capture=True)
            mask = ids != 0
            for layer, (m, out) in enumerate(captured):
                xs[layer].append(m[mask])
                ys[layer].append(out[mask])
    return [torch.cat(x) for x in xs], [torch.cat(y) for y in ys]


def _fve(w: Weights, rows: list[tuple[int, ...]], skip_bos: bool, batch: int = 512) -> tuple[list[float], list[int]]:
    """Fraction of MLP-output variance the transcoders explain, and alive features, per layer.

    BOS counts when ``skip_bos`` is off; there the transcoder is evaluated as trained (no
    BOS zeroing)."""
    L = w.cfg.n_layers
    err, sq, total, n = np.zeros(L), np.zeros(L), np.zeros((L, w.cfg.d_model)), 0
    fired = np.zeros((L, w.n_features), dtype=bool)
    for start in range(0, len(rows), batch):
        ids, lengths = pad_batch(rows[start:start + batch])
        cache = forward(w, ids)
        valid = np.arange(ids.shape[1])[None, :] < lengths[:, None]
        if skip_bos:
            valid[:, 0] = False
        n += int(valid.sum())
        for layer in range(L):
            m, y = cache.mlp_in[layer][valid], cache.mlp_out[layer][valid]
            act = encode(w, layer, m[None], zero_bos=False)[1][0]
            recon = act @ w.tc(layer, "W_dec") + w.tc(layer, "b_dec")
            err[layer] += float(((y - recon) ** 2).sum())
            sq[layer] += float((y.astype(np.float64) ** 2).sum())
            total[layer] += y.sum(0)
            fired[layer] |= (act > 0).any(0)
    variance = sq - (total ** 2).sum(1) / n
    return [round(float(v), 5) for v in 1 - err / variance], [int(f.sum()) for f in fired]


def run_training(out_dir: str | os.PathLike | None = None, *, lm_steps: int = 1000, tc_steps: int = 2000,
                 tc_first_layer_steps: int | None = None, seed: int = 0, log=print) -> dict:
    """Train everything and (re)write ``out_dir``; returns the manifest."""
    out_dir = Path(out_dir) if out_dir is not None else A.default_data_dir()
    t0 = time.perf_counter()
    raw_log = log

    def log(message: str) -> None:
        raw_log(f"[{time.perf_counter() - t0:6.1f}s] {message}")
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)

    corpus = build_corpus(seed)
    vocab = corpus.vocab
    index = {w: i for i, w in enumerate(vocab)}
    lm_cfg = LMConfig(d_vocab=len(vocab))
    tokenizer = Tokenizer(vocab, lm_cfg.n_ctx)

    def ids(sentence: str) -> list[int]:
        return [tokenizer.bos_id] + [index[w] for w in sentence.split()]

    facts, filler = [ids(s) for s in corpus.facts], [ids(s) for s in corpus.filler]
    held_out_text = [ids(s) for s in corpus.held_out]
    log(f"corpus: {len(facts)} fact, {len(filler)} filler, {len(held_out_text)} held-out sentences; "
        f"vocabulary {len(vocab)}")

    def eval_set(fs):
        return [ids(f.prompt) for f in fs], [index[f.answer] for f in fs]
    evals = {"trained": eval_set(corpus.trained_facts), "held_out": eval_set(corpus.held_out_facts)}
    tcfg = TrainConfig(steps=lm_steps, seed=seed)
    sampler = RowSampler(facts, filler, bos_id=tokenizer.bos_id, sep_id=index[SEPARATOR],
                         n_ctx=lm_cfg.n_ctx, seed=seed)
    log(f"training the language model ({lm_steps} steps, 1 thread)")
    model, lm_record = train_lm(lm_cfg, tcfg, sampler, evals, log=log)

    lm_arrays = _f16(model.arrays())
    model.load_arrays(lm_arrays)
    long_rows = RowSampler(facts, filler, bos_id=tokenizer.bos_id, sep_id=index[SEPARATOR],
                           n_ctx=lm_cfg.n_ctx, seed=seed + 1).long(LONG_ROWS_FOR_TC)
    tc_rows = facts * FACT_REPEATS + filler + held_out_text + [r[:lm_cfg.n_ctx] for r in long_rows]
    xs, ys = _collect(model, tc_rows, lm_cfg.n_layers)
    log(f"transcoder data: {xs[0].shape[0]} positions per layer")
    tc_cfg = TranscoderConfig(steps=tc_steps, seed=seed,
                              first_layer_steps=tc_first_layer_steps if tc_first_layer_steps else 2 * tc_steps)
    tc_arrays, tc_seconds = {}, []
    for layer in range(lm_cfg.n_layers):
        arrays, rec = train_transcoder(xs[layer], ys[layer], tc_cfg, layer, log=log)
        tc_seconds.append(rec["seconds"])
        tc_arrays.update({f"transcoders.{layer}.{k}": v for k, v in arrays.items()})
    tc_arrays = _f16(tc_arrays)

    # ---- evaluation on the float16 weights, in numpy (the runtime code path)
    cfg = ModelConfig.from_dict(lm_cfg.to_dict())
    w32 = Weights(cfg, tc_cfg.k, {**lm_arrays, **tc_arrays})
    world = world_record(corpus)
    accuracy = evaluate_facts(w32, tokenizer, world["facts"])
    if accuracy["failures"]:
        log(f"warning: {len(accuracy['failures'])} trained facts wrong, e.g. {accuracy['failures'][:3]}")
    log("measuring FVE")
    seen = list(dict.fromkeys(tuple(r) for r in tc_rows))
    fve_train, alive = _fve(w32, seen, skip_bos=False)
    fresh = build_corpus(seed + 1, n_filler=600)
    fresh_rows = [tuple(ids(s)) for s in fresh.filler] + \
        [tuple(ids(f["prompt"])) for f in world["facts"]][:: 4]
    fve_fresh, _ = _fve(w32, fresh_rows, skip_bos=True)
    with torch.no_grad():
        probe = pad_rows([list(r) for r in fresh_rows[:256]])
        torch_logits = model(probe).numpy()
    numpy_logits = forward(w32, probe.numpy(), light=True).logits
    mask = probe.numpy() != 0
    torch_gap = float(np.abs(torch_logits - numpy_logits)[mask].max())
    log(f"accuracy: trained {accuracy['trained']['accuracy']}, held-out two-hop "
        f"{accuracy.get('two_hop_held_out', {}).get('accuracy')}; FVE {fve_train}; alive {alive}; "
        f"numpy vs torch logits {torch_gap:.2e}")

    label_rows = list(dict.fromkeys(tuple(ids(s)) for s in (*corpus.facts, *corpus.filler, *corpus.held_out)))
    log("computing feature labels")
    labels = feature_labels(w32, vocab, label_rows)
    labels.update({"model_id": W.MODEL_ID, "transcoder_set": f"tc{tc_cfg.n_features}-k{tc_cfg.k}"})

    w64 = Weights(cfg, tc_cfg.k, {k: v.astype(np.float64) for k, v in w32.arrays.items()})
    reference = []
    for prompt in REFERENCE_PROMPTS:
        enc = tokenizer.encode(prompt)
        logits = forward(w64, [enc.ids], light=True).logits[0, -1]
        top = np.argsort(-logits, kind="stable")[:5]
        reference.append({"prompt": prompt, "ids": list(enc.ids),
                          "top": [[vocab[i], float(logits[i])] for i in top]})

    manifest = {
        "format_version": A.FORMAT_VERSION,
        "model_id": W.MODEL_ID,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "model": dataclasses.asdict(cfg),
        "transcoders": {"name": f"tc{tc_cfg.n_features}-k{tc_cfg.k}", **tc_cfg.to_dict(),
                        "input": "LN2 output with gain and bias (mlp.hook_in)",
                        "output": "MLP output including its bias (mlp.hook_out)"},
        "arrays": {"orientation": "row vectors: x @ W", "dtype": "float16",
                   "model": sorted(lm_arrays), "transcoders": sorted(tc_arrays)},
        "conventions": {"bos_features": "zeroed", "bos_error_node": True,
                        "embedding_includes_position": True, "activation": "relu_topk",
                        "logit_targets": "demeaned unembedding", "usable_prompt_tokens": cfg.n_ctx},
        "training": {
            "corpus_version": CORPUS_VERSION, "corpus_sha256": corpus.digest(),
            "n_fact_sentences": len(corpus.facts), "n_filler_sentences": len(corpus.filler),
            "n_held_out_sentences": len(corpus.held_out), "held_out_cities": list(W.HELD_OUT_CITIES),
            "seed": seed, "lm": {**tcfg.__dict__, "history": lm_record["history"],
                                 "seconds": lm_record["seconds"]},
            "transcoder_positions": int(xs[0].shape[0]), "transcoder_seconds": tc_seconds,
            "accuracy": {k: v for k, v in accuracy.items() if k != "failures"},
            "trained_failures": accuracy["failures"][:20],
            "fve_train": fve_train, "fve_fresh": fve_fresh, "alive": alive,
            "numpy_vs_torch_max_logit_diff": torch_gap,
            "versions": {"python": platform.python_version(), "numpy": np.__version__,
                         "torch": torch.__version__, "agp": agp_dash.__version__},
            "threads": 1,
        },
        "reference": reference,
    }
    files = {
        A.MODEL_FILE: A.npz_bytes(lm_arrays),
        A.TRANSCODER_FILE: A.npz_bytes(tc_arrays),
    }
    manifest["training"]["total_seconds"] = round(time.perf_counter() - t0, 1)
    _write(out_dir, files, {A.VOCAB_FILE: vocab, A.LABELS_FILE: labels, A.WORLD_FILE: world}, manifest)
    log(f"wrote {out_dir} in {manifest['training']['total_seconds']} s")
    return manifest


def _write(out_dir: Path, binaries: dict[str, bytes], jsons: dict[str, object], manifest: dict) -> None:
    """Write into a sibling temp folder, hash, then swap it in (no half-written data/)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for name, data in binaries.items():
            atomic_write_bytes(tmp / name, data)
        for name, obj in jsons.items():
            atomic_write_json(tmp / name, obj, indent=None)  # compact: world.json and labels are large
        manifest["files"] = {name: {"sha256": A.sha256_file(tmp / name), "bytes": (tmp / name).stat().st_size}
                             for name in A.HASHED_FILES}
        atomic_write_json(tmp / A.MANIFEST_FILE, manifest, indent=1)
        for path in tmp.iterdir():
            path.chmod(0o644)  # atomic writes create private files; the model is for everyone
        A.load_artifacts(tmp)  # refuse to ship what the runtime cannot read
        if out_dir.exists():
            out_dir.rename(old)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out_dir.exists():
            old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
