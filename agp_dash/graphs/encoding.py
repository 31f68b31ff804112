"""Node-id and ``feature`` encodings of attribution-graph JSON (spec §1.1.3, §2.4).

* schema_version 1 packs ``(layer, index)`` with the Cantor pairing function;
* legacy (no schema_version) gemma-2-2b graphs use ``layer * 100000 + index``;
* ``node_id`` is ``"{layer}_{index}_{ctx}"`` for features, ``"0_{layer}_{ctx}"`` for errors,
  ``"E_{tokenId}_{ctx}"`` for embeddings, ``"{n_layers+1}_{vocabId}_{ctx}"`` for logits.

``node_id`` is the primary source of truth; ``feature`` is only a cross-check.
"""
from __future__ import annotations

import math

# Node kinds used everywhere in agp (the JSON ``feature_type`` is kept separately).
FEATURE = "feature"
ERROR = "error"
EMBEDDING = "embedding"
LOGIT = "logit"
OTHER = "other"  # bias / unknown nodes of CRM graphs: loaded, never a feature
KINDS = (FEATURE, ERROR, EMBEDDING, LOGIT, OTHER)

# feature_type strings that carry a Neuronpedia feature (nodeTypeHasFeatureDetail upstream).
FEATURE_TYPES_WITH_DETAILS = frozenset({"cross layer transcoder", "lorsa"})

LEGACY_OFFSET = 100_000  # gemma-2-2b legacy writer: d_transcoder 2**15 -> 10**5


def cantor_encode(layer: int, index: int) -> int:
    s = layer + index
    return s * (s + 1) // 2 + index


def cantor_decode(z: int) -> tuple[int, int]:
    """Inverse of :func:`cantor_encode`; exact for any size thanks to ``math.isqrt``."""
    if z < 0:
        raise ValueError(f"Cantor code must be non-negative, got {z}")
    w = (math.isqrt(8 * z + 1) - 1) // 2
    t = w * (w + 1) // 2
    index = z - t
    return w - index, index


def legacy_decode(feature: int, offset: int = LEGACY_OFFSET) -> tuple[int, int]:
    return feature // offset, feature % offset


def kind_of(feature_type: str) -> str:
    """Map a JSON ``feature_type`` to an agp node kind."""
    ft = feature_type.strip().lower()
    if ft == "embedding":
        return EMBEDDING
    if ft == "logit":
        return LOGIT
    if "error" in ft:  # "mlp reconstruction error", "lorsa error"
        return ERROR
    if "transcoder" in ft or ft == "lorsa":
        return FEATURE
    return OTHER


def split_node_id(node_id: str) -> tuple[str, str, str] | None:
    """``"20_44686_6"`` -> ``("20", "44686", "6")``; None unless exactly three parts."""
    parts = node_id.split("_")
    if len(parts) != 3:
        return None
    return parts[0], parts[1], parts[2]


def int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None
