"""Graph tab callbacks: open, generate, explore (cross-filtered), select, export.

Each callback unpacks its inputs, calls the pure graph library, and packs outputs. The
browser holds only the graph's artefact id (``Store.GRAPH``); the parsed graph comes from
:mod:`agp_dash.web.graph_cache`.
"""
from __future__ import annotations

import base64
import json

import dash
from dash import Input, Output, Patch, State, ctx, dcc, html

from agp_dash.errors import AgpError
from agp_dash.graphs.loader import load_graph
from agp_dash.web import graph_view
from agp_dash.web.components.alerts import error_alert
from agp_dash.web.graph_cache import graph_for
from agp_dash.web.ids import Graph, Shell, Store, Tab
from agp_dash.web.services import services
from agp_dash.workspace import sha256_bytes

MAX_UPLOAD_BYTES = 250 * 1024 * 1024


# -- open ----------------------------------------------------------------------------------
def workspace_graph_options(active_tab, _graph):
    if active_tab != Tab.GRAPH:
        raise dash.exceptions.PreventUpdate
    return [{"label": a.name, "value": a.artefact_id} for a in services().workspace.list(["graphs"])]


def open_graph(contents, filename, workspace_id):
    """Upload (saved to the workspace first) or pick from the workspace -> Store.GRAPH."""
    try:
        if ctx.triggered_id == Graph.UPLOAD:
            if not contents:
                raise dash.exceptions.PreventUpdate
            artefact_id = save_upload(contents, filename or "graph.json")
        else:
            if not workspace_id:
                raise dash.exceptions.PreventUpdate
            artefact_id = workspace_id
        graph = graph_for(artefact_id)
    except AgpError as err:
        return dash.no_update, error_alert(str(err), f"Could not open {filename or workspace_id}")
    return graph_view.store_data(artefact_id, graph), None


def save_upload(contents: str, filename: str) -> str:
    """Validate an uploaded graph and keep it in the workspace (graphs/), with its manifest."""
    _header, _, encoded = contents.partition(",")
    data = base64.b64decode(encoded, validate=False)
    graph = load_graph(data, max_bytes=MAX_UPLOAD_BYTES)
    workspace = services().workspace
    stem = graph.slug or filename.rsplit(".", 1)[0]
    name = workspace.unique_name("graphs", stem, ".json")
    workspace.save_bytes("graphs", name, data, producer="upload (Graph tab)",
                         inputs=[{"name": filename, "sha256": sha256_bytes(data), "size": len(data)}],
                         summary=graph.manifest_summary())
    return f"graphs/{name}"


# -- view ----------------------------------------------------------------------------------
def setup_view(data):
    """A new graph: build the full figures once; filters then patch them."""
    if not data:
        return {"display": "none"}, None, dash.no_update, 1, [-1, 1], -1, 1, {}, [0, 1], 0, 1, {}, \
            dash.no_update, dash.no_update, "source", dash.no_update
    try:
        graph = graph_for(data["artefact_id"])
    except AgpError as err:
        return ({"display": "none"}, error_alert(str(err), "Could not open the graph"), *[dash.no_update] * 12,
                "source", dash.no_update)
    setup = graph_view.view_setup(graph, data["artefact_id"])
    return ({"display": "block"}, graph_view.summary_block(graph), setup.threshold,
            setup.threshold_max, [setup.layer_min, setup.layer_max], setup.layer_min, setup.layer_max,
            setup.layer_marks, [0, setup.position_max], 0, setup.position_max, setup.position_marks,
            setup.scatter, setup.strength, None,
            # Local graphs carry their labels; Neuronpedia does not know their model.
            {"display": "none"} if graph.from_local_engine else {})


def apply_filters(threshold, kinds, layers, positions, top_n, data):
    """Filters -> highlighted scatter points, filter summary, coverage chart."""
    if not data:
        raise dash.exceptions.PreventUpdate
    graph = graph_for(data["artefact_id"])
    view = graph_view.filtered(graph, threshold, kinds, layers, positions, top_n)
    return highlight_patch(graph, view.keys), graph_view.filter_summary(view), graph_view.coverage(graph, view, threshold)


def follow_selection(threshold, kinds, layers, positions, top_n, selected, data):
    """Filters + box/lasso/click selection in the scatter -> table rows and layer bars."""
    if not data:
        raise dash.exceptions.PreventUpdate
    graph = graph_for(data["artefact_id"])
    view = graph_view.filtered(graph, threshold, kinds, layers, positions, top_n)
    picked = graph_view.picked_keys(selected)
    frame = graph_view.table_frame(graph, view, picked)
    return frame.to_dict("records"), graph_view.layer_bars(graph, frame)


def highlight_table_rows(rows, data):
    """Rows selected in the table -> highlighted in the scatter (zoom kept by uirevision)."""
    if not data or rows is None:
        raise dash.exceptions.PreventUpdate
    graph = graph_for(data["artefact_id"])
    return highlight_patch(graph, {row["key"] for row in rows} if rows else None)


def highlight_patch(graph, keys) -> Patch:
    """Only the scatter traces' ``selectedpoints`` change, so zoom and the rest stay put."""
    patch = Patch()
    for i, points in enumerate(graph_view.scatter_highlight(graph, keys)):
        patch["data"][i]["selectedpoints"] = points
    return patch


def show_details(click, cell, data):
    if not data:
        raise dash.exceptions.PreventUpdate
    if ctx.triggered_id == Graph.SCATTER and click:
        key = click["points"][0]["customdata"]
    elif ctx.triggered_id == Graph.TABLE and cell:
        key = cell.get("rowId")
    else:
        raise dash.exceptions.PreventUpdate
    try:
        return graph_view.details_panel(graph_for(data["artefact_id"]), key)
    except AgpError as err:
        return error_alert(str(err), "No details")


# -- export --------------------------------------------------------------------------------
def download(_metrics, _sel_json, _sel_csv, mode, threshold, kinds, layers, positions, top_n, data):
    if not data:
        raise dash.exceptions.PreventUpdate
    graph = graph_for(data["artefact_id"])
    stem = graph.slug or data.get("name", "graph").rsplit(".", 1)[0]
    if ctx.triggered_id == Graph.DOWNLOAD_METRICS_BTN:
        return dcc.send_string(graph_view.metrics_csv(graph, mode), f"{stem}-metrics-{mode}.csv")
    view = graph_view.filtered(graph, threshold, kinds, layers, positions, top_n)
    if ctx.triggered_id == Graph.DOWNLOAD_SELECTION_BTN:
        text = json.dumps(view.to_selected_features(), indent=2)
        return dcc.send_string(text, f"{stem}-selected_features_with_nodes.json")
    return dcc.send_string(view.csv_text(), f"{stem}-selection.csv")


def save_selection(_n, threshold, kinds, layers, positions, top_n, data):
    if not data:
        raise dash.exceptions.PreventUpdate
    try:
        graph = graph_for(data["artefact_id"])
        view = graph_view.filtered(graph, threshold, kinds, layers, positions, top_n)
        artefact = graph_view.save_selection(services().workspace, graph, data["artefact_id"], view)
    except AgpError as err:
        return error_alert(str(err), "Selection not saved"), dash.no_update
    message = html.Span(["Saved ", html.Code(artefact.artefact_id)], className="text-success")
    return message, {"artefact_id": artefact.artefact_id, "name": artefact.name}


FILTER_INPUTS = [Input(Graph.THRESHOLD, "value"), Input(Graph.KINDS, "value"),
                 Input(Graph.LAYERS, "value"), Input(Graph.POSITIONS, "value"), Input(Graph.TOP_N, "value")]
FILTER_STATES = [State(i.component_id, i.component_property) for i in FILTER_INPUTS]


def register(app) -> None:
    app.callback(Output(Graph.WORKSPACE_SELECT, "options"),
                 Input(Shell.TABS, "active_tab"), Input(Store.GRAPH, "data"))(workspace_graph_options)
    app.callback(Output(Store.GRAPH, "data", allow_duplicate=True), Output(Graph.ALERTS, "children"),
                 Input(Graph.UPLOAD, "contents"), State(Graph.UPLOAD, "filename"),
                 Input(Graph.WORKSPACE_SELECT, "value"), prevent_initial_call=True)(open_graph)
    app.callback(
        Output(Graph.VIEW, "style"), Output(Graph.SUMMARY, "children"),
        Output(Graph.THRESHOLD, "value"), Output(Graph.THRESHOLD, "max"),
        Output(Graph.LAYERS, "value"), Output(Graph.LAYERS, "min"), Output(Graph.LAYERS, "max"),
        Output(Graph.LAYERS, "marks"),
        Output(Graph.POSITIONS, "value"), Output(Graph.POSITIONS, "min"), Output(Graph.POSITIONS, "max"),
        Output(Graph.POSITIONS, "marks"),
        Output(Graph.SCATTER, "figure"), Output(Graph.STRENGTH, "figure"),
        Output(Graph.SOURCE_PANEL, "active_item"), Output(Graph.LABELS_PANEL, "style"),
        Input(Store.GRAPH, "data"),
    )(setup_view)
    app.callback(Output(Graph.SCATTER, "figure", allow_duplicate=True),
                 Output(Graph.FILTER_SUMMARY, "children"), Output(Graph.COVERAGE, "figure"),
                 *FILTER_INPUTS, State(Store.GRAPH, "data"), prevent_initial_call=True)(apply_filters)
    app.callback(Output(Graph.TABLE, "rowData"), Output(Graph.LAYER_BAR, "figure"),
                 *FILTER_INPUTS, Input(Graph.SCATTER, "selectedData"), State(Store.GRAPH, "data"),
                 prevent_initial_call=True)(follow_selection)
    app.callback(Output(Graph.SCATTER, "figure", allow_duplicate=True),
                 Input(Graph.TABLE, "selectedRows"), State(Store.GRAPH, "data"),
                 prevent_initial_call=True)(highlight_table_rows)
    app.callback(Output(Graph.DETAILS, "children"),
                 Input(Graph.SCATTER, "clickData"), Input(Graph.TABLE, "cellClicked"),
                 State(Store.GRAPH, "data"), prevent_initial_call=True)(show_details)
    app.callback(Output(Graph.DOWNLOAD, "data"),
                 Input(Graph.DOWNLOAD_METRICS_BTN, "n_clicks"), Input(Graph.DOWNLOAD_SELECTION_BTN, "n_clicks"),
                 Input(Graph.DOWNLOAD_SELECTION_CSV_BTN, "n_clicks"), State(Graph.METRICS_MODE, "value"),
                 *FILTER_STATES, State(Store.GRAPH, "data"), prevent_initial_call=True)(download)
    app.callback(Output(Graph.SAVE_STATUS, "children"), Output(Store.SELECTION, "data", allow_duplicate=True),
                 Input(Graph.SAVE_SELECTION_BTN, "n_clicks"), *FILTER_STATES, State(Store.GRAPH, "data"),
                 prevent_initial_call=True)(save_selection)
