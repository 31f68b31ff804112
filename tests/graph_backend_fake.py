"""A deterministic in-process graph backend for UI tests (never part of the app)."""
from __future__ import annotations

import time

from agp_dash.errors import BackendError
from agp_dash.graphs.backends import GenerationLimits, GenerationSettings, GraphBackend, PredictedLogit, TokenPreview
from agp_dash.graphs.synthetic import synthetic_graph


class FakeBackend(GraphBackend):
    name = "fake"
    label = "Fake backend (tests)"
    limits = GenerationLimits(node_threshold=(0.1, 1.0), edge_threshold=(0.1, 1.0), max_feature_nodes=(1, 100))
    defaults = GenerationSettings(model_id="fake-model", source_set="fake-set", max_feature_nodes=30,
                                  node_threshold=0.8, edge_threshold=0.9, max_n_logits=5, desired_logit_prob=0.9)
    example_prompts = ("The capital of the state containing Dallas is", "Fact: Michael Jordan plays the sport of")
    upload_unsupported_reason = "the fake model is not on Neuronpedia"

    def tokenize(self, prompt: str) -> TokenPreview:
        words = prompt.split()
        if "fail" in words:
            raise BackendError("The fake backend refuses the word 'fail'.")
        return TokenPreview(["<bos>", *[f" {w}" for w in words]], [PredictedLogit(" Austin", 1, 0.8)])

    def generate(self, prompt: str, settings: GenerationSettings, progress=None) -> dict:
        preview = self.tokenize(prompt).check_length(self.limits)
        for step in range(3):
            if progress:
                progress(step / 3, f"step {step + 1} of 3")
            time.sleep(0.2)
        graph = synthetic_graph(n_tokens=preview.n_tokens, n_features=settings.max_feature_nodes,
                                slug=settings.slug or "fake")
        graph["metadata"].update(prompt=f"<bos>{prompt}", prompt_tokens=preview.tokens, scan=settings.model_id)
        return graph
