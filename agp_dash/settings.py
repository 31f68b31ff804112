"""Configuration from environment variables and an optional ``.env`` file.

Secrets (API keys, the signing key) are held in :class:`Secret`, whose ``repr``/``str`` never
show the value, so a settings object can be logged or rendered without leaking a key.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Mapping

from dotenv import dotenv_values

DEFAULT_NEURONPEDIA_BASE_URL = "https://www.neuronpedia.org/api"
DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"

# name -> (default, description); the README's configuration table mirrors this.
ENVIRONMENT = {
    "AGP_HOME": ("./output", "Workspace folder for graphs, selections, probes, groupings, checkpoints and the job cache."),
    "NEURONPEDIA_API_KEY": ("", "Neuronpedia API key (sent as `x-api-key`). Server-side only."),
    "NEURONPEDIA_BASE_URL": (DEFAULT_NEURONPEDIA_BASE_URL, "Neuronpedia API base URL (point it at a fake or self-hosted server)."),
    "OPENAI_API_KEY": ("", "Key for an OpenAI-compatible endpoint (concept generation). Server-side only."),
    "OPENAI_BASE_URL": (DEFAULT_OPENAI_BASE_URL, "Base URL of the OpenAI-compatible endpoint."),
    "AGP_REDIS_URL": ("", "Redis URL: when set, background jobs run on Celery workers instead of local processes."),
    "AGP_SECRET_KEY": ("", "Flask secret key that signs background-job handles; must be identical on every web process."),
}


class Secret:
    """A string that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None):
        self._value = (value or "").strip()

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    home: Path = Path("./output")
    neuronpedia_api_key: Secret = field(default_factory=lambda: Secret(""))
    neuronpedia_base_url: str = DEFAULT_NEURONPEDIA_BASE_URL
    openai_api_key: Secret = field(default_factory=lambda: Secret(""))
    openai_base_url: str = DEFAULT_OPENAI_BASE_URL
    redis_url: str = ""
    secret_key: Secret = field(default_factory=lambda: Secret(""))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 env_file: str | os.PathLike | None = ".env") -> "Settings":
        """Read settings; real environment variables win over the ``.env`` file."""
        values: dict[str, str] = {}
        if env_file and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        def get(name: str) -> str:
            return (values.get(name) or ENVIRONMENT[name][0]).strip()

        return cls(
            home=Path(get("AGP_HOME")).expanduser(),
            neuronpedia_api_key=Secret(get("NEURONPEDIA_API_KEY")),
            neuronpedia_base_url=get("NEURONPEDIA_BASE_URL").rstrip("/"),
            openai_api_key=Secret(get("OPENAI_API_KEY")),
            openai_base_url=get("OPENAI_BASE_URL").rstrip("/"),
            redis_url=get("AGP_REDIS_URL"),
            secret_key=Secret(get("AGP_SECRET_KEY")),
        )

    def public_summary(self) -> dict[str, str]:
        """What may be shown to a user: secrets reduced to 'set' / 'not set'."""
        summary = {}
        for f in fields(self):
            value = getattr(self, f.name)
            summary[f.name] = ("set" if value else "not set") if isinstance(value, Secret) else str(value)
        return summary
