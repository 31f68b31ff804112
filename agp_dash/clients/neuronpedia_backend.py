"""The Neuronpedia graph backend; importing this module registers it as ``"neuronpedia"``."""
from __future__ import annotations

from typing import Callable

from agp_dash.clients.neuronpedia import NeuronpediaClient
from agp_dash.clients.np_limits import DEFAULT_SOURCE_SET
from agp_dash.graphs.backends import (GenerationLimits, GenerationSettings, GraphBackend, ProgressCallback,
                                      TokenPreview, available_backends, register_backend)
from agp_dash.settings import Settings


class NeuronpediaBackend(GraphBackend):
    """Graphs generated on neuronpedia.org (gemma-2-2b, 30 per hour per IP address)."""

    name = "neuronpedia"
    label = "Neuronpedia"
    limits = GenerationLimits()
    defaults = GenerationSettings(model_id="gemma-2-2b", source_set=DEFAULT_SOURCE_SET)
    example_prompts = (
        "The capital of state containing Dallas is",
        "Fact: the capital of the state containing Oakland is",
        "The opposite of \"small\" is \"",
    )
    # Generated graphs exist on Neuronpedia, so subgraphs can be saved against them.
    supports_upload = True
    upload_unsupported_reason = ""

    def __init__(self, client_factory: Callable[[], NeuronpediaClient] | None = None):
        # A fresh client per call: settings (key, base URL) are read when used, and a
        # requests.Session is never shared between the UI's worker threads.
        self._client_factory = client_factory or (lambda: NeuronpediaClient.from_settings(Settings.from_env()))

    def tokenize(self, prompt: str) -> TokenPreview:
        self.check_prompt(prompt)
        result = self._client_factory().tokenize(
            prompt, model_id=self.defaults.model_id, source_set=self.defaults.source_set,
            max_n_logits=self.defaults.max_n_logits, desired_logit_prob=self.defaults.desired_logit_prob)
        return result.preview()

    def generate(self, prompt: str, settings: GenerationSettings,
                 progress: ProgressCallback | None = None) -> dict:
        self.check_prompt(prompt)
        return self._client_factory().generate(prompt, settings, limits=self.limits, progress=progress).graph


def _register() -> None:
    if not any(backend.name == NeuronpediaBackend.name for backend in available_backends()):
        register_backend(NeuronpediaBackend())


_register()
