"""Graph tab, generation form: backend choice, limits, token preview, background generation."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html

from agp_dash.errors import AgpError
from agp_dash.generation import generate_and_save, load_builtin_backends
from agp_dash.graphs.backends import GenerationSettings, available_backends, get_backend
from agp_dash.web import graph_view, keyring
from agp_dash.web.components.alerts import error_alert, unexpected_error_handler
from agp_dash.web.components.progress import background_kwargs
from agp_dash.web.graph_cache import graph_for
from agp_dash.web.ids import Graph, Shell, Store
from agp_dash.web.neuronpedia_access import backend_for
from agp_dash.web.services import services

SETTING_IDS = (Graph.MODEL_ID, Graph.SOURCE_SET, Graph.MAX_FEATURE_NODES, Graph.NODE_THRESHOLD,
               Graph.EDGE_THRESHOLD, Graph.MAX_N_LOGITS, Graph.DESIRED_LOGIT_PROB, Graph.SLUG)
SETTING_FIELDS = ("model_id", "source_set", "max_feature_nodes", "node_threshold", "edge_threshold",
                  "max_n_logits", "desired_logit_prob", "slug")


def backend_options(_tab):
    load_builtin_backends()
    backends = available_backends()
    options = [{"label": b.label, "value": b.name} for b in backends]
    default = next((b.name for b in backends if b.name == "local"), options[0]["value"] if options else None)
    return options, default


def describe_backend(name):
    """Backend picked -> its defaults, limits, examples and what it cannot do."""
    if not name:
        note = dbc.Alert("No generation backend is available in this installation; open a graph file instead.",
                         color="secondary", className="small mb-0")
        return note, [], "", *[None] * len(SETTING_IDS)
    backend = get_backend(name)
    limits = backend.limits
    limits_note = (f"Limits: max logits {limits.max_n_logits[0]}–{limits.max_n_logits[1]}, desired logit prob "
                   f"{limits.desired_logit_prob[0]}–{limits.desired_logit_prob[1]}, node threshold "
                   f"{limits.node_threshold[0]}–{limits.node_threshold[1]}, edge threshold "
                   f"{limits.edge_threshold[0]}–{limits.edge_threshold[1]}, max feature nodes "
                   f"{limits.max_feature_nodes[0]}–{limits.max_feature_nodes[1]}, prompt ≤ "
                   f"{limits.max_prompt_tokens} tokens.")
    note = backend.upload_unsupported_reason if not backend.supports_upload else ""
    defaults = backend.defaults
    values = [getattr(defaults, field) for field in SETTING_FIELDS]
    examples = [{"label": p, "value": p} for p in backend.example_prompts]
    return (html.Span(f"Neuronpedia upload: {note}") if note else "", examples, limits_note, *values)


def use_example(example):
    if not example:
        raise dash.exceptions.PreventUpdate
    return example


def settings_from_form(values) -> GenerationSettings:
    """Form values -> settings; an emptied field stays None and fails validation with its range."""
    fields = dict(zip(SETTING_FIELDS, values))
    for name in ("slug", "source_set"):
        fields[name] = (fields[name] or "").strip() or None
    for name in ("max_feature_nodes", "max_n_logits"):  # number inputs send 5000.0 for 5000
        if isinstance(fields[name], float) and fields[name].is_integer():
            fields[name] = int(fields[name])
    return GenerationSettings(**fields)


def preview_tokens(_n, backend_name, prompt, session_id):
    try:
        backend = backend_for(backend_name or "")
        backend.check_prompt(prompt or "")
        with keyring.session(session_id):
            preview = backend.tokenize(prompt).check_length(backend.limits)
    except AgpError as err:
        return error_alert(str(err), "Cannot preview")
    chips = [dbc.Badge(tok if tok.strip() else repr(tok), color="light", text_color="dark",
                       className="me-1 agp-token") for tok in preview.tokens]
    logits = ", ".join(f"{l.token.strip() or repr(l.token)} {l.probability:.1%}" for l in preview.logits[:10])
    return html.Div([html.Div([html.Span(f"{preview.n_tokens} tokens: ", className="small me-1"), *chips]),
                     html.Div(f"Predicted next tokens: {logits}", className="small text-muted mt-1") if logits else None])


def generate_graph(set_progress, _n, backend_name, prompt, session_id, *values):
    """Background job: generate, save to the workspace, open it."""
    def progress(fraction: float, message: str) -> None:
        set_progress((int(round(100 * max(0.0, min(1.0, fraction)))), message))

    try:
        settings = settings_from_form(values)
        with keyring.session(session_id):
            artefact = generate_and_save(services().workspace, backend_for(backend_name or ""), prompt or "", settings,
                                         progress=progress, producer="Graph tab: generate")
        graph = graph_for(artefact.artefact_id)
    except AgpError as err:
        return error_alert(str(err), "Generation failed"), dash.no_update
    message = html.Span(["Generated and saved ", html.Code(artefact.artefact_id)], className="text-success")
    return message, graph_view.store_data(artefact.artefact_id, graph)


def register(app) -> None:
    app.callback(Output(Graph.BACKEND, "options"), Output(Graph.BACKEND, "value"),
                 Input(Graph.BACKEND, "id"))(backend_options)
    app.callback(Output(Graph.BACKEND_NOTE, "children"), Output(Graph.EXAMPLES, "options"),
                 Output(Graph.LIMITS_NOTE, "children"), *[Output(i, "value") for i in SETTING_IDS],
                 Input(Graph.BACKEND, "value"))(describe_backend)
    app.callback(Output(Graph.PROMPT, "value"), Input(Graph.EXAMPLES, "value"),
                 prevent_initial_call=True)(use_example)
    app.callback(Output(Graph.PREVIEW, "children"), Input(Graph.PREVIEW_BTN, "n_clicks"),
                 State(Graph.BACKEND, "value"), State(Graph.PROMPT, "value"), State(Shell.SESSION, "data"),
                 prevent_initial_call=True)(preview_tokens)
    app.callback(Output(Graph.GENERATE_STATUS, "children"), Output(Store.GRAPH, "data", allow_duplicate=True),
                 Input(Graph.GENERATE_RUN, "n_clicks"), State(Graph.BACKEND, "value"), State(Graph.PROMPT, "value"),
                 State(Shell.SESSION, "data"), *[State(i, "value") for i in SETTING_IDS], prevent_initial_call=True,
                 on_error=unexpected_error_handler("Generation failed"),
                 **background_kwargs(Graph.GENERATE_RUN, Graph.GENERATE_CANCEL, Graph.GENERATE_PROGRESS))(generate_graph)
