"""Plain functions for the graph CLI and the UI: fetch a Neuronpedia graph, save it.

``fetch_graph`` returns the graph JSON dict; with a workspace it also stores it under
``graphs/`` with a manifest (model, slug, source set, parameters, links; never the API key).
Generation goes through :func:`agp_dash.generation.generate_and_save` like every backend.
"""
from __future__ import annotations

from typing import Callable

from agp_dash.clients.neuronpedia import GraphDownload, NeuronpediaClient
from agp_dash.settings import Settings
from agp_dash.workspace import Artefact, Workspace

Progress = Callable[[float, str], None]


def _client(client: NeuronpediaClient | None, app_settings: Settings | None) -> NeuronpediaClient:
    return client or NeuronpediaClient.from_settings(app_settings or Settings.from_env())


def fetch_graph(url: str | None = None, model_id: str | None = None, slug: str | None = None, *,
                client: NeuronpediaClient | None = None, app_settings: Settings | None = None,
                workspace: Workspace | None = None, progress: Progress | None = None) -> dict:
    """Download an existing graph by Neuronpedia URL or by model id + slug; return its JSON."""
    download = _client(client, app_settings).fetch_graph(url, model_id=model_id, slug=slug, progress=progress)
    if workspace is not None:
        save_graph(workspace, download, producer="neuronpedia.fetch",
                   parameters={"model_id": download.model_id, "slug": download.slug,
                               "source_set": download.source_set})
    return download.graph


def save_graph(workspace: Workspace, download: GraphDownload, *, producer: str, parameters: dict) -> Artefact:
    """Write the graph to ``graphs/<slug>.json`` (a free name) with its manifest."""
    workspace.ensure()
    name = workspace.unique_name("graphs", download.slug or "neuronpedia-graph", ".json")
    prompt = str(download.graph["metadata"].get("prompt", ""))
    return workspace.save_json(
        "graphs", name, download.graph, indent=None, producer=producer, parameters=parameters,
        inputs=[{"neuronpedia_graph": download.ui_url, "json_url": download.json_url}],
        summary={"prompt": prompt[len("<bos>"):] if prompt.startswith("<bos>") else prompt,
                 "model_id": download.model_id, "slug": download.slug, "source_set": download.source_set,
                 "n_nodes": download.num_nodes, "n_links": download.num_links, "backend": "neuronpedia",
                 "recovered_after_timeout": download.recovered})
