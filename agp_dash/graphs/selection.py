"""Choosing the nodes to study: influence threshold plus kind / layer / position / top-N filters.

agp-default semantics follow Neuronpedia's pruning slider (spec §3.13): a node stays when it
is an embedding or a logit, when its influence is unknown, or when its cumulative influence
is ≤ τ. With ``basis="stored"`` that is the JSON ``influence`` (cumulative rank on the full
unpruned graph, what Neuronpedia shows); ``basis="graph"`` uses the cumulative share
recomputed on the stored graph instead. Filters run in :data:`FILTER_ORDER`; the
:class:`Selection` reports how many nodes each one hid, so the UI can always say why a node
is missing.

``select_seed_v2`` reproduces the original app's Stage-1 export (seed spec §3.3).
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from agp_dash.atomic import atomic_write_json
from agp_dash.errors import InputError
from agp_dash.graphs.csvio import dataframe_to_csv_text, write_csv
from agp_dash.graphs.encoding import EMBEDDING, ERROR, FEATURE, KINDS, LOGIT
from agp_dash.graphs.model import AttributionGraph

FILTER_ORDER = ("kinds", "errors", "influence", "layers", "positions", "top_n")
BASES = ("stored", "graph")
_ANCHORS = (EMBEDDING, LOGIT)  # always shown by Neuronpedia; exempt from influence/top-N/layers

#: Columns of :meth:`Selection.table` and the selection CSV.
SELECTION_COLUMNS = ("node_id", "key", "kind", "feature_type", "layer", "feature_index", "ctx_idx",
                     "token", "activation", "influence", "node_influence_graph", "label")


@dataclass
class Selection:
    """The outcome of a node selection on one graph.

    mask          bool per graph node (file order): selected or not
    hidden_by     filter -> nodes it hid, applied in order (sums to the hidden total)
    hidden_alone  filter -> nodes it would hide on its own
    params        the parameters used (recorded in every export)
    """
    graph: AttributionGraph
    mask: np.ndarray
    hidden_by: dict[str, int]
    hidden_alone: dict[str, int]
    params: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ views
    @property
    def n_selected(self) -> int:
        return int(self.mask.sum())

    @property
    def n_hidden(self) -> int:
        return int(self.mask.size - self.mask.sum())

    @property
    def keys(self) -> list[str]:
        return self.graph.nodes["key"].to_numpy(dtype=object)[self.mask].tolist()

    def counts_by_kind(self) -> dict[str, dict[str, int]]:
        """kind -> {"total": …, "selected": …} for the kinds present in the graph."""
        kind = self.graph.nodes["kind"].to_numpy()
        return {k: {"total": int((kind == k).sum()), "selected": int(((kind == k) & self.mask).sum())}
                for k in KINDS if (kind == k).any()}

    def filter_summary(self) -> list[str]:
        """Human-readable lines, e.g. ``"influence ≤ 0.8 hid 120 nodes"`` (only filters that hid some)."""
        labels = {
            "kinds": f"node kinds {self.params.get('kinds')}",
            "errors": "error nodes excluded",
            "influence": f"cumulative influence ≤ {self.params.get('max_cumulative')}"
                         + (f" ({self.params['basis_used']})" if self.params.get("basis_used") else ""),
            "layers": f"layers {self.params.get('layers')}",
            "positions": f"positions {self.params.get('positions')}",
            "top_n": f"top {self.params.get('top_n')}",
        }
        return [f"{labels.get(name, name)} hid {count} node{'s' if count != 1 else ''}"
                for name, count in self.hidden_by.items() if count]

    def feature_mask(self) -> np.ndarray:
        """Selected nodes that are exported as features (seed-v2: CLT nodes only)."""
        nodes = self.graph.nodes
        if self.params.get("mode") == "seed-v2":
            return self.mask & (nodes["feature_type"].to_numpy(dtype=object) == "cross layer transcoder")
        return self.mask & (nodes["kind"].to_numpy() == FEATURE)

    @property
    def node_ids(self) -> list[str]:
        """Unique selected feature node_ids, sorted as strings (seed spec §2.3)."""
        ids = self.graph.nodes["node_id"].to_numpy(dtype=object)[self.feature_mask()]
        return sorted(set(ids.tolist()))

    @property
    def features(self) -> list[tuple[int, int]]:
        """Unique selected (layer, feature index) pairs, sorted numerically."""
        nodes = self.graph.nodes
        chosen = self.feature_mask()
        pairs = zip(nodes["layer"].to_numpy()[chosen].tolist(), nodes["feature_index"].to_numpy()[chosen].tolist())
        return sorted(set(pairs))

    def table(self) -> pd.DataFrame:
        """The selected nodes (all kinds) in file order, columns :data:`SELECTION_COLUMNS`."""
        nodes = self.graph.nodes
        frame = nodes.loc[self.mask, [c for c in SELECTION_COLUMNS if c in nodes.columns]].copy()
        frame.insert(list(SELECTION_COLUMNS).index("node_influence_graph"), "node_influence_graph",
                     self.graph.influence.share[self.mask])
        return frame.reset_index(drop=True)

    # ---------------------------------------------------------------- exports
    def to_selected_features(self, *, exported_at: _dt.datetime | None = None) -> dict:
        """The Selected Features JSON object (seed spec §2.3) plus agp provenance in metadata."""
        features = self.features
        node_ids = self.node_ids
        when = (exported_at or _dt.datetime.now()).isoformat(timespec="microseconds")
        return {
            "features": [{"layer": layer, "index": index} for layer, index in features],
            "node_ids": node_ids,
            "metadata": {
                "n_features": len(features),
                "n_nodes": len(node_ids),
                "cumulative_threshold": self.params.get("max_cumulative"),
                "exported_at": when,
                "graph_slug": self.graph.slug,
                "model_id": self.graph.model_id,
                "source_set": self.graph.source_set,
                "preset": self.params.get("mode"),
                "selection": {k: v for k, v in self.params.items() if k != "mode"},
                "hidden_by": dict(self.hidden_by),
            },
        }

    def write_json(self, path: str | os.PathLike, *, exported_at: _dt.datetime | None = None) -> Path:
        return atomic_write_json(path, self.to_selected_features(exported_at=exported_at), indent=2)

    def csv_text(self) -> str:
        return dataframe_to_csv_text(self.table())

    def write_csv(self, path: str | os.PathLike) -> Path:
        return write_csv(self.table(), path)


def select_nodes(graph: AttributionGraph, *, max_cumulative: float | None = None, basis: str = "stored",
                 include_errors: bool = False, kinds: Iterable[str] | None = None,
                 layers: Iterable[int] | None = None, positions: Iterable[int] | None = None,
                 top_n: int | None = None) -> Selection:
    """agp-default selection; every argument is optional and None means "no filter".

    * ``max_cumulative`` τ: hide non-anchor nodes whose cumulative influence is > τ;
    * ``basis``: ``"stored"`` (JSON influence; falls back to ``"graph"`` when the file has none)
      or ``"graph"`` (recomputed on the stored graph);
    * ``include_errors``: error nodes are hidden unless True;
    * ``kinds``: node kinds to show at all (feature, error, embedding, logit, other);
    * ``layers``: layers of feature/error nodes to keep (embeddings and logits are exempt);
    * ``positions``: token positions to keep (logits are exempt);
    * ``top_n``: keep the N most influential remaining feature/error nodes.
    """
    if basis not in BASES:
        raise InputError(f"Unknown influence basis {basis!r}; use 'stored' or 'graph'.")
    if max_cumulative is not None and not (0.0 <= float(max_cumulative) <= 1.0):
        raise InputError(f"The cumulative influence threshold must be between 0 and 1 (got {max_cumulative}).")
    if top_n is not None and int(top_n) < 1:
        raise InputError(f"top-N must be a positive integer (got {top_n}).")
    kinds = None if kinds is None else sorted(set(kinds))
    unknown = sorted(set(kinds or ()) - set(KINDS))
    if unknown:
        raise InputError(f"Unknown node kind {unknown[0]!r}; use one of {', '.join(KINDS)}.")

    nodes = graph.nodes
    kind = nodes["kind"].to_numpy()
    anchor = np.isin(kind, _ANCHORS)
    ranked = ~anchor  # nodes that compete for top-N
    cumulative, basis_used = _cumulative(graph, basis)
    n = graph.n_nodes
    everything = np.ones(n, dtype=bool)

    masks = {
        "kinds": everything if kinds is None else np.isin(kind, kinds),
        "errors": everything if include_errors else kind != ERROR,
        # τ = 1 keeps everything: cumulative shares can end at 1 + 1 ulp by float summation.
        "influence": everything if max_cumulative is None or float(max_cumulative) >= 1.0 else
        anchor | np.isnan(cumulative) | (cumulative <= float(max_cumulative)),
        "layers": everything if layers is None else
        anchor | np.isin(nodes["layer"].to_numpy(), sorted(set(int(x) for x in layers))),
        "positions": everything if positions is None else
        (kind == LOGIT) | np.isin(nodes["ctx_idx"].to_numpy(), sorted(set(int(x) for x in positions))),
    }
    selected = everything.copy()
    hidden_by: dict[str, int] = {}
    for name in FILTER_ORDER[:-1]:
        hidden_by[name] = int((selected & ~masks[name]).sum())
        selected &= masks[name]
    hidden_alone = {name: int((~m).sum()) for name, m in masks.items()}

    order_key = np.where(np.isnan(cumulative), np.inf, cumulative)  # smaller = more influential
    if top_n is not None:
        keep_top = _top_n_mask(order_key, selected & ranked, int(top_n)) | ~ranked
        hidden_by["top_n"] = int((selected & ~keep_top).sum())
        hidden_alone["top_n"] = int((~(_top_n_mask(order_key, ranked, int(top_n)) | ~ranked)).sum())
        selected &= keep_top
    else:
        hidden_by["top_n"] = hidden_alone["top_n"] = 0

    params = {"mode": "agp-default", "max_cumulative": None if max_cumulative is None else float(max_cumulative),
              "basis": basis, "basis_used": basis_used, "include_errors": bool(include_errors),
              "kinds": kinds, "layers": None if layers is None else sorted(set(int(x) for x in layers)),
              "positions": None if positions is None else sorted(set(int(x) for x in positions)),
              "top_n": None if top_n is None else int(top_n)}
    return Selection(graph, selected, hidden_by, hidden_alone, params)


def _cumulative(graph: AttributionGraph, basis: str) -> tuple[np.ndarray, str]:
    nodes = graph.nodes
    if basis == "stored":
        stored = nodes["influence"].to_numpy(dtype=np.float64)
        has_value = ~np.isnan(stored[nodes["kind"].to_numpy() != LOGIT])
        if has_value.any():
            return stored, "stored"
    return graph.influence.cumulative, "graph"


def _top_n_mask(order_key: np.ndarray, eligible: np.ndarray, n: int) -> np.ndarray:
    candidates = np.flatnonzero(eligible)
    best = candidates[np.argsort(order_key[candidates], kind="stable")[:n]]
    mask = np.zeros(order_key.size, dtype=bool)
    mask[best] = True
    return mask


def select_seed_v2(graph: AttributionGraph, threshold: float | None = None, *,
                   drop_errors: bool = False) -> Selection:
    """The original app's Stage-1 selection (seed spec §3.3), for reproducing old exports.

    Null or 0 influence reads as 0.001; logits are the nodes of the highest layer and
    embeddings those of layer −1; with τ < 1 nodes with influence ≤ τ are kept plus all
    embeddings and logits, otherwise everything. ``threshold=None`` is the slider's default
    (the maximum influence, which keeps everything). Only CLT nodes are exported.
    """
    nodes = graph.nodes
    influence = nodes["influence"].to_numpy(dtype=np.float64).copy()
    influence[np.isnan(influence) | (influence == 0)] = 0.001
    layer = nodes["layer"].to_numpy()
    is_logit = layer == layer.max()
    is_embedding = layer == -1
    is_clt = nodes["feature_type"].to_numpy(dtype=object) == "cross layer transcoder"
    n = graph.n_nodes
    tau = float(np.max(influence)) if threshold is None else float(threshold)
    if tau < 1:
        by_influence = (influence <= tau) | is_embedding | is_logit
    else:
        by_influence = np.ones(n, dtype=bool)
    errors = np.ones(n, dtype=bool)
    if drop_errors:
        errors = ~(~is_clt & ~is_embedding & ~is_logit)
    selected = by_influence & errors
    hidden_by = {"influence": int((~by_influence).sum()), "errors": int((by_influence & ~errors).sum())}
    hidden_alone = {"influence": int((~by_influence).sum()), "errors": int((~errors).sum())}
    params = {"mode": "seed-v2", "max_cumulative": threshold if threshold is None else float(threshold),
              "drop_errors": bool(drop_errors)}
    return Selection(graph, selected, hidden_by, hidden_alone, params)


def selection_from_file(graph: AttributionGraph, selected) -> Selection:
    """Re-create a selection from a :class:`~agp_dash.graphs.selected_features.SelectedFeatures`.

    Selects the named feature nodes plus all embeddings and logits; ``params["unmatched"]``
    counts node_ids (or features) of the file that this graph does not have.
    """
    nodes = graph.nodes
    features = selected.node_mask(graph)
    selected_mask = features | np.isin(nodes["kind"].to_numpy(), _ANCHORS)
    if selected.node_ids:
        present = set(nodes["node_id"].to_numpy(dtype=object)[features].tolist())
        unmatched = len(set(selected.node_ids) - present)
    else:
        present = set(zip(nodes["layer"].to_numpy()[features].tolist(),
                          nodes["feature_index"].to_numpy()[features].tolist()))
        unmatched = len(set(selected.features) - present)
    hidden = {"file": int((~selected_mask).sum())}
    params = {"mode": "agp-default", "max_cumulative": selected.metadata.get("cumulative_threshold"),
              "from_file": True, "unmatched": unmatched}
    return Selection(graph, selected_mask, hidden, dict(hidden), params)
