"""Feature activations on arbitrary prompts (spec local-engine §6.1), returned as the
"inference-server" activation dump of seed-method §2.5 so the Probe stage reads local and
remote activations alike.

One forward pass per prompt gives every feature; prompts are batched (right-padded, which
causal masking makes exact) and pad positions are dropped. BOS reads 0, as in graphs, so
probing a graph's own prompt reproduces its node activations.
"""
from __future__ import annotations

import re
from typing import Iterable

import numpy as np

from agp_dash.errors import InputError
from agp_dash.engine.model import Weights, forward, pad_batch
from agp_dash.engine.tokenizer import Encoded, PromptTooLongError, Tokenizer, UnknownWordsError

_KEY = re.compile(r"^\s*(\d+)\s*[_:/]\s*(\d+)\s*$")  # "3_127", "3:127", "3/127"


def parse_features(features: Iterable, n_layers: int, n_features: int) -> list[tuple[int, int]]:
    """(layer, index) pairs from tuples or ``"layer_index"`` feature keys, deduplicated."""
    out = []
    for item in features:
        if isinstance(item, str):
            match = _KEY.match(item)
            if not match:
                raise InputError(f"{item!r} is not a feature key; write LAYER_INDEX, e.g. '1_42'.")
            layer, index = int(match.group(1)), int(match.group(2))
        else:
            try:
                layer, index = (int(v) for v in item)
            except (TypeError, ValueError):
                raise InputError(f"{item!r} is not a (layer, feature) pair.") from None
        if not 0 <= layer < n_layers or not 0 <= index < n_features:
            raise InputError(f"Feature {layer}_{index} does not exist: the local model has layers "
                             f"0–{n_layers - 1} with features 0–{n_features - 1}.")
        out.append((layer, index))
    return list(dict.fromkeys(out))


def parse_prompts(prompts) -> list[tuple[str, str]]:
    """(probe_id, text) from strings, ``{"id", "text"}`` dicts (seed-method §2.4), pairs, or
    ``{"prompts": [...]}``."""
    if isinstance(prompts, dict):
        prompts = prompts.get("prompts", [])
    if isinstance(prompts, str):
        prompts = [prompts]
    out = []
    for i, item in enumerate(prompts):
        if isinstance(item, str):
            out.append((f"probe_{i}", item))
        elif isinstance(item, dict) and isinstance(item.get("text"), str):
            out.append((str(item.get("id", f"probe_{i}")), item["text"]))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            out.append((str(item[0]), str(item[1])))
        else:
            raise InputError(f"Probe prompt {i + 1} is neither text nor an {{'id', 'text'}} object.")
    if not out:
        raise InputError("There are no probe prompts.")
    return out


def encode_all(tokenizer: Tokenizer, prompts: list[tuple[str, str]]) -> list[Encoded]:
    """Tokenize every prompt before any work (no partial results), naming the one that fails."""
    encoded = []
    for i, (probe_id, text) in enumerate(prompts):
        where = f"Probe prompt {i + 1} ({probe_id})"
        try:
            encoded.append(tokenizer.encode(text))
        except UnknownWordsError as err:
            raise UnknownWordsError(err.unknown, where) from None
        except PromptTooLongError as err:
            raise PromptTooLongError(err.n_tokens, err.limit, where) from None
        except InputError as err:
            raise InputError(f"{where}: {err}") from None
    return encoded


def activations(w: Weights, encoded: list[Encoded], features: list[tuple[int, int]], *,
                batch_size: int = 64, pre: bool = False) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per prompt, an (n_features, T) array of activations (or pre-activations), BOS
    included, and an (n_layers, T) count of active features per position."""
    values: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    layers = np.array([l for l, _ in features], dtype=np.int64)
    index = np.array([f for _, f in features], dtype=np.int64)
    for start in range(0, len(encoded), batch_size):
        chunk = encoded[start:start + batch_size]
        ids, lengths = pad_batch([e.ids for e in chunk])
        cache = forward(w, ids, light=True)
        source = cache.tc_pre if pre else cache.tc_act
        block = np.zeros((len(chunk), len(features), ids.shape[1]), dtype=w.dtype)
        for layer in np.unique(layers):
            cols = np.flatnonzero(layers == layer)
            block[:, cols, :] = source[layer][:, :, index[cols]].transpose(0, 2, 1)
        active = np.stack([(a > 0).sum(-1) for a in cache.tc_act], axis=1)  # (B, L, T)
        values.extend(block[i, :, :n] for i, n in enumerate(lengths))
        counts.extend(active[i, :, :n] for i, n in enumerate(lengths))
    return values, counts


def activation_dump(w: Weights, tokenizer: Tokenizer, prompts, features, *, model_id: str,
                    source_set: str, batch_size: int = 64) -> dict:
    """The seed-method §2.5 dump: one result per prompt, one activation entry per feature."""
    pairs = parse_prompts(prompts)
    feats = parse_features(features, w.cfg.n_layers, w.n_features)
    if not feats:
        raise InputError("There are no features to probe.")
    encoded = encode_all(tokenizer, pairs)
    values, counts = activations(w, encoded, feats, batch_size=batch_size)
    results = []
    for (probe_id, text), enc, vals, count in zip(pairs, encoded, values, counts):
        entries = []
        for (layer, index), row in zip(feats, vals):
            peak = int(np.argmax(row))
            entries.append({"source": f"{layer}-{source_set}", "index": index,
                            "values": row.tolist(), "sum_values": 0.0,
                            "max_value": float(row[peak]), "max_value_index": peak})
        results.append({"probe_id": probe_id, "prompt": text, "tokens": enc.display_tokens,
                        "counts": count.tolist(), "activations": entries})
    return {"model": model_id, "source_set": source_set, "device": "cpu", "n_prompts": len(results),
            "n_features_requested": len(feats), "results": results}
