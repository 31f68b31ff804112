"""A tiny deterministic graph backend for tests only (no model, no network)."""
from __future__ import annotations

from agp_dash.graphs import GenerationSettings, GraphBackend, PredictedLogit, TokenPreview, synthetic_graph


class EchoBackend(GraphBackend):
    name = "echo"
    label = "Echo (tests)"
    example_prompts = ("The capital of state containing Dallas is",)
    supports_upload = False
    upload_unsupported_reason = "test graphs have no Neuronpedia model"

    def __init__(self) -> None:
        self.calls: list[tuple[str, GenerationSettings]] = []

    def tokenize(self, prompt: str) -> TokenPreview:
        self.check_prompt(prompt)
        words = prompt.split()
        tokens = ["<bos>"] + [w if i == 0 else f" {w}" for i, w in enumerate(words)]
        return TokenPreview(tokens, [PredictedLogit(" echo", 7, 0.9)])

    def generate(self, prompt, settings, progress=None) -> dict:
        settings.validate(self.limits)
        preview = self.tokenize(prompt).check_length(self.limits)
        self.calls.append((prompt, settings))
        if progress:
            progress(0.0, "starting")
        graph = synthetic_graph(n_tokens=max(preview.n_tokens, 2), n_layers=4, n_features=30,
                                n_logits=3, seed=len(prompt), slug=settings.slug or "echo")
        graph["metadata"].update(prompt_tokens=preview.tokens, prompt="<bos>" + prompt, scan=settings.model_id)
        if progress:
            progress(1.0, "done")
        return graph
