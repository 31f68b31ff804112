"""Callback registration: ``register_callbacks(app)`` calls each stage module's ``register``."""
from __future__ import annotations

from agp_dash.web.callbacks import graph, graph_generate, home, neuronpedia, stages


def register_callbacks(app) -> None:
    for module in (home, stages, graph, graph_generate, neuronpedia):
        module.register(app)
