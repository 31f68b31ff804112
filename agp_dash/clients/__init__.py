"""Clients of remote services (no Dash imports here).

Neuronpedia (spec §1):

* :class:`NeuronpediaClient` — one method per endpoint, plus generate/fetch flows;
* :func:`probe_features` — activations of F features on P prompts in F × ⌈P/4⌉ calls, as an
  activation dump; :func:`plan_probe_calls` / :func:`plan_probe_run` — what such a run costs
  against the hourly limit (the latter counts cached values and the server's remaining quota);
* :func:`feature_labels`, :func:`graph_labels` — labels for a graph's feature nodes;
* :func:`fetch_graph` — a plain function for the graph CLI (generation goes through the backend);
* :class:`NeuronpediaBackend` — the ``"neuronpedia"`` graph backend (registered on import).
"""
from agp_dash.clients.neuronpedia import GraphDownload, NeuronpediaClient, TokenizeResult
from agp_dash.clients.np_activations import (ActivationRecord, Probe, SourceRecord, baseline_probe,
                                             features_from_graph, plan_probe_run, probe_features)
from agp_dash.clients.neuronpedia_backend import NeuronpediaBackend
from agp_dash.clients.np_cache import ResponseCache
from agp_dash.clients.np_errors import (AuthError, BusyError, CancelledError, ForbiddenError, GraphInvalidError, OverQuotaError,
                                        InvalidResponseError, NeuronpediaConnectionError, NeuronpediaError,
                                        NeuronpediaTimeoutError, NotFoundError, RateLimitError, RemoteUnavailableError,
                                        RequestRejectedError, ServerError, SlugTakenError, SubgraphRejectedError)
from agp_dash.clients.np_graphs import fetch_graph, save_graph
from agp_dash.clients.np_labels import feature_labels, graph_labels, label_from_explanations
from agp_dash.clients.np_limits import ProbePlan, plan_probe_calls
from agp_dash.clients.np_subgraphs import clerp_key, subgraph_payload, validate_subgraph_payload
from agp_dash.clients.np_transport import Backoff, CallPolicy
from agp_dash.clients.np_urls import GraphRef, feature_ui_url, graph_ui_url, parse_graph_url

__all__ = [
    "ActivationRecord", "AuthError", "Backoff", "BusyError", "CallPolicy", "CancelledError", "ForbiddenError",
    "GraphDownload", "GraphInvalidError", "GraphRef", "InvalidResponseError", "NeuronpediaBackend",
    "NeuronpediaClient", "NeuronpediaConnectionError", "NeuronpediaError", "NeuronpediaTimeoutError", "OverQuotaError",
    "NotFoundError", "Probe", "ProbePlan", "RateLimitError", "RemoteUnavailableError", "RequestRejectedError",
    "ResponseCache", "ServerError", "SlugTakenError", "SourceRecord", "SubgraphRejectedError", "TokenizeResult",
    "baseline_probe", "clerp_key", "feature_labels", "feature_ui_url", "features_from_graph", "fetch_graph",
    "graph_labels", "graph_ui_url", "label_from_explanations", "parse_graph_url",
    "plan_probe_calls", "plan_probe_run", "probe_features", "save_graph", "subgraph_payload",
    "validate_subgraph_payload",
]
