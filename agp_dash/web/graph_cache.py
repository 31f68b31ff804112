"""Per-process cache of loaded graphs, keyed by workspace artefact and file identity.

The browser holds only an artefact id; each callback asks here for the parsed graph. A
changed file (new mtime or size) is re-read. This is a cache, not state: every process (web
worker, job process) fills its own, and a miss only costs a re-parse.
"""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from agp_dash.graphs.loader import load_graph
from agp_dash.graphs.model import AttributionGraph
from agp_dash.web.services import services

MAX_GRAPHS = 4
_cache: OrderedDict[tuple, AttributionGraph] = OrderedDict()
_lock = Lock()


def graph_for(artefact_id: str) -> AttributionGraph:
    artefact = services().workspace.resolve(artefact_id)
    stat = artefact.path.stat()
    key = (str(artefact.path), stat.st_mtime_ns, stat.st_size)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    graph = load_graph(artefact.path)
    with _lock:
        _cache[key] = graph
        while len(_cache) > MAX_GRAPHS:
            _cache.popitem(last=False)
    return graph
