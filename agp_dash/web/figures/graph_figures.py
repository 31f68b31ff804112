"""Figures of the Graph stage.

Every builder takes a nodes DataFrame (columns of ``AttributionGraph.nodes`` plus an
influence column) and returns a ``go.Figure``. Point identity travels in ``customdata``
(the node ``key``), so selections map back to nodes whatever the trace order.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

KIND_ORDER = ("embedding", "feature", "error", "logit", "other")
KIND_COLORS = {
    "embedding": "#6c757d",
    "feature": "#0d6efd",
    "error": "#dc3545",
    "logit": "#198754",
    "other": "#adb5bd",
}
KIND_LABELS = {"embedding": "Embedding", "feature": "Feature", "error": "Error (MLP reconstruction)",
               "logit": "Logit", "other": "Other"}
# Above this many points, WebGL keeps panning and selection smooth.
WEBGL_THRESHOLD = 1500
_BASE_LAYOUT = dict(template="plotly_white", margin=dict(l=50, r=10, t=30, b=40),
                    font=dict(size=12), legend=dict(orientation="h", y=1.08, x=0))


def jittered_x(nodes: pd.DataFrame, width: float = 0.7) -> np.ndarray:
    """Spread nodes that share a (layer, position) cell across the cell, by rank, deterministically."""
    cell = nodes.groupby(["layer", "ctx_idx"], sort=False)
    rank = cell.cumcount().to_numpy(dtype=float)
    count = cell["ctx_idx"].transform("size").to_numpy(dtype=float)
    offset = np.where(count > 1, (rank + 0.5) / count - 0.5, 0.0) * width
    return nodes["ctx_idx"].to_numpy(dtype=float) + offset


def marker_sizes(influence: pd.Series, smallest: float = 5.0, largest: float = 22.0) -> np.ndarray:
    """Area-like scaling of influence into marker diameters; missing influence -> smallest."""
    values = np.nan_to_num(influence.to_numpy(dtype=float), nan=0.0).clip(min=0.0)
    top = values.max() if values.size else 0.0
    if top <= 0:
        return np.full(values.shape, smallest)
    return smallest + (largest - smallest) * np.sqrt(values / top)


def layer_tick_labels(layers: np.ndarray, n_layers: int) -> tuple[list[int], list[str]]:
    ticks = sorted({int(v) for v in layers})
    labels = ["Emb" if v < 0 else ("Logit" if v > n_layers - 1 and v >= n_layers else str(v)) for v in ticks]
    return ticks, labels


def position_tick_labels(tokens: list[str]) -> tuple[list[int], list[str]]:
    return list(range(len(tokens))), [f"{i}: {t.strip() or repr(t)}" for i, t in enumerate(tokens)]


def scatter_figure(nodes: pd.DataFrame, tokens: list[str], n_layers: int, influence_column: str,
                   uirevision: str, selected_keys: set[str] | None = None) -> go.Figure:
    """Layer × position scatter, one trace per node kind, marker size by influence."""
    fig = go.Figure()
    x = jittered_x(nodes)
    sizes = marker_sizes(nodes[influence_column])
    scatter_cls = go.Scattergl if len(nodes) > WEBGL_THRESHOLD else go.Scatter
    kinds = nodes["kind"].to_numpy()
    for kind in KIND_ORDER:
        mask = kinds == kind
        if not mask.any():
            continue
        part = nodes[mask]
        name = part["label"].where(part["label"] != "", part["node_id"]).astype(str)
        values = part[influence_column].to_numpy(dtype=float)
        influence = np.where(np.isnan(values), "n/a", np.char.mod("%.4g", np.nan_to_num(values)))
        hover = (name + "<br>token " + part["token"].astype(str) + " · influence " + influence).to_numpy()
        fig.add_trace(scatter_cls(
            x=x[mask], y=part["layer"].to_numpy(), mode="markers", name=KIND_LABELS[kind],
            customdata=part["key"].to_numpy(),
            text=hover,
            hovertemplate="%{text}<br>layer %{y} · pos %{x:.0f}<extra>" + KIND_LABELS[kind] + "</extra>",
            marker=dict(size=sizes[mask], color=KIND_COLORS[kind], opacity=0.85,
                        line=dict(width=0.5, color="white")),
            selectedpoints=selected_indices(part, selected_keys),
            selected=dict(marker=dict(opacity=1.0)),
            unselected=dict(marker=dict(opacity=0.15)),
        ))
    xt, xl = position_tick_labels(tokens)
    yt, yl = layer_tick_labels(nodes["layer"].to_numpy(), n_layers)
    fig.update_layout(**_BASE_LAYOUT, uirevision=uirevision, dragmode="select", clickmode="event+select",
                      height=520, xaxis=dict(title="position (token)", tickvals=xt, ticktext=xl,
                                             tickangle=-35, range=[-0.6, max(len(tokens), 1) - 0.4]),
                      yaxis=dict(title="layer", tickvals=yt, ticktext=yl, zeroline=False))
    return fig


def selected_indices(part: pd.DataFrame, selected_keys: set[str] | None) -> list[int] | None:
    """Point indices of ``part`` whose key is selected; None = no selection (all normal)."""
    if selected_keys is None:
        return None
    return np.flatnonzero(part["key"].isin(selected_keys).to_numpy()).tolist()


def scatter_selection_patch_values(nodes: pd.DataFrame, selected_keys: set[str] | None) -> list:
    """``selectedpoints`` for each trace of :func:`scatter_figure`, in trace order."""
    kinds = nodes["kind"].to_numpy()
    return [selected_indices(nodes[kinds == kind], selected_keys)
            for kind in KIND_ORDER if (kinds == kind).any()]


def layer_bar_figure(nodes: pd.DataFrame, influence_column: str, n_layers: int) -> go.Figure:
    """Total influence per layer of the given nodes, stacked by kind."""
    fig = go.Figure()
    for kind in KIND_ORDER:
        part = nodes[nodes["kind"] == kind]
        if part.empty or kind == "logit":
            continue
        sums = part.groupby("layer")[influence_column].sum()
        fig.add_trace(go.Bar(x=sums.index.to_numpy(), y=sums.to_numpy(), name=KIND_LABELS[kind],
                             marker_color=KIND_COLORS[kind]))
    yt, yl = layer_tick_labels(nodes["layer"].to_numpy(), n_layers) if len(nodes) else ([], [])
    fig.update_layout(**{**_BASE_LAYOUT, "legend": dict(orientation="h", y=-0.3, x=0)}, barmode="stack",
                      height=320, title=dict(text="Influence by layer", x=0.5),
                      xaxis=dict(title="layer", tickvals=yt, ticktext=yl),
                      yaxis=dict(title="influence (share)"))
    return fig


def coverage_figure(influence: pd.Series, kept: int, threshold: float) -> go.Figure:
    """Pareto curve: cumulative share of influence vs number of nodes kept (best first)."""
    values = np.sort(np.nan_to_num(influence.to_numpy(dtype=float), nan=0.0).clip(min=0.0))[::-1]
    total = values.sum()
    cumulative = np.cumsum(values) / total if total > 0 else np.zeros_like(values)
    fig = go.Figure(go.Scatter(x=np.arange(1, values.size + 1), y=cumulative, mode="lines",
                               line=dict(color=KIND_COLORS["feature"]), name="cumulative share",
                               hovertemplate="%{x} nodes → %{y:.1%}<extra></extra>"))
    fig.add_hline(y=threshold, line=dict(dash="dot", color="#6c757d"))
    if kept:
        fig.add_vline(x=kept, line=dict(dash="dot", color="#dc3545"))
    fig.update_layout(**_BASE_LAYOUT, height=300, showlegend=False,
                      title=dict(text=f"Coverage: {kept} nodes kept", x=0.5),
                      xaxis=dict(title="nodes kept (most influential first)"),
                      yaxis=dict(title="share of influence", range=[0, 1.02], tickformat=".0%"))
    return fig


def strength_figure(nodes: pd.DataFrame, influence_column: str) -> go.Figure:
    """Share of total influence carried by each node kind."""
    sums = nodes.groupby("kind")[influence_column].sum()
    kinds = [k for k in KIND_ORDER if k in sums.index and k != "logit"]
    fig = go.Figure(go.Bar(x=[KIND_LABELS[k] for k in kinds], y=[float(sums[k]) for k in kinds],
                           marker_color=[KIND_COLORS[k] for k in kinds],
                           hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    fig.update_layout(**_BASE_LAYOUT, height=300, showlegend=False,
                      title=dict(text="Influence by node kind", x=0.5), yaxis=dict(title="influence (share)"))
    return fig
