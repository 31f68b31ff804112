"""The in-memory attribution graph: one row per JSON node, links as a sparse matrix.

Nodes are identified by ``key`` (unique, e.g. ``feat:20:44686:6``, ``err:2:1``, ``emb:1``,
``logit:22605:10``) or by their row position; ``node_id`` is kept for export but is not unique
(spec §2.7(1): error ``0_{layer}_{ctx}`` can equal a layer-0 feature id).
"""
from __future__ import annotations

from functools import cached_property
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
from scipy import sparse

from agp_dash.errors import InputError
from agp_dash.graphs.encoding import EMBEDDING, ERROR, FEATURE, FEATURE_TYPES_WITH_DETAILS, LOGIT, OTHER

NEURONPEDIA_BASE = "https://www.neuronpedia.org"
#: ``metadata.info.generator.name`` of graphs written by the local engine.
LOCAL_ENGINE_GENERATOR = "agp local engine"

#: Columns of :attr:`AttributionGraph.nodes`, in order.
NODE_COLUMNS = (
    "key",             # unique internal key (str)
    "node_id",         # JSON node_id (str, may repeat across kinds)
    "kind",            # feature | error | embedding | logit | other
    "feature_type",    # JSON feature_type as written
    "layer",           # int; embeddings -1; logits n_layers + 1
    "feature_index",   # int feature index inside its source; -1 for non-features
    "ctx_idx",         # int token position (0 = <bos>)
    "token",           # prompt_tokens[ctx_idx] ("" if out of range)
    "token_id",        # vocab id for embeddings and logits; -1 otherwise
    "feature",         # raw JSON ``feature`` (Int64, <NA> when null)
    "activation",      # float, NaN when null/absent
    "influence",       # stored cumulative influence (float, NaN when null/absent)
    "label",           # clerp ("" when absent)
    "is_target_logit", # bool
    "token_prob",      # float, 0.0 for non-logits
    "js_node_id",      # jsNodeId ("" when absent)
)


class AttributionGraph:
    """A loaded attribution graph. Build it with :func:`agp_dash.graphs.load_graph`.

    Attributes
    ----------
    metadata, qparams : dict
        The JSON ``metadata`` and ``qParams`` objects, as read.
    nodes : pandas.DataFrame
        One row per JSON node in file order, columns :data:`NODE_COLUMNS`.
    adjacency : scipy.sparse.csr_matrix
        float64, shape (N, N), rows = targets, columns = sources; ``A[t, s]`` = link weight
        (duplicate links to the same resolved pair are summed).
    link_source, link_target, link_weight : numpy arrays
        The links in file order, endpoints as node row positions.
    link_ambiguous : numpy bool array
        Links from a colliding node_id that could not be attributed for certain (§2.7(1)).
    warnings : list[str]
        Non-fatal problems found on load (collisions, decode mismatches, …).
    source_set : str | None
        Neuronpedia source set (§1.1.2), e.g. ``"clt-hp"``.
    """

    def __init__(self, *, metadata: dict, qparams: dict, nodes: pd.DataFrame,
                 link_source: np.ndarray, link_target: np.ndarray, link_weight: np.ndarray,
                 link_ambiguous: np.ndarray, warnings: list[str], source_set: str | None,
                 extras: dict | None = None, size_bytes: int | None = None,
                 influence_key_absent: np.ndarray | None = None) -> None:
        self.metadata = metadata
        self.qparams = qparams
        self.nodes = nodes
        self.link_source = link_source
        self.link_target = link_target
        self.link_weight = link_weight
        self.link_ambiguous = link_ambiguous
        self.warnings = warnings
        self.source_set = source_set
        self.extras = extras or {}
        self.size_bytes = size_bytes
        n = len(nodes)
        # seed-v2 reads a *missing* influence key as 0.0 but a null as missing (§3.2 step 3).
        self._influence_key_absent = (influence_key_absent if influence_key_absent is not None
                                      else np.zeros(n, dtype=bool))
        self.adjacency = sparse.csr_matrix(
            (link_weight, (link_target, link_source)), shape=(n, n), dtype=np.float64)
        self.adjacency.sum_duplicates()

    # ----------------------------------------------------------------- metadata
    @property
    def model_id(self) -> str:
        return str(self.metadata.get("scan") or "")

    @property
    def slug(self) -> str:
        return str(self.metadata.get("slug") or "")

    @property
    def prompt(self) -> str:
        return str(self.metadata.get("prompt") or "")

    @property
    def prompt_tokens(self) -> list[str]:
        return list(self.metadata.get("prompt_tokens") or [])

    @property
    def schema_version(self) -> int | None:
        value = self.metadata.get("schema_version")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def node_threshold(self) -> float | None:
        for value in (self.metadata.get("node_threshold"),
                      (self.metadata.get("pruning_settings") or {}).get("node_threshold"),
                      self.metadata.get("nodeThreshold")):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
        return None

    @cached_property
    def n_layers(self) -> int:
        """Transformer layers: logit layer − 1, else highest feature/error layer + 1."""
        kind = self.nodes["kind"].to_numpy()
        layer = self.nodes["layer"].to_numpy()
        logit_layers = layer[kind == LOGIT]
        if logit_layers.size:
            return int(logit_layers.max()) - 1
        inner = layer[(kind == FEATURE) | (kind == ERROR)]
        return int(inner.max()) + 1 if inner.size else 0

    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_links(self) -> int:
        return int(self.link_weight.size)

    @property
    def has_ambiguous_links(self) -> bool:
        return bool(self.link_ambiguous.any())

    # -------------------------------------------------------------------- nodes
    @cached_property
    def _key_to_index(self) -> dict[str, int]:
        return {key: i for i, key in enumerate(self.nodes["key"].tolist())}

    def index_of(self, key: str) -> int:
        """Row position of a node key (raises InputError for an unknown key)."""
        try:
            return self._key_to_index[key]
        except KeyError:
            raise InputError(f"The graph has no node with key {key!r}.") from None

    def node(self, key: str) -> pd.Series:
        return self.nodes.iloc[self.index_of(key)]

    def kind_counts(self) -> dict[str, int]:
        """Nodes per kind; ``other`` appears only when such nodes exist."""
        counts = self.nodes["kind"].value_counts()
        out = {kind: int(counts.get(kind, 0)) for kind in (FEATURE, ERROR, EMBEDDING, LOGIT)}
        if counts.get(OTHER, 0):
            out[OTHER] = int(counts[OTHER])
        return out

    @cached_property
    def target_logit_key(self) -> str | None:
        hits = self.nodes.loc[self.nodes["is_target_logit"].to_numpy(), "key"]
        return str(hits.iloc[0]) if len(hits) else None

    def logit_weights(self) -> np.ndarray:
        """w: token_prob on logit nodes, 0 elsewhere (not renormalised, §3.1)."""
        w = np.where(self.nodes["kind"].to_numpy() == LOGIT,
                     self.nodes["token_prob"].to_numpy(dtype=np.float64), 0.0)
        return np.nan_to_num(w, nan=0.0)

    @cached_property
    def adjacency_csc(self) -> sparse.csc_matrix:
        """Column-major copy of :attr:`adjacency`, for outgoing-edge look-ups."""
        return self.adjacency.tocsc()

    def links_frame(self) -> pd.DataFrame:
        """Links in file order with both endpoints' keys and node_ids."""
        keys = self.nodes["key"].to_numpy()
        ids = self.nodes["node_id"].to_numpy()
        return pd.DataFrame({
            "source_key": keys[self.link_source], "target_key": keys[self.link_target],
            "source": ids[self.link_source], "target": ids[self.link_target],
            "weight": self.link_weight, "ambiguous": self.link_ambiguous,
        })

    # --------------------------------------------------------------- influence
    @cached_property
    def influence(self):
        """Influence on the logits recomputed on this (pruned) graph; see :mod:`.influence`."""
        from agp_dash.graphs.influence import compute_influence
        return compute_influence(self.adjacency, self.logit_weights())

    @cached_property
    def scores(self):
        """Replacement and completeness scores of this graph (§3.11)."""
        from agp_dash.graphs.influence import graph_scores
        return graph_scores(self)

    def manifest_summary(self) -> dict:
        """What a workspace manifest records about a graph (and the Home tab shows)."""
        return {"prompt": self.prompt.removeprefix("<bos>").strip(), "model_id": self.model_id,
                "slug": self.slug, "source_set": self.source_set, "n_nodes": self.n_nodes, "n_links": self.n_links}

    # -------------------------------------------------------------------- links
    @property
    def from_local_engine(self) -> bool:
        """Made by agp's bundled model, which Neuronpedia does not know (so no links there)."""
        generator = (self.metadata.get("info") or {}).get("generator") or {}
        return isinstance(generator, dict) and generator.get("name") == LOCAL_ENGINE_GENERATOR

    def neuronpedia_graph_url(self) -> str | None:
        """Neuronpedia graph page (§1.1.4), or None without model id or slug, or for local graphs."""
        if not self.model_id or not self.slug or self.from_local_engine:
            return None
        url = f"{NEURONPEDIA_BASE}/{quote(self.model_id)}/graph?"
        if self.source_set:
            url += f"sourceSet={quote(self.source_set)}&"
        return url + f"slug={quote(self.slug)}"

    def neuronpedia_feature_url(self, node: Any) -> str | None:
        """Feature dashboard URL for a node (key, row position or nodes row), else None.

        Only transcoder / lorsa features have dashboards, and only when the graph's model id
        and source set are known.
        """
        row = self._row(node)
        if row["kind"] != FEATURE or row["feature_type"] not in FEATURE_TYPES_WITH_DETAILS or self.from_local_engine:
            return None
        source_set = self.source_set
        if row["feature_type"] == "lorsa":
            source_set = (self.metadata.get("feature_details") or {}).get(
                "neuronpedia_lorsa_source_set") or source_set
        if not self.model_id or not source_set or int(row["feature_index"]) < 0:
            return None
        return (f"{NEURONPEDIA_BASE}/{quote(self.model_id)}/"
                f"{int(row['layer'])}-{quote(str(source_set))}/{int(row['feature_index'])}")

    def _row(self, node: Any) -> pd.Series:
        if isinstance(node, pd.Series):
            return node
        if isinstance(node, (int, np.integer)):
            return self.nodes.iloc[int(node)]
        return self.node(str(node))

    def __repr__(self) -> str:
        return (f"AttributionGraph(slug={self.slug!r}, model={self.model_id!r}, "
                f"nodes={self.n_nodes}, links={self.n_links})")


def node_kind_mask(graph: AttributionGraph, *kinds: str) -> np.ndarray:
    return np.isin(graph.nodes["kind"].to_numpy(), list(kinds))


__all__ = ["AttributionGraph", "NODE_COLUMNS", "node_kind_mask", "EMBEDDING", "ERROR", "FEATURE", "LOGIT"]
