"""Neuronpedia links: parse a pasted graph URL, build UI links (spec §1.1.4)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from agp_dash.errors import InputError

UI_BASE = "https://www.neuronpedia.org"
_API_GRAPH = re.compile(r"^/api/graph/(?P<model>[^/]+)/(?P<slug>[^/]+)/?$")
_UI_GRAPH = re.compile(r"^/(?P<model>[^/]+)/graph/?$")


@dataclass(frozen=True)
class GraphRef:
    """Where a graph lives: a (model id, slug) pair on Neuronpedia, or a direct JSON URL."""
    model_id: str | None = None
    slug: str | None = None
    source_set: str | None = None
    subgraph_id: str | None = None
    json_url: str | None = None


def parse_graph_url(url: str) -> GraphRef:
    """Understand the URL forms a user may paste.

    * UI page: ``https://www.neuronpedia.org/{modelId}/graph?slug=…[&sourceSet=…][&subgraph=…]``
      (any host, so self-hosted servers and the test server work too);
    * API metadata: ``…/api/graph/{modelId}/{slug}``;
    * the graph file itself: any ``http(s)`` URL whose path ends in ``.json`` (e.g. the S3 object).
    """
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"{text!r} is not a web address; paste a Neuronpedia graph link "
                         "such as https://www.neuronpedia.org/gemma-2-2b/graph?slug=…")
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if v and v[0]}
    path = parts.path
    if path.lower().endswith(".json"):
        return GraphRef(json_url=text)
    match = _API_GRAPH.match(path)
    if match:
        return GraphRef(model_id=unquote(match["model"]), slug=unquote(match["slug"]))
    match = _UI_GRAPH.match(path)
    if match:
        if "slug" not in query:
            raise InputError(f"The link {text!r} has no slug=… parameter, so it does not name a graph.")
        return GraphRef(model_id=unquote(match["model"]), slug=query["slug"], source_set=query.get("sourceSet"),
                        subgraph_id=query.get("subgraph"))
    raise InputError(f"{text!r} is not a Neuronpedia graph link; expected …/{{model}}/graph?slug=…, "
                     "…/api/graph/{model}/{slug} or a link to the graph's .json file.")


def graph_ui_url(model_id: str, slug: str, *, source_set: str | None = None, subgraph_id: str | None = None,
                 base: str = UI_BASE) -> str:
    """The Neuronpedia page of a graph (and of one of its subgraphs)."""
    params = {}
    if source_set:
        params["sourceSet"] = source_set
    params["slug"] = slug
    if subgraph_id:
        params["subgraph"] = subgraph_id
    return f"{base}/{quote(model_id)}/graph?{urlencode(params)}"


def feature_ui_url(model_id: str, layer: int, source_set: str, index: int, *, base: str = UI_BASE) -> str:
    return f"{base}/{quote(model_id)}/{int(layer)}-{quote(source_set)}/{int(index)}"
