"""Graph math on sparse adjacency matrices (spec §3): influence, pruning, graph scores.

Conventions: ``A`` is an N×N scipy.sparse matrix, rows = targets, columns = sources,
``A[t, s]`` = signed direct effect of s on t. ``w`` holds the logit probabilities on logit
nodes (not renormalised) and 0 elsewhere. Everything is float64. The same functions serve
Neuronpedia graphs and locally generated ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

import numpy as np
from scipy import sparse

from agp_dash.errors import InputError
from agp_dash.graphs.encoding import EMBEDDING, ERROR, FEATURE, LOGIT

if TYPE_CHECKING:  # pragma: no cover
    from agp_dash.graphs.model import AttributionGraph

MAX_ITERATIONS = 1000  # a DAG terminates in depth+1 steps; more means a cycle (§3.14)


@dataclass(frozen=True)
class InfluenceResult:
    """Per-node influence on the logits, in node order.

    influence  -- I = wÂ + wÂ² + … (§3.3); 0 for logits
    share      -- I / ΣI (``node_influence_graph`` in the metrics); NaN if ΣI = 0
    cumulative -- cumulative share in descending-I order, up to and including the node (§3.4)
    rank       -- 1 = most influential; ties keep node order
    """
    influence: np.ndarray
    share: np.ndarray
    cumulative: np.ndarray
    rank: np.ndarray
    iterations: int


@dataclass(frozen=True)
class GraphScores:
    replacement: float
    completeness: float


@dataclass(frozen=True)
class PruneResult:
    node_mask: np.ndarray          # bool per node
    edge_mask: sparse.csr_matrix   # bool, same layout as A (kept edges)
    cumulative: np.ndarray         # §3.4 scores on the full graph
    node_score_threshold: float
    edge_score_threshold: float
    edge_scores: sparse.csr_matrix


def normalize_matrix(adjacency: sparse.spmatrix, clamp: float = 1e-10) -> sparse.csr_matrix:
    """Â[t, s] = |A[t, s]| / max(Σ_s' |A[t, s']|, clamp); empty rows stay zero (§3.2)."""
    absolute = abs(sparse.csr_matrix(adjacency, dtype=np.float64))
    row_sums = np.asarray(absolute.sum(axis=1)).ravel()
    scale = 1.0 / np.maximum(row_sums, clamp)
    return sparse.csr_matrix(sparse.diags(scale) @ absolute)


def influence_vector(normalized: sparse.spmatrix, weights: np.ndarray,
                     max_iterations: int = MAX_ITERATIONS) -> tuple[np.ndarray, int]:
    """Power series I = wÂ + wÂ² + … with an exact-zero stop; raises on a cycle.

    In a DAG of N nodes every path has fewer than N edges, so needing N or more steps (or the
    spec's cap of 1000) means a cycle, even one whose weights shrink towards zero.
    """
    max_iterations = min(max_iterations, normalized.shape[0])
    transposed = sparse.csr_matrix(normalized.T)  # x @ Â == Âᵀ x
    current = transposed @ np.asarray(weights, dtype=np.float64)
    total = current.copy()
    iterations = 0
    while current.any():
        if iterations >= max_iterations:
            raise InputError("The graph's links form a cycle, so influence on the logits cannot be computed.")
        current = transposed @ current
        total += current
        iterations += 1
    return total, iterations


def cumulative_scores(values: np.ndarray) -> np.ndarray:
    """Cumulative share of ΣI in descending order, mapped back to node order (§3.4)."""
    order = np.argsort(-values, kind="stable")
    total = values.sum()
    cumulative = np.full(values.shape, np.nan)
    if total > 0:
        cumulative[order] = np.cumsum(values[order]) / total
    return cumulative


def compute_influence(adjacency: sparse.spmatrix, weights: np.ndarray) -> InfluenceResult:
    values, iterations = influence_vector(normalize_matrix(adjacency), weights)
    order = np.argsort(-values, kind="stable")
    rank = np.empty(values.size, dtype=np.int64)
    rank[order] = np.arange(1, values.size + 1)
    total = values.sum()
    share = values / total if total > 0 else np.full(values.shape, np.nan)
    return InfluenceResult(values, share, cumulative_scores(values), rank, iterations)


def find_threshold(scores: np.ndarray, threshold: float) -> float:
    """Score of the node that makes the descending cumulative share reach ``threshold`` (§3.5)."""
    ordered = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    if not ordered.size:
        return 0.0
    total = ordered.sum()
    if total <= 0:
        return 0.0
    k = int(np.searchsorted(np.cumsum(ordered) / total, threshold, side="left"))
    return float(ordered[min(k, ordered.size - 1)])


def prune_graph(adjacency: sparse.spmatrix, weights: np.ndarray, kinds: np.ndarray,
                node_threshold: float = 0.8, edge_threshold: float = 0.98) -> PruneResult:
    """circuit-tracer's ``prune_graph`` (§3.5–3.7) on a sparse matrix.

    One deliberate difference (allowed by §3.6): only structurally non-zero entries of A can
    be kept edges, so an edge threshold that rounds down to 0 never keeps zero-weight pairs.
    """
    adjacency = sparse.csr_matrix(adjacency, dtype=np.float64)
    kinds = np.asarray(kinds)
    is_token, is_logit = kinds == EMBEDDING, kinds == LOGIT
    is_feature = kinds == FEATURE
    is_inner = np.isin(kinds, [FEATURE, ERROR])
    full = compute_influence(adjacency, weights)
    node_cut = find_threshold(full.influence, node_threshold)
    node_mask = (full.influence >= node_cut) | is_token | is_logit

    keep = sparse.diags(node_mask.astype(np.float64))
    pruned = sparse.csr_matrix(keep @ adjacency @ keep)
    pruned.eliminate_zeros()
    normalized = normalize_matrix(pruned)
    target_weight = influence_vector(normalized, weights)[0] + weights
    scores = sparse.csr_matrix(sparse.diags(target_weight) @ normalized)
    edge_cut = find_threshold(scores.data, edge_threshold)

    coo = scores.tocoo()
    kept = coo.data >= edge_cut
    rows, cols = coo.row[kept], coo.col[kept]
    n = adjacency.shape[0]
    while True:
        old = node_mask.copy()
        alive = node_mask[rows] & node_mask[cols]
        rows, cols = rows[alive], cols[alive]
        has_out = np.bincount(cols, minlength=n) > 0
        has_in = np.bincount(rows, minlength=n) > 0
        node_mask &= ~is_inner | has_out
        node_mask &= ~is_feature | has_in
        if np.array_equal(node_mask, old):
            break
    edge_mask = sparse.csr_matrix((np.ones(rows.size, dtype=bool), (rows, cols)), shape=adjacency.shape)
    return PruneResult(node_mask, edge_mask, full.cumulative, node_cut, edge_cut, scores)


def scores_from_matrix(adjacency: sparse.spmatrix, weights: np.ndarray, kinds: np.ndarray) -> GraphScores:
    """Replacement and completeness scores (§3.11); a 0/0 score is reported as 0."""
    kinds = np.asarray(kinds)
    normalized = normalize_matrix(adjacency)
    values, _ = influence_vector(normalized, weights)
    is_error = kinds == ERROR
    token_part = values[kinds == EMBEDDING].sum()
    error_part = values[is_error].sum()
    non_error_fraction = 1.0 - normalized @ is_error.astype(np.float64)
    total_weight = values + weights
    with np.errstate(invalid="ignore", divide="ignore"):
        replacement = token_part / (token_part + error_part)
        completeness = (non_error_fraction * total_weight).sum() / total_weight.sum()
    return GraphScores(float(np.nan_to_num(replacement)), float(np.nan_to_num(completeness)))


def graph_scores(graph: "AttributionGraph") -> GraphScores:
    """Scores of the stored (pruned) graph, computed from its links (§3.11)."""
    return scores_from_matrix(graph.adjacency, graph.logit_weights(), graph.nodes["kind"].to_numpy())


def neuronpedia_subgraph_scores(graph: "AttributionGraph", pinned_ids: Iterable[str] = ()) -> GraphScores:
    """Neuronpedia-compatible (sub)graph score (§3.12, score.worker.ts).

    Every transcoder feature whose node_id is not pinned is folded into the error node at the
    same (layer, ctx): its outgoing weights are added to that error's column, then its row and
    column are zeroed. With no pins this is the graph-level score. Graphs with Lorsa nodes
    give (-1, -1) as upstream. Links touching colliding node_ids use agp's resolution (§2.7),
    not Neuronpedia's "last node wins" id map.
    """
    nodes = graph.nodes
    feature_type = nodes["feature_type"].to_numpy(dtype=object)
    if np.isin(feature_type, ["lorsa", "lorsa error"]).any():
        return GraphScores(-1.0, -1.0)
    pinned = set(pinned_ids)
    kinds = nodes["kind"].to_numpy()
    adjacency = graph.adjacency
    if pinned:
        clt = feature_type == "cross layer transcoder"
        unpinned = clt & ~np.isin(nodes["node_id"].to_numpy(dtype=object), list(pinned))
        layer, ctx = nodes["layer"].to_numpy(), nodes["ctx_idx"].to_numpy()
        error_pos = {(int(l), int(c)): i for i, (l, c) in
                     enumerate(zip(layer, ctx)) if feature_type[i] == "mlp reconstruction error"}
        sources = np.flatnonzero(unpinned)
        dest = np.array([error_pos.get((int(layer[i]), int(ctx[i])), -1) for i in sources], dtype=np.int64)
        merge = dest >= 0
        n = adjacency.shape[0]
        # column map: an unpinned feature's column moves onto its error node's column
        mover = sparse.csr_matrix((np.ones(int(merge.sum())), (sources[merge], dest[merge])), shape=(n, n))
        keep_cols = sparse.diags((~unpinned).astype(np.float64))
        adjacency = adjacency @ keep_cols + adjacency @ mover
        adjacency = sparse.diags((~unpinned).astype(np.float64)) @ adjacency
    return scores_from_matrix(sparse.csr_matrix(adjacency), graph.logit_weights(), kinds)
