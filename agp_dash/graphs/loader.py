"""Load attribution-graph JSON from a path, bytes, text or an already parsed object.

Handles Neuronpedia ``/graph/generate`` output (schema_version 1), Neuronpedia UI downloads
(labels, supernode-prefixed clerps), legacy graphs (no schema_version), circuit-tracer
``create_graph_files`` output and Anthropic-style graphs without influence/activation.

Every problem that makes a file unusable raises :class:`InputError` with one sentence; softer
problems end up in ``graph.warnings``. Links are extracted column-wise (one pass per field);
per-node work is a plain loop because graphs have at most ~12k nodes.
"""
from __future__ import annotations

import gzip
import io
import json
import math
import os
from collections.abc import Mapping
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agp_dash.errors import InputError
from agp_dash.graphs.encoding import (EMBEDDING, ERROR, FEATURE, LEGACY_OFFSET, LOGIT, OTHER, cantor_decode,
                                      int_or_none, kind_of, legacy_decode, split_node_id)
from agp_dash.graphs.links import describe_collision, resolve_links
from agp_dash.graphs.model import NODE_COLUMNS, AttributionGraph
from agp_dash.graphs.sources import resolve_source_set

#: Default cap on graph size (spec §1.3: configurable, default 200 MB).
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
_NUMBER = (int, float)


def load_graph(source: str | os.PathLike | bytes | Mapping, *, max_bytes: int | None = None,
               source_set: str | None = None) -> AttributionGraph:
    """Load and validate one attribution graph.

    ``source`` is a file path (``str`` or ``Path``; ``.json`` or gzip-compressed), the raw
    bytes of a file, JSON text (a ``str`` starting with ``{``), or an already parsed dict
    (e.g. what a generation backend returned). ``max_bytes`` caps the (decompressed) size;
    None means :data:`DEFAULT_MAX_BYTES`. ``source_set`` overrides the Neuronpedia source set
    found in the metadata (use the one the graph was generated with, when known).

    Raises :class:`InputError` with one clear sentence when the input is not a usable graph.
    """
    limit = DEFAULT_MAX_BYTES if max_bytes is None else int(max_bytes)
    if isinstance(source, Mapping):
        return graph_from_json(source, source_set=source_set)
    data = read_input_bytes(source, limit)
    size = len(data)
    text = decode_json_bytes(data)
    del data  # peak memory is reached while parsing: keep only one copy of the file alive
    return graph_from_json(parse_json_text(text), source_set=source_set, size_bytes=size)


# ---------------------------------------------------------------------------- bytes
def read_input_bytes(source: Any, limit: int) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, str) and source.lstrip()[:1] in ("{", "["):
        data = source.encode("utf-8")
    elif isinstance(source, (str, os.PathLike)):
        data = _read_file(Path(source), limit)
    else:
        raise InputError(f"Cannot load a graph from a {type(source).__name__}; "
                         "give a file path, bytes, JSON text or a dict.")
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, limit)
    if len(data) > limit:
        raise InputError(f"The graph is {_mb(len(data))}, larger than the limit of {_mb(limit)}.")
    if not data or data.isspace():  # isspace() makes no copy of a large file
        raise InputError("The graph file is empty.")
    return data


def _read_file(path: Path, limit: int) -> bytes:
    if not path.exists():
        raise InputError(f"Graph file not found: {path}.")
    if not path.is_file():
        raise InputError(f"Not a file: {path}.")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"The graph file is empty: {path}.")
    if size > limit:
        raise InputError(f"The graph file {path.name} is {_mb(size)}, larger than the limit of {_mb(limit)}.")
    try:
        return path.read_bytes()
    except OSError as err:
        raise InputError(f"Cannot read the graph file {path}: {err.strerror or err}.") from None


def _gunzip(data: bytes, limit: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            out = handle.read(limit + 1)
    except (OSError, EOFError) as err:
        raise InputError(f"The graph file looks gzip-compressed but cannot be decompressed: {err}.") from None
    if len(out) > limit:
        raise InputError(f"The decompressed graph is larger than the limit of {_mb(limit)}.")
    return out


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def decode_json_bytes(data: bytes) -> str:
    """Bytes -> text as ``json.loads`` would decode them (UTF-8 with or without BOM, UTF-16/32)."""
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    try:
        return data.decode(json.detect_encoding(data), "surrogatepass")
    except UnicodeDecodeError:
        raise InputError("The graph file is not UTF-8 text, so it cannot be a graph JSON.") from None


def parse_json_text(text: str):
    """``json.loads`` with one-sentence errors."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"The graph file is not valid JSON: {err.msg} at line {err.lineno}, "
                         f"column {err.colno}.") from None
    except RecursionError:
        raise InputError("The graph file is nested too deeply to be a graph JSON.") from None


def parse_json_bytes(data: bytes):
    """``json.loads`` on bytes with one-sentence errors (not JSON, not UTF-8)."""
    return parse_json_text(decode_json_bytes(data))


# ----------------------------------------------------------------------- structure
def graph_from_json(obj: Any, *, source_set: str | None = None,
                    size_bytes: int | None = None) -> AttributionGraph:
    """Build an :class:`AttributionGraph` from a parsed graph JSON object (not modified)."""
    if not isinstance(obj, Mapping):
        raise InputError("The file is JSON but not an attribution graph: expected an object with "
                         f"'metadata', 'nodes' and 'links', found {_type_name(obj)}.")
    for key, kind in (("metadata", dict), ("nodes", list), ("links", list)):
        if key not in obj:
            raise InputError(f"The graph has no '{key}' key, so it is not an attribution graph JSON.")
        if not isinstance(obj[key], kind):
            raise InputError(f"The graph's '{key}' must be {'an object' if kind is dict else 'a list'}, "
                             f"found {_type_name(obj[key])}.")
    warn = _Warnings()
    metadata = dict(obj["metadata"])
    _check_metadata(metadata, warn)
    qparams = obj.get("qParams")
    if qparams is None:
        warn.add("qparams", "the graph has no 'qParams' object (Neuronpedia's schema requires one)")
        qparams = {}
    elif not isinstance(qparams, dict):
        raise InputError(f"The graph's 'qParams' must be an object, found {_type_name(qparams)}.")
    if not obj["nodes"]:
        raise InputError("The graph has no nodes.")

    nodes, influence_absent = _build_nodes(obj["nodes"], metadata, warn)
    kinds = nodes["kind"].to_numpy()
    layers = nodes["layer"].to_numpy()
    src_ids, tgt_ids, weights = _extract_links(obj["links"])
    resolved = resolve_links(src_ids, tgt_ids, nodes["node_id"].to_numpy(dtype=object), kinds, layers,
                             nodes["feature_type"].to_numpy(dtype=object))
    for nid, positions in resolved.collisions.items():
        warn.add("collision", f"the node_id {describe_collision(nid, positions, kinds, layers)} is shared by "
                              f"{len(positions)} nodes; links were attributed by the spec's rules", example=False)
    n_amb = int(resolved.ambiguous.sum())
    if n_amb:
        warn.add("ambiguous", f"{n_amb} link(s) from a colliding node_id could not be attributed for certain "
                              "and were given to the candidate Neuronpedia sorts last (the error node)", example=False)
    _check_links(resolved.source, resolved.target, kinds, len(nodes), warn)
    _check_logits(nodes, metadata, warn)

    extras = {k: v for k, v in obj.items() if k not in ("metadata", "qParams", "nodes", "links")}
    return AttributionGraph(
        metadata=metadata, qparams=dict(qparams), nodes=nodes,
        link_source=resolved.source, link_target=resolved.target, link_weight=weights,
        link_ambiguous=resolved.ambiguous, warnings=warn.messages(),
        source_set=resolve_source_set(metadata, override=source_set),
        extras=extras, size_bytes=size_bytes, influence_key_absent=influence_absent)


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a decimal number", type(None): "null"}.get(type(value), type(value).__name__)


def _check_metadata(metadata: dict, warn: "_Warnings") -> None:
    for key in ("slug", "scan", "prompt"):
        if key not in metadata:
            warn.add("metadata", f"metadata has no '{key}'")
        elif not isinstance(metadata[key], str):
            raise InputError(f"The graph's metadata.{key} must be a string, found {_type_name(metadata[key])}.")
    tokens = metadata.get("prompt_tokens")
    if tokens is None:
        warn.add("metadata", "metadata has no 'prompt_tokens', so node tokens are unknown")
    elif not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise InputError("The graph's metadata.prompt_tokens must be a list of strings.")


# ----------------------------------------------------------------------------- nodes
def _build_nodes(raw_nodes: list, metadata: dict, warn: "_Warnings") -> tuple[pd.DataFrame, np.ndarray]:
    tokens = metadata.get("prompt_tokens") or []
    schema_v1 = metadata.get("schema_version") == 1
    legacy_gemma = not schema_v1 and "schema_version" not in metadata and metadata.get("scan") == "gemma-2-2b"
    cols: dict[str, list] = {c: [] for c in NODE_COLUMNS}
    influence_absent = []
    for i, node in enumerate(raw_nodes):
        if not isinstance(node, dict):
            raise InputError(f"Node {i} must be an object, found {_type_name(node)}.")
        node_id = node.get("node_id", node.get("nodeId"))
        if node_id is None:
            raise InputError(f"Node {i} has no 'node_id'.")
        if not isinstance(node_id, str):
            raise InputError(f"Node {i} has a node_id of type {_type_name(node_id)}; expected a string.")
        feature_type = _required(node, i, "feature_type", str, node_id)
        layer_raw = _required(node, i, "layer", (str, int), node_id)
        ctx = _required(node, i, "ctx_idx", int, node_id)
        feature = node.get("feature")
        if feature is not None and (not isinstance(feature, int) or isinstance(feature, bool)):
            raise InputError(f"Node {i} ({node_id}) has 'feature' of type {_type_name(feature)}; "
                             "expected an integer or null.")
        kind = kind_of(feature_type)
        if kind == OTHER and str(layer_raw) == "E":
            kind = EMBEDDING
        layer = -1 if kind == EMBEDDING or str(layer_raw).strip() == "E" else int_or_none(str(layer_raw))
        if layer is None:
            raise InputError(f"Node {i} ({node_id}) has layer {layer_raw!r}; expected an integer or 'E'.")
        parts = split_node_id(node_id)
        nums = [int_or_none(p) for p in parts] if parts else None
        feature_index, token_id = -1, -1
        if kind == FEATURE:
            layer, feature_index = _feature_identity(node_id, nums, layer, feature, ctx, schema_v1,
                                                     legacy_gemma, warn)
        elif kind == ERROR:
            if not (nums and nums[0] == 0 and nums[1] == layer and nums[2] == ctx):
                warn.add("id_format_err", "error nodes whose node_id is not '0_{layer}_{ctx}'", node_id)
        elif kind == EMBEDDING:
            token_id = nums[1] if nums and parts[0] == "E" and nums[1] is not None else -1
            if token_id < 0:
                warn.add("id_format_emb", "embedding nodes whose node_id is not 'E_{token}_{ctx}'", node_id)
        elif kind == LOGIT:
            token_id = nums[1] if nums and nums[1] is not None else (feature if feature is not None else -1)

        activation = _optional_number(node, i, "activation", node_id)
        influence = _optional_number(node, i, "influence", node_id)
        token_prob = _optional_number(node, i, "token_prob", node_id)
        clerp = node.get("clerp", "")
        js_id = node.get("jsNodeId", "")
        is_target = node.get("is_target_logit", node.get("isTargetLogit", False))

        cols["key"].append(_base_key(kind, feature_type, layer, feature_index, token_id, ctx, node_id))
        cols["node_id"].append(node_id)
        cols["kind"].append(kind)
        cols["feature_type"].append(feature_type)
        cols["layer"].append(layer)
        cols["feature_index"].append(feature_index)
        cols["ctx_idx"].append(ctx)
        cols["token"].append(tokens[ctx] if 0 <= ctx < len(tokens) else "")
        cols["token_id"].append(token_id)
        cols["feature"].append(feature)
        cols["activation"].append(activation)
        cols["influence"].append(influence)
        cols["label"].append(clerp if isinstance(clerp, str) else ("" if clerp is None else str(clerp)))
        cols["is_target_logit"].append(bool(is_target))
        cols["token_prob"].append(0.0 if token_prob is None else token_prob)
        cols["js_node_id"].append(js_id if isinstance(js_id, str) else str(js_id))
        influence_absent.append("influence" not in node)
        if "clerp" not in node or "jsNodeId" not in node:
            warn.add("node_fields", "nodes without 'clerp' or 'jsNodeId' (Neuronpedia's schema requires both)", node_id)

    _dedupe_keys(cols["key"], warn)
    frame = pd.DataFrame({
        "key": pd.Series(cols["key"], dtype=object),
        "node_id": pd.Series(cols["node_id"], dtype=object),
        "kind": pd.Series(cols["kind"], dtype=object),
        "feature_type": pd.Series(cols["feature_type"], dtype=object),
        "layer": np.asarray(cols["layer"], dtype=np.int64),
        "feature_index": np.asarray(cols["feature_index"], dtype=np.int64),
        "ctx_idx": np.asarray(cols["ctx_idx"], dtype=np.int64),
        "token": pd.Series(cols["token"], dtype=object),
        "token_id": np.asarray(cols["token_id"], dtype=np.int64),
        "feature": pd.array(cols["feature"], dtype="Int64"),
        "activation": np.asarray([np.nan if v is None else v for v in cols["activation"]], dtype=np.float64),
        "influence": np.asarray([np.nan if v is None else v for v in cols["influence"]], dtype=np.float64),
        "label": pd.Series(cols["label"], dtype=object),
        "is_target_logit": np.asarray(cols["is_target_logit"], dtype=bool),
        "token_prob": np.asarray(cols["token_prob"], dtype=np.float64),
        "js_node_id": pd.Series(cols["js_node_id"], dtype=object),
    })
    return frame, np.asarray(influence_absent, dtype=bool)


def _required(node: dict, i: int, field: str, types, node_id) -> Any:
    if field not in node:
        where = f" ({node_id})" if isinstance(node_id, str) else ""
        raise InputError(f"Node {i}{where} has no '{field}'.")
    value = node[field]
    if not isinstance(value, types) or isinstance(value, bool):
        expected = {str: "a string", int: "an integer"}.get(types, "a string or an integer")
        raise InputError(f"Node {i} ({node_id}) has '{field}' of type {_type_name(value)}; expected {expected}.")
    return value


def _optional_number(node: dict, i: int, field: str, node_id: str) -> float | None:
    value = node.get(field)
    if value is None:
        return None
    if not isinstance(value, _NUMBER) or isinstance(value, bool):
        raise InputError(f"Node {i} ({node_id}) has '{field}' of type {_type_name(value)}; expected a number or null.")
    if not math.isfinite(value):
        raise InputError(f"Node {i} ({node_id}) has a non-finite {field} ({value}); the file is corrupt.")
    return float(value)


def _feature_identity(node_id, nums, layer, feature, ctx, schema_v1, legacy_gemma, warn) -> tuple[int, int]:
    """(layer, feature index) of a feature node: node_id first, ``feature`` as a cross-check."""
    decoded = None
    if feature is not None and feature >= 0:
        if schema_v1:
            decoded = cantor_decode(feature)
        elif legacy_gemma:
            decoded = legacy_decode(feature, LEGACY_OFFSET)
    if nums and None not in nums:
        id_layer, index, id_ctx = nums
        if id_layer != layer:
            warn.add("layer_mismatch", "feature nodes whose 'layer' differs from their node_id (node_id trusted)", node_id)
        if id_ctx != ctx:
            warn.add("ctx_mismatch", "feature nodes whose 'ctx_idx' differs from their node_id", node_id)
        if decoded is not None and decoded != (id_layer, index):
            warn.add("decode", "feature nodes whose 'feature' code does not decode to their node_id "
                               "(node_id trusted)", node_id)
        return id_layer, index
    warn.add("id_format_feat", "feature nodes whose node_id is not '{layer}_{index}_{ctx}'", node_id)
    if decoded is not None:
        return decoded
    return layer, feature if feature is not None else -1


def _base_key(kind, feature_type, layer, index, token_id, ctx, node_id) -> str:
    if kind == FEATURE:
        return f"{'lorsa' if feature_type == 'lorsa' else 'feat'}:{layer}:{index}:{ctx}"
    if kind == ERROR:
        return f"{'lerr' if feature_type == 'lorsa error' else 'err'}:{layer}:{ctx}"
    if kind == EMBEDDING:
        return f"emb:{ctx}"
    if kind == LOGIT:
        return f"logit:{token_id}:{ctx}"
    return f"other:{feature_type.replace(' ', '-')}:{node_id}"


def _dedupe_keys(keys: list[str], warn: "_Warnings") -> None:
    """Make keys unique by suffixing repeats with ``#2``, ``#3`` … (duplicate node records)."""
    if len(set(keys)) == len(keys):
        return
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        count = seen.get(key, 0) + 1
        seen[key] = count
        if count > 1:
            keys[i] = f"{key}#{count}"
            warn.add("dup_node", "duplicate node records (same kind, layer, index and position)", key)


# ----------------------------------------------------------------------------- links
def _extract_links(links: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sources, targets) as object arrays of node_id strings, weights as float64.

    ``map(itemgetter)`` runs the per-link work in C; types are checked column-wise.
    """
    try:
        sources = list(map(itemgetter("source"), links))
        targets = list(map(itemgetter("target"), links))
        weights = list(map(itemgetter("weight"), links))
    except (KeyError, TypeError):
        _diagnose_links(links)
        raise  # pragma: no cover - _diagnose_links always raises
    for name, column in (("source", sources), ("target", targets)):
        if set(map(type, column)) - {str}:
            i = next(j for j, v in enumerate(column) if type(v) is not str)
            raise InputError(f"Link {i} has '{name}' of type {_type_name(column[i])}; expected a node_id string.")
    if set(map(type, weights)) - {float, int}:
        i = next(j for j, v in enumerate(weights) if type(v) not in (float, int))
        raise InputError(f"Link {i} ({sources[i]} -> {targets[i]}) has weight {weights[i]!r} of type "
                         f"{_type_name(weights[i])}; expected a number.")
    try:
        w = np.fromiter(weights, dtype=np.float64, count=len(weights))
    except OverflowError:  # an integer too large for float64
        raise InputError("A link weight is an integer too large to be a float.") from None
    bad = np.flatnonzero(~np.isfinite(w))
    if bad.size:
        i = int(bad[0])
        more = f" ({bad.size} links are affected)" if bad.size > 1 else ""
        raise InputError(f"Link {i} ({sources[i]} -> {targets[i]}) has a non-finite weight ({w[i]}){more}; "
                         "the file is corrupt.")
    return _object_array(sources), _object_array(targets), w


def _object_array(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)  # filled by slice: no per-item Python loop
    out[:] = values
    return out


def _diagnose_links(links: list) -> None:
    for i, link in enumerate(links):
        if not isinstance(link, dict):
            raise InputError(f"Link {i} must be an object with source, target and weight, found {_type_name(link)}.")
        for field in ("source", "target", "weight"):
            if field not in link:
                raise InputError(f"Link {i} has no '{field}'.")
    raise InputError("The graph's links are malformed.")


def _check_links(src: np.ndarray, tgt: np.ndarray, kinds: np.ndarray, n: int, warn: "_Warnings") -> None:
    if not src.size:
        return
    pure_source = np.isin(kinds, [ERROR, EMBEDDING])  # per node, then gathered per link
    into_sources = int(pure_source[tgt].sum())
    if into_sources:
        warn.add("direction", f"{into_sources} link(s) go into embedding or error nodes", example=False)
    from_logits = int((kinds == LOGIT)[src].sum())
    if from_logits:
        warn.add("direction", f"{from_logits} link(s) leave logit nodes", example=False)
    loops = int((src == tgt).sum())
    if loops:
        warn.add("self_loop", f"{loops} self-loop link(s); influence cannot be computed on a cycle", example=False)
    pair = tgt.astype(np.int64) * n + src
    steps = np.diff(pair)
    if (steps <= 0).any():  # files are normally sorted by (target, source): then no sort is needed
        steps = np.diff(np.sort(pair))
    n_dup = int((steps == 0).sum())
    if n_dup:
        warn.add("dup_link", f"{n_dup} duplicate link(s) to the same node pair; their weights are summed",
                 example=False)


def _check_logits(nodes: pd.DataFrame, metadata: dict, warn: "_Warnings") -> None:
    is_logit = nodes["kind"].to_numpy() == LOGIT
    if not is_logit.any():
        warn.add("logits", "the graph has no logit nodes, so influence on the output is zero", example=False)
        return
    n_target = int(nodes["is_target_logit"].to_numpy()[is_logit].sum())
    if n_target != 1:
        warn.add("logits", f"{n_target} logit nodes are marked is_target_logit (expected exactly one)", example=False)
    ctxs = np.unique(nodes["ctx_idx"].to_numpy()[is_logit])
    tokens = metadata.get("prompt_tokens") or []
    if ctxs.size != 1 or (tokens and int(ctxs[0]) != len(tokens) - 1):
        warn.add("logits", "logit nodes are not all at the last prompt position", example=False)


class _Warnings:
    """Collects warnings by category; one message per category with a count and an example."""

    def __init__(self) -> None:
        self._items: dict[str, list] = {}

    def add(self, category: str, message: str, example: Any = None) -> None:
        key = category if example is not False else f"{category}:{message}"
        entry = self._items.setdefault(key, [message, 0, example if example is not False else None])
        entry[1] += 1

    def messages(self) -> list[str]:
        out = []
        for message, count, example in self._items.values():
            text = message[0].upper() + message[1:]
            out.append(f"{text}." if example is None else f"{text} ({count}, e.g. {example}).")
        return out
