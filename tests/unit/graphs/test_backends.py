"""Generation settings, limits, the backend interface and registry."""
import pytest

from agp_dash.errors import InputError
from agp_dash.graphs import (SEED_V2_LIMITS, GenerationLimits, GenerationSettings, GraphBackend, TokenPreview,
                             available_backends, get_backend, load_graph, register_backend)
from agp_dash.graphs.backends import unregister_backend
from tests.unit.graphs.echo_backend import EchoBackend


def test_defaults_are_neuronpedias():
    settings = GenerationSettings()
    assert settings.validate() is settings
    assert (settings.model_id, settings.source_set, settings.max_feature_nodes, settings.node_threshold,
            settings.edge_threshold, settings.max_n_logits, settings.desired_logit_prob) == \
        ("gemma-2-2b", "clt-hp", 5000, 0.8, 0.85, 10, 0.95)
    limits = GenerationLimits()
    assert (limits.max_n_logits, limits.desired_logit_prob, limits.max_feature_nodes, limits.max_prompt_tokens) == \
        ((5, 15), (0.6, 0.99), (3000, 10000), 64)
    assert limits.node_threshold == (0.5, 0.95) and limits.edge_threshold == (0.8, 0.98)
    assert SEED_V2_LIMITS.node_threshold == (0.5, 1.0) and SEED_V2_LIMITS.edge_threshold == (0.8, 1.0)


@pytest.mark.parametrize("field, value, message", [
    ("max_n_logits", 20, "max_n_logits must be an integer between 5 and 15 (got 20)"),
    ("max_n_logits", 10.0, "max_n_logits must be an integer"),
    ("desired_logit_prob", 0.5, "desired_logit_prob must be a number between 0.6 and 0.99 (got 0.5)"),
    ("node_threshold", 0.99, "node_threshold must be a number between 0.5 and 0.95"),
    ("edge_threshold", float("nan"), "edge_threshold must be a number between 0.8 and 0.98"),
    ("max_feature_nodes", 100, "max_feature_nodes must be an integer between 3000 and 10000 (got 100)"),
    ("max_feature_nodes", True, "max_feature_nodes must be an integer"),
    ("slug", "Bad Slug", "slug 'Bad Slug' is not valid"),
    ("model_id", " ", "model_id must be a non-empty"),
    ("source_set", "clt hp", "source_set must contain only"),
])
def test_validation_names_the_field_and_range(field, value, message):
    settings = GenerationSettings(**{field: value})
    with pytest.raises(InputError) as info:
        settings.validate()
    assert message in str(info.value)


def test_seed_limits_accept_the_old_ranges():
    GenerationSettings(node_threshold=1.0, edge_threshold=1.0).validate(SEED_V2_LIMITS)


def test_echo_backend_round_trip():
    backend = EchoBackend()
    assert isinstance(backend, GraphBackend)
    preview = backend.tokenize("The capital of Texas is")
    assert preview.tokens == ["<bos>", "The", " capital", " of", " Texas", " is"] and preview.n_tokens == 6
    seen = []
    settings = GenerationSettings(slug="echo-test-1").validate(backend.limits)
    graph = load_graph(backend.generate("The capital of Texas is", settings, progress=lambda f, m: seen.append(f)))
    assert seen == [0.0, 1.0]
    assert graph.slug == "echo-test-1" and graph.prompt_tokens == preview.tokens and graph.warnings == []
    with pytest.raises(InputError, match="The prompt is 70 tokens long"):
        backend.generate(" ".join(["w"] * 69), settings)
    with pytest.raises(InputError, match="prompt is empty"):
        backend.tokenize("   ")
    with pytest.raises(InputError, match="max_n_logits"):
        backend.generate("x y", GenerationSettings(max_n_logits=2))


def test_registry():
    backend = EchoBackend()
    register_backend(backend)
    try:
        assert get_backend("echo") is backend and backend in available_backends()
        with pytest.raises(ValueError, match="already registered"):
            register_backend(EchoBackend())
        register_backend(EchoBackend(), replace_existing=True)
        with pytest.raises(InputError, match="Unknown graph backend 'nope'"):
            get_backend("nope")
    finally:
        unregister_backend("echo")
    assert all(b.name != "echo" for b in available_backends())


def test_token_preview_limit():
    TokenPreview(["<bos>"] * 64).check_length()
    with pytest.raises(InputError, match="65 tokens"):
        TokenPreview(["<bos>"] * 65).check_length()
