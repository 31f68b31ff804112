"""Subgraph payloads for ``POST /graph/subgraph/save`` (spec §1.9.1, seed-method §2.10).

Neuronpedia answers every invalid body with the same bare 500, so the payload is checked here
first, with a message that names the problem.
"""
from __future__ import annotations

import math
from typing import Any

from agp_dash.errors import InputError

_REQUIRED_KEYS = ("modelId", "slug", "pinnedIds", "supernodes", "clerps", "pruningThreshold", "densityThreshold")


def validate_subgraph_payload(payload: dict) -> dict:
    """A clean copy of ``payload`` with Neuronpedia's types, or InputError naming the first problem.

    Mirrors the server's zod schema: both threshold keys must be present (``null`` allowed),
    ``supernodes`` are ``[label, nodeId, …]`` string lists, ``clerps`` ``[featureId, label]``.
    """
    if not isinstance(payload, dict):
        raise InputError("The subgraph payload must be an object.")
    missing = [key for key in _REQUIRED_KEYS if key not in payload]
    if missing:
        raise InputError(f"The subgraph payload lacks {', '.join(missing)}.")
    for key in ("modelId", "slug"):
        if not isinstance(payload[key], str) or not payload[key]:
            raise InputError(f"The subgraph payload's {key} must be a non-empty string.")
    if not _strings(payload["pinnedIds"]):
        raise InputError("pinnedIds must be a list of node ids (strings).")
    for name, shape in (("supernodes", "[label, nodeId, …]"), ("clerps", "[featureId, label]")):
        groups = payload[name]
        if not isinstance(groups, list) or not all(_strings(g) and g for g in groups):
            raise InputError(f"{name} must be a list of {shape} string lists.")
    for name, label in (("supernodes", "supernode"), ("clerps", "clerp")):
        if any(not g[0].strip() for g in payload[name]):
            raise InputError(f"Every {label} needs a non-empty label.")
    if any(len(c) != 2 for c in payload["clerps"]):
        raise InputError("Each clerp must be [featureId, label].")
    for key in ("pruningThreshold", "densityThreshold"):
        value = payload[key]
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not math.isfinite(value)):
            raise InputError(f"{key} must be a number or null (got {value!r}).")
    body = {key: payload[key] for key in _REQUIRED_KEYS}
    if payload.get("displayName") is not None:
        if not isinstance(payload["displayName"], str):
            raise InputError("displayName must be a string.")
        body["displayName"] = payload["displayName"]
    overwrite = payload.get("overwriteId") or ""
    if not isinstance(overwrite, str):
        raise InputError("overwriteId must be a subgraph id (a string) or empty.")
    body["overwriteId"] = overwrite
    return body


def subgraph_payload(model_id: str, slug: str, *, pinned_ids: list[str], supernodes: list[list[str]],
                     clerps: list[list[str]] = (), pruning_threshold: float | None = None,
                     density_threshold: float | None = 0.99, display_name: str | None = None,
                     overwrite_id: str = "") -> dict:
    """Build and check a payload from Python values (thresholds may be None: sent as null)."""
    payload: dict[str, Any] = {"modelId": model_id, "slug": slug, "pinnedIds": list(pinned_ids),
                               "supernodes": [list(g) for g in supernodes], "clerps": [list(c) for c in clerps],
                               "pruningThreshold": pruning_threshold, "densityThreshold": density_threshold,
                               "overwriteId": overwrite_id or ""}
    if display_name is not None:
        payload["displayName"] = display_name
    return validate_subgraph_payload(payload)


def clerp_key(node: dict, n_prompt_tokens: int) -> str:
    """The key Neuronpedia uses for a label override of a graph JSON node (spec §1.9.1).

    Features use the *encoded* ``feature`` field, errors a ``-1`` form with the reverse position,
    embeddings ``E_{ctx}_{ctx}``, logits their node_id.
    """
    feature_type = str(node.get("feature_type", ""))
    layer, ctx, feature = node.get("layer"), int(node.get("ctx_idx", 0)), node.get("feature")
    if feature_type == "embedding":
        return f"E_{ctx}_{ctx}"
    if feature_type == "logit":
        return str(node["node_id"])
    if "error" in feature_type:
        return f"{layer}_-1_{ctx}_mlp__err_idx_{n_prompt_tokens - ctx}"
    return f"{layer}_{feature}_{ctx}"


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)
