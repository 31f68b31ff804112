"""Home tab: the three steps, and the workspace's contents."""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import html

from agp_dash.web.components.progress import progress_block
from agp_dash.web.ids import Home

STEPS = [
    ("1 · Graph", "Generate or open an attribution graph, measure each node's influence on the "
                  "output, and select the features that carry most of it."),
    ("2 · Probe", "Write or generate concept prompts and measure how every selected feature "
                  "activates on them."),
    ("3 · Group", "Classify the features, name supernodes, score the grouped subgraph and "
                  "upload it to Neuronpedia."),
]

WORKSPACE_COLUMNS = [
    {"field": "kind", "headerName": "Kind", "width": 120},
    {"field": "name", "headerName": "Name", "flex": 2, "minWidth": 200},
    {"field": "about", "headerName": "Prompt / model", "flex": 2, "minWidth": 180},
    {"field": "size", "headerName": "Size", "width": 110},
    {"field": "date", "headerName": "Date (UTC)", "width": 190},
    {"field": "provenance", "headerName": "Provenance", "flex": 2, "minWidth": 200},
    {"field": "id", "hide": True},
]


def step_cards() -> dbc.Row:
    return dbc.Row([
        dbc.Col(dbc.Card(dbc.CardBody([html.H5(title), html.P(text, className="mb-0")]),
                         className="h-100"), md=4)
        for title, text in STEPS
    ], className="g-3 mb-4")


def neuronpedia_card(base_url: str) -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.H6("Neuronpedia"),
        html.P(["API: ", html.Code(base_url, id=Home.NP_BASE_URL), " · key: ",
                html.Span("…", id=Home.NP_KEY_STATUS, className="fw-semibold")], className="small mb-2"),
        dbc.InputGroup([
            dbc.Input(id=Home.NP_KEY_INPUT, type="password", placeholder="paste a Neuronpedia API key",
                      autocomplete="off", size="sm"),
            dbc.Button("Use for this session", id=Home.NP_KEY_SAVE, color="secondary", size="sm"),
            dbc.Button("Forget", id=Home.NP_KEY_FORGET, color="secondary", outline=True, size="sm"),
        ], size="sm", className="mb-2"),
        dbc.FormText("The key stays on the server, in memory, for this browser session (8 h at most); "
                     "it is never sent back to the browser, logged or saved. For shared deployments set "
                     "NEURONPEDIA_API_KEY instead."),
        html.Div([dbc.Button("Clear the Neuronpedia response cache", id=Home.NP_CLEAR_CACHE, color="link",
                             size="sm", className="px-0")]),
        html.Div(id=Home.NP_STATUS, className="small"),
    ]), className="mb-4")


def home_layout(workspace_root: str, neuronpedia_base_url: str = "") -> html.Div:
    return html.Div([
        html.P("agp turns a language model's attribution graph into named, validated circuits. "
               "Everything runs offline on the bundled local model; Neuronpedia and "
               "OpenAI-compatible endpoints are optional.", className="lead"),
        step_cards(),
        html.H5("Workspace"),
        html.P(["Artefacts in ", html.Code(workspace_root, id=Home.WORKSPACE_PATH),
                ", each with a manifest of how it was made."], className="text-muted"),
        html.Div([
            dbc.Button("Refresh", id=Home.REFRESH_BTN, color="secondary", outline=True, className="me-2"),
            dbc.Button("Open in its stage", id=Home.OPEN_BTN, color="primary", disabled=True),
            html.Span(id=Home.OPEN_STATUS, className="ms-3 text-muted"),
        ], className="mb-2"),
        dag.AgGrid(
            id=Home.WORKSPACE_GRID,
            columnDefs=WORKSPACE_COLUMNS,
            rowData=[],
            getRowId="params.data.id",
            dashGridOptions={
                "rowSelection": {"mode": "singleRow", "enableClickSelection": True, "checkboxes": False},
                "domLayout": "autoHeight",
                "localeText": {"noRowsToShow": "The workspace is empty: open or generate a graph in the Graph tab."},
            },
            className="mb-4",
        ),
        dbc.Row([dbc.Col(neuronpedia_card(neuronpedia_base_url), lg=6)]),
        html.H6("Check the workspace"),
        html.P("Re-hash every artefact and compare it with its manifest (runs in the background).",
               className="text-muted small"),
        progress_block(Home.VERIFY_RUN, Home.VERIFY_CANCEL, Home.VERIFY_PROGRESS, "Verify artefacts"),
        html.Div(id=Home.VERIFY_RESULT, className="mt-2"),
    ])
