"""Home tab callbacks: list the workspace, open an artefact in its stage, verify artefacts."""
from __future__ import annotations

import dash
from dash import Input, Output, State, html

from agp_dash.workspace import artefact_rows
from agp_dash.web.components.alerts import unexpected_error_handler
from agp_dash.web.components.progress import background_kwargs
from agp_dash.web.ids import Home, Shell, Store, Tab
from agp_dash.web.services import services

# Which tab and which stage store an artefact kind opens in.
OPEN_TARGET = {
    "graphs": (Tab.GRAPH, Store.GRAPH),
    "selections": (Tab.GRAPH, Store.SELECTION),
    "probes": (Tab.PROBE, Store.PROBE),
    "checkpoints": (Tab.PROBE, Store.PROBE),
    "groupings": (Tab.GROUP, Store.GROUPING),
}
STORE_ORDER = list(Store)


def list_workspace(_n_clicks, active_tab):
    if active_tab not in (None, Tab.HOME):
        return dash.no_update
    return artefact_rows(services().workspace.list())


def enable_open(selected_rows):
    return not selected_rows


def open_in_stage(n_clicks, selected_rows):
    """Put the artefact's id in its stage's store and switch to that tab."""
    if not n_clicks or not selected_rows:
        raise dash.exceptions.PreventUpdate
    row = selected_rows[0]
    tab, store = OPEN_TARGET[row["kind"]]
    outputs = [dash.no_update] * len(STORE_ORDER)
    outputs[STORE_ORDER.index(store)] = {"artefact_id": row["id"], "name": row["name"]}
    return [tab, f"Opened {row['id']}", *outputs]


def verify_artefacts(set_progress, _n_clicks):
    """Background job: re-hash each artefact and compare with its manifest."""
    workspace = services().workspace
    artefacts = workspace.list()
    if not artefacts:
        return html.Span("Nothing to verify: the workspace is empty.", className="text-muted")
    problems = []
    for i, artefact in enumerate(artefacts, start=1):
        state = workspace.verify(artefact)
        if state != "ok":
            problems.append(f"{artefact.artefact_id}: {state}")
        set_progress((round(100 * i / len(artefacts)), f"{i}/{len(artefacts)}"))
    if not problems:
        return html.Span(f"All {len(artefacts)} artefacts match their manifests.", className="text-success")
    return html.Div([html.Span(f"{len(problems)} of {len(artefacts)} need attention:"),
                     html.Ul([html.Li(p) for p in problems])], className="text-warning")


def register(app) -> None:
    app.callback(
        Output(Home.WORKSPACE_GRID, "rowData"),
        Input(Home.REFRESH_BTN, "n_clicks"),
        Input(Shell.TABS, "active_tab"),
    )(list_workspace)
    app.callback(
        Output(Home.OPEN_BTN, "disabled"),
        Input(Home.WORKSPACE_GRID, "selectedRows"),
    )(enable_open)
    app.callback(
        Output(Shell.TABS, "active_tab"),
        Output(Home.OPEN_STATUS, "children"),
        *[Output(store, "data") for store in STORE_ORDER],
        Input(Home.OPEN_BTN, "n_clicks"),
        State(Home.WORKSPACE_GRID, "selectedRows"),
        prevent_initial_call=True,
    )(open_in_stage)
    app.callback(
        Output(Home.VERIFY_RESULT, "children"),
        Input(Home.VERIFY_RUN, "n_clicks"),
        prevent_initial_call=True,
        on_error=unexpected_error_handler("Verification failed"),
        **background_kwargs(Home.VERIFY_RUN, Home.VERIFY_CANCEL, Home.VERIFY_PROGRESS),
    )(verify_artefacts)
