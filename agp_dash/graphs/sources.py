"""Which Neuronpedia source set a graph's features belong to (spec §1.1.2)."""
from __future__ import annotations

from typing import Any

# metadata.info.transcoder_set -> Neuronpedia source set (rule 6)
TRANSCODER_SET_TO_SOURCE_SET = {
    "gemma": "gemmascope-transcoder-16k",
    "mntss/clt-gemma-2-2b-2.5M": "clt-hp",
}
_NP_PREFIXES = ("https://neuronpedia.org/", "https://www.neuronpedia.org/")


def resolve_source_set(metadata: dict[str, Any], *, override: str | None = None) -> str | None:
    """First rule of §1.1.2 that gives a value; None when nothing identifies the set.

    ``override`` is rule 1 (the set the app itself requested) or rule 5 (from
    ``GET /api/graph/{modelId}/{slug}``): the caller knows it, the file may not.
    """
    if override:
        return override
    info = metadata.get("info") if isinstance(metadata.get("info"), dict) else {}
    details = metadata.get("feature_details") if isinstance(metadata.get("feature_details"), dict) else {}
    for value in (details.get("neuronpedia_source_set"), info.get("neuronpedia_source_set")):
        if isinstance(value, str) and value:
            return value
    urls = info.get("source_urls")
    if isinstance(urls, list) and urls and isinstance(urls[0], str) and urls[0].startswith(_NP_PREFIXES):
        tail = urls[0].rstrip("/").rsplit("/", 1)[-1]
        if tail:
            return tail
    transcoder_set = info.get("transcoder_set")
    if isinstance(transcoder_set, str) and transcoder_set in TRANSCODER_SET_TO_SOURCE_SET:
        return TRANSCODER_SET_TO_SOURCE_SET[transcoder_set]
    if metadata.get("scan") == "gemma-2-2b" and "schema_version" not in metadata:
        return "gemmascope-transcoder-16k"  # Neuronpedia's own legacy rule
    return None
