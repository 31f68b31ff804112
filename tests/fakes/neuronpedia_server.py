"""A fake Neuronpedia for tests: a threaded ``http.server`` on 127.0.0.1 (spec §4).

It implements the endpoints agp uses with the real request validation, response shapes, error
bodies, auth rules and rate limits of spec §1, serves the "S3" graph files itself, and lets a
test script faults (spec §4.3)::

    fake = FakeNeuronpedia().start()
    fake.add_faults("/api/graph/generate", "503_gpus", "ok")   # FIFO, one per request
    fake.set_remaining("/api/graph/generate", 0)              # next generate -> 429
    fake.config.error_style = "legacy"                       # non-JSON 500s
    fake.calls("/api/activation/new")                        # how many requests were made
    fake.stop()

Standalone, e.g. for a browser test: ``python -m tests.fakes.neuronpedia_server --port 8765``,
then ``NEURONPEDIA_BASE_URL=http://127.0.0.1:8765/api NEURONPEDIA_API_KEY=np-test-key``. The same
controls are HTTP endpoints under ``/__fake__/`` (reset, faults, remaining, subgraphs, requests).
"""
from __future__ import annotations

import argparse
import copy
import gzip
import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes import np_data
from tests.fakes.np_data import (GENERATION_MODELS, GENERIC_ERROR, MODELS, NOT_AVAILABLE, TOKEN_CAPS, RealFixtures,
                                 activation_values)
from tests.fakes.np_ratelimit import RateLimiter
from tests.fakes.np_tokenizer import BOS, tokenize

HOST = "127.0.0.1"
API_KEY = "np-test-key-7f3a9c"          # user "tester"
OTHER_API_KEY = "np-other-key-51d2e8"   # user "other" (for 403 paths)
AUTH_ERROR = ("This endpoint requires authorization. Specify your API key in the header x-api-key. "
              "Your API key is under Settings on neuronpedia.org.")
SYNTHETIC_PROMPT = "The opposite of small is"
SYNTHETIC_SLUG = "synthetic-opposite"
FAULTS = frozenset({
    "ok", "429", "503_gpus", "503_runpod", "500_busy", "500_generic", "500_html", "502_html", "504_html",
    "timeout", "hang_no_create", "reset", "malformed_json", "empty_200", "wrong_shape", "invalid_graph",
    "invalid_graph_500", "s3_403", "s3_404", "s3_slow", "big_graph", "collision_graph"})
_INVALID = object()  # a body that is not JSON
_RESET = object()    # close the connection without answering


@dataclass
class FakeConfig:
    api_keys: dict[str, tuple[str, str]] = field(default_factory=lambda: {
        API_KEY: ("user-tester", "tester"), OTHER_API_KEY: ("user-other", "other")})
    higher_tier_keys: set[str] = field(default_factory=set)
    error_style: str = "head"                 # "head": JSON 500s; "legacy": text/plain 500s (F-06)
    wrap_source_data: bool = False            # /activation/source as {"data": …, "response": {}} (F-31)
    activation_source_enabled: bool = True    # False: the route is absent (older server, 404)
    generate_latency_s: float = 0.2           # F-19
    fault_delay_s: float = 1.0                # how long "timeout", "hang_no_create", "s3_slow" stall
    token_limit: int = 1024                   # activation token limit (F-30); arrays get a quarter
    default_source_sets: dict[str, str] = field(default_factory=dict)      # F-14: none by default
    unavailable_source_sets: set[str] = field(default_factory=set)         # F-29
    missing_features: set[tuple[str, int]] = field(default_factory=set)    # (source, index) unknown
    big_graph_features_per_layer: int = 100


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]     # lower-cased names
    raw: bytes
    fault: str | None = None
    user: tuple[str, str] | None = None   # (id, name) for a valid key
    higher: bool = False

    @property
    def json(self) -> Any:
        if not self.raw.strip():
            return _INVALID
        try:
            return json.loads(self.raw)
        except ValueError:
            return _INVALID


def _json(status: int, obj: Any, headers: dict | None = None) -> Reply:
    return Reply(status, json.dumps(obj).encode("utf-8"), "application/json", headers or {})


def _html(status: int, title: str) -> Reply:
    return Reply(status, f"<html><head><title>{status}</title></head><body><h1>{title}</h1></body></html>"
                 .encode(), "text/html")


def _iso(now: float) -> str:
    return datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(now * 1000) % 1000:03d}Z"


class FakeNeuronpedia:
    """The fake server; ``start()`` binds an ephemeral port on 127.0.0.1 unless ``port`` is given."""

    def __init__(self, port: int = 0, config: FakeConfig | None = None, clock: Callable[[], float] = time.time,
                 real: RealFixtures | None = None):
        self.config = config or FakeConfig()
        self.clock = clock
        self.real = real if real is not None else RealFixtures.load()
        self.limiter = RateLimiter(clock=clock)
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self._seed_graphs = self._load_seeds()
        self.reset()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "FakeNeuronpedia":
        server = ThreadingHTTPServer((HOST, self._port), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever, name="fake-neuronpedia", daemon=True)
        self._thread.start()
        self.reset()  # S3 URLs need the bound port
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeNeuronpedia":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def root_url(self) -> str:
        return f"http://{HOST}:{self._port}"

    @property
    def url(self) -> str:
        """The API base URL to give the client (``NEURONPEDIA_BASE_URL``)."""
        return self.root_url + "/api"

    # ------------------------------------------------------------------ test hooks
    def reset(self) -> None:
        """Forget requests, faults, limits, subgraphs and generated graphs; re-seed the fixtures."""
        with self._lock:
            self.requests: list[Request] = []
            self.faults: dict[str, deque] = {}
            self.graphs: dict[tuple[str, str], dict] = {}
            self.objects: dict[str, tuple[bytes, bool]] = {}   # S3 key -> (bytes, gzip)
            self.subgraph_rows: dict[str, dict] = {}
            self.catalogue: dict[str, set[int]] = {}
            self._ids = 0
            self.limiter.reset()
            for graph, source_set, gz in self._seed_graphs:
                self._store_graph(copy.deepcopy(graph), source_set=source_set, user=None, gz=gz)
            for (source, index) in np_data.SPECIAL_EXPLANATIONS:
                self.catalogue.setdefault(source, set()).add(index)
            for (source, index, _text) in self.real.activations:
                self.catalogue.setdefault(source, set()).add(index)

    def add_faults(self, endpoint: str, *faults: str) -> None:
        """Queue faults for requests whose path starts with ``endpoint`` (e.g. ``/api/graph/generate``,
        ``/s3``); each request takes the next one; ``"ok"`` means behave normally."""
        unknown = set(faults) - FAULTS
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {sorted(FAULTS)}")
        with self._lock:
            self.faults.setdefault(endpoint, deque()).extend(faults)

    def set_remaining(self, bucket: str, remaining: int, higher: bool = False) -> None:
        self.limiter.set_remaining(bucket, remaining, higher)

    def calls(self, prefix: str, method: str | None = None) -> int:
        return sum(1 for r in self.requests if r.path.startswith(prefix) and (method is None or r.method == method))

    def requests_to(self, prefix: str) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(prefix)]

    def subgraphs(self) -> list[dict]:
        return [copy.deepcopy(row) for row in self.subgraph_rows.values()]

    def seed_graph(self, graph: dict, *, source_set: str | None, user_key: str | None = None,
                   gz: bool = False) -> dict:
        """Store a graph as if it had been generated (returns its metadata row)."""
        user = self.config.api_keys.get(user_key) if user_key else None
        with self._lock:
            return self._store_graph(copy.deepcopy(graph), source_set=source_set, user=user, gz=gz)

    # ------------------------------------------------------------------- storage
    def _load_seeds(self) -> list[tuple[dict, str, bool]]:
        seeds = [(np_data.synthetic_graph(SYNTHETIC_PROMPT, slug=SYNTHETIC_SLUG, model_id="gemma-2-2b",
                                          source_set="clt-hp", logits=np_data.synthetic_logits(10, 0.95)),
                  "clt-hp", True)]  # served gzip-encoded (F-23)
        for path in self.real.graph_files.values():
            seeds.append((json.loads(path.read_text(encoding="utf-8")), "clt-hp", False))
        return seeds

    def _next_id(self) -> str:
        self._ids += 1
        return f"cm{self._ids:08d}"

    def _store_graph(self, graph: dict, *, source_set: str | None, user: tuple[str, str] | None, gz: bool,
                     stored: dict | None = None) -> dict:
        """Save the S3 object (``stored`` if given, e.g. a broken one) and the metadata row."""
        meta = graph["metadata"]
        now = self.clock()
        key = f"user-graphs/{user[0] if user else 'anonymous'}/{meta['slug']}-{int(now * 1000)}.json"
        self.objects[key] = (json.dumps(stored if stored is not None else graph).encode("utf-8"), gz)
        row = {"id": self._next_id(), "modelId": meta["scan"], "sourceSetName": source_set, "slug": meta["slug"],
               "promptTokens": meta.get("prompt_tokens", []), "prompt": meta.get("prompt", ""), "titlePrefix": "",
               "isFeatured": False, "url": f"{self.root_url}/s3/neuronpedia-attrib/{key}",
               "userId": user[0] if user else None, "createdAt": _iso(now), "updatedAt": _iso(now),
               "user": {"name": user[1], "id": user[0]} if user else None}
        self.graphs[(meta["scan"], meta["slug"])] = row
        for node in graph["nodes"]:
            parts = str(node.get("node_id", "")).split("_")
            if node.get("feature_type") == "cross layer transcoder" and len(parts) == 3 and source_set:
                self.catalogue.setdefault(f"{parts[0]}-{source_set}", set()).add(int(parts[1]))
        return row

    # ------------------------------------------------------------------ dispatch
    def dispatch(self, request: Request) -> Reply | object:
        with self._lock:
            self.requests.append(request)
        if request.path.startswith("/__fake__/"):
            return self._admin(request)
        key = request.headers.get("x-api-key", "")
        request.user = self.config.api_keys.get(key)
        request.higher = key in self.config.higher_tier_keys
        request.fault = request.headers.get("x-fake-fault") or self._take_fault(request)
        if request.path.startswith("/s3/"):
            return self._s3(request)
        if request.fault == "429":
            bucket = self.limiter.matching(request.path)[-1]
            return _json(429, self.limiter.body_429(bucket, request.higher))
        exhausted, remaining = self.limiter.consume(request.path, request.higher)
        if exhausted is not None:
            return _json(429, self.limiter.body_429(exhausted, request.higher))
        reply = self._fault_reply(request)
        if reply is None:
            reply = self._route(request)
        if isinstance(reply, Reply) and request.path.startswith("/api"):
            reply.headers.setdefault("Access-Control-Allow-Origin", "*")
            reply.headers.setdefault("Access-Control-Allow-Methods", "GET, POST")
            reply.headers.setdefault("Access-Control-Allow-Headers", "Content-Type")
            if remaining is not None:
                reply.headers["x-limit-remaining"] = str(remaining)
        return reply

    def _take_fault(self, request: Request) -> str | None:
        with self._lock:
            keys = sorted((k for k, q in self.faults.items() if q and request.path.startswith(k)), key=len)
            if not keys:
                return None
            queue = self.faults[keys[-1]]
            # a HEAD on a graph file sees the file's fault without using it up (the GET follows)
            return queue[0] if request.method == "HEAD" else queue.popleft()

    def _fault_reply(self, request: Request) -> Reply | object | None:
        fault = request.fault
        if fault == "wrong_shape" and not request.path.startswith("/api/activation/new"):
            return _json(200, {"unexpected": "shape"})  # activation/new answers the swagger shape itself
        if fault == "timeout":
            time.sleep(self.config.fault_delay_s)
            return None  # then answer normally (generate still creates the graph: F-19)
        if fault == "hang_no_create":
            time.sleep(self.config.fault_delay_s)
            return _html(504, "Gateway Timeout")
        canned = _CANNED.get(fault or "")
        return canned() if canned else None  # other faults are applied by the route (generate, S3)

    def _generic_error(self) -> Reply:
        """An error escaping a route handler (F-06)."""
        if self.config.error_style == "legacy":
            return Reply(500, b"Internal Server Error", "text/plain")
        return _json(500, {"error": GENERIC_ERROR, "message": GENERIC_ERROR})

    def _route(self, request: Request) -> Reply:
        for method, pattern, handler in _ROUTES:
            match = pattern.match(request.path)
            if match and method == request.method:
                return handler(self, request, *[unquote(g) for g in match.groups()])
        if request.method == "OPTIONS" and request.path.startswith("/api/"):
            return Reply(204)
        return _html(404, "404: This page could not be found.")

    # ------------------------------------------------------------------- admin
    def _admin(self, request: Request) -> Reply:
        body = request.json if request.raw.strip() else {}
        name = request.path[len("/__fake__/"):]
        if name == "reset" and request.method == "POST":
            self.reset()
            return _json(200, {"ok": True})
        if name == "faults" and request.method == "POST" and isinstance(body, dict):
            try:
                self.add_faults(body["endpoint"], *body["faults"])
            except (KeyError, ValueError, TypeError) as err:
                return _json(400, {"error": str(err)})
            return _json(200, {"ok": True})
        if name == "remaining" and request.method == "POST" and isinstance(body, dict):
            self.set_remaining(body["bucket"], int(body["remaining"]), bool(body.get("higher")))
            return _json(200, {"ok": True})
        if name == "subgraphs":
            return _json(200, self.subgraphs())
        if name == "requests":
            return _json(200, [{"method": r.method, "path": r.path} for r in self.requests])
        return _json(404, {"error": "unknown fake endpoint"})

    # ---------------------------------------------------------------------- S3
    def _s3(self, request: Request) -> Reply:
        key = request.path[len("/s3/neuronpedia-attrib/"):]
        fault = request.fault
        if fault == "s3_slow":
            time.sleep(self.config.fault_delay_s)
        stored = self.objects.get(key)
        if fault == "s3_404":
            return Reply(404, b"<?xml version='1.0'?><Error><Code>NoSuchKey</Code></Error>", "application/xml")
        if stored is None or fault == "s3_403":
            return Reply(403, b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>", "application/xml")
        data, gz = stored
        headers = {}
        if gz:
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        if request.method == "HEAD":
            headers["Content-Length"] = str(len(data))
            return Reply(200, b"", "application/json", headers)
        return Reply(200, data, "application/json", headers)

    # ---------------------------------------------------------------- tokenize
    def r_tokenize(self, request: Request) -> Reply:
        body = request.json
        if body is _INVALID or not isinstance(body, dict):
            return _json(400, {"error": "Invalid JSON body"})
        errors = []
        model = body.get("modelId")
        if not isinstance(model, str) or not model:
            errors.append("modelId is a required field")
        elif model not in GENERATION_MODELS:
            errors.append(f"modelId must be one of the following values: {', '.join(GENERATION_MODELS)}")
        prompt = body.get("prompt")
        if isinstance(prompt, str) and len(prompt) > 10000:
            errors.append("Prompt cannot exceed 10000 characters.")
        values = {}
        for name, default, low, high, integer in (("maxNLogits", 10, 5, 15, True),
                                                  ("desiredLogitProb", 0.95, 0.6, 0.99, False)):
            value, problem = _number_field(body, name, default, low, high, integer)
            values[name] = value
            if problem:
                errors.append(problem)
        if errors:
            return _json(400, {"error": "Validation error", "details": errors})
        if not prompt and not body.get("messages"):
            return _json(400, {"error": "Provide either `prompt` or `messages`."})
        source_set = body.get("sourceSetName") or self.config.default_source_sets.get(model)
        if not source_set:
            return _json(400, _source_set_missing(model))
        text = prompt or " ".join(m.get("content", "") for m in body["messages"])
        real = self.real.graph_files.get(text.removeprefix(BOS))
        if real is not None:
            logits = _select_logits(np_data.graph_logits(json.loads(real.read_text(encoding="utf-8"))),
                                    values["maxNLogits"], values["desiredLogitProb"])
        else:
            logits = np_data.synthetic_logits(values["maxNLogits"], values["desiredLogitProb"])
        return _json(200, {"prompt": text, "input_tokens": tokenize(text), "salient_logits": logits,
                           "total_salient_tokens": len(logits),
                           "cumulative_probability": round(sum(lg["probability"] for lg in logits), 6)})

    # ---------------------------------------------------------------- generate
    def r_generate(self, request: Request) -> Reply:
        body = request.json
        if body is _INVALID:
            return _json(500, {"error": "Failed to generate graph", "message": "Invalid JSON body"})
        problem, values = _validate_generate(body if isinstance(body, dict) else {})
        if problem:
            return _json(400, {"error": "Validation error", "details": problem[1], "path": problem[0]})
        model, prompt = values["modelId"], values["prompt"]
        source_set = values["sourceSetName"] or self.config.default_source_sets.get(model)
        if not source_set:
            return _json(400, _source_set_missing(model))
        if source_set not in MODELS.get(model, {}):
            return _json(500, {"error": "Failed to generate graph", "message": "SourceSet not found"})
        tokens = tokenize(prompt)
        cap = TOKEN_CAPS.get(model, 64)
        if len(tokens) > cap:
            return _json(400, {"error": "Prompt Too Long",
                               "message": f"Max tokens supported is {cap}, your prompt was {len(tokens)} tokens."})
        slug = values["slug"].strip() if isinstance(values["slug"], str) else ""
        if len(slug) < 2:
            slug = _auto_slug(prompt, int(self.clock() * 1000))
        elif not re.fullmatch(r"[a-zA-Z0-9_-]+", slug):
            return _json(400, {"error": "Invalid scan or slug. They must be alphanumeric and contain only "
                                        "underscores and hyphens."})
        if (model, slug) in self.graphs:
            return _json(400, {"error": "Model + Slug/ID Exists",
                               "message": f"The model {model} already has a graph with slug/id {slug}. "
                                          "Please choose a different slug/ID."})
        time.sleep(self.config.generate_latency_s)
        graph = self._generated_graph(prompt, slug, model, source_set, values, request)
        stored = None
        if request.fault == "invalid_graph":
            stored = {k: v for k, v in graph.items() if k != "links"}
        elif request.fault == "collision_graph":
            stored = np_data.add_collision(copy.deepcopy(graph))
        with self._lock:
            if (model, slug) in self.graphs:  # a concurrent request won the slug
                return _json(400, {"error": "Model + Slug/ID Exists", "message": "exists"})
            row = self._store_graph(graph, source_set=source_set, user=request.user, gz=False, stored=stored)
        saved = stored if stored is not None else graph
        return _json(200, {"message": "Graph saved to database", "s3url": row["url"],
                           "url": f"https://www.neuronpedia.org/{model}/graph?slug={slug}",
                           "numNodes": len(saved.get("nodes", [])), "numLinks": len(saved.get("links", []))})

    def _generated_graph(self, prompt: str, slug: str, model: str, source_set: str, values: dict,
                         request: Request) -> dict:
        real = self.real.graph_files.get(prompt.removeprefix(BOS))
        logits = np_data.synthetic_logits(values["maxNLogits"], values["desiredLogitProb"])
        if request.fault == "big_graph":
            graph = np_data.synthetic_graph(prompt, slug=slug, model_id=model, source_set=source_set, logits=logits,
                                            features_per_layer=self.config.big_graph_features_per_layer)
        elif real is not None:
            graph = json.loads(real.read_text(encoding="utf-8"))
        else:
            graph = np_data.synthetic_graph(prompt, slug=slug, model_id=model, source_set=source_set, logits=logits)
        meta = graph["metadata"]
        meta.update({"slug": slug, "scan": model, "prompt": BOS + prompt.removeprefix(BOS),
                     "prompt_tokens": tokenize(prompt),
                     "generation_settings": {"max_n_logits": values["maxNLogits"],
                                             "desired_logit_prob": values["desiredLogitProb"], "batch_size": 48,
                                             "max_feature_nodes": values["maxFeatureNodes"]},
                     "pruning_settings": {"node_threshold": values["nodeThreshold"],
                                          "edge_threshold": values["edgeThreshold"]}})
        meta.setdefault("info", {})["creator_name"] = request.user[1] if request.user else "Anonymous (CT)"
        return graph

    def r_graph_metadata(self, request: Request, model: str, slug: str) -> Reply:
        row = self.graphs.get((model, slug))
        return _json(200, row) if row else _json(404, {"error": "Graph not found"})

    # ------------------------------------------------------------- activations
    def _source_known(self, model: Any, source: Any) -> bool:
        if not isinstance(source, str) or "-" not in source:
            return False
        layer, source_set = source.split("-", 1)
        return (layer.isdigit() and int(layer) < np_data.N_LAYERS and source_set in MODELS.get(model, {})
                and source_set not in self.config.unavailable_source_sets)

    def r_activation_new(self, request: Request) -> Reply:
        body = request.json
        if not isinstance(body, dict):
            return self._generic_error()
        feature = body.get("neuron") or body.get("feature")
        if not isinstance(feature, dict):
            return self._generic_error()
        model, index = feature.get("modelId"), feature.get("index")
        source = feature.get("source") or feature.get("layer")
        if not model or not source or not index:  # a numeric 0 is falsy upstream, too
            return self._generic_error()
        if not self._source_known(model, source):
            return _json(500, {"message": NOT_AVAILABLE})
        texts = body.get("customText")
        single = isinstance(texts, str)
        items = [texts] if single else texts
        if not isinstance(items, list) or not 1 <= len(items) <= 4 or \
                not all(isinstance(t, str) and t for t in items):
            return self._generic_error()
        limit = self.config.token_limit if single else self.config.token_limit // 4
        try:
            index_int = int(index)
        except (TypeError, ValueError):
            return self._generic_error()
        size = MODELS[model][source.split("-", 1)[1]]
        if not 0 <= index_int < size or any(len(tokenize(t)) > limit for t in items):
            return self._generic_error()
        results = [self._activation(model, source, index, index_int, text, bool(body.get("ignoreBos")),
                                    request.user, swagger=request.fault == "wrong_shape") for text in items]
        return _json(200, results[0] if single else results)

    def _activation(self, model: str, source: str, index: Any, index_int: int, text: str, ignore_bos: bool,
                    user: tuple | None, *, swagger: bool) -> dict:
        tokens = tokenize(text)
        values = activation_values(source, index_int, text, tokens, self.real)
        if ignore_bos and tokens[0] == BOS:
            tokens, values = tokens[1:], values[1:]
        peak = values.index(max(values))
        if swagger:  # the (wrong) swagger component, for the "wrong_shape" fault
            return {"tokens": tokens, "activations": {"layer": source, "index": index, "values": values,
                                                      "maxValue": values[peak], "maxValueIndex": peak}}
        return {"tokens": tokens, "values": values, "maxValue": values[peak], "minValue": min(values),
                "maxValueTokenIndex": peak, "modelId": model, "layer": source, "index": index,
                "creatorId": user[0] if user else "", "dataIndex": None, "dataSource": "Neuronpedia",
                "createdAt": _iso(self.clock())}

    def r_activation_source(self, request: Request) -> Reply:
        if not self.config.activation_source_enabled:
            return _html(404, "404: This page could not be found.")
        body = request.json
        if not isinstance(body, dict):
            return self._generic_error()
        for name in ("modelId", "source", "customText"):
            if not body.get(name):
                return _json(400, {"message": f"{name} is required"})
        texts = body["customText"]
        items = [texts] if isinstance(texts, str) else texts
        if not isinstance(items, list) or not 1 <= len(items) <= 4 or \
                not all(isinstance(t, str) and t for t in items):
            return _json(400, {"message": "customText must be a non-empty string or an array of 1 to 4 strings"})
        model, source = body["modelId"], body["source"]
        if not self._source_known(model, source):
            return _json(500, {"message": NOT_AVAILABLE})
        results = []
        for text in items:
            tokens = tokenize(text)
            active = {}
            for index in sorted(self.catalogue.get(source, ())):
                values = activation_values(source, index, text, tokens, self.real)
                pairs = [[pos, round(v, 3)] for pos, v in enumerate(values) if round(v, 3) != 0]
                if pairs:
                    active[str(index)] = pairs
            results.append({"tokens": tokens, "activeFeatures": active})
        payload = {"results": results}
        return _json(200, {"data": payload, "response": {}} if self.config.wrap_source_data else payload)

    # ---------------------------------------------------------------- features
    def _feature_exists(self, model: str, source: str, index: int) -> bool:
        size = MODELS.get(model, {}).get(source.split("-", 1)[1] if "-" in source else "", 0)
        return 0 <= index < size and (source, index) not in self.config.missing_features

    def r_feature(self, request: Request, model: str, source: str, index: str) -> Reply:
        known = self._source_known(model, source)
        if not known:
            if self.config.error_style == "legacy":
                return self._generic_error()
            return _json(404, {"error": NOT_AVAILABLE, "message": NOT_AVAILABLE})
        if not index.isdigit() or not self._feature_exists(model, source, int(index)):
            return _json(404, {"error": NOT_AVAILABLE})
        return _json(200, np_data.neuron(model, source, int(index), self.real, full=True))

    def r_features(self, request: Request) -> Reply:
        body = request.json
        if body is _INVALID:
            return self._generic_error()
        if body is None:
            return _json(400, {"message": "Invalid JSON body"})
        if not isinstance(body, list):
            return _json(400, {"message": "this must be a `array` type, but the final value was: `object`."})
        if not body:
            return _json(500, {"message": "Unknown Error"})
        wanted = []
        for i, item in enumerate(body):
            if not isinstance(item, dict) or not isinstance(item.get("modelId"), str) \
                    or not isinstance(item.get("layer"), str):
                return _json(400, {"message": f"[{i}].modelId and [{i}].layer are required"})
            index = item.get("index")
            try:
                index_int = int(index) if not isinstance(index, bool) else None
            except (TypeError, ValueError):
                index_int = None
            if index_int is None:
                return _json(400, {"message": f"[{i}].index must be a `number` type, but the final value was: "
                                              f"`NaN` (cast from the value `{json.dumps(index)}`)."})
            wanted.append((item["modelId"], item["layer"], index_int))
        n_acts = body[0].get("maxActsToReturn") or None  # absent or 0: every example
        found = []
        for model, source, index in dict.fromkeys(wanted):
            if self._source_known(model, source) and self._feature_exists(model, source, index):
                neuron = np_data.neuron(model, source, index, self.real, full=False)
                neuron["activations"] = neuron["activations"][:n_acts] if n_acts else neuron["activations"]
                found.append(neuron)
        first_position = {}
        for position, (_, _, index) in enumerate(wanted):
            first_position.setdefault(index, position)
        found.sort(key=lambda n: first_position[int(n["index"])])  # upstream's quirk (F-38)
        return _json(200, found)

    # --------------------------------------------------------------- subgraphs
    def r_subgraph_save(self, request: Request) -> Reply:
        if request.user is None:
            return _json(401, {"error": AUTH_ERROR})
        body = request.json
        failed = _json(500, {"error": "Failed to save subgraph"})
        if not isinstance(body, dict) or not _valid_subgraph(body):
            return failed
        row = self.graphs.get((body["modelId"], body["slug"]))
        if row is None:
            return failed
        now = _iso(self.clock())
        fields = ("pinnedIds", "supernodes", "clerps", "pruningThreshold", "densityThreshold")
        with self._lock:
            overwrite = body.get("overwriteId")
            if overwrite:
                existing = self.subgraph_rows.get(overwrite)
                if existing is None or existing["userId"] != request.user[0]:
                    return _json(403, {"error": "You are not authorized to overwrite this subgraph"})
                existing.update({k: copy.deepcopy(body[k]) for k in fields})
                existing["updatedAt"] = now
                return _json(200, {"success": True, "subgraphId": overwrite})
            sub_id = self._next_id()
            self.subgraph_rows[sub_id] = {
                "id": sub_id, "displayName": body.get("displayName", ""), "graphMetadataId": row["id"],
                **{k: copy.deepcopy(body[k]) for k in fields}, "userId": request.user[0],
                "isFeaturedSolution": False, "createdAt": now, "updatedAt": now,
                "user": {"name": request.user[1], "id": request.user[0]}, "_order": self._ids}
        return _json(200, {"success": True, "subgraphId": sub_id})

    def r_subgraph_list(self, request: Request) -> Reply:
        if request.user is None:
            return _json(401, {"error": AUTH_ERROR})
        body = request.json
        if not isinstance(body, dict) or not isinstance(body.get("modelId"), str) \
                or not isinstance(body.get("slug"), str):
            return _json(500, {"error": "Failed to save subgraph"})  # sic (spec §1.9.2)
        row = self.graphs.get((body["modelId"], body["slug"]))
        mine = [s for s in self.subgraph_rows.values()
                if row and s["graphMetadataId"] == row["id"] and s["userId"] == request.user[0]]
        mine.sort(key=lambda s: s["_order"], reverse=True)
        return _json(200, {"success": True, "subgraphs": [{k: v for k, v in s.items() if k != "_order"}
                                                          for s in mine]})

    def r_subgraph_delete(self, request: Request) -> Reply:
        if request.user is None:
            return _json(401, {"error": AUTH_ERROR})
        body = request.json
        if not isinstance(body, dict) or not isinstance(body.get("subgraphId"), str):
            return _json(500, {"error": "Failed to delete subgraph"})
        with self._lock:
            row = self.subgraph_rows.get(body["subgraphId"])
            if row is None:
                return _json(404, {"error": "Subgraph not found"})
            if row["userId"] != request.user[0]:
                return _json(403, {"error": "You are not authorized to delete this subgraph"})
            del self.subgraph_rows[body["subgraphId"]]
        return _json(200, {"success": True, "message": "Subgraph deleted successfully"})


#: Faults answered without running the route (spec §4.3).
_CANNED: dict[str, Callable[[], Reply | object]] = {
    "503_gpus": lambda: _json(503, {"error": "GPUs Busy",
                                    "message": "Sorry, all GPUs are currently busy. Please try again in a minute."}),
    "503_runpod": lambda: _json(503, {"error": "RUNPOD_BUSY", "message": "RUNPOD_BUSY"}),
    "500_busy": lambda: _json(500, {"error": "Failed to generate graph",
                                    "message": "Server busy, please try again later."}),
    "500_generic": lambda: _json(500, {"error": GENERIC_ERROR, "message": GENERIC_ERROR}),
    "500_html": lambda: _html(500, "Internal Server Error"),
    "502_html": lambda: _html(502, "Bad Gateway"),
    "504_html": lambda: _html(504, "Gateway Timeout"),
    "malformed_json": lambda: Reply(200, b'{"message":"Graph saved'),
    "empty_200": lambda: Reply(200, b""),
    "reset": lambda: _RESET,
    "invalid_graph_500": lambda: _json(500, {"error": "Invalid Graph Generated", "message": [
        {"instancePath": "/links", "message": "must have required property 'links'"}]}),
}

_ROUTES = (
    ("POST", re.compile(r"^/api/graph/tokenize$"), FakeNeuronpedia.r_tokenize),
    ("POST", re.compile(r"^/api/graph/generate$"), FakeNeuronpedia.r_generate),
    ("POST", re.compile(r"^/api/graph/subgraph/save$"), FakeNeuronpedia.r_subgraph_save),
    ("POST", re.compile(r"^/api/graph/subgraph/list$"), FakeNeuronpedia.r_subgraph_list),
    ("POST", re.compile(r"^/api/graph/subgraph/delete$"), FakeNeuronpedia.r_subgraph_delete),
    ("GET", re.compile(r"^/api/graph/([^/]+)/([^/]+)$"), FakeNeuronpedia.r_graph_metadata),
    ("POST", re.compile(r"^/api/activation/new$"), FakeNeuronpedia.r_activation_new),
    ("POST", re.compile(r"^/api/activation/source$"), FakeNeuronpedia.r_activation_source),
    ("GET", re.compile(r"^/api/feature/([^/]+)/([^/]+)/([^/]+)$"), FakeNeuronpedia.r_feature),
    ("POST", re.compile(r"^/api/features$"), FakeNeuronpedia.r_features),
)


# ------------------------------------------------------------------- validation
def _number_field(body: dict, name: str, default: float, low: float, high: float,
                  integer: bool) -> tuple[Any, str | None]:
    """yup's non-strict number: numeric strings are cast; ``(value, first problem or None)``."""
    value = body.get(name)
    if value is None:
        return default, None
    try:
        number = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        number = float("nan")
    if number != number:
        return value, (f"{name} must be a `number` type, but the final value was: `NaN` "
                       f"(cast from the value `{json.dumps(value)}`).")
    if integer and not number.is_integer():
        return number, "Must be an integer."
    if number < low:
        return number, f"Must be at least {low}."
    if number > high:
        return number, f"Must be at most {high}."
    return (int(number) if integer else number), None


def _validate_generate(body: dict) -> tuple[tuple[str, str] | None, dict]:
    """First failing field as (path, message), and the cast values (spec §1.2.2, HEAD ranges)."""
    values: dict[str, Any] = {"slug": body.get("slug"), "sourceSetName": body.get("sourceSetName")}
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        return ("prompt", "prompt is a required field"), values
    if len(prompt) > 10000:
        return ("prompt", "Prompt cannot exceed 10000 characters."), values
    values["prompt"] = prompt
    model = body.get("modelId")
    if not isinstance(model, str) or not model:
        return ("modelId", "modelId is a required field"), values
    if model not in GENERATION_MODELS:
        return ("modelId", f"modelId must be one of the following values: {', '.join(GENERATION_MODELS)}"), values
    values["modelId"] = model
    for name, default, low, high, integer in (
            ("maxNLogits", 10, 5, 15, True), ("desiredLogitProb", 0.95, 0.6, 0.99, False),
            ("nodeThreshold", 0.8, 0.5, 0.95, False), ("edgeThreshold", 0.85, 0.65, 0.98, False),
            ("maxFeatureNodes", 5000, 1500, 10000, True)):
        value, problem = _number_field(body, name, default, low, high, integer)
        if problem:
            return (name, problem), values
        values[name] = value
    return None, values


def _select_logits(logits: list[dict], max_n: int, desired: float) -> list[dict]:
    out, total = [], 0.0
    for logit in sorted(logits, key=lambda lg: -lg["probability"]):
        if len(out) >= max_n or total >= desired:
            break
        out.append(logit)
        total += logit["probability"]
    return out


def _source_set_missing(model: Any) -> dict:
    return {"error": "Source Set Missing",
            "message": f"The model {model} has no default graph source set, so you must provide one in the "
                       "sourceSetName parameter."}


def _auto_slug(prompt: str, now_ms: int) -> str:
    """Neuronpedia's slug for requests without one (spec §1.2.5)."""
    text = prompt
    while True:
        cleaned = re.sub(r"<[^>]*>", "", text).replace("\n", "")
        if cleaned == text:
            break
        text = cleaned
    for word in ("user", "assistant", "system"):
        text = text.replace(word, "")
    text = re.sub(r"[^a-zA-Z0-9_-]", "", text)[:16]
    return f"{text}-{now_ms}".lower()


def _valid_subgraph(body: dict) -> bool:
    """The zod schema of subgraph/save: strict types, threshold keys required (null allowed)."""
    def strings(value):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    def number_or_null(value):
        return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))

    return (isinstance(body.get("modelId"), str) and isinstance(body.get("slug"), str)
            and isinstance(body.get("displayName", ""), str) and isinstance(body.get("overwriteId", ""), str)
            and strings(body.get("pinnedIds"))
            and isinstance(body.get("supernodes"), list) and all(strings(g) for g in body["supernodes"])
            and isinstance(body.get("clerps"), list) and all(strings(c) for c in body["clerps"])
            and "pruningThreshold" in body and number_or_null(body["pruningThreshold"])
            and "densityThreshold" in body and number_or_null(body["densityThreshold"]))


# ------------------------------------------------------------------------ HTTP
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeNeuronpedia/1.0"

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without this, Nagle + delayed ACK add 40 ms a request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        request = Request(method=self.command, path=parts.path,
                          query={k: v[0] for k, v in parse_qs(parts.query).items()},
                          headers={k.lower(): v for k, v in self.headers.items()}, raw=raw)
        reply = self.server.fake.dispatch(request)  # type: ignore[attr-defined]
        try:
            if reply is _RESET:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if "Content-Length" not in reply.headers:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up (e.g. its read timeout); fine

    do_GET = do_POST = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format: str, *args) -> None:  # keep test output clean
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the fake Neuronpedia server on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--error-style", choices=("head", "legacy"), default="head")
    parser.add_argument("--latency", type=float, default=0.2, help="generate latency in seconds")
    args = parser.parse_args(argv)
    fake = FakeNeuronpedia(port=args.port, config=FakeConfig(error_style=args.error_style,
                                                             generate_latency_s=args.latency)).start()
    print(f"Fake Neuronpedia on {fake.url}  (NEURONPEDIA_BASE_URL={fake.url} NEURONPEDIA_API_KEY={API_KEY})",
          flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
