"""Neuronpedia in the UI: the session's key and cache (Home), fetching graphs and labels (Graph)."""
from __future__ import annotations

import json

import dash
from dash import Input, Output, State, html

from agp_dash.clients.np_graphs import save_graph
from agp_dash.clients.np_labels import graph_labels
from agp_dash.errors import AgpError, InputError
from agp_dash.graphs.labels import with_labels
from agp_dash.web import graph_view, keyring
from agp_dash.web.components.alerts import error_alert, unexpected_error_handler
from agp_dash.web.components.progress import background_kwargs
from agp_dash.web.graph_cache import graph_for
from agp_dash.web.ids import Graph, Home, Shell, Store
from agp_dash.web.neuronpedia_access import SERVICE, key_status, neuronpedia_client
from agp_dash.web.services import services


def ensure_session(_modified, session_id):
    if session_id:
        raise dash.exceptions.PreventUpdate
    return keyring.new_session_id()


def manage_key(_save, _forget, key, session_id):
    """Keep or forget the typed key server-side; the input is emptied either way."""
    trigger = dash.ctx.triggered_id
    if trigger == Home.NP_KEY_SAVE and (key or "").strip() and session_id:
        keyring.set_key(session_id, SERVICE, key.strip())
    elif trigger == Home.NP_KEY_FORGET and session_id:
        keyring.forget_key(session_id, SERVICE)
    return key_status(session_id), ""


def clear_cache(_n):
    try:
        neuronpedia_client().clear_cache()
    except AgpError as err:
        return error_alert(str(err), "Cache not cleared")
    return html.Span("Neuronpedia response cache cleared.", className="text-success")


def parse_source(text: str) -> dict:
    """A graph link, or ``model/slug``."""
    text = (text or "").strip()
    if not text:
        raise InputError("Paste a Neuronpedia graph link, or model/slug (e.g. gemma-2-2b/my-graph).")
    if "://" in text:
        return {"url": text}
    model_id, _, slug = text.partition("/")
    if not model_id or not slug or "/" in slug:
        raise InputError(f"{text!r} is neither a link nor model/slug (e.g. gemma-2-2b/my-graph).")
    return {"model_id": model_id, "slug": slug}


def fetch_from_neuronpedia(set_progress, _n, text, session_id):
    def progress(fraction, message):
        set_progress((int(round(100 * fraction)), message))

    try:
        source = parse_source(text)
        with keyring.session(session_id):
            download = neuronpedia_client().fetch_graph(source.get("url"), model_id=source.get("model_id"),
                                                        slug=source.get("slug"), progress=progress)
        artefact_id = save_graph(services().workspace, download, producer="Graph tab: fetch from Neuronpedia",
                                 parameters={"source": text.strip()}).artefact_id
        graph = graph_for(artefact_id)
    except AgpError as err:
        return error_alert(str(err), "Could not fetch the graph"), dash.no_update
    message = html.Span(["Fetched and saved ", html.Code(artefact_id)], className="text-success")
    return message, graph_view.store_data(artefact_id, graph)


def fetch_labels(set_progress, _n, data, session_id):
    """Background job: labels for every feature, written into a labelled copy of the graph."""
    if not data:
        return error_alert("Open a graph first.", "No labels fetched"), dash.no_update

    def progress(fraction, message):
        set_progress((int(round(100 * fraction)), message))

    workspace = services().workspace
    try:
        artefact = workspace.resolve(data["artefact_id"])
        graph = graph_for(artefact.artefact_id)
        if graph.from_local_engine:
            raise InputError("This graph comes from the bundled local model, which Neuronpedia does not know; "
                             "its feature labels are already in the graph.")
        with keyring.session(session_id):
            labels = graph_labels(neuronpedia_client(), graph, progress=progress)
        labelled, n_set = with_labels(json.loads(artefact.path.read_bytes()), graph, labels)
        stem = artefact.name.removesuffix(".json").removesuffix("-labelled")
        saved = workspace.save_json(
            "graphs", workspace.unique_name("graphs", f"{stem}-labelled", ".json"), labelled, indent=None,
            producer="Graph tab: Neuronpedia labels", parameters={"source_set": graph.source_set},
            inputs=[{"name": artefact.artefact_id, "sha256": (artefact.manifest or {}).get("sha256")}],
            summary={**(artefact.manifest or {}).get("summary", {}), "labels": n_set})
        labelled_graph = graph_for(saved.artefact_id)
    except AgpError as err:
        return error_alert(str(err), "No labels fetched"), dash.no_update
    message = html.Span([f"{n_set} nodes labelled; saved ", html.Code(saved.artefact_id)], className="text-success")
    return message, graph_view.store_data(saved.artefact_id, labelled_graph)


def register(app) -> None:
    app.callback(Output(Shell.SESSION, "data"), Input(Shell.SESSION, "modified_timestamp"),
                 State(Shell.SESSION, "data"))(ensure_session)
    app.callback(Output(Home.NP_KEY_STATUS, "children"), Output(Home.NP_KEY_INPUT, "value"),
                 Input(Home.NP_KEY_SAVE, "n_clicks"), Input(Home.NP_KEY_FORGET, "n_clicks"),
                 State(Home.NP_KEY_INPUT, "value"), Input(Shell.SESSION, "data"))(manage_key)
    app.callback(Output(Home.NP_STATUS, "children"), Input(Home.NP_CLEAR_CACHE, "n_clicks"),
                 prevent_initial_call=True)(clear_cache)
    app.callback(Output(Graph.GENERATE_STATUS, "children", allow_duplicate=True),
                 Output(Store.GRAPH, "data", allow_duplicate=True),
                 Input(Graph.NP_FETCH_RUN, "n_clicks"), State(Graph.NP_SOURCE, "value"), State(Shell.SESSION, "data"),
                 prevent_initial_call=True, on_error=unexpected_error_handler("Could not fetch the graph"),
                 **background_kwargs(Graph.NP_FETCH_RUN, Graph.NP_FETCH_CANCEL, Graph.NP_FETCH_PROGRESS))(
        fetch_from_neuronpedia)
    app.callback(Output(Graph.LABELS_STATUS, "children"), Output(Store.GRAPH, "data", allow_duplicate=True),
                 Input(Graph.LABELS_RUN, "n_clicks"), State(Store.GRAPH, "data"), State(Shell.SESSION, "data"),
                 prevent_initial_call=True, on_error=unexpected_error_handler("No labels fetched"),
                 **background_kwargs(Graph.LABELS_RUN, Graph.LABELS_CANCEL, Graph.LABELS_PROGRESS))(fetch_labels)
