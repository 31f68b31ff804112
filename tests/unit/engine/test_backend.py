"""The Graph-stage backend (agp_dash.graphs.backends) and generate_graph."""
from __future__ import annotations

from dataclasses import replace

import pytest

import agp_dash.engine.backend as local
from agp_dash.engine import generate_graph
from agp_dash.errors import InputError
from agp_dash.graphs.backends import get_backend
from agp_dash.graphs.loader import graph_from_json


def test_registered_on_import():
    backend = get_backend("local")
    assert isinstance(backend, local.LocalBackend)
    assert backend.label == "Local demo model"
    assert backend.supports_upload is False
    assert backend.upload_unsupported_reason == "Neuronpedia does not know this model"
    assert "The capital of state containing Dallas is" in backend.example_prompts
    assert backend.defaults.validate(backend.limits) is backend.defaults
    assert replace(backend.defaults, node_threshold=1.0, edge_threshold=1.0).validate(backend.limits)


def test_tokenize_previews_tokens_and_targets():
    preview = get_backend("local").tokenize("Fact: Michael Jordan plays the sport of")
    assert preview.tokens == ["<bos>", "Fact", " :", " Michael_Jordan", " plays", " the", " sport", " of"]
    assert preview.logits[0].token == "basketball" and preview.logits[0].probability > 0.5


def test_generate_through_the_backend():
    backend = get_backend("local")
    events = []
    settings = replace(backend.defaults, slug="local-test")
    graph = backend.generate('The opposite of "small" is "', settings, progress=lambda f, m: events.append(f))
    assert events == [0.0, 1.0]
    loaded = graph_from_json(graph)
    assert loaded.slug == "local-test" and loaded.model_id == "agp-demo-states"
    assert graph["metadata"]["pruning_settings"] == {"node_threshold": 0.8, "edge_threshold": 0.98}
    with pytest.raises(InputError, match="runs only the model"):
        backend.generate("The capital of Texas is", replace(settings, model_id="gemma-2-2b"))


def test_generate_graph_function():
    graph = generate_graph("The capital of Texas is", node_threshold=0.9, max_n_logits=3)
    assert graph["metadata"]["slug"].startswith("the-capital-of-texas-is-")
    assert graph["metadata"]["generation_settings"]["max_n_logits"] == 3
    with pytest.raises(InputError, match="Unknown graph setting"):
        generate_graph("The capital of Texas is", nodes=3)


def test_local_graphs_link_nowhere_on_neuronpedia():
    from agp_dash.graphs import load_graph

    graph = load_graph(generate_graph("The capital of the state containing Dallas is"))
    assert graph.from_local_engine
    assert graph.neuronpedia_graph_url() is None
    features = graph.nodes.index[graph.nodes["kind"] == "feature"]
    assert all(graph.neuronpedia_feature_url(int(i)) is None for i in features)
