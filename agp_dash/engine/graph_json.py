"""Attribution -> graph JSON in the circuit-tracer / Neuronpedia format (spec local-engine
§5.9, §5.11; neuronpedia-and-graphs §2, §3).

Influence and pruning come from the shared graph library (``agp_dash.graphs.influence``),
so local and Neuronpedia graphs are pruned by the same code. ``node_threshold`` and
``edge_threshold`` of 1.0 keep the whole graph: every node with non-zero influence and
every non-zero edge between kept nodes, so the stored influence can be recomputed from the
file itself.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np
from scipy import sparse

from agp_dash import __version__
from agp_dash.atomic import atomic_write_json
from agp_dash.errors import InputError
from agp_dash.engine.attribution import Attribution
from agp_dash.graphs.encoding import EMBEDDING, ERROR, FEATURE, LOGIT, cantor_encode
from agp_dash.graphs.influence import compute_influence, prune_graph
from agp_dash.graphs.model import LOCAL_ENGINE_GENERATOR

FEATURE_TYPE = "cross layer transcoder"  # circuit-tracer writes this for per-layer transcoders too
GENERATOR = LOCAL_ENGINE_GENERATOR  # graphs with it get no Neuronpedia links


class NodeTable:
    """All nodes of an attribution in circuit-tracer order (§5.2), with a dense square matrix."""

    def __init__(self, attr: Attribution):
        L, T = attr.n_layers, attr.n_positions
        n_F, n_L = attr.n_features, attr.n_logits
        self.kinds = np.array([FEATURE] * n_F + [ERROR] * (L * T) + [EMBEDDING] * T + [LOGIT] * n_L, dtype=object)
        err_layer, err_pos = np.divmod(np.arange(L * T), T)
        self.layer = np.concatenate([attr.feature_layer, err_layer, np.full(T, -1), np.full(n_L, L + 1)])
        self.pos = np.concatenate([attr.feature_pos, err_pos, np.arange(T), np.full(n_L, T - 1)])
        self.index = np.concatenate([attr.feature_index, np.full(L * T, -1), np.asarray(attr.encoded.ids),
                                     attr.logit_ids])  # feature index, or token id for embeddings/logits
        n = self.kinds.size
        self.activation = np.concatenate([attr.activation, np.full(n - n_F, np.nan)])
        self.weights = np.zeros(n)
        self.weights[n - n_L:] = attr.logit_probs
        square = np.zeros((n, n), dtype=np.float64)
        square[:n_F, :attr.adjacency.shape[1]] = attr.adjacency[:n_F]
        square[n - n_L:, :attr.adjacency.shape[1]] = attr.adjacency[n_F:]
        self.square = square

    def subset(self, keep: np.ndarray) -> None:
        for name in ("kinds", "layer", "pos", "index", "activation", "weights"):
            setattr(self, name, getattr(self, name)[keep])
        self.square = self.square[np.ix_(keep, keep)]


def select_feature_nodes(table: NodeTable, max_feature_nodes: int | None) -> int:
    """Keep the ``max_feature_nodes`` most influential features (§3.10); the others are dropped
    entirely, not folded into errors. Ranked on the full exact graph (circuit-tracer ranks on
    partial rows). Returns how many were dropped."""
    is_feature = table.kinds == FEATURE
    n_F = int(is_feature.sum())
    if max_feature_nodes is None or n_F <= max_feature_nodes:
        return 0
    influence = compute_influence(sparse.csr_matrix(table.square), table.weights).influence
    order = np.argsort(-influence[:n_F], kind="stable")[:max_feature_nodes]
    keep = ~is_feature
    keep[np.sort(order)] = True
    table.subset(keep)
    return n_F - max_feature_nodes


def prune(table: NodeTable, node_threshold: float, edge_threshold: float):
    """(node_mask, edge rows, edge cols, cumulative influence) via the shared graph library."""
    matrix = sparse.csr_matrix(table.square)
    if node_threshold >= 1.0 and edge_threshold >= 1.0:
        full = compute_influence(matrix, table.weights)
        node_mask = (full.influence > 0) | np.isin(table.kinds, [EMBEDDING, LOGIT])
        rows, cols = np.nonzero(table.square)
        keep = node_mask[rows] & node_mask[cols]
        return node_mask, rows[keep], cols[keep], full.cumulative
    result = prune_graph(matrix, table.weights, table.kinds.astype(str), node_threshold, edge_threshold)
    coo = result.edge_mask.tocoo()
    order = np.lexsort((coo.col, coo.row))
    return result.node_mask, coo.row[order], coo.col[order], result.cumulative


def _node_record(table: NodeTable, i: int, cumulative: float, clerp_of: Callable[[int, int], str] | None,
                 vocab: list[str], n_layers: int) -> dict:
    kind, layer, pos, index = table.kinds[i], int(table.layer[i]), int(table.pos[i]), int(table.index[i])
    record = {"token_prob": 0.0, "is_target_logit": False, "run_idx": 0, "reverse_ctx_idx": 0,
              "clerp": "", "influence": None, "activation": None}
    if kind == FEATURE:
        clerp = clerp_of(layer, index) if clerp_of else ""
        record.update(node_id=f"{layer}_{index}_{pos}", feature=cantor_encode(layer, index), layer=str(layer),
                      ctx_idx=pos, feature_type=FEATURE_TYPE, jsNodeId=f"{layer}_{index}-0", clerp=clerp,
                      activation=float(table.activation[i]))
    elif kind == ERROR:
        record.update(node_id=f"0_{layer}_{pos}", feature=-1, layer=str(layer), ctx_idx=pos,
                      feature_type="mlp reconstruction error", jsNodeId=f"{layer}_{pos}-0")
    elif kind == EMBEDDING:
        record.update(node_id=f"E_{index}_{pos}", feature=pos, layer="E", ctx_idx=pos, feature_type="embedding",
                      jsNodeId=f"E_{index}-{pos}")
    else:
        prob = float(table.weights[i])
        record.update(node_id=f"{n_layers + 1}_{index}_{pos}", feature=index, layer=str(n_layers + 1), ctx_idx=pos,
                      feature_type="logit", jsNodeId=f"L_{index}-{pos}", token_prob=prob,
                      clerp=f'Output "{vocab[index]}" (p={prob:.3f})')
    if kind != LOGIT and np.isfinite(cumulative):
        record["influence"] = float(cumulative)
    return {k: record[k] for k in ("node_id", "feature", "layer", "ctx_idx", "feature_type", "token_prob",
                                   "is_target_logit", "run_idx", "reverse_ctx_idx", "jsNodeId", "clerp",
                                   "influence", "activation")}


def graph_json(attr: Attribution, *, model_id: str, transcoder_set: str, vocab: list[str],
               clerp_of: Callable[[int, int], str] | None,
               slug: str, node_threshold: float = 0.8, edge_threshold: float = 0.98,
               max_feature_nodes: int | None = None, settings: dict | None = None) -> dict:
    """The graph JSON of one attribution (pruned as asked)."""
    table = NodeTable(attr)
    n_active = attr.n_features
    dropped = select_feature_nodes(table, max_feature_nodes)
    node_mask, rows, cols, cumulative = prune(table, node_threshold, edge_threshold)
    rows_keep = node_mask[rows] & node_mask[cols]
    rows, cols = rows[rows_keep], cols[rows_keep]
    linked = np.zeros(node_mask.size, dtype=bool)
    linked[rows] = linked[cols] = True
    written = node_mask & (linked | np.isin(table.kinds, [EMBEDDING, LOGIT]))  # §3.8 step 3
    tokens = attr.encoded.display_tokens
    nodes, ids = [], {}
    first_logit = True
    for i in np.flatnonzero(written):
        record = _node_record(table, int(i), cumulative[i], clerp_of, vocab, attr.n_layers)
        if record["feature_type"] == "logit" and first_logit:
            record["is_target_logit"], first_logit = True, False
        ids[int(i)] = record["node_id"]
        nodes.append(record)
    links = [{"source": ids[int(s)], "target": ids[int(t)], "weight": float(table.square[t, s])}
             for t, s in zip(rows, cols) if written[t] and written[s]]
    generation = {
        "max_n_logits": int((settings or {}).get("max_n_logits", 10)),
        "desired_logit_prob": float((settings or {}).get("desired_logit_prob", 0.95)),
        "batch_size": int(attr.adjacency.shape[0]),  # one sweep carries every target
        "max_feature_nodes": int(max_feature_nodes if max_feature_nodes is not None else n_active),
        "n_active_features": int(n_active), "n_dropped_features": int(dropped),
        "bos_error_node": True, "embedding_includes_position": True, "activation": "relu_topk",
        "dtype": str(attr.adjacency.dtype), "closure_max_abs": dict(attr.closure),
        "exact": dropped == 0,
    }
    generation.update({k: v for k, v in (settings or {}).items() if k not in generation})
    metadata = {
        "slug": slug, "scan": model_id, "transcoder_list": [], "prompt_tokens": tokens,
        "prompt": "<bos>" + attr.encoded.text, "node_threshold": float(node_threshold), "schema_version": 1,
        "info": {"creator_name": "agp", "source_urls": [], "transcoder_set": transcoder_set,
                 "generator": {"name": GENERATOR, "version": __version__, "url": ""},
                 "create_time_ms": int(time.time() * 1000),
                 "description": "Exact attribution graph of agp's embedded demo model (numpy)."},
        "generation_settings": generation,
        "pruning_settings": {"node_threshold": float(node_threshold), "edge_threshold": float(edge_threshold)},
    }
    return {"metadata": metadata,
            "qParams": {"pinnedIds": [], "supernodes": [], "linkType": "both", "clickedId": "", "sg_pos": ""},
            "nodes": nodes, "links": links}


def write_graph_files(graph: dict, output_dir: str | os.PathLike) -> Path:
    """circuit-tracer's local-viewer layout: ``{slug}.json`` plus ``graph-metadata.json``
    (``{"graphs": [metadata, …]}``, an entry with the same slug replaced)."""
    output_dir = Path(output_dir)
    slug = graph["metadata"]["slug"]
    if not slug or "/" in slug or slug.startswith("."):
        raise InputError(f"The graph slug {slug!r} cannot be used as a file name.")
    path = atomic_write_json(output_dir / f"{slug}.json", graph, indent=2)
    index_path = output_dir / "graph-metadata.json"
    try:
        index = json.loads(index_path.read_text(encoding="utf-8")) if index_path.exists() else {"graphs": []}
    except ValueError:
        index = {"graphs": []}
    entries = [g for g in index.get("graphs", []) if g.get("slug") != slug]
    entries.append(graph["metadata"])
    atomic_write_json(index_path, {"graphs": entries}, indent=2)
    return path
