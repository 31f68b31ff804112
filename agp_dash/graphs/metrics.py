"""Static per-node metrics of a graph: the seed-v2 CSV and agp's corrected version.

``seed-v2`` reproduces the original app's ``graph_feature_static_metrics.csv`` exactly (seed
spec §2.2, §3.2), defects included: non-target logits are rows (D6), ``frac_external_raw`` is
always 1.0 on real graphs (D5), ``node_influence`` is the differenced stored cumulative
influence (D7).

``agp-default`` (seed spec §5, C5–C7) drops every logit row and appends, per node, the
influence recomputed on the stored graph, its rank and cumulative share, the share of
incoming |weight| from error and embedding nodes, degrees, and the node's key and label. The
graph's replacement / completeness scores travel in ``DataFrame.attrs``.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from agp_dash.errors import InputError
from agp_dash.graphs.csvio import dataframe_to_csv_text, write_csv
from agp_dash.graphs.encoding import EMBEDDING, ERROR, LOGIT
from agp_dash.graphs.model import AttributionGraph

SEED_V2 = "seed-v2"
AGP_DEFAULT = "agp-default"
MODES = (AGP_DEFAULT, SEED_V2)

#: Columns of the static metrics CSV, both modes start with these (seed spec §2.2).
SEED_COLUMNS = ("layer", "feature", "id", "ctx_idx", "token", "activation",
                "frac_external_raw", "node_influence", "cumulative_influence")
#: Columns appended in agp-default mode, in order.
AGP_COLUMNS = ("node_id", "key", "kind", "feature_type", "label",
               "node_influence_graph", "logit_influence_graph", "influence_rank_graph",
               "cum_influence_graph", "frac_in_error", "frac_in_embedding", "in_degree", "out_degree")

_ID_PATTERN = r"^[E\d]+_(\d+)_\d+$"


def compute_metrics(graph: AttributionGraph, mode: str = AGP_DEFAULT) -> pd.DataFrame:
    """Static metrics, one row per node, sorted by (layer, feature) with stable ties.

    ``mode="seed-v2"`` gives exactly :data:`SEED_COLUMNS`; ``mode="agp-default"`` appends
    :data:`AGP_COLUMNS` and sets ``attrs`` ``replacement_score``, ``completeness_score``.
    """
    if mode not in MODES:
        raise InputError(f"Unknown metrics mode {mode!r}; use one of {', '.join(MODES)}.")
    nodes = graph.nodes
    kind = nodes["kind"].to_numpy()
    keep = ~nodes["is_target_logit"].to_numpy() if mode == SEED_V2 else kind != LOGIT

    cumulative = nodes["influence"].to_numpy(dtype=np.float64).copy()
    cumulative[graph._influence_key_absent] = 0.0  # missing key counts as 0.0; null stays missing
    ids = nodes["node_id"].astype(str).str.extract(_ID_PATTERN, expand=False)
    frame = pd.DataFrame({
        "layer": nodes["layer"].to_numpy(dtype=np.int64),
        "feature": nodes["feature"].array,
        "id": pd.to_numeric(ids, errors="coerce").astype("Int64"),
        "ctx_idx": nodes["ctx_idx"].to_numpy(dtype=np.int64),
        "token": nodes["token"].to_numpy(dtype=object),
        "activation": nodes["activation"].to_numpy(dtype=np.float64),
        "frac_external_raw": _frac_external_raw(graph),
        "node_influence": np.nan,
        "cumulative_influence": cumulative,
    })
    if mode == AGP_DEFAULT:
        frame = pd.concat([frame, _agp_columns(graph)], axis=1)
    frame = frame.loc[keep].reset_index(drop=True)
    frame["node_influence"] = differenced_influence(frame["cumulative_influence"].to_numpy())
    frame = _sort_rows(frame)
    frame.attrs.update({"mode": mode, "graph_slug": graph.slug})
    if mode == AGP_DEFAULT:
        scores = graph.scores
        frame.attrs.update({"replacement_score": scores.replacement,
                            "completeness_score": scores.completeness})
    return frame


def differenced_influence(cumulative: np.ndarray) -> np.ndarray:
    """seed-v2 "marginal influence": sort by cumulative (missing last, stable) and difference.

    The first row keeps its cumulative value; a row whose value or predecessor is missing gets
    a missing value; exact ties give the first row the difference and the rest 0.
    """
    order = np.argsort(np.where(np.isnan(cumulative), np.inf, cumulative), kind="stable")
    ordered = cumulative[order]
    diffs = np.empty_like(ordered)
    if ordered.size:
        diffs[0] = ordered[0]
        diffs[1:] = ordered[1:] - ordered[:-1]  # NaN propagates from either side
    out = np.empty_like(cumulative)
    out[order] = diffs
    return out


def _frac_external_raw(graph: AttributionGraph) -> np.ndarray:
    """1 − |self-loop weight| / Σ|incoming weight|, 1.0 without inputs (seed §3.2 step 5)."""
    n = graph.n_nodes
    weight = np.abs(graph.link_weight)
    incoming = np.bincount(graph.link_target, weights=weight, minlength=n)
    loops = np.flatnonzero(graph.link_source == graph.link_target)
    self_weight = np.zeros(n)
    self_weight[graph.link_target[loops]] = weight[loops]  # the last self-loop wins
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(incoming > 0, 1.0 - self_weight / incoming, 1.0)


def _agp_columns(graph: AttributionGraph) -> pd.DataFrame:
    nodes, n = graph.nodes, graph.n_nodes
    kind = nodes["kind"].to_numpy()
    weight = np.abs(graph.link_weight)
    src, tgt = graph.link_source, graph.link_target
    incoming = np.bincount(tgt, weights=weight, minlength=n)
    from_error = np.bincount(tgt, weights=weight * (kind[src] == ERROR), minlength=n)
    from_embedding = np.bincount(tgt, weights=weight * (kind[src] == EMBEDDING), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac_error = np.where(incoming > 0, from_error / incoming, np.nan)
        frac_embedding = np.where(incoming > 0, from_embedding / incoming, np.nan)
    result = graph.influence
    return pd.DataFrame({
        "node_id": nodes["node_id"].to_numpy(dtype=object),
        "key": nodes["key"].to_numpy(dtype=object),
        "kind": kind,
        "feature_type": nodes["feature_type"].to_numpy(dtype=object),
        "label": nodes["label"].to_numpy(dtype=object),
        "node_influence_graph": result.share,
        "logit_influence_graph": result.influence,
        "influence_rank_graph": result.rank,
        "cum_influence_graph": result.cumulative,
        "frac_in_error": frac_error,
        "frac_in_embedding": frac_embedding,
        "in_degree": np.bincount(tgt, minlength=n).astype(np.int64),
        "out_degree": np.bincount(src, minlength=n).astype(np.int64),
    })


def _sort_rows(frame: pd.DataFrame) -> pd.DataFrame:
    feature = frame["feature"]
    missing = feature.isna().to_numpy()
    filled = feature.fillna(0).to_numpy(dtype=np.int64)
    order = np.lexsort((filled, missing, frame["layer"].to_numpy()))  # lexsort is stable
    return frame.iloc[order].reset_index(drop=True)


def metrics_csv_text(frame: pd.DataFrame) -> str:
    """CSV text of a metrics frame (for downloads), same bytes as :func:`write_metrics_csv`."""
    return dataframe_to_csv_text(frame)


def write_metrics_csv(frame: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a metrics frame atomically following seed spec §2.11."""
    return write_csv(frame, path)
