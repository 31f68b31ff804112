"""Deterministic synthetic attribution graphs (schema_version 1) for tests, demos and benchmarks.

Node order, id formats and link order follow spec §2.4–2.6; links only go from lower to higher
layers, so the graph is a DAG. ``influence`` holds the cumulative influence computed on the
graph itself (a real file's comes from the unpruned graph; close enough for tests).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from scipy import sparse

from agp_dash.atomic import atomic_write_text
from agp_dash.graphs.encoding import cantor_encode
from agp_dash.graphs.influence import compute_influence


def _arrays(n_tokens: int, n_layers: int, n_features: int, n_logits: int, in_degree: int, seed: int):
    rng = np.random.default_rng(seed)
    positions = np.arange(1, n_tokens)  # BOS has no features or errors (§2.7(3))
    f_layer = np.sort(rng.integers(0, n_layers, n_features))
    f_ctx = rng.choice(positions, n_features)
    f_index = rng.integers(n_layers, 98_304, n_features)  # >= n_layers: no id collisions
    order = np.lexsort((f_index, f_ctx, f_layer))
    f_layer, f_ctx, f_index = f_layer[order], f_ctx[order], f_index[order]
    keep = np.ones(n_features, dtype=bool)
    keep[1:] = (np.diff(f_layer) != 0) | (np.diff(f_ctx) != 0) | (np.diff(f_index) != 0)
    f_layer, f_ctx, f_index = f_layer[keep], f_ctx[keep], f_index[keep]
    e_layer = np.repeat(np.arange(n_layers), positions.size)
    e_ctx = np.tile(positions, n_layers)
    token_ids = rng.integers(3, 256_000, n_tokens)
    token_ids[0] = 2
    logit_ids = rng.choice(np.arange(100, 256_000), n_logits, replace=False)
    probs = np.sort(rng.dirichlet(np.ones(n_logits + 1))[:n_logits])[::-1]

    n_f, n_e, n_t = f_layer.size, e_layer.size, n_tokens
    n = n_f + n_e + n_t + n_logits
    # each target draws sources among features and errors of lower layers, and all embeddings
    target_layer = np.concatenate([f_layer, np.full(n_logits, n_layers + 1)])
    target_index = np.concatenate([np.arange(n_f), np.arange(n - n_logits, n)])
    f_below = np.searchsorted(f_layer, target_layer, side="left")
    e_below = np.searchsorted(e_layer, target_layer, side="left")
    pool = f_below + e_below + n_t
    degree = np.minimum(rng.poisson(in_degree, target_index.size) + 1, pool)
    rows = np.repeat(np.arange(target_index.size), degree)
    draw = (rng.random(rows.size) * pool[rows]).astype(np.int64)
    fb, eb = f_below[rows], e_below[rows]
    source = np.where(draw < fb, draw,
                      np.where(draw < fb + eb, n_f + (draw - fb), n_f + n_e + (draw - fb - eb)))
    target = target_index[rows]
    pair = np.unique(target * n + source)  # dedupe, sorted by (target, source) as in real files
    target, source = pair // n, pair % n
    weight = np.round(rng.standard_normal(pair.size) * 64) / 64
    weight[weight == 0] = 1 / 64
    return dict(f_layer=f_layer, f_ctx=f_ctx, f_index=f_index, e_layer=e_layer, e_ctx=e_ctx,
                token_ids=token_ids, logit_ids=logit_ids, probs=probs, source=source, target=target,
                weight=weight, n=n, rng=rng)


def _node_records(a: dict, n_tokens: int, n_layers: int) -> list[dict]:
    n = a["n"]
    adjacency = sparse.csr_matrix((a["weight"], (a["target"], a["source"])), shape=(n, n))
    w = np.zeros(n)
    w[n - a["probs"].size:] = a["probs"]
    cumulative = compute_influence(adjacency, w).cumulative
    activation = np.round(a["rng"].gamma(2.0, 2.0, a["f_layer"].size) * 64) / 64
    nodes, i = [], 0
    base = {"token_prob": 0.0, "is_target_logit": False, "run_idx": 0, "reverse_ctx_idx": 0, "clerp": ""}
    for layer, ctx, index, act in zip(a["f_layer"].tolist(), a["f_ctx"].tolist(), a["f_index"].tolist(),
                                      activation.tolist()):
        nodes.append({"node_id": f"{layer}_{index}_{ctx}", "feature": cantor_encode(layer, index),
                      "layer": str(layer), "ctx_idx": ctx, "feature_type": "cross layer transcoder", **base,
                      "jsNodeId": f"{layer}_{index}-0", "influence": float(cumulative[i]), "activation": act})
        i += 1
    for layer, ctx in zip(a["e_layer"].tolist(), a["e_ctx"].tolist()):
        nodes.append({"node_id": f"0_{layer}_{ctx}", "feature": -1, "layer": str(layer), "ctx_idx": ctx,
                      "feature_type": "mlp reconstruction error", **base, "jsNodeId": f"{layer}_{ctx}-0",
                      "influence": float(cumulative[i]), "activation": None})
        i += 1
    for ctx, tok in enumerate(a["token_ids"].tolist()):
        nodes.append({"node_id": f"E_{tok}_{ctx}", "feature": ctx, "layer": "E", "ctx_idx": ctx,
                      "feature_type": "embedding", **base, "jsNodeId": f"E_{tok}-{ctx}",
                      "influence": float(cumulative[i]), "activation": None})
        i += 1
    last = n_tokens - 1
    for k, (vocab, p) in enumerate(zip(a["logit_ids"].tolist(), a["probs"].tolist())):
        nodes.append({"node_id": f"{n_layers + 1}_{vocab}_{last}", "feature": vocab, "layer": str(n_layers + 1),
                      "ctx_idx": last, "feature_type": "logit", **base, "token_prob": p,
                      "is_target_logit": k == 0, "jsNodeId": f"L_{vocab}-{last}",
                      "clerp": f'Output "tok{vocab}" (p={p:.3f})', "influence": None, "activation": None})
    return nodes


def _metadata(slug: str, n_tokens: int, n_features: int, n_logits: int) -> dict:
    tokens = ["<bos>"] + [f" w{i}" for i in range(1, n_tokens)]
    return {"slug": slug, "scan": "gemma-2-2b", "transcoder_list": [], "prompt_tokens": tokens,
            "prompt": "".join(tokens), "node_threshold": 0.8, "schema_version": 1,
            "info": {"creator_name": "agp synthetic", "source_urls": ["https://neuronpedia.org/gemma-2-2b/clt-hp"],
                     "transcoder_set": "mntss/clt-gemma-2-2b-2.5M",
                     "generator": {"name": "agp synthetic graph", "version": "1", "url": ""},
                     "neuronpedia_source_set": "clt-hp"},
            "generation_settings": {"max_n_logits": n_logits, "desired_logit_prob": 0.95, "batch_size": 48,
                                    "max_feature_nodes": n_features},
            "pruning_settings": {"node_threshold": 0.8, "edge_threshold": 0.85}}


_QPARAMS = {"pinnedIds": [], "supernodes": [], "linkType": "both", "clickedId": "", "sg_pos": ""}


def synthetic_graph(*, n_tokens: int = 8, n_layers: int = 4, n_features: int = 40, n_logits: int = 3,
                    in_degree: int = 6, seed: int = 0, slug: str = "synthetic") -> dict:
    """A small synthetic graph as a JSON-ready dict."""
    a = _arrays(n_tokens, n_layers, n_features, n_logits, in_degree, seed)
    nodes = _node_records(a, n_tokens, n_layers)
    ids = [node["node_id"] for node in nodes]
    links = [{"source": ids[s], "target": ids[t], "weight": w}
             for s, t, w in zip(a["source"].tolist(), a["target"].tolist(), a["weight"].tolist())]
    return {"metadata": _metadata(slug, n_tokens, n_features, n_logits), "qParams": dict(_QPARAMS),
            "nodes": nodes, "links": links}


def write_synthetic_graph(path: str | os.PathLike, *, n_tokens: int = 64, n_layers: int = 26,
                          n_features: int = 10_000, n_logits: int = 10, in_degree: int = 145,
                          seed: int = 0, slug: str = "synthetic-large") -> Path:
    """Write a (large) synthetic graph straight to text; the defaults give ~100 MB."""
    a = _arrays(n_tokens, n_layers, n_features, n_logits, in_degree, seed)
    nodes = _node_records(a, n_tokens, n_layers)
    ids = np.array([node["node_id"] for node in nodes], dtype=object)
    head = json.dumps({"metadata": _metadata(slug, n_tokens, n_features, n_logits), "qParams": _QPARAMS})
    node_text = ",\n".join(json.dumps(node) for node in nodes)
    link_text = ",\n".join(f'{{"source": "{s}", "target": "{t}", "weight": {w!r}}}'
                           for s, t, w in zip(ids[a["source"]].tolist(), ids[a["target"]].tolist(),
                                              a["weight"].tolist()))
    text = f'{head[:-1]}, "nodes": [\n{node_text}\n], "links": [\n{link_text}\n]}}\n'
    return atomic_write_text(path, text)
