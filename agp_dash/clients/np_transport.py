"""HTTP transport for the Neuronpedia API: timeouts, bounded retries, error bodies, rate limits.

One :meth:`Transport.call` per API request. It applies the per-endpoint policy of spec §1.0.6,
reads every error envelope of §1.0.4 without crashing on HTML or empty bodies, turns a 429
into a :class:`RateLimitError` that says when to retry, and tracks ``x-limit-remaining``.

The API key is sent only to the API base URL (never to graph downloads), is never logged,
and is scrubbed from every error message.
"""
from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

import requests

from agp_dash.clients.np_errors import (AuthError, BusyError, ForbiddenError, NeuronpediaConnectionError,
                                        NeuronpediaError, NeuronpediaTimeoutError, NotFoundError, RateLimitError,
                                        RemoteUnavailableError, RequestRejectedError, ServerError)
from agp_dash.clients.np_limits import RATE_WINDOW_S, RATE_WINDOW_TEXT, bucket_for

log = logging.getLogger("agp_dash.clients.neuronpedia")

CONNECT_TIMEOUT_S = 10.0
_MAX_TEXT = 200  # characters of a non-JSON body quoted in a message
_NOT_AVAILABLE = "is not available"  # Neuronpedia's "model, source, or feature ... is not available"


@dataclass(frozen=True)
class CallPolicy:
    """Read timeout and how many automatic retries each kind of failure gets (spec §1.0.6)."""
    read_timeout: float
    retries_5xx: int = 0        # plain 5xx and gateway errors
    retries_transport: int = 0  # timeouts and dropped connections
    retries_busy: int = 0       # 503 / "busy" 500
    retries_429: int = 0        # 0: stop at the first 429 and tell the user (no hammering)


#: Policies by endpoint family. generate never resubmits after a timeout (§1.2.6 recovers).
DEFAULT_POLICIES: dict[str, CallPolicy] = {
    "generate": CallPolicy(read_timeout=240.0, retries_busy=2),
    "tokenize": CallPolicy(read_timeout=60.0, retries_5xx=1, retries_transport=1, retries_busy=1),
    "graph_metadata": CallPolicy(read_timeout=30.0, retries_5xx=2, retries_transport=2),
    "download": CallPolicy(read_timeout=300.0, retries_5xx=2, retries_transport=2),
    "activation": CallPolicy(read_timeout=60.0, retries_5xx=2, retries_transport=2, retries_busy=2),
    "features": CallPolicy(read_timeout=60.0, retries_5xx=2, retries_transport=2, retries_busy=2),
    "subgraph": CallPolicy(read_timeout=30.0),
}


@dataclass(frozen=True)
class Backoff:
    """Delays between retries: exponential with jitter, bounded (tests pass tiny values)."""
    busy_delay_s: float = 60.0      # first wait after a busy answer (spec: retry ~60 s later)
    base_delay_s: float = 5.0       # first wait after a 429 / 5xx / timeout
    max_delay_s: float = 120.0

    def busy(self, attempt: int, rng: random.Random) -> float:
        # "equal jitter": never less than half the nominal wait, so a busy server gets its minute
        nominal = min(self.max_delay_s, self.busy_delay_s * 2 ** attempt)
        return nominal / 2 + rng.uniform(0, nominal / 2)

    def other(self, attempt: int, rng: random.Random) -> float:
        # "full jitter" (spec §1.0.6 for 429): spreads clients that failed together
        return rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** attempt))


@dataclass
class RateTracker:
    """Remembers this process's recent requests per bucket, to say when a slot frees up."""
    clock: Callable[[], float] = time.time
    _sent: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    remaining: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, bucket: str) -> None:
        now = self.clock()
        with self._lock:
            sent = self._sent[bucket]
            sent.append(now)
            while sent and sent[0] < now - RATE_WINDOW_S:
                sent.popleft()

    def retry_at(self, bucket: str) -> datetime:
        """When the oldest of our requests in the window leaves it (or a full window from now)."""
        now = self.clock()
        with self._lock:
            in_window = [t for t in self._sent.get(bucket, ()) if t >= now - RATE_WINDOW_S]
        start = in_window[0] if in_window else now
        return datetime.fromtimestamp(start + RATE_WINDOW_S).astimezone()


@dataclass
class ErrorBody:
    """What an error response said, whatever its shape (spec §1.0.4 client rule)."""
    status: int
    data: Any            # parsed JSON, or None
    message: str         # error (string) > message > details > raw text
    details: Any = None
    path: str | None = None

    @classmethod
    def read(cls, response: requests.Response) -> "ErrorBody":
        text = response.text or ""
        try:
            data = json.loads(text) if text.strip() else None
        except ValueError:
            data = None
        message = _json_message(data) if isinstance(data, dict) else ""
        if not message:
            message = _plain(text) or response.reason or f"HTTP {response.status_code}"
        return cls(status=response.status_code, data=data, message=message,
                   details=data.get("details") if isinstance(data, dict) else None,
                   path=data.get("path") if isinstance(data, dict) else None)

    @property
    def is_busy(self) -> bool:
        return self.status == 503 or (self.status == 500 and "busy" in self.message.lower())


def _json_message(data: dict) -> str:
    """``error`` and ``message`` joined (``"Prompt Too Long: Max tokens …"``), then ``details``."""
    error, message, details = data.get("error"), data.get("message"), data.get("details")
    parts = [error] if isinstance(error, str) and error else []
    if isinstance(message, str) and message and message != error:
        parts.append(message)
    elif isinstance(message, list) and message:  # "Invalid Graph Generated": a list of Ajv errors
        parts.append("; ".join(str(m.get("message", m)) if isinstance(m, dict) else str(m) for m in message[:3]))
    if details and not (isinstance(message, str) and message and message != error):
        parts.append("; ".join(map(str, details)) if isinstance(details, list) else str(details))
    return ": ".join(parts)


def _plain(text: str) -> str:
    """A short, single-line excerpt of a non-JSON body (HTML tags dropped)."""
    stripped = re.sub(r"<[^>]*>", " ", text)
    stripped = " ".join(stripped.split())
    return stripped[:_MAX_TEXT] + ("…" if len(stripped) > _MAX_TEXT else "")


class Transport:
    """Sends requests to ``base_url`` with ``x-api-key`` and applies :data:`DEFAULT_POLICIES`."""

    def __init__(self, base_url: str, api_key: str = "", *, session: requests.Session | None = None,
                 policies: dict[str, CallPolicy] | None = None, backoff: Backoff | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None, connect_timeout: float = CONNECT_TIMEOUT_S):
        self.base_url = base_url.rstrip("/")
        self._key = api_key or ""
        self.session = session or requests.Session()
        self.policies = {**DEFAULT_POLICIES, **(policies or {})}
        self.backoff = backoff or Backoff()
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.connect_timeout = connect_timeout
        self.rates = RateTracker(clock=clock)

    @property
    def has_key(self) -> bool:
        return bool(self._key)

    def scrub(self, text: str) -> str:
        """Remove the key from any text that might reach a user or a log."""
        return text.replace(self._key, "***") if self._key and self._key in text else text

    def api_path(self, path: str) -> str:
        """``/graph/generate`` -> ``/api/graph/generate`` (the server's bucket paths)."""
        return "/api" + path

    # ---------------------------------------------------------------------- requests
    def call(self, family: str, method: str, path: str, *, body: Any = None, auth: bool = True,
             stream: bool = False) -> requests.Response:
        """Send one API request (``path`` relative to the base URL) and return the 2xx response.

        Raises a :class:`NeuronpediaError` subclass after the family's retries are used up.
        """
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if auth and self._key:
            headers["x-api-key"] = self._key
        data = None if body is None else json.dumps(body, allow_nan=False)
        return self._send(family, method, self.base_url + path, self.api_path(path), headers, data, stream)

    def get_external(self, url: str, *, method: str = "GET", stream: bool = True) -> requests.Response:
        """A graph download: no API key, the ``download`` policy, no rate bucket."""
        return self._send("download", method, url, None, {}, None, stream)

    def _send(self, family: str, method: str, url: str, bucket_path: str | None, headers: dict,
              data: str | None, stream: bool) -> requests.Response:
        policy = self.policies[family]
        used = defaultdict(int)
        endpoint = bucket_path or _short_url(url)
        while True:
            started = self.clock()
            try:
                response = self.session.request(method, url, data=data, headers=headers, stream=stream,
                                                timeout=(self.connect_timeout, policy.read_timeout))
            except (requests.Timeout, requests.ConnectionError) as err:
                failure = self._transport_error(err, endpoint, policy, api=bucket_path is not None)
            except requests.RequestException as err:
                raise NeuronpediaConnectionError(self.scrub(
                    f"The request to {endpoint} failed: {type(err).__name__}."), endpoint=endpoint) from None
            else:
                failure = None
            if failure is not None:
                if used["transport"] < policy.retries_transport:
                    self._wait(self.backoff.other(used["transport"], self.rng), endpoint, failure)
                    used["transport"] += 1
                    continue
                raise failure
            if bucket_path:
                self.rates.record(bucket_for(bucket_path)[0])
            log.info("%s %s -> %s (%.2f s)", method, endpoint, response.status_code, self.clock() - started)
            self._note_remaining(bucket_path, response)
            if response.status_code < 400:
                return response
            error = self._error_for(response, endpoint, bucket_path)
            kind = ("429" if isinstance(error, RateLimitError) else "busy" if isinstance(error, BusyError)
                    else "5xx" if isinstance(error, ServerError) else None)
            allowed = {"429": policy.retries_429, "busy": policy.retries_busy, "5xx": policy.retries_5xx}
            if kind and used[kind] < allowed[kind]:
                response.close()
                delay = (self.backoff.busy if kind == "busy" else self.backoff.other)(used[kind], self.rng)
                self._wait(delay, endpoint, error)
                used[kind] += 1
                continue
            if kind == "busy" and used[kind]:
                error = BusyError(_busy_text(error.status, error.server_message, used[kind] + 1), status=error.status,
                                  endpoint=endpoint, server_message=error.server_message, body=error.body)
            raise error

    def _wait(self, delay: float, endpoint: str, error: Exception) -> None:
        log.warning("Neuronpedia %s: %s; retrying in %.2f s", endpoint, error, delay)
        self.sleep(delay)

    def _transport_error(self, err: Exception, endpoint: str, policy: CallPolicy, *, api: bool) -> NeuronpediaError:
        if isinstance(err, requests.Timeout) and not isinstance(err, requests.ConnectTimeout):
            who = "Neuronpedia" if api else "The graph file server"
            return NeuronpediaTimeoutError(f"{who} did not answer {endpoint} within {policy.read_timeout:g} s; "
                                           "it may be overloaded, so try again later.", endpoint=endpoint)
        if not api:
            return NeuronpediaConnectionError(f"Could not download {endpoint} ({_reason(err)}); check the network "
                                              "connection.", endpoint=endpoint)
        return NeuronpediaConnectionError(self.scrub(
            f"Could not reach Neuronpedia for {endpoint} ({_reason(err)}); check NEURONPEDIA_BASE_URL "
            f"({self.base_url}) and the network connection."), endpoint=endpoint)

    def _note_remaining(self, bucket_path: str | None, response: requests.Response) -> None:
        value = response.headers.get("x-limit-remaining")
        if bucket_path and value is not None:
            try:
                self.rates.remaining[bucket_for(bucket_path)[0]] = int(value)
            except ValueError:
                pass  # the header is informational; never require it

    # --------------------------------------------------------------------- errors
    def _error_for(self, response: requests.Response, endpoint: str, bucket_path: str | None) -> NeuronpediaError:
        body = ErrorBody.read(response)
        status = body.status
        common = {"status": status, "endpoint": endpoint, "server_message": self.scrub(body.message),
                  "body": body.data}
        said = self.scrub(body.message)
        if status == 429:
            return self._rate_limit_error(body, endpoint, bucket_path)
        if body.is_busy:
            return BusyError(_busy_text(status, said), **common)
        if status >= 500 and _NOT_AVAILABLE in body.message:
            return RemoteUnavailableError(
                f"Neuronpedia has no inference or no access for this model or source set ({said}).", **common)
        if status == 401:
            return AuthError("Neuronpedia rejected the API key (401): set a valid NEURONPEDIA_API_KEY "
                             "(it is under Settings on neuronpedia.org).", **common)
        if status == 403:
            return ForbiddenError(f"Neuronpedia refused the request (403: {said}).", **common)
        if status == 404:
            return NotFoundError(f"Neuronpedia found nothing at {endpoint} (404: {said}).", **common)
        if status < 500:
            return RequestRejectedError(f"Neuronpedia rejected the request to {endpoint} ({status}: {said}).",
                                        details=body.details, path=body.path, **common)
        return ServerError(f"Neuronpedia failed on {endpoint} ({status}: {said}).", **common)

    def _rate_limit_error(self, body: ErrorBody, endpoint: str, bucket_path: str | None) -> RateLimitError:
        data = body.data if isinstance(body.data, dict) else {}
        guess = bucket_for(bucket_path or "/api")
        bucket = data.get("endpoint") if isinstance(data.get("endpoint"), str) else guess[0]
        limit = data.get("limitPerWindow") if isinstance(data.get("limitPerWindow"), int) else None
        if limit is None and bucket == guess[0]:
            limit = guess[1]
        window = data.get("requestWindow") if isinstance(data.get("requestWindow"), str) else RATE_WINDOW_TEXT
        retry_at = self.rates.retry_at(bucket)
        wait = timedelta(seconds=max(0.0, retry_at.timestamp() - self.clock()))
        limit_text = f"{limit} requests per {window}" if limit else f"its limit per {window}"
        message = (f"Neuronpedia's rate limit for {bucket} is used up ({limit_text}, counted per IP address); "
                   f"try again after {retry_at:%H:%M} (in about {_minutes(wait)}), when the oldest request "
                   "leaves the window.")
        return RateLimitError(message, bucket=bucket, limit=limit, window=window, retry_at=retry_at,
                              endpoint=endpoint, server_message=self.scrub(body.message), body=body.data)


def _busy_text(status: int | None, said: str, tries: int = 1) -> str:
    after = f" after {tries} tries" if tries > 1 else ""
    return f"Neuronpedia is busy ({status}: {said}){after}; try again in a minute."


def _minutes(delta: timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _reason(err: Exception) -> str:
    text = str(err).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service" in text or "nodename" in text or "resolve" in text:
        return "unknown host"
    if "reset" in text or "aborted" in text or "remote end closed" in text:
        return "the connection was dropped"
    if isinstance(err, requests.ConnectTimeout):
        return "connection timed out"
    return "connection failed"


def _short_url(url: str) -> str:
    """Host and path of a download URL, without its query string (pre-signed parts)."""
    return url.split("?", 1)[0]
