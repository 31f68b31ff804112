"""Writing feature labels (clerps) into a graph JSON, as Neuronpedia's UI downloads carry them."""
from __future__ import annotations

import copy

from agp_dash.errors import InputError
from agp_dash.graphs.model import AttributionGraph


def with_labels(graph_json: dict, graph: AttributionGraph, labels: dict[str, str]) -> tuple[dict, int]:
    """A copy of ``graph_json`` whose nodes carry ``clerp`` labels, and how many were set.

    ``labels`` maps node keys (``graph.nodes["key"]``) to labels; ``graph`` must have been
    loaded from ``graph_json``, so JSON node ``i`` is row ``i`` of ``graph.nodes``.
    Existing labels are replaced only by a non-empty new one.
    """
    nodes = graph_json.get("nodes")
    if not isinstance(nodes, list) or len(nodes) != graph.n_nodes:
        raise InputError("The labels belong to a different graph (node counts differ).")
    keys = graph.nodes["key"].tolist()
    updated = copy.copy(graph_json)
    updated["nodes"] = list(nodes)
    n_set = 0
    for i, key in enumerate(keys):
        label = labels.get(key)
        if label:
            updated["nodes"][i] = {**nodes[i], "clerp": label}
            n_set += 1
    return updated, n_set
