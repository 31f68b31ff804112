"""Resolve link endpoints (node_id strings) to node row positions.

Vectorised for the normal case. Only links that touch a *colliding* node_id (spec §2.7(1):
error ``0_{L}_{ctx}`` vs layer-0 feature ``0_{idx}_{ctx}``) go through the slow rules:

* a link **into** a colliding id belongs to the node that can have inputs (not an error or
  embedding);
* a link **from** it can only come from candidates that can reach the target: an error at
  layer L only affects targets at layers > L;
* a duplicated ``(source, target)`` pair is given to the feasible candidates in emission
  order (features before errors): first occurrence -> feature, second -> error;
* anything still undecided goes to the candidate Neuronpedia sorts last (the error) and is
  flagged ambiguous.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from agp_dash.errors import InputError
from agp_dash.graphs.encoding import EMBEDDING, ERROR, FEATURE, LOGIT

# Neuronpedia's sort priority (score.worker.ts); errors sort after features.
_PRIORITY = {"cross layer transcoder": 0, "lorsa": 1, "mlp reconstruction error": 2,
             "lorsa error": 3, "embedding": 4, "logit": 5}


@dataclass
class ResolvedLinks:
    source: np.ndarray      # int64 node positions
    target: np.ndarray
    ambiguous: np.ndarray   # bool
    collisions: dict[str, list[int]]  # node_id -> node positions (only colliding ids)


def resolve_links(sources: list, targets: list, node_ids: np.ndarray, kinds: np.ndarray,
                  layers: np.ndarray, feature_types: np.ndarray) -> ResolvedLinks:
    codes, unique_ids = pd.factorize(pd.Series(node_ids, dtype=object))
    lookup = pd.Index(unique_ids, dtype=object)
    # position of each unique id; -2 marks a colliding id that needs the rules above
    pos_of_unique = np.full(len(unique_ids), -1, dtype=np.int64)
    pos_of_unique[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    counts = np.bincount(codes, minlength=len(unique_ids))
    colliding = {str(unique_ids[c]): np.flatnonzero(codes == c).tolist()
                 for c in np.flatnonzero(counts > 1).tolist()}
    pos_of_unique[counts > 1] = -2

    # object-dtype indexes: pandas 3 would otherwise infer (and copy into) a string dtype
    src_code = lookup.get_indexer(pd.Index(sources, dtype=object, copy=False))
    tgt_code = lookup.get_indexer(pd.Index(targets, dtype=object, copy=False))
    _reject_unknown(src_code, sources, targets, "source")
    _reject_unknown(tgt_code, sources, targets, "target")
    src = pos_of_unique[src_code]
    tgt = pos_of_unique[tgt_code]
    ambiguous = np.zeros(src.size, dtype=bool)
    if colliding:
        _resolve_collisions(src, tgt, ambiguous, sources, targets, colliding, kinds, layers, feature_types)
    return ResolvedLinks(src, tgt, ambiguous, colliding)


def _reject_unknown(codes: np.ndarray, sources: list, targets: list, end: str) -> None:
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        i = int(bad[0])
        name = sources[i] if end == "source" else targets[i]
        more = f" ({bad.size} links point to unknown nodes)" if bad.size > 1 else ""
        raise InputError(f"Link {i} ({sources[i]} -> {targets[i]}) has {end} {name!r}, "
                         f"which is not a node of the graph{more}.")


def _order(cands: list[int], feature_types: np.ndarray) -> list[int]:
    return sorted(cands, key=lambda p: (_PRIORITY.get(str(feature_types[p]), 6), p))


def _resolve_collisions(src, tgt, ambiguous, sources, targets, colliding, kinds, layers, feature_types):
    # Targets first: only nodes that can have inputs qualify.
    for i in np.flatnonzero(tgt == -2).tolist():
        cands = _order(colliding[targets[i]], feature_types)
        ok = [p for p in cands if kinds[p] not in (ERROR, EMBEDDING)]
        tgt[i] = (ok or cands)[-1]
        ambiguous[i] = len(ok) != 1

    # Sources: group the colliding links by (source id, resolved target) in file order.
    pairs: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i in np.flatnonzero(src == -2).tolist():
        pairs[(sources[i], int(tgt[i]))].append(i)
    for (sid, t), link_rows in pairs.items():
        cands = [p for p in _order(colliding[sid], feature_types) if kinds[p] != LOGIT]
        feasible = [p for p in cands if kinds[p] != ERROR or layers[p] < layers[t]] or cands
        if len(feasible) == 1:
            src[link_rows] = feasible[0]
            continue
        if len(link_rows) == 1:
            src[link_rows[0]] = feasible[-1]  # Neuronpedia maps the id to the node sorted last
            ambiguous[link_rows[0]] = True
            continue
        for k, i in enumerate(link_rows):  # duplicates: emission order, features first
            src[i] = feasible[min(k, len(feasible) - 1)]
            ambiguous[i] = k >= len(feasible)


def describe_collision(node_id: str, positions: list[int], kinds: np.ndarray, layers: np.ndarray) -> str:
    parts = [f"{'layer-' + str(int(layers[p])) + ' ' if kinds[p] in (FEATURE, ERROR) else ''}{kinds[p]}"
             for p in positions]
    return f"{node_id!r} ({', '.join(parts)})"
