"""Attribution graphs: load, validate, measure, select. Pure library — no Dash imports.

Public API (stable; the UI and the CLI call exactly this)
--------------------------------------------------------
Loading
    ``load_graph(source, *, max_bytes=None, source_set=None) -> AttributionGraph``
        ``source``: path (``str``/``Path``, plain or gzip), ``bytes``, JSON text, or a parsed
        dict. Raises :class:`~agp_dash.errors.InputError` (one sentence) for anything that is
        not a usable graph: not JSON, empty, too large (default cap 200 MB), missing key, wrong
        type, link to an unknown node, non-finite number.
    ``graph_from_json(obj, *, source_set=None) -> AttributionGraph``
    ``validate_against_schema(obj, schema=None) -> list[str]`` (Neuronpedia schema errors)

``AttributionGraph``
    ``.metadata`` / ``.qparams`` (dicts), ``.nodes`` (DataFrame, file order, columns
    :data:`NODE_COLUMNS`: key, node_id, kind, feature_type, layer, feature_index, ctx_idx,
    token, token_id, feature, activation, influence, label, is_target_logit, token_prob,
    js_node_id), ``.adjacency`` (CSR float64, rows = targets, columns = sources),
    ``.link_source/.link_target/.link_weight/.link_ambiguous`` (arrays in file order),
    ``.prompt_tokens``, ``.prompt``, ``.model_id``, ``.slug``, ``.source_set``, ``.n_layers``,
    ``.node_threshold``, ``.warnings``, ``.influence`` (:class:`InfluenceResult`, recomputed on
    the stored graph), ``.scores`` (:class:`GraphScores`), ``.index_of(key)``, ``.node(key)``,
    ``.kind_counts()``, ``.links_frame()``, ``.neuronpedia_feature_url(key|row)``,
    ``.neuronpedia_graph_url()``.

Metrics
    ``compute_metrics(graph, mode="agp-default"|"seed-v2") -> DataFrame`` (:data:`SEED_COLUMNS`,
    plus :data:`AGP_COLUMNS` in agp-default), ``write_metrics_csv(df, path)``,
    ``metrics_csv_text(df)``.

Selection
    ``select_nodes(graph, *, max_cumulative=None, basis="stored", include_errors=False,
    kinds=None, layers=None, positions=None, top_n=None) -> Selection``;
    ``select_seed_v2(graph, threshold=None, *, drop_errors=False) -> Selection``;
    ``Selection``: ``.mask``, ``.keys``, ``.hidden_by`` / ``.hidden_alone`` (filter -> count),
    ``.filter_summary()``, ``.counts_by_kind()``, ``.table()``, ``.features``, ``.node_ids``,
    ``.to_selected_features()``, ``.write_json(path)``, ``.write_csv(path)``, ``.csv_text()``;
    ``read_selected_features(source) -> SelectedFeatures``; ``selection_from_file(graph, sf)``.

Node details
    ``node_details(graph, key, top_k=10) -> dict``

Graph math (sparse, shared with the local engine)
    ``compute_influence``, ``normalize_matrix``, ``cumulative_scores``, ``find_threshold``,
    ``prune_graph``, ``scores_from_matrix``, ``neuronpedia_subgraph_scores(graph, pinned_ids)``.

Synthetic graphs (tests, demos, benchmarks)
    ``synthetic_graph(**sizes) -> dict``, ``write_synthetic_graph(path, **sizes)`` (~100 MB default).

Generation backends
    ``GenerationSettings``, ``GenerationLimits``, ``TokenPreview``, ``PredictedLogit``,
    ``GraphBackend``, ``register_backend``, ``get_backend``, ``available_backends``,
    ``make_slug``, ``validate_slug``.
"""
from __future__ import annotations

from agp_dash.graphs.backends import (GenerationLimits, GenerationSettings, GraphBackend, PredictedLogit,
                                      ProgressCallback, SEED_V2_LIMITS, TokenPreview, available_backends,
                                      get_backend, register_backend, unregister_backend)
from agp_dash.graphs.details import node_details
from agp_dash.graphs.encoding import (EMBEDDING, ERROR, FEATURE, KINDS, LOGIT, OTHER, cantor_decode,
                                      cantor_encode, legacy_decode)
from agp_dash.graphs.influence import (GraphScores, InfluenceResult, PruneResult, compute_influence,
                                       cumulative_scores, find_threshold, graph_scores, neuronpedia_subgraph_scores,
                                       normalize_matrix, prune_graph, scores_from_matrix)
from agp_dash.graphs.loader import DEFAULT_MAX_BYTES, graph_from_json, load_graph
from agp_dash.graphs.metrics import (AGP_COLUMNS, AGP_DEFAULT, SEED_COLUMNS, SEED_V2, compute_metrics,
                                     metrics_csv_text, write_metrics_csv)
from agp_dash.graphs.model import NODE_COLUMNS, AttributionGraph
from agp_dash.graphs.schema import find_schema_file, schema_errors, validate_against_schema
from agp_dash.graphs.selected_features import SelectedFeatures, read_selected_features
from agp_dash.graphs.selection import (FILTER_ORDER, SELECTION_COLUMNS, Selection, select_nodes,
                                       select_seed_v2, selection_from_file)
from agp_dash.graphs.slugs import make_slug, validate_slug
from agp_dash.graphs.sources import resolve_source_set
from agp_dash.graphs.synthetic import synthetic_graph, write_synthetic_graph

__all__ = [
    "AGP_COLUMNS", "AGP_DEFAULT", "AttributionGraph", "DEFAULT_MAX_BYTES", "EMBEDDING", "ERROR", "FEATURE",
    "FILTER_ORDER", "GenerationLimits", "GenerationSettings", "GraphBackend", "GraphScores", "InfluenceResult",
    "KINDS", "LOGIT", "NODE_COLUMNS", "OTHER", "PredictedLogit", "ProgressCallback", "PruneResult",
    "SEED_COLUMNS", "SEED_V2", "SEED_V2_LIMITS", "SELECTION_COLUMNS", "SelectedFeatures", "Selection",
    "TokenPreview", "available_backends", "cantor_decode", "cantor_encode", "compute_influence",
    "compute_metrics", "cumulative_scores", "find_schema_file", "find_threshold", "get_backend",
    "graph_from_json", "graph_scores", "legacy_decode", "load_graph", "make_slug", "metrics_csv_text",
    "neuronpedia_subgraph_scores", "node_details", "normalize_matrix", "prune_graph",
    "read_selected_features", "register_backend", "resolve_source_set", "schema_errors",
    "scores_from_matrix", "select_nodes", "select_seed_v2", "selection_from_file", "unregister_backend",
    "synthetic_graph", "validate_against_schema", "validate_slug", "write_metrics_csv", "write_synthetic_graph",
]
