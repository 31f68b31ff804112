"""How the app asks for a new graph: settings, limits, the backend interface and a registry.

The local engine and the Neuronpedia client implement :class:`GraphBackend` elsewhere and
register themselves with :func:`register_backend`; the UI only talks to this interface.
"""
from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Optional

from agp_dash.errors import InputError
from agp_dash.graphs.slugs import validate_slug

#: ``progress(fraction 0..1, message)``; backends call it from their worker thread.
ProgressCallback = Callable[[float, str], None]

_SOURCE_SET_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")


@dataclass(frozen=True)
class GenerationLimits:
    """Allowed ranges (inclusive). Defaults: Neuronpedia's, restricted to the intersection of
    the deployed versions' ranges (spec §1.2.2) so a request valid here is valid there."""
    max_n_logits: tuple[int, int] = (5, 15)
    desired_logit_prob: tuple[float, float] = (0.6, 0.99)
    node_threshold: tuple[float, float] = (0.5, 0.95)
    edge_threshold: tuple[float, float] = (0.8, 0.98)
    max_feature_nodes: tuple[int, int] = (3000, 10000)
    max_prompt_tokens: int = 64          # including <bos>
    max_prompt_chars: int = 10000


#: The ranges of the original app / Neuronpedia before 2026 (seed spec §3.1), for reference.
SEED_V2_LIMITS = GenerationLimits(node_threshold=(0.5, 1.0), edge_threshold=(0.8, 1.0))


@dataclass(frozen=True)
class GenerationSettings:
    model_id: str = "gemma-2-2b"
    source_set: Optional[str] = "clt-hp"
    max_feature_nodes: int = 5000
    node_threshold: float = 0.8
    edge_threshold: float = 0.85
    max_n_logits: int = 10
    desired_logit_prob: float = 0.95
    slug: Optional[str] = None

    def validate(self, limits: GenerationLimits | None = None) -> "GenerationSettings":
        """Return self, or raise InputError naming the first bad field and its allowed range."""
        limits = limits or GenerationLimits()
        if not isinstance(self.model_id, str) or not self.model_id.strip():
            raise InputError("model_id must be a non-empty model name.")
        if self.source_set is not None and not (isinstance(self.source_set, str)
                                                and _SOURCE_SET_PATTERN.match(self.source_set)):
            raise InputError(f"source_set must contain only letters, digits, '-' and '_' (got {self.source_set!r}).")
        _check_int("max_feature_nodes", self.max_feature_nodes, limits.max_feature_nodes)
        _check_float("node_threshold", self.node_threshold, limits.node_threshold)
        _check_float("edge_threshold", self.edge_threshold, limits.edge_threshold)
        _check_int("max_n_logits", self.max_n_logits, limits.max_n_logits)
        _check_float("desired_logit_prob", self.desired_logit_prob, limits.desired_logit_prob)
        if self.slug is not None:
            validate_slug(self.slug)
        return self

    def with_slug(self, slug: str) -> "GenerationSettings":
        return replace(self, slug=slug)

    def to_dict(self) -> dict:
        return asdict(self)


def _check_int(name: str, value, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{name} must be an integer between {low} and {high} (got {value!r}).")


def _check_float(name: str, value, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or not low <= value <= high):
        raise InputError(f"{name} must be a number between {low} and {high} (got {value!r}).")


@dataclass(frozen=True)
class PredictedLogit:
    token: str
    token_id: int
    probability: float


@dataclass(frozen=True)
class TokenPreview:
    """What a prompt becomes before generation: its tokens (with <bos>) and, when the backend
    can tell, the logit targets it would attribute from."""
    tokens: list[str]
    logits: list[PredictedLogit] = field(default_factory=list)

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    def check_length(self, limits: GenerationLimits | None = None) -> "TokenPreview":
        limits = limits or GenerationLimits()
        if self.n_tokens > limits.max_prompt_tokens:
            raise InputError(f"The prompt is {self.n_tokens} tokens long (with <bos>); the limit is "
                             f"{limits.max_prompt_tokens}.")
        return self


class GraphBackend(ABC):
    """A source of attribution graphs (local engine, Neuronpedia, …)."""

    #: registry name, e.g. ``"local"``, ``"neuronpedia"``
    name: str = ""
    #: what the UI shows, e.g. ``"Local engine (tiny model)"``
    label: str = ""
    limits: GenerationLimits = GenerationLimits()
    defaults: GenerationSettings = GenerationSettings()
    example_prompts: tuple[str, ...] = ()
    #: whether graphs from this backend can be uploaded to Neuronpedia, and why not if not
    supports_upload: bool = False
    upload_unsupported_reason: str = ""

    @abstractmethod
    def tokenize(self, prompt: str) -> TokenPreview:
        """Tokens of ``prompt`` (with <bos>) and, if known, its predicted logit targets."""

    @abstractmethod
    def generate(self, prompt: str, settings: GenerationSettings,
                 progress: ProgressCallback | None = None) -> dict:
        """A graph JSON object (spec §2) for ``prompt``; raise AgpError subclasses on failure."""

    def check_prompt(self, prompt: str) -> str:
        """Cheap checks before any tokenizer or network call."""
        if not isinstance(prompt, str) or not prompt.strip():
            raise InputError("The prompt is empty.")
        if len(prompt) > self.limits.max_prompt_chars:
            raise InputError(f"The prompt has {len(prompt)} characters; the limit is {self.limits.max_prompt_chars}.")
        return prompt


_REGISTRY: dict[str, GraphBackend] = {}


def register_backend(backend: GraphBackend, *, replace_existing: bool = False) -> GraphBackend:
    """Make ``backend`` available under ``backend.name``."""
    if not backend.name:
        raise ValueError("A graph backend needs a non-empty name.")
    if backend.name in _REGISTRY and not replace_existing:
        raise ValueError(f"A graph backend named {backend.name!r} is already registered.")
    _REGISTRY[backend.name] = backend
    return backend


def unregister_backend(name: str) -> None:
    _REGISTRY.pop(name, None)


def get_backend(name: str) -> GraphBackend:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none registered"
        raise InputError(f"Unknown graph backend {name!r} (available: {known}).") from None


def available_backends() -> list[GraphBackend]:
    """Registered backends in registration order."""
    return list(_REGISTRY.values())
