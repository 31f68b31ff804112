"""Everything the UI's node panel shows about one node (pure data, JSON-friendly)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from agp_dash.graphs.model import AttributionGraph


def _num(value: Any) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def node_details(graph: AttributionGraph, key: str, top_k: int = 10) -> dict:
    """Details of the node with ``key`` and its ``top_k`` strongest incoming/outgoing edges.

    Edges are ranked by |weight| (ties in node order); each edge carries the other node's key,
    node_id, kind, layer, position, token and label plus the signed weight. ``neuronpedia_url``
    is the feature dashboard link, or None for nodes without one.
    """
    i = graph.index_of(key)
    row = graph.nodes.iloc[i]
    influence = graph.influence
    adjacency = graph.adjacency
    start, end = adjacency.indptr[i], adjacency.indptr[i + 1]
    incoming = _edges(graph, adjacency.indices[start:end], adjacency.data[start:end], top_k)
    csc = graph.adjacency_csc
    start, end = csc.indptr[i], csc.indptr[i + 1]
    outgoing = _edges(graph, csc.indices[start:end], csc.data[start:end], top_k)
    return {
        "key": row["key"],
        "node_id": row["node_id"],
        "kind": row["kind"],
        "feature_type": row["feature_type"],
        "layer": int(row["layer"]),
        "feature_index": int(row["feature_index"]),
        "ctx_idx": int(row["ctx_idx"]),
        "token": row["token"],
        "token_id": int(row["token_id"]),
        "activation": _num(row["activation"]),
        "influence": _num(row["influence"]),
        "influence_graph": _num(influence.share[i]),
        "influence_rank_graph": int(influence.rank[i]),
        "label": row["label"],
        "is_target_logit": bool(row["is_target_logit"]),
        "token_prob": _num(row["token_prob"]),
        "n_incoming": int(adjacency.indptr[i + 1] - adjacency.indptr[i]),
        "n_outgoing": int(csc.indptr[i + 1] - csc.indptr[i]),
        "incoming": incoming,
        "outgoing": outgoing,
        "neuronpedia_url": graph.neuronpedia_feature_url(i),
    }


def _edges(graph: AttributionGraph, others: np.ndarray, weights: np.ndarray, top_k: int) -> list[dict]:
    order = np.lexsort((others, -np.abs(weights)))[: max(int(top_k), 0)]
    nodes = graph.nodes
    picked = others[order]
    sub = nodes.iloc[picked]
    return [
        {"key": k, "node_id": nid, "kind": kind, "layer": int(layer), "ctx_idx": int(ctx),
         "token": token, "label": label, "weight": float(w)}
        for k, nid, kind, layer, ctx, token, label, w in zip(
            sub["key"], sub["node_id"], sub["kind"], sub["layer"], sub["ctx_idx"],
            sub["token"], sub["label"], weights[order])
    ]
