"""The Graph tab's view model: turns a graph and the filter controls into what the page shows.

Figures come from :mod:`agp_dash.web.figures.graph_figures`, numbers from the pure graph
library; this module only glues them to the controls' values and builds small panels.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import html

from agp_dash.graphs.details import node_details
from agp_dash.graphs.metrics import compute_metrics, metrics_csv_text
from agp_dash.graphs.model import AttributionGraph
from agp_dash.graphs.selection import Selection, select_nodes
from agp_dash.web.figures import graph_figures as figs
from agp_dash.workspace import Workspace

# The table shows at most this many rows (most influential first); the rest stay downloadable.
MAX_TABLE_ROWS = 5000
INFLUENCE = "influence_share"
TABLE_COLUMNS = ["key", "node_id", "kind", "layer", "ctx_idx", "token", "label", INFLUENCE,
                 "cumulative", "activation"]

_frames: "weakref.WeakKeyDictionary[AttributionGraph, pd.DataFrame]" = weakref.WeakKeyDictionary()


def view_frame(graph: AttributionGraph) -> pd.DataFrame:
    """Nodes plus the influence share recomputed on the stored graph (cached per graph)."""
    frame = _frames.get(graph)
    if frame is None:
        frame = graph.nodes.copy()
        frame[INFLUENCE] = graph.influence.share
        frame["cumulative"] = frame["influence"]
        _frames[graph] = frame
    return frame


# -- store and summaries --------------------------------------------------------------------
def store_data(artefact_id: str, graph: AttributionGraph) -> dict:
    return {"artefact_id": artefact_id, "name": artefact_id.split("/", 1)[-1], **graph.manifest_summary()}


def summary_block(graph: AttributionGraph) -> html.Div:
    counts = graph.kind_counts()
    scores = graph.scores
    badges = [dbc.Badge(f"{n} {kind}{'s' if n != 1 else ''}", color="light", text_color="dark", className="me-1")
              for kind, n in counts.items()]
    return html.Div([
        html.H5([html.Span(graph.model_id or "unknown model", className="me-2"),
                 html.Small(graph.slug, className="text-muted")]),
        html.P(html.Q(graph.prompt.removeprefix("<bos>").strip()), className="mb-1"),
        html.Div([*badges, dbc.Badge(f"{graph.n_links} links", color="light", text_color="dark", className="me-3"),
                  html.Span(f"replacement score {scores.replacement:.3f} · completeness {scores.completeness:.3f}",
                            className="small text-muted")]),
        *([dbc.Alert(" ".join(graph.warnings[:3]), color="warning", className="small mt-2 mb-0")]
          if graph.warnings else []),
    ], className="agp-graph-summary")


# -- setup ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ViewSetup:
    threshold: float
    threshold_max: float
    layer_min: int
    layer_max: int
    layer_marks: dict
    position_max: int
    position_marks: dict
    scatter: go.Figure
    strength: go.Figure


def view_setup(graph: AttributionGraph, artefact_id: str) -> ViewSetup:
    frame = view_frame(graph)
    layers = frame["layer"].to_numpy()
    tokens = graph.prompt_tokens or [str(i) for i in range(int(frame["ctx_idx"].max()) + 1)]
    position_max = max(len(tokens) - 1, int(frame["ctx_idx"].max()), 1)
    lo, hi = int(layers.min()), int(layers.max())
    # Default τ: the graph's own node threshold (what Neuronpedia shows), else everything.
    threshold = round(min(max(graph.node_threshold or 1.0, 0.05), 1.0), 2)
    return ViewSetup(
        threshold=threshold, threshold_max=1.0, layer_min=lo, layer_max=max(hi, lo + 1),
        layer_marks=sparse_marks(np.unique(layers), lambda v: "Emb" if v < 0 else str(v)),
        position_max=position_max,
        position_marks=sparse_marks(np.arange(len(tokens)), lambda i: tokens[i].strip()[:6] or "␣"),
        scatter=figs.scatter_figure(frame, tokens, graph.n_layers, INFLUENCE, uirevision=artefact_id),
        strength=figs.strength_figure(frame, INFLUENCE),
    )


def sparse_marks(values, label, most: int = 12) -> dict:
    """Slider marks for at most ``most`` evenly spaced values (first and last always shown)."""
    values = [int(v) for v in values]
    step = max(1, -(-len(values) // most))
    shown = values[::step] + ([values[-1]] if values and (len(values) - 1) % step else [])
    return {v: label(v) for v in shown}


# -- filtering ------------------------------------------------------------------------------
def _range_or_none(bounds, lo: int, hi: int):
    if not bounds or (int(bounds[0]) <= lo and int(bounds[1]) >= hi):
        return None
    return range(int(bounds[0]), int(bounds[1]) + 1)


def filtered(graph: AttributionGraph, threshold, kinds, layers, positions, top_n) -> Selection:
    frame = view_frame(graph)
    kinds = list(kinds or [])
    return select_nodes(
        graph, max_cumulative=None if threshold is None else float(threshold), kinds=kinds,
        include_errors="error" in kinds,
        layers=_range_or_none(layers, int(frame["layer"].min()), int(frame["layer"].max())),
        positions=_range_or_none(positions, 0, int(frame["ctx_idx"].max())),
        top_n=int(top_n) if top_n else None,
    )


def scatter_highlight(graph: AttributionGraph, keys) -> list:
    return figs.scatter_selection_patch_values(view_frame(graph), None if keys is None else set(keys))


def filter_summary(selection: Selection) -> html.Div:
    counts = selection.counts_by_kind()
    kept = ", ".join(f"{c['selected']}/{c['total']} {kind}s" for kind, c in counts.items())
    hidden = selection.filter_summary()
    return html.Div([
        html.Span(f"Showing {selection.n_selected} of {selection.graph.n_nodes} nodes ({kept}). "),
        html.Span("Hidden: " + "; ".join(hidden) + "." if hidden else "No filter hides any node.",
                  className="text-muted"),
        html.Br(),
        html.Span(f"Exported: {len(selection.features)} features on {len(selection.node_ids)} nodes.",
                  className="fw-semibold"),
    ])


def coverage(graph: AttributionGraph, selection: Selection, threshold) -> go.Figure:
    frame = view_frame(graph)
    ranked = ~frame["kind"].isin(["embedding", "logit"]).to_numpy()
    kept = int((selection.mask & ranked).sum())
    return figs.coverage_figure(frame.loc[ranked, INFLUENCE], kept, float(threshold or 1.0))


def picked_keys(selected_data) -> set[str] | None:
    """Keys of the points boxed/lassoed/clicked in the scatter; None when nothing is picked."""
    if not selected_data or not selected_data.get("points"):
        return None
    return {p["customdata"] for p in selected_data["points"] if p.get("customdata") is not None}


def table_frame(graph: AttributionGraph, selection: Selection, picked: set[str] | None) -> pd.DataFrame:
    frame = view_frame(graph)
    mask = selection.mask.copy()
    if picked is not None:
        mask &= frame["key"].isin(picked).to_numpy()
    rows = frame.loc[mask, TABLE_COLUMNS].sort_values(INFLUENCE, ascending=False, kind="stable")
    rows = rows.head(MAX_TABLE_ROWS)
    # JSON cannot carry NaN: missing numbers become null (blank cells).
    return rows.astype(object).where(rows.notna(), None)


def layer_bars(graph: AttributionGraph, rows: pd.DataFrame) -> go.Figure:
    numeric = rows.assign(**{INFLUENCE: pd.to_numeric(rows[INFLUENCE], errors="coerce").fillna(0.0)})
    return figs.layer_bar_figure(numeric, INFLUENCE, graph.n_layers)


# -- details --------------------------------------------------------------------------------
def _fmt(value, digits=4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def _edge_table(edges: list[dict], title: str) -> html.Div:
    if not edges:
        return html.Div([html.H6(title), html.P("none", className="text-muted small")])
    rows = [html.Tr([html.Td(e.get("label") or e["node_id"]), html.Td(e["kind"]),
                     html.Td(f"{e['weight']:+.4g}", className="text-end")]) for e in edges]
    return html.Div([html.H6(title), dbc.Table([html.Tbody(rows)], size="sm", className="small")])


def details_panel(graph: AttributionGraph, key: str) -> dbc.Card:
    d = node_details(graph, key, top_k=8)
    link = (html.A("Open on Neuronpedia ↗", href=d["neuronpedia_url"], target="_blank", rel="noopener")
            if d.get("neuronpedia_url") else html.Span("No Neuronpedia page for this node.", className="text-muted"))
    facts = [("kind", d["kind"]), ("layer", d["layer"]), ("position", d["ctx_idx"]), ("token", repr(d["token"])),
             ("activation", _fmt(d["activation"])), ("influence (file)", _fmt(d["influence"])),
             ("influence share (graph)", _fmt(d["influence_graph"])), ("rank", d["influence_rank_graph"]),
             ("inputs / outputs", f"{d['n_incoming']} / {d['n_outgoing']}")]
    return dbc.Card(dbc.CardBody([
        html.H6(d["label"] or d["node_id"], className="agp-details-title"),
        html.Code(d["node_id"]),
        dbc.Table([html.Tbody([html.Tr([html.Th(k), html.Td(str(v))]) for k, v in facts])],
                  size="sm", className="small mt-2"),
        link,
        _edge_table(d["incoming"], "Top incoming edges"),
        _edge_table(d["outgoing"], "Top outgoing edges"),
    ]), className="agp-details-card")


# -- export ---------------------------------------------------------------------------------
def metrics_csv(graph: AttributionGraph, mode: str) -> str:
    return metrics_csv_text(compute_metrics(graph, mode=mode))


def save_selection(workspace: Workspace, graph: AttributionGraph, graph_id: str, selection: Selection):
    name = workspace.unique_name("selections", f"{graph.slug or 'graph'}-selection", ".json")
    graph_artefact = workspace.resolve(graph_id)
    return workspace.save_json(
        "selections", name, selection.to_selected_features(), producer="Graph tab: save selection",
        parameters=selection.params,
        inputs=[{"name": graph_id, "sha256": (graph_artefact.manifest or {}).get("sha256")}],
        summary={**graph.manifest_summary(), "n_features": len(selection.features)},
    )
