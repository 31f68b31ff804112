"""Disk cache of Neuronpedia answers, so a feature's activation or label is fetched only once.

Keys (spec §1.0.6): activations by (model, source, index, sha256(text), ignoreBos); feature
details by (model, source, index). Values are small JSON-like dicts. diskcache is safe across
the web process and background workers.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import diskcache

FORMAT = 1  # bump when the cached value layout changes


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResponseCache:
    """A folder of cached responses; ``ResponseCache(path).clear()`` empties it."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)
        self._cache = diskcache.Cache(str(self.directory))

    @staticmethod
    def activation_key(model_id: str, source: str, index: int | str, text: str, ignore_bos: bool) -> tuple:
        return ("act", FORMAT, model_id, source, str(index), text_hash(text), bool(ignore_bos))

    @staticmethod
    def feature_key(model_id: str, source: str, index: int | str) -> tuple:
        return ("feature", FORMAT, model_id, source, str(index))

    def get(self, key: tuple) -> Any:
        return self._cache.get(key)

    def set(self, key: tuple, value: Any) -> None:
        self._cache.set(key, value)

    def __contains__(self, key: tuple) -> bool:
        return key in self._cache

    def __len__(self) -> int:
        return len(self._cache)

    def clear(self) -> int:
        """Remove every entry; returns how many were removed."""
        return self._cache.clear()

    def close(self) -> None:
        self._cache.close()
