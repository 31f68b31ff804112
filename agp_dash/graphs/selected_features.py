"""Reading Selected Features files (seed spec §2.3), current and legacy forms.

* current: ``{"features": [{"layer", "index"}…], "node_ids": […], "metadata": {…}}``;
* legacy list: ``[{"layer": 0, "index": 230}, …]``;
* legacy activation-run input: ``[{"source": "0-clt-hp", "index": 230}, …]``.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agp_dash.errors import InputError
from agp_dash.graphs.encoding import FEATURE
from agp_dash.graphs.loader import DEFAULT_MAX_BYTES, read_input_bytes, parse_json_bytes
from agp_dash.graphs.model import AttributionGraph


@dataclass
class SelectedFeatures:
    features: list[tuple[int, int]]           # unique (layer, index), sorted
    node_ids: list[str]                       # as in the file (may be empty for legacy forms)
    metadata: dict = field(default_factory=dict)
    form: str = "current"                     # current | legacy-list | legacy-source
    source_set: str | None = None             # from "L-<set>" sources, when present

    @property
    def graph_slug(self) -> str | None:
        slug = self.metadata.get("graph_slug")
        return slug if isinstance(slug, str) else None

    def node_mask(self, graph: AttributionGraph) -> np.ndarray:
        """Feature nodes of ``graph`` named by this file (node_ids, else every position of the features)."""
        nodes = graph.nodes
        is_feature = nodes["kind"].to_numpy() == FEATURE
        if self.node_ids:
            return is_feature & np.isin(nodes["node_id"].to_numpy(dtype=object), self.node_ids)
        wanted = {f"{layer}:{index}" for layer, index in self.features}
        pairs = nodes["layer"].astype(str) + ":" + nodes["feature_index"].astype(str)
        return is_feature & pairs.isin(wanted).to_numpy()


def read_selected_features(source: str | os.PathLike | bytes | Mapping | list) -> SelectedFeatures:
    """Parse a Selected Features file (path, bytes, JSON text or parsed object)."""
    obj = source if isinstance(source, (Mapping, list)) else parse_json_bytes(read_input_bytes(source, DEFAULT_MAX_BYTES))
    if isinstance(obj, Mapping):
        if "features" not in obj:
            raise InputError("The selected-features file has no 'features' list.")
        items, form = obj["features"], "current"
        node_ids = obj.get("node_ids") or []
        metadata = obj.get("metadata") or {}
        if not isinstance(node_ids, list) or not all(isinstance(x, str) for x in node_ids):
            raise InputError("The selected-features file's 'node_ids' must be a list of strings.")
        if not isinstance(metadata, dict):
            raise InputError("The selected-features file's 'metadata' must be an object.")
    elif isinstance(obj, list):
        items, node_ids, metadata = obj, [], {}
        form = "legacy-source" if obj and isinstance(obj[0], dict) and "source" in obj[0] else "legacy-list"
    else:
        raise InputError("A selected-features file must be a JSON object or list.")
    if not isinstance(items, list):
        raise InputError("The selected-features file's 'features' must be a list.")
    features, source_sets = set(), set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InputError(f"Selected feature {i} must be an object with 'layer' and 'index'.")
        if "layer" in item:
            layer = _as_int(item["layer"], i, "layer")
        elif "source" in item and isinstance(item["source"], str):
            head, _, tail = item["source"].partition("-")
            layer = _as_int(head, i, "source layer")
            if tail:
                source_sets.add(tail)
        else:
            raise InputError(f"Selected feature {i} has neither 'layer' nor 'source'.")
        if "index" not in item:
            raise InputError(f"Selected feature {i} has no 'index'.")
        features.add((layer, _as_int(item["index"], i, "index")))
    return SelectedFeatures(sorted(features), list(node_ids), dict(metadata), form,
                            source_sets.pop() if len(source_sets) == 1 else None)


def _as_int(value: Any, i: int, name: str) -> int:
    if isinstance(value, bool):
        raise InputError(f"Selected feature {i} has a non-integer {name} ({value!r}).")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise InputError(f"Selected feature {i} has a non-integer {name} ({value!r}).")
