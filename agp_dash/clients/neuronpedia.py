"""Neuronpedia API client (spec §1): graphs, activations, feature details, subgraphs.

Server-side only: the API key comes from settings (or the caller) and is sent as ``x-api-key``
to the API base URL and nowhere else. Every failure is a :class:`NeuronpediaError` with a
sentence for the user. Long runs (probing, labels) live in :mod:`.np_activations` and
:mod:`.np_labels`; this class is one method per endpoint plus the generate/fetch flows.
"""
from __future__ import annotations

import json
import logging
import math
import random
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import quote

import requests

from agp_dash.clients.np_activations import (ActivationRecord, SourceRecord, parse_activation_items,
                                             parse_source_results)
from agp_dash.clients.np_cache import ResponseCache
from agp_dash.clients.np_errors import (AuthError, CancelledError, ForbiddenError, GraphInvalidError,
                                        InvalidResponseError, NeuronpediaConnectionError, NeuronpediaError,
                                        NeuronpediaTimeoutError, NotFoundError, RequestRejectedError, SlugTakenError,
                                        SubgraphRejectedError)
from agp_dash.clients.np_limits import (DEFAULT_SOURCE_SET, FEATURES_BATCH, GENERATION_MODELS, TEXTS_PER_CALL,
                                        token_cap)
from agp_dash.clients.np_subgraphs import validate_subgraph_payload
from agp_dash.clients.np_transport import Backoff, CallPolicy, Transport
from agp_dash.clients.np_urls import GraphRef, graph_ui_url, parse_graph_url
from agp_dash.errors import AgpError, InputError
from agp_dash.graphs.backends import GenerationLimits, GenerationSettings, PredictedLogit, TokenPreview
from agp_dash.graphs.schema import schema_errors
from agp_dash.graphs.slugs import make_slug
from agp_dash.settings import DEFAULT_NEURONPEDIA_BASE_URL, Secret, Settings

log = logging.getLogger("agp_dash.clients.neuronpedia")

Progress = Callable[[float, str], None]
DEFAULT_MAX_GRAPH_BYTES = 200 * 1024 * 1024
_CHUNK = 1 << 20


@dataclass(frozen=True)
class TokenizeResult:
    """``/graph/tokenize``: the prompt's tokens (with <bos>) and its predicted logit targets."""
    prompt: str
    tokens: list[str]
    logits: list[PredictedLogit]
    cumulative_probability: float | None
    max_tokens: int

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    @property
    def too_long(self) -> bool:
        return self.n_tokens > self.max_tokens

    def preview(self) -> TokenPreview:
        return TokenPreview(tokens=list(self.tokens), logits=list(self.logits))


@dataclass
class GraphDownload:
    """A graph JSON obtained from Neuronpedia, with where it came from."""
    graph: dict
    model_id: str
    slug: str
    source_set: str | None
    json_url: str
    ui_url: str | None
    num_nodes: int
    num_links: int
    recovered: bool = False            # generate timed out, the graph was found afterwards
    metadata_row: dict = field(default_factory=dict)


class NeuronpediaClient:
    """One client per job or request; not shared between threads (``requests.Session`` isn't)."""

    def __init__(self, base_url: str = DEFAULT_NEURONPEDIA_BASE_URL, api_key: str | Secret | None = None, *,
                 session: requests.Session | None = None, cache: ResponseCache | str | Path | None = None,
                 policies: dict[str, CallPolicy] | None = None, backoff: Backoff | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None, max_graph_bytes: int = DEFAULT_MAX_GRAPH_BYTES,
                 recovery_poll_s: float = 15.0, recovery_window_s: float = 300.0):
        key = api_key.get() if isinstance(api_key, Secret) else (api_key or "")
        self.transport = Transport(base_url, key.strip(), session=session, policies=policies, backoff=backoff,
                                   sleep=sleep, clock=clock, rng=rng)
        self.cache = ResponseCache(cache) if isinstance(cache, (str, Path)) else cache
        self.max_graph_bytes = max_graph_bytes
        self.recovery_poll_s = recovery_poll_s
        self.recovery_window_s = recovery_window_s

    @classmethod
    def from_settings(cls, settings: Settings, *, api_key: str | Secret | None = None,
                      cache: ResponseCache | str | Path | None | bool = True, **kwargs) -> "NeuronpediaClient":
        """Base URL and key from settings; cache in ``<AGP_HOME>/cache/neuronpedia`` unless ``cache=False``."""
        if cache is True:
            cache = Path(settings.home).expanduser() / "cache" / "neuronpedia"
        return cls(settings.neuronpedia_base_url, api_key if api_key is not None else settings.neuronpedia_api_key,
                   cache=cache or None, **kwargs)

    def __repr__(self) -> str:
        return (f"NeuronpediaClient(base_url={self.base_url!r}, "
                f"api_key={'set' if self.transport.has_key else 'not set'})")

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    @property
    def limit_remaining(self) -> dict[str, int]:
        """Last ``x-limit-remaining`` per rate bucket (e.g. ``{"/api/graph/generate": 29}``)."""
        return dict(self.transport.rates.remaining)

    def clear_cache(self) -> int:
        """Forget every cached activation and feature; returns the number of entries removed."""
        return self.cache.clear() if self.cache is not None else 0

    def _json(self, response: requests.Response, endpoint: str, expect: type | tuple = (dict, list)) -> Any:
        try:
            data = json.loads(response.content) if response.content else None
        except ValueError:
            data = None
            reason = "it is not valid JSON"
        else:
            reason = "it is empty" if data is None else f"expected {_type_words(expect)}, got {_type_words(type(data))}"
        if data is None or not isinstance(data, expect):
            raise InvalidResponseError(f"Neuronpedia sent an invalid response for {endpoint} ({reason}); "
                                       "try again later.", status=response.status_code, endpoint=endpoint)
        return data

    def _post(self, family: str, path: str, body: Any, *, auth: bool = True, expect: type | tuple = dict) -> Any:
        response = self.transport.call(family, "POST", path, body=body, auth=auth)
        return self._json(response, "/api" + path, expect)

    def _get(self, family: str, path: str, *, expect: type | tuple = dict) -> Any:
        response = self.transport.call(family, "GET", path)
        return self._json(response, "/api" + path, expect)

    # ----------------------------------------------------------------------- auth
    def check_api_key(self) -> bool:
        """True if the key is accepted (an authed read; spec §1.0.2), False if rejected or absent."""
        if not self.transport.has_key:
            return False
        try:
            self._post("subgraph", "/graph/subgraph/list", {"modelId": "gemma-2-2b", "slug": "agp-key-check"})
        except AuthError:
            return False
        return True

    def _require_key(self, what: str) -> None:
        if not self.transport.has_key:
            raise AuthError(f"{what} needs a Neuronpedia API key: set NEURONPEDIA_API_KEY "
                            "(it is under Settings on neuronpedia.org).")

    # ------------------------------------------------------------------- tokenize
    def tokenize(self, prompt: str, *, model_id: str = "gemma-2-2b", source_set: str | None = DEFAULT_SOURCE_SET,
                 max_n_logits: int = 10, desired_logit_prob: float = 0.95) -> TokenizeResult:
        """Pre-flight (300/hour): token count incl. <bos> and the predicted logit targets."""
        body = {"modelId": model_id, "sourceSetName": source_set, "prompt": prompt,
                "maxNLogits": max_n_logits, "desiredLogitProb": desired_logit_prob}
        data = self._post("tokenize", "/graph/tokenize", body, auth=False)
        tokens = data.get("input_tokens")
        logits = data.get("salient_logits", [])
        if not _str_list(tokens) or not isinstance(logits, list):
            raise InvalidResponseError("Neuronpedia sent an invalid response for /api/graph/tokenize "
                                       "(no input_tokens list); try again later.", endpoint="/api/graph/tokenize")
        predicted = []
        for item in logits:
            if isinstance(item, dict) and isinstance(item.get("token"), str):
                predicted.append(PredictedLogit(token=item["token"], token_id=int(item.get("token_id", -1)),
                                                probability=float(item.get("probability", 0.0))))
        cumulative = data.get("cumulative_probability")
        return TokenizeResult(prompt=str(data.get("prompt", prompt)), tokens=list(tokens), logits=predicted,
                              cumulative_probability=float(cumulative) if _number(cumulative) else None,
                              max_tokens=token_cap(model_id))

    # ------------------------------------------------------------------- generate
    def generate(self, prompt: str, settings: GenerationSettings | None = None, *, preflight: bool = True,
                 limits: GenerationLimits | None = None, progress: Progress | None = None) -> GraphDownload:
        """Generate a graph on Neuronpedia (30/hour), wait for it, download and validate it.

        Every parameter is checked against ``limits`` first (InputError naming the field and
        range). A timeout or dropped connection is not resubmitted: the graph is looked up by
        its slug until it appears (spec §1.2.6).
        """
        report = progress or (lambda fraction, message: None)
        settings, body = self._generate_body(prompt, settings or GenerationSettings(), limits or GenerationLimits())
        if preflight:
            report(0.02, "Counting tokens…")
            self._preflight(prompt, settings)
        report(0.05, f"Generating the graph on Neuronpedia (usually 25–60 s; slug {settings.slug})…")
        try:
            reply = self._post("generate", "/graph/generate", body)
        except (NeuronpediaTimeoutError, NeuronpediaConnectionError) as err:
            log.warning("generate %s: %s; looking the graph up by slug", settings.slug, err)
            return self._recover(prompt, settings, report, cause=err)
        except RequestRejectedError as err:
            if "Slug/ID Exists" not in err.server_message:
                raise
            # ours if an earlier attempt created it (same prompt); the row exists, so look once
            return self._recover(prompt, settings, report, cause=err, polls=1)
        url = reply.get("s3url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InvalidResponseError("Neuronpedia's generate answer has no graph URL (s3url); the graph may "
                                       f"still appear under slug {settings.slug}.", endpoint="/api/graph/generate")
        report(0.8, "Downloading the graph…")
        graph = self.download_graph(url, progress=_sub_progress(report, 0.8, 0.98))
        _record_source_set(graph, settings.source_set)
        result = GraphDownload(graph=graph, model_id=settings.model_id, slug=settings.slug,
                               source_set=settings.source_set, json_url=url,
                               ui_url=graph_ui_url(settings.model_id, settings.slug, source_set=settings.source_set),
                               num_nodes=len(graph["nodes"]), num_links=len(graph["links"]))
        if reply.get("numNodes") not in (None, result.num_nodes):
            log.warning("generate %s: server said %s nodes, file has %s", settings.slug, reply.get("numNodes"),
                        result.num_nodes)
        report(1.0, f"Graph ready: {result.num_nodes} nodes, {result.num_links} links.")
        return result

    def _generate_body(self, prompt: str, settings: GenerationSettings,
                       limits: GenerationLimits) -> tuple[GenerationSettings, dict]:
        if not isinstance(prompt, str) or not prompt.strip():
            raise InputError("The prompt is empty.")
        if len(prompt) > limits.max_prompt_chars:
            raise InputError(f"The prompt has {len(prompt)} characters; the limit is {limits.max_prompt_chars}.")
        if settings.model_id not in GENERATION_MODELS:
            raise InputError(f"model_id must be one of {', '.join(GENERATION_MODELS)} for Neuronpedia graph "
                             f"generation (got {settings.model_id!r}).")
        if not settings.source_set:
            settings = replace(settings, source_set=DEFAULT_SOURCE_SET)  # always explicit (spec §1.1.1)
        if not settings.slug:
            settings = settings.with_slug(make_slug(prompt, now=datetime.fromtimestamp(self.transport.clock())))
        settings.validate(limits)
        body = {"modelId": settings.model_id, "sourceSetName": settings.source_set, "prompt": prompt,
                "slug": settings.slug, "maxNLogits": settings.max_n_logits,
                "desiredLogitProb": settings.desired_logit_prob, "nodeThreshold": settings.node_threshold,
                "edgeThreshold": settings.edge_threshold, "maxFeatureNodes": settings.max_feature_nodes}
        return settings, body

    def _preflight(self, prompt: str, settings: GenerationSettings) -> None:
        try:
            result = self.tokenize(prompt, model_id=settings.model_id, source_set=settings.source_set,
                                   max_n_logits=settings.max_n_logits,
                                   desired_logit_prob=settings.desired_logit_prob)
        except RequestRejectedError:
            raise
        except NeuronpediaError as err:  # like the webapp: no count, the server checks again
            log.warning("tokenize pre-flight failed (%s); generating without the local length check", err)
            return
        if result.too_long:
            raise InputError(f"The prompt is {result.n_tokens} tokens long (with <bos>); Neuronpedia accepts at "
                             f"most {result.max_tokens} for {settings.model_id}. Shorten it.")

    def _recover(self, prompt: str, settings: GenerationSettings, report: Progress,
                 cause: NeuronpediaError, polls: int | None = None) -> GraphDownload:
        """Poll ``GET /graph/{model}/{slug}`` until the graph appears (spec §1.2.6)."""
        polls = polls or max(1, math.ceil(self.recovery_window_s / self.recovery_poll_s))
        wanted = _strip_bos(prompt)
        for attempt in range(polls):
            report(0.5, f"Checking whether Neuronpedia has graph {settings.slug} ({attempt + 1}/{polls})…")
            try:
                row = self.graph_metadata(settings.model_id, settings.slug)
            except NotFoundError:
                row = None
            except (NeuronpediaTimeoutError, NeuronpediaConnectionError):
                row = None
            if row is not None:
                if _strip_bos(str(row.get("prompt", ""))) != wanted:
                    raise SlugTakenError(f"The slug {settings.slug!r} is already used on Neuronpedia by a graph "
                                         "with another prompt; choose another slug.", endpoint="/api/graph/generate")
                result = self._download_row(row, report)
                result.recovered = True
                return result
            if attempt + 1 < polls:
                self.transport.sleep(self.recovery_poll_s)
        if isinstance(cause, RequestRejectedError):
            raise SlugTakenError(f"The slug {settings.slug!r} is taken on Neuronpedia but its graph cannot be "
                                 "read; choose another slug.", endpoint="/api/graph/generate")
        minutes = self.recovery_window_s / 60
        raise NeuronpediaTimeoutError(
            f"Neuronpedia did not produce graph {settings.slug!r} within {minutes:g} minute(s) after the request "
            f"failed ({cause}); it may still appear: open it later by model id and slug, or generate again.",
            endpoint="/api/graph/generate")

    # -------------------------------------------------------------- open a graph
    def graph_metadata(self, model_id: str, slug: str) -> dict:
        """The graph's metadata row (spec §1.3): prompt, sourceSetName, url of the JSON, owner."""
        try:
            row = self._get("graph_metadata", f"/graph/{quote(model_id, safe='')}/{quote(slug, safe='')}")
        except NotFoundError as err:
            raise NotFoundError(f"Neuronpedia has no graph {slug!r} for model {model_id!r}.", status=404,
                                endpoint=err.endpoint, server_message=err.server_message) from None
        if not isinstance(row.get("url"), str):
            raise InvalidResponseError(f"Neuronpedia's record of graph {slug!r} has no file URL.",
                                       endpoint="/api/graph/{modelId}/{slug}")
        return row

    def fetch_graph(self, url: str | None = None, *, model_id: str | None = None, slug: str | None = None,
                    progress: Progress | None = None) -> GraphDownload:
        """Open an existing graph by a pasted URL, or by model id + slug."""
        report = progress or (lambda fraction, message: None)
        ref = parse_graph_url(url) if url else GraphRef(model_id=model_id, slug=slug)
        if ref.json_url:
            graph = self.download_graph(ref.json_url, progress=_sub_progress(report, 0.0, 0.98))
            meta = graph["metadata"]
            return GraphDownload(graph=graph, model_id=str(meta.get("scan", "")), slug=str(meta.get("slug", "")),
                                 source_set=None, json_url=ref.json_url, ui_url=None,
                                 num_nodes=len(graph["nodes"]), num_links=len(graph["links"]))
        if not ref.model_id or not ref.slug:
            raise InputError("Give a Neuronpedia graph URL, or both a model id and a slug.")
        report(0.02, f"Looking up graph {ref.slug}…")
        row = self.graph_metadata(ref.model_id, ref.slug)
        if ref.source_set and not row.get("sourceSetName"):
            row = {**row, "sourceSetName": ref.source_set}
        return self._download_row(row, report)

    def _download_row(self, row: dict, report: Progress) -> GraphDownload:
        report(0.8, "Downloading the graph…")
        graph = self.download_graph(row["url"], progress=_sub_progress(report, 0.8, 0.98))
        source_set = row.get("sourceSetName") if isinstance(row.get("sourceSetName"), str) else None
        _record_source_set(graph, source_set)
        model_id, slug = str(row.get("modelId", "")), str(row.get("slug", ""))
        report(1.0, "Graph downloaded.")
        return GraphDownload(graph=graph, model_id=model_id, slug=slug, source_set=source_set,
                             json_url=row["url"], ui_url=graph_ui_url(model_id, slug, source_set=source_set),
                             num_nodes=len(graph["nodes"]), num_links=len(graph["links"]), metadata_row=row)

    def download_graph(self, url: str, *, progress: Progress | None = None) -> dict:
        """GET a graph JSON (no API key sent), streamed with a size cap, then schema-checked."""
        report = progress or (lambda fraction, message: None)
        short = url.split("?", 1)[0]
        size = self._content_length(url)
        if size and size > self.max_graph_bytes:
            raise GraphInvalidError(f"The graph file is {size / 1e6:.0f} MB, more than the limit of "
                                    f"{self.max_graph_bytes / 1e6:.0f} MB.", endpoint=short)
        retries = self.transport.policies["download"].retries_transport
        for attempt in range(retries + 1):
            try:
                data = self._stream(url, size, report)
                break
            except (NotFoundError, ForbiddenError) as err:
                raise NotFoundError(f"The graph file could not be downloaded ({err.status}); the link may have "
                                    "expired or the graph was deleted.", status=err.status, endpoint=short) from None
            except requests.RequestException as err:  # dropped in the middle of the body
                if attempt == retries:
                    raise NeuronpediaConnectionError(f"The graph download was interrupted ({type(err).__name__});"
                                                     " try again.", endpoint=short) from None
                log.warning("graph download from %s interrupted (%s); retrying", short, type(err).__name__)
        return parse_graph_bytes(bytes(data), short)

    def _stream(self, url: str, size: int | None, report: Progress) -> bytearray:
        response = self.transport.get_external(url)
        data = bytearray()
        with response:
            for chunk in response.iter_content(_CHUNK):  # transparently gunzipped
                data += chunk
                if len(data) > self.max_graph_bytes:
                    raise GraphInvalidError(f"The graph file is larger than the limit of "
                                            f"{self.max_graph_bytes / 1e6:.0f} MB.", endpoint=url.split("?", 1)[0])
                if size:
                    report(min(1.0, len(data) / size), f"Downloading the graph: {len(data) / 1e6:.1f} MB")
        return data

    def _content_length(self, url: str) -> int | None:
        """HEAD first, like Neuronpedia's UI, to know the size; a failed HEAD is not an error."""
        try:
            head = self.transport.get_external(url, method="HEAD", stream=False)
            return int(head.headers["Content-Length"])
        except (NeuronpediaError, KeyError, ValueError):
            return None

    # ---------------------------------------------------------------- activations
    def activation(self, model_id: str, source: str, index: int, texts: str | Sequence[str], *,
                   ignore_bos: bool = False) -> list[ActivationRecord]:
        """``/activation/new`` for one feature on 1–4 texts (one call; 1000/hour)."""
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        if not 1 <= len(items) <= TEXTS_PER_CALL or not all(isinstance(t, str) and t for t in items):
            raise InputError(f"Send 1 to {TEXTS_PER_CALL} non-empty texts per activation call (got {len(items)}).")
        body = {"feature": {"modelId": model_id, "source": source, "index": str(int(index))},
                "customText": items[0] if single else items, "ignoreBos": bool(ignore_bos)}
        data = self._post("activation", "/activation/new", body, expect=(dict, list))
        return parse_activation_items(data, len(items), endpoint="/api/activation/new")

    def activation_source(self, model_id: str, source: str, texts: Sequence[str]) -> list[SourceRecord]:
        """``/activation/source``: every active feature of one source on 1–4 texts (one call)."""
        items = list(texts)
        if not 1 <= len(items) <= TEXTS_PER_CALL or not all(isinstance(t, str) and t for t in items):
            raise InputError(f"Send 1 to {TEXTS_PER_CALL} non-empty texts per activation call (got {len(items)}).")
        data = self._post("activation", "/activation/source",
                          {"modelId": model_id, "source": source, "customText": items})
        return parse_source_results(data, len(items), endpoint="/api/activation/source")

    # -------------------------------------------------------------------- features
    def feature(self, model_id: str, source: str, index: int) -> dict:
        """One feature's details (``GET /feature/{model}/{source}/{index}``)."""
        try:
            data = self._get("features", f"/feature/{quote(model_id, safe='')}/{quote(source, safe='')}/{int(index)}")
        except NotFoundError as err:
            raise NotFoundError(f"Neuronpedia has no feature {source}/{index} for {model_id} (or no access).",
                                status=404, endpoint=err.endpoint, server_message=err.server_message) from None
        if "index" not in data or "layer" not in data:
            raise InvalidResponseError(f"Neuronpedia's answer for feature {source}/{index} is not a feature "
                                       "(no layer/index).", endpoint="/api/feature")
        return data

    def features(self, model_id: str, items: Iterable[tuple[str, int]], *,
                 cancel: Callable[[], bool] | None = None) -> dict[tuple[str, int], dict]:
        """Batch details (``POST /features``) keyed by (source, index); missing features are absent.

        Sends batches of at most :data:`FEATURES_BATCH`, sequentially, with ``maxActsToReturn: 1``
        on the first element (otherwise every stored example comes back).
        """
        wanted = list(dict.fromkeys((str(s), int(i)) for s, i in items))
        found: dict[tuple[str, int], dict] = {}
        for start in range(0, len(wanted), FEATURES_BATCH):
            if cancel and cancel():
                raise _cancelled("Loading feature details", start, len(wanted))
            batch = wanted[start:start + FEATURES_BATCH]
            body = [{"modelId": model_id, "layer": s, "index": i} for s, i in batch]
            body[0]["maxActsToReturn"] = 1
            data = self._post("features", "/features", body, expect=list)
            asked = set(batch)
            for neuron in data:  # order is unreliable upstream: match by (layer, index)
                if isinstance(neuron, dict):
                    key = (str(neuron.get("layer", "")), _int_or_none(neuron.get("index")))
                    if key in asked:
                        found[key] = neuron
        return found

    # ------------------------------------------------------------------ subgraphs
    def save_subgraph(self, payload: dict) -> str:
        """Save (or overwrite, with ``overwriteId``) a subgraph; returns its id (spec §1.9.1)."""
        self._require_key("Saving a subgraph")
        body = validate_subgraph_payload(payload)
        try:
            data = self._post("subgraph", "/graph/subgraph/save", body)
        except ForbiddenError as err:
            raise ForbiddenError(f"You cannot overwrite subgraph {body.get('overwriteId')!r}: it does not exist or "
                                 "belongs to another Neuronpedia user.", status=403, endpoint=err.endpoint) from None
        except NeuronpediaError as err:
            if err.status != 500 or "Failed to save subgraph" not in err.server_message:
                raise
            raise SubgraphRejectedError(
                "Neuronpedia rejected the subgraph (500: Failed to save subgraph); check that graph "
                f"{body['slug']!r} exists on Neuronpedia for {body['modelId']} and that the payload is complete.",
                status=500, endpoint=err.endpoint, server_message=err.server_message) from None
        if data.get("success") is not True or not isinstance(data.get("subgraphId"), str):
            raise InvalidResponseError("Neuronpedia did not confirm the subgraph save (no subgraphId).",
                                       endpoint="/api/graph/subgraph/save")
        return data["subgraphId"]

    def list_subgraphs(self, model_id: str, slug: str) -> list[dict]:
        """Your subgraphs of a graph, newest first (empty when the graph does not exist)."""
        self._require_key("Listing subgraphs")
        data = self._post("subgraph", "/graph/subgraph/list", {"modelId": model_id, "slug": slug})
        subgraphs = data.get("subgraphs")
        if not isinstance(subgraphs, list):
            raise InvalidResponseError("Neuronpedia's subgraph list has no 'subgraphs' list.",
                                       endpoint="/api/graph/subgraph/list")
        return subgraphs

    def delete_subgraph(self, subgraph_id: str) -> None:
        self._require_key("Deleting a subgraph")
        try:
            self._post("subgraph", "/graph/subgraph/delete", {"subgraphId": str(subgraph_id)})
        except NotFoundError:
            raise NotFoundError(f"Neuronpedia has no subgraph {subgraph_id!r}.", status=404,
                                endpoint="/api/graph/subgraph/delete") from None
        except ForbiddenError:
            raise ForbiddenError(f"Subgraph {subgraph_id!r} belongs to another Neuronpedia user.", status=403,
                                 endpoint="/api/graph/subgraph/delete") from None


# ------------------------------------------------------------------------- helpers
def parse_graph_bytes(data: bytes, where: str = "the graph file") -> dict:
    """JSON bytes -> graph dict, or GraphInvalidError naming the first schema problems."""
    try:
        obj = json.loads(data) if data.strip() else None
    except ValueError as err:
        raise GraphInvalidError(f"The downloaded graph is not valid JSON ({err}).", endpoint=where) from None
    errors = schema_errors(obj, max_errors=3) if obj is not None else ["the file is empty"]
    if errors:
        raise GraphInvalidError("The downloaded graph is not a valid attribution graph: " + "; ".join(errors) + ".",
                                endpoint=where)
    return obj


def _record_source_set(graph: dict, source_set: str | None) -> None:
    """Keep the source set with the graph (§1.1.2 rule 1) where UI downloads keep it."""
    if source_set:
        info = graph["metadata"].setdefault("info", {})
        if isinstance(info, dict):
            info.setdefault("neuronpedia_source_set", source_set)


def _sub_progress(report: Progress, start: float, end: float) -> Progress:
    return lambda fraction, message: report(start + (end - start) * fraction, message)


def _strip_bos(prompt: str) -> str:
    return prompt[len("<bos>"):] if prompt.startswith("<bos>") else prompt


def _cancelled(what: str, done: int, total: int) -> AgpError:
    return CancelledError(f"{what} was cancelled after {done} of {total}; what was fetched is cached.")


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _type_words(kind: type | tuple) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number",
             bool: "a boolean", type(None): "null"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)
