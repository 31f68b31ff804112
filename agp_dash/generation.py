"""Generate a graph through a registered backend and keep it in the workspace.

One code path for the Graph tab and ``agp graph generate``: validate the settings against
the backend's limits, check the prompt, generate, validate what came back as a graph, and
save it atomically with a manifest (backend, settings, prompt; never a key).
"""
from __future__ import annotations

import importlib
import json
import logging
from dataclasses import replace

from agp_dash.errors import BackendError
from agp_dash.graphs.backends import GenerationSettings, GraphBackend, ProgressCallback, get_backend
from agp_dash.graphs.loader import graph_from_json
from agp_dash.graphs.slugs import make_slug
from agp_dash.workspace import Artefact, Workspace

log = logging.getLogger(__name__)

# Modules whose import registers a backend; a missing optional one is simply not offered.
BUILTIN_BACKEND_MODULES = ("agp_dash.engine.backend", "agp_dash.clients.neuronpedia_backend")


def load_builtin_backends() -> None:
    for module in BUILTIN_BACKEND_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as err:  # an optional part that is not installed or not built yet
            log.info("graph backend %s not available: %s", module, err)


def generate_and_save(workspace: Workspace, backend: str | GraphBackend, prompt: str,
                      settings: GenerationSettings, progress: ProgressCallback | None = None,
                      producer: str = "agp graph generate") -> Artefact:
    backend = get_backend(backend) if isinstance(backend, str) else backend
    backend.check_prompt(prompt)
    settings = settings if settings.slug else replace(settings, slug=make_slug(prompt))
    settings.validate(backend.limits)
    graph_json = backend.generate(prompt, settings, progress=progress)
    try:
        graph = graph_from_json(graph_json)
    except Exception as err:  # the backend returned something that is not a usable graph
        raise BackendError(f"The {backend.label} backend returned an unusable graph: {err}") from None
    data = (json.dumps(graph_json, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    name = workspace.unique_name("graphs", graph.slug or settings.slug, ".json")
    return workspace.save_bytes(
        "graphs", name, data, producer=producer,
        parameters={"backend": backend.name, "prompt": prompt, **settings.to_dict()},
        summary=graph.manifest_summary(),
    )
