"""The local engine as a Graph-stage backend; importing this module registers it as ``"local"``.

Registration is cheap: the shipped model is loaded on first use, not at import.
"""
from __future__ import annotations

from agp_dash.errors import AgpError, InputError
from agp_dash.engine.engine import load_engine
from agp_dash.graphs.backends import (GenerationLimits, GenerationSettings, GraphBackend, PredictedLogit,
                                      ProgressCallback, TokenPreview, available_backends, register_backend)

MODEL_ID = "agp-demo-states"
N_CTX, MAX_FEATURE_NODES = 32, 4 * 31 * 8  # every active feature of the longest prompt (L·(T−1)·k)


class LocalBackend(GraphBackend):
    """Exact graphs of agp's embedded demo model (numpy, offline, no key)."""

    name = "local"
    label = "Local demo model"
    # Thresholds accept (0, 1]; 1.0 and 1.0 keep the whole graph. The engine rejects exactly 0.
    limits = GenerationLimits(max_n_logits=(1, 50), desired_logit_prob=(0.0, 1.0), node_threshold=(0.0, 1.0),
                              edge_threshold=(0.0, 1.0), max_feature_nodes=(1, MAX_FEATURE_NODES),
                              max_prompt_tokens=N_CTX, max_prompt_chars=2000)
    defaults = GenerationSettings(model_id=MODEL_ID, source_set=None, max_feature_nodes=MAX_FEATURE_NODES,
                                  node_threshold=0.8, edge_threshold=0.98, max_n_logits=10,
                                  desired_logit_prob=0.95)
    supports_upload = False
    upload_unsupported_reason = "Neuronpedia does not know this model"

    def __init__(self, data_dir=None):
        self.data_dir = data_dir

    @property
    def engine(self):
        return load_engine(self.data_dir)

    @property
    def example_prompts(self) -> tuple[str, ...]:
        """The world's example prompts (world.json); none if the model cannot be loaded."""
        try:
            return tuple(self.engine.example_prompts)
        except AgpError:
            return ()

    def tokenize(self, prompt: str) -> TokenPreview:
        self.check_prompt(prompt)
        engine = self.engine
        encoded = engine.tokenize(prompt)
        targets = engine.logit_targets(prompt, max_n_logits=self.defaults.max_n_logits,
                                       desired_logit_prob=self.defaults.desired_logit_prob)
        return TokenPreview(tokens=encoded.display_tokens,
                            logits=[PredictedLogit(t["token"], t["id"], t["prob"]) for t in targets])

    def generate(self, prompt: str, settings: GenerationSettings,
                 progress: ProgressCallback | None = None) -> dict:
        self.check_prompt(prompt)
        if settings.model_id != MODEL_ID:
            raise InputError(f"The local backend runs only the model {MODEL_ID!r}, not {settings.model_id!r}.")
        if progress:
            progress(0.0, "attributing with the local engine")
        graph = self.engine.graph(prompt, slug=settings.slug, node_threshold=settings.node_threshold,
                                  edge_threshold=settings.edge_threshold, max_n_logits=settings.max_n_logits,
                                  desired_logit_prob=settings.desired_logit_prob,
                                  max_feature_nodes=settings.max_feature_nodes)
        if progress:
            progress(1.0, f"{len(graph['nodes'])} nodes, {len(graph['links'])} links")
        return graph


def _register() -> None:
    if not any(backend.name == LocalBackend.name for backend in available_backends()):
        register_backend(LocalBackend())


_register()
