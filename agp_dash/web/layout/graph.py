"""Graph tab: open or generate a graph, explore it, select and export features."""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from agp_dash.web.components.progress import progress_block
from agp_dash.web.ids import Graph
from agp_dash.web.layout.stage_intro import stage_intro

KIND_OPTIONS = [
    {"label": "Features", "value": "feature"},
    {"label": "Error nodes", "value": "error"},
    {"label": "Embeddings", "value": "embedding"},
    {"label": "Logits", "value": "logit"},
]

SMALL_CHART_CONFIG = {"displaylogo": False, "displayModeBar": False}

NODE_COLUMNS = [
    {"field": "key", "hide": True},
    {"field": "node_id", "headerName": "Node", "width": 150, "pinned": "left"},
    {"field": "kind", "headerName": "Kind", "width": 100},
    {"field": "layer", "headerName": "Layer", "width": 85, "filter": "agNumberColumnFilter"},
    {"field": "ctx_idx", "headerName": "Pos", "width": 75, "filter": "agNumberColumnFilter"},
    {"field": "token", "headerName": "Token", "width": 110},
    {"field": "label", "headerName": "Label", "flex": 2, "minWidth": 180},
    {"field": "influence_share", "headerName": "Influence", "width": 120, "sort": "desc",
     "filter": "agNumberColumnFilter", "valueFormatter": {"function": "params.value == null ? '' : d3.format('.4f')(params.value)"}},
    {"field": "cumulative", "headerName": "Cumulative (file)", "width": 150,
     "filter": "agNumberColumnFilter", "valueFormatter": {"function": "params.value == null ? '' : d3.format('.4f')(params.value)"}},
    {"field": "activation", "headerName": "Activation", "width": 120,
     "valueFormatter": {"function": "params.value == null ? '' : d3.format('.3f')(params.value)"}},
]


def _number(id_, label, value, step, help_text=None) -> dbc.Col:
    return dbc.Col([
        dbc.Label(label, html_for=id_, className="small mb-0"),
        dbc.Input(id=id_, type="number", value=value, step=step, size="sm"),
        dbc.FormText(help_text or "", className="agp-limit"),
    ], md=4, className="mb-2")


def open_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H6("Open a graph"),
        dcc.Upload(
            id=Graph.UPLOAD, multiple=False, max_size=-1,
            children=html.Div(["Drop a graph JSON here, or ", html.A("choose a file")]),
            className="agp-upload mb-2",
        ),
        dbc.Label("…or one from the workspace", html_for=Graph.WORKSPACE_SELECT, className="small mb-0"),
        dcc.Dropdown(id=Graph.WORKSPACE_SELECT, options=[], placeholder="graphs/…", clearable=False),
        dbc.Label("…or from Neuronpedia", html_for=Graph.NP_SOURCE, className="small mb-0 mt-2"),
        dbc.Input(id=Graph.NP_SOURCE, size="sm", className="mb-1",
                  placeholder="graph link, or model/slug e.g. gemma-2-2b/my-graph"),
        progress_block(Graph.NP_FETCH_RUN, Graph.NP_FETCH_CANCEL, Graph.NP_FETCH_PROGRESS, "Fetch", secondary=True),
    ]), className="mb-3")


def generate_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H6("Generate a graph"),
        dbc.Row([
            dbc.Col([dbc.Label("Backend", html_for=Graph.BACKEND, className="small mb-0"),
                     dcc.Dropdown(id=Graph.BACKEND, options=[], clearable=False)], md=6),
            dbc.Col([dbc.Label("Example prompts", html_for=Graph.EXAMPLES, className="small mb-0"),
                     dcc.Dropdown(id=Graph.EXAMPLES, options=[], placeholder="pick an example")], md=6),
        ], className="mb-1"),
        html.Div(id=Graph.BACKEND_NOTE, className="small text-muted mb-2"),
        dbc.Textarea(id=Graph.PROMPT, placeholder="The capital of the state containing Dallas is",
                     rows=2, className="mb-2"),
        dbc.Row([
            dbc.Col([dbc.Label("Model id", html_for=Graph.MODEL_ID, className="small mb-0"),
                     dbc.Input(id=Graph.MODEL_ID, size="sm")], md=4, className="mb-2"),
            dbc.Col([dbc.Label("Source set", html_for=Graph.SOURCE_SET, className="small mb-0"),
                     dbc.Input(id=Graph.SOURCE_SET, size="sm")], md=4, className="mb-2"),
            dbc.Col([dbc.Label("Slug (optional)", html_for=Graph.SLUG, className="small mb-0"),
                     dbc.Input(id=Graph.SLUG, size="sm", placeholder="from the prompt")], md=4, className="mb-2"),
            _number(Graph.MAX_FEATURE_NODES, "Max feature nodes", None, 1),
            _number(Graph.NODE_THRESHOLD, "Node threshold", None, 0.01),
            _number(Graph.EDGE_THRESHOLD, "Edge threshold", None, 0.01),
            _number(Graph.MAX_N_LOGITS, "Max logits", None, 1),
            _number(Graph.DESIRED_LOGIT_PROB, "Desired logit prob", None, 0.01),
        ]),
        html.Div(id=Graph.LIMITS_NOTE, className="small text-muted mb-2"),
        dbc.Button("Preview tokens", id=Graph.PREVIEW_BTN, color="secondary", outline=True,
                   size="sm", className="mb-2"),
        html.Div(id=Graph.PREVIEW, className="mb-2 agp-token-preview"),
        progress_block(Graph.GENERATE_RUN, Graph.GENERATE_CANCEL, Graph.GENERATE_PROGRESS, "Generate graph"),
    ]), className="mb-3")


def filter_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H6("Select"),
        dbc.Label("Cumulative influence ≤ τ (nodes accounting for τ of the influence)",
                  html_for=Graph.THRESHOLD, className="small mb-0"),
        dcc.Slider(id=Graph.THRESHOLD, min=0.05, max=1.0, step=0.01, value=0.8,
                   marks={v / 10: f"{v / 10:.1f}" for v in range(1, 11)},
                   tooltip={"placement": "bottom", "always_visible": True}, updatemode="drag"),
        dbc.Row([
            dbc.Col([dbc.Label("Node kinds", className="small mb-0"),
                     dbc.Checklist(id=Graph.KINDS, options=KIND_OPTIONS,
                                   value=[o["value"] for o in KIND_OPTIONS], inline=True)], md=12),
            dbc.Col([dbc.Label("Layers", className="small mb-0"),
                     dcc.RangeSlider(id=Graph.LAYERS, min=-1, max=1, step=1, value=[-1, 1],
                                     tooltip={"placement": "bottom"})], md=5),
            dbc.Col([dbc.Label("Positions", className="small mb-0"),
                     dcc.RangeSlider(id=Graph.POSITIONS, min=0, max=1, step=1, value=[0, 1],
                                     tooltip={"placement": "bottom"})], md=5),
            dbc.Col([dbc.Label("Top N", html_for=Graph.TOP_N, className="small mb-0"),
                     dbc.Input(id=Graph.TOP_N, type="number", min=1, step=1, size="sm",
                               placeholder="all")], md=2),
        ], className="mt-2"),
        html.Div(id=Graph.FILTER_SUMMARY, className="small mt-2 agp-filter-summary"),
    ]), className="mb-3")


def export_card() -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H6("Export"),
        dbc.RadioItems(id=Graph.METRICS_MODE, inline=True, value="agp-default", className="small mb-2",
                       options=[{"label": "agp-default metrics", "value": "agp-default"},
                                {"label": "seed-v2 (original app)", "value": "seed-v2"}]),
        dbc.ButtonGroup([
            dbc.Button("Metrics CSV", id=Graph.DOWNLOAD_METRICS_BTN, color="secondary", outline=True, size="sm"),
            dbc.Button("Selection JSON", id=Graph.DOWNLOAD_SELECTION_BTN, color="secondary", outline=True, size="sm"),
            dbc.Button("Selection CSV", id=Graph.DOWNLOAD_SELECTION_CSV_BTN, color="secondary", outline=True, size="sm"),
            dbc.Button("Save selection to workspace", id=Graph.SAVE_SELECTION_BTN, color="primary", size="sm"),
        ]),
        html.Div(id=Graph.SAVE_STATUS, className="small mt-2"),
        dcc.Download(id=Graph.DOWNLOAD),
    ]), className="mb-3")


def explore_panel() -> html.Div:
    return html.Div([
        html.Div(id=Graph.SUMMARY, className="mb-2"),
        html.Div([
            html.Small("Feature labels: ", className="text-muted me-1"),
            progress_block(Graph.LABELS_RUN, Graph.LABELS_CANCEL, Graph.LABELS_PROGRESS,
                           "Fetch labels from Neuronpedia", secondary=True),
            html.Div(id=Graph.LABELS_STATUS, className="small mt-1"),
        ], id=Graph.LABELS_PANEL, className="mb-3 agp-labels"),
        dbc.Row([
            dbc.Col(filter_card(), lg=7),
            dbc.Col(export_card(), lg=5),
        ]),
        dbc.Row([
            dbc.Col(dcc.Graph(id=Graph.SCATTER, config={"displaylogo": False}), lg=8),
            dbc.Col(html.Div(html.P("Click a node in the plot or a row in the table to see its details, "
                                     "strongest edges and Neuronpedia page.", className="text-muted small mt-5"),
                             id=Graph.DETAILS, className="agp-details"), lg=4),
        ]),
        dbc.Row([
            dbc.Col(dcc.Graph(id=Graph.LAYER_BAR, config=SMALL_CHART_CONFIG), lg=4),
            dbc.Col(dcc.Graph(id=Graph.COVERAGE, config=SMALL_CHART_CONFIG), lg=4),
            dbc.Col(dcc.Graph(id=Graph.STRENGTH, config=SMALL_CHART_CONFIG), lg=4),
        ]),
        dag.AgGrid(id=Graph.TABLE, columnDefs=NODE_COLUMNS, rowData=[], getRowId="params.data.key",
                   dashGridOptions={"rowSelection": {"mode": "multiRow", "enableClickSelection": True,
                                                     "checkboxes": False, "headerCheckbox": False},
                                    "pagination": True, "paginationPageSize": 20},
                   style={"height": "560px"}, className="mb-4"),
    ], id=Graph.VIEW, style={"display": "none"})


def graph_layout() -> html.Div:
    return html.Div([
        stage_intro(
            "1 · Graph",
            "Generate or open an attribution graph for a prompt, see each node's influence on the "
            "output, explore it by layer and position, and select the features that carry most "
            "of the influence.",
            needs=["a prompt and a backend, or a graph JSON file (Neuronpedia, circuit-tracer), "
                   "or a graph from the workspace"],
            produces=["graphs/<slug>.json with its manifest", "static metrics CSV (agp-default or seed-v2)",
                      "selections/<slug>-selection.json: the Selected Features JSON"],
        ),
        html.Div(id=Graph.ALERTS),
        # Folds away once a graph is open, so the graph itself is at the top; click to reopen.
        dbc.Accordion(dbc.AccordionItem(
            dbc.Row([dbc.Col(open_card(), lg=4), dbc.Col(generate_card(), lg=8)]),
            title="Open or generate a graph", item_id="source"),
            id=Graph.SOURCE_PANEL, active_item="source", className="mb-3"),
        html.Div(id=Graph.GENERATE_STATUS),
        html.Div(id=Graph.OPENED, className="agp-opened"),
        explore_panel(),
    ])
