"""Per-feature labels computed offline from the shipped weights (spec local-engine §8.2).

For every (layer, feature): density, max activation, dead flag, top activating tokens
(aggregated by token), the strongest contexts, top and bottom direct-logit tokens
``(W_dec[f] ⊙ lnf_w) @ W̃_U`` (ignores later layers and the final LayerNorm scale, so it is
a hint, not a measurement) and a short automatic label such as
``Dallas/Houston/Lubbock → Texas``.

Most features fire on a function word at the end of a prompt (``is``), so the label names
the rare *context* words of the strongest occurrences, not the token itself.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from agp_dash.engine.model import Weights, forward, pad_batch

TOP_TOKENS, TOP_CONTEXTS, TOP_LOGITS, BOTTOM_LOGITS = 4, 2, 3, 2
COLUMNS = ("label", "density", "max_act", "dead", "top_tokens", "top_contexts", "top_logits", "bottom_logits")
CONTEXT_WORDS = 4         # a context is the token and the 3 words before it
LABEL_OCCURRENCES = 30    # strongest occurrences that vote for the label's words
RARE_DOC_FREQ = 0.03      # words in more than 3 % of sentences are too common to name a feature


def direct_logit_tokens(w: Weights, layer: int) -> np.ndarray:
    """(F, V) direct logit effect of each feature's decoder row, demeaned over the vocabulary."""
    W_U = w["unembed.W_U"]
    return (w.tc(layer, "W_dec") * w["ln_final.w"]) @ (W_U - W_U.mean(1, keepdims=True))


def _hits(w: Weights, rows: list[tuple[int, ...]], batch: int) -> tuple[list[np.ndarray], int]:
    """Per layer, an (n, 4) array of (row, position, feature, activation) where a feature fires."""
    per_layer: list[list[np.ndarray]] = [[] for _ in range(w.cfg.n_layers)]
    n_tokens = 0
    for start in range(0, len(rows), batch):
        ids, lengths = pad_batch(rows[start:start + batch])
        cache = forward(w, ids, light=True)
        valid = np.arange(ids.shape[1])[None, :] < lengths[:, None]
        valid[:, 0] = False
        n_tokens += int(valid.sum())
        for layer, act in enumerate(cache.tc_act):
            r, p, f = np.nonzero((act > 0) & valid[:, :, None])
            per_layer[layer].append(np.stack([r + start, p, f, act[r, p, f]], axis=1))
    return [np.concatenate(h) if h else np.zeros((0, 4)) for h in per_layer], n_tokens


def _short(word: str) -> str:
    return word.replace("_", " ")


def feature_labels(w: Weights, vocab: list[str], rows: list[tuple[int, ...]], batch: int = 256) -> dict:
    """Labels for every feature, from a forward pass over ``rows`` (token id tuples with <bos>)."""
    F = w.n_features
    hits_by_layer, n_tokens = _hits(w, rows, batch)
    doc_freq = np.zeros(len(vocab))
    for r in rows:
        doc_freq[list(set(r))] += 1
    rare = doc_freq / max(len(rows), 1) <= RARE_DOC_FREQ
    rare[:3] = False
    all_ids = pad_batch(rows)[0]
    V = len(vocab)
    labels = []
    for layer, hits in enumerate(hits_by_layer):
        row, pos, feat = (hits[:, i].astype(np.int64) for i in range(3))
        val = hits[:, 3]
        token = all_ids[row, pos]
        order = np.lexsort((-val, feat))  # per feature, strongest first
        starts = np.searchsorted(feat[order], np.arange(F + 1))
        # per (feature, token): max activation and count, in one sort
        key = feat * V + token
        by_key = np.lexsort((-val, key))
        first = np.r_[True, key[by_key][1:] != key[by_key][:-1]]
        g_idx = by_key[first]
        g_count = np.diff(np.r_[np.flatnonzero(first), key.size])
        g_feat, g_tok, g_max = feat[g_idx], token[g_idx], val[g_idx]
        g_starts = np.searchsorted(g_feat, np.arange(F + 1))
        dla = direct_logit_tokens(w, layer)
        layer_labels = []
        for f in range(F):
            idx = order[starts[f]:starts[f + 1]]
            g = np.arange(g_starts[f], g_starts[f + 1])
            g = g[np.lexsort((g_tok[g], -g_max[g]))][:TOP_TOKENS]
            top = [[vocab[t], round(float(v), 3), int(c)] for t, v, c in zip(g_tok[g], g_max[g], g_count[g])]
            contexts: dict[str, float] = {}
            votes: dict[int, float] = defaultdict(float)
            for i in idx[:LABEL_OCCURRENCES]:
                r, p, v = int(row[i]), int(pos[i]), float(val[i])
                window = rows[r][max(1, p - CONTEXT_WORDS + 1):p + 1]
                if len(contexts) < TOP_CONTEXTS:
                    contexts.setdefault(" ".join(vocab[t] for t in window), round(v, 3))
                for t in set(window):
                    if rare[t]:
                        votes[t] += v
            order_v = np.argsort(-dla[f], kind="stable")
            top_logits = [[vocab[i], round(float(dla[f, i]), 2)] for i in order_v[:TOP_LOGITS]]
            bottom = [[vocab[i], round(float(dla[f, i]), 2)] for i in order_v[::-1][:BOTTOM_LOGITS]]
            named = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            words = [vocab[t] for t, _ in named] or [entry[0] for entry in top[:3]]
            dead = idx.size == 0
            label = "dead feature" if dead else f"{'/'.join(map(_short, words))} → {_short(top_logits[0][0])}"
            layer_labels.append([  # one row per feature, in COLUMNS order (keys would double the size)
                label, round(idx.size / max(n_tokens, 1), 5), round(float(val[idx[0]]) if idx.size else 0.0, 3),
                bool(dead), top, [[c, v] for c, v in contexts.items()], top_logits, bottom,
            ])
        labels.append(layer_labels)
    return {"n_tokens": n_tokens, "columns": list(COLUMNS), "fields": {
        "top_tokens": "[token, max activation, count], aggregated by token",
        "top_contexts": "[the token and up to 3 words before it, activation], strongest first",
        "top_logits": "[token, direct logit effect] (ignores later layers and the final LayerNorm scale)",
        "label": "rare words of the strongest contexts -> top direct-logit token",
    }, "layers": labels}
