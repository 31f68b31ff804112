"""Neuronpedia graph-schema conformance (spec §2.8).

The upstream schema file is not shipped with agp. :func:`schema_errors` is a project-written
check of what that draft-07 schema requires (required keys and JSON types; it checks no
values). :func:`validate_against_schema` uses ``jsonschema`` and a schema file when both are
given (tests pass ``../shared/spec/neuronpedia-graph-schema.json``) and falls back to
:func:`schema_errors` otherwise. Both report every problem, like Neuronpedia's Ajv
``allErrors`` mode.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_STRING, _NUMBER, _INTEGER, _OBJECT, _ARRAY = "string", "number", "integer", "object", "array"

# (path, required keys, {key: allowed JSON types})
_TOP_REQUIRED = ("metadata", "qParams", "nodes", "links")
_METADATA_REQUIRED = ("slug", "scan", "prompt_tokens", "prompt")
_METADATA_TYPES = {"slug": (_STRING,), "scan": (_STRING,), "prompt_tokens": (_ARRAY,), "prompt": (_STRING,),
                   "feature_details": (_OBJECT,), "node_threshold": (_NUMBER,), "info": (_OBJECT,),
                   "generation_settings": (_OBJECT,), "pruning_settings": (_OBJECT,)}
_QPARAMS_TYPES = {"pinnedIds": (_ARRAY,), "supernodes": (_ARRAY,), "linkType": (_STRING,),
                  "clickedId": (_STRING,), "sg_pos": (_STRING,)}
_NODE_REQUIRED = ("node_id", "feature", "layer", "ctx_idx", "feature_type", "jsNodeId", "clerp")
_NODE_TYPES = {"node_id": (_STRING,), "feature": (_INTEGER, "null"), "layer": (_STRING, _INTEGER),
               "ctx_idx": (_INTEGER,), "feature_type": (_STRING,), "jsNodeId": (_STRING,),
               "clerp": (_STRING,), "influence": (_NUMBER, "null"), "activation": (_NUMBER, "null"),
               "qk_tracing_results": (_OBJECT,)}
_LINK_REQUIRED = ("source", "target", "weight")
_LINK_TYPES = {"source": (_STRING,), "target": (_STRING,), "weight": (_NUMBER,)}


def _json_type_ok(value: Any, allowed: tuple[str, ...]) -> bool:
    for name in allowed:
        if name == "null" and value is None:
            return True
        if name == _STRING and isinstance(value, str):
            return True
        if name == _OBJECT and isinstance(value, dict):
            return True
        if name == _ARRAY and isinstance(value, list):
            return True
        if name == _INTEGER and isinstance(value, int) and not isinstance(value, bool):
            return True
        if name == _INTEGER and isinstance(value, float) and value.is_integer():
            return True  # JSON Schema: 1.0 is an integer
        if name == _NUMBER and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
    return False


def _check_object(obj: dict, path: str, required, types, errors: list[str]) -> None:
    for key in required:
        if key not in obj:
            errors.append(f"{path or '/'}: must have required property '{key}'")
    for key, allowed in types.items():
        if key in obj and not _json_type_ok(obj[key], allowed):
            errors.append(f"{path}/{key}: must be {' or '.join(allowed)}")


def schema_errors(obj: Any, *, max_errors: int = 50) -> list[str]:
    """Every way ``obj`` breaks the Neuronpedia graph schema (empty list = conforms)."""
    if not isinstance(obj, dict):
        return ["/: must be object"]
    errors: list[str] = []
    _check_object(obj, "", _TOP_REQUIRED, {"metadata": (_OBJECT,), "qParams": (_OBJECT,),
                                           "nodes": (_ARRAY,), "links": (_ARRAY,),
                                           "qk_only_nodes": (_OBJECT,)}, errors)
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        _check_object(metadata, "/metadata", _METADATA_REQUIRED, _METADATA_TYPES, errors)
        tokens = metadata.get("prompt_tokens")
        if isinstance(tokens, list):
            for i, token in enumerate(tokens):
                if not isinstance(token, str):
                    errors.append(f"/metadata/prompt_tokens/{i}: must be string")
    if isinstance(obj.get("qParams"), dict):
        _check_object(obj["qParams"], "/qParams", (), _QPARAMS_TYPES, errors)
    for name, required, types in (("nodes", _NODE_REQUIRED, _NODE_TYPES), ("links", _LINK_REQUIRED, _LINK_TYPES)):
        items = obj.get(name)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if len(errors) >= max_errors:
                return errors
            if not isinstance(item, dict):
                errors.append(f"/{name}/{i}: must be object")
            else:
                _check_object(item, f"/{name}/{i}", required, types, errors)
    return errors[:max_errors]


def find_schema_file() -> Path | None:
    """``$AGP_GRAPH_SCHEMA``, else ``../shared/spec/neuronpedia-graph-schema.json`` beside a checkout."""
    env = os.environ.get("AGP_GRAPH_SCHEMA")
    if env and Path(env).is_file():
        return Path(env)
    candidate = Path(__file__).resolve().parents[3] / "shared" / "spec" / "neuronpedia-graph-schema.json"
    return candidate if candidate.is_file() else None


def validate_against_schema(obj: Any, schema: str | os.PathLike | dict | None = None,
                            *, max_errors: int = 50) -> list[str]:
    """All schema errors of ``obj`` as ``"<json pointer>: <message>"`` strings.

    ``schema`` is a schema dict or file (e.g. :func:`find_schema_file`). With None, or without
    ``jsonschema`` installed, the project-written :func:`schema_errors` check is used.
    """
    try:
        import jsonschema  # test extra, optional at runtime
    except ImportError:  # pragma: no cover - exercised only without the test extra
        jsonschema = None
    if schema is None or jsonschema is None:
        return schema_errors(obj, max_errors=max_errors)
    if not isinstance(schema, dict):
        schema = json.loads(Path(schema).read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = []
    for err in validator.iter_errors(obj):
        pointer = "/" + "/".join(str(p) for p in err.absolute_path)
        errors.append(f"{pointer}: {err.message}")
        if len(errors) >= max_errors:
            break
    return errors
