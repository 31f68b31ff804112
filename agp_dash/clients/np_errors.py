"""Errors of the Neuronpedia client: each ``str(err)`` is one sentence a user can act on.

All are :class:`~agp_dash.errors.BackendError` subclasses, so the CLI and the UI show them
without a traceback. None of them ever contains the API key (the transport scrubs messages).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from agp_dash.errors import AgpError, BackendError


class NeuronpediaError(BackendError):
    """A Neuronpedia call failed. ``status`` is the HTTP status (None without a response)."""

    def __init__(self, message: str, *, status: int | None = None, endpoint: str = "",
                 server_message: str = "", body: Any = None):
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint
        self.server_message = server_message
        self.body = body


class RateLimitError(NeuronpediaError):
    """429: an hourly bucket is exhausted. Carries the limit, the window and when to retry."""

    def __init__(self, message: str, *, bucket: str, limit: int | None, window: str,
                 retry_at: datetime, **kwargs):
        super().__init__(message, status=429, **kwargs)
        self.bucket = bucket
        self.limit = limit
        self.window = window
        self.retry_at = retry_at


class BusyError(NeuronpediaError):
    """503, or a 500 whose message says "busy": the GPUs are taken; worth retrying later."""


class NeuronpediaTimeoutError(NeuronpediaError):
    """No answer within the read timeout."""


class NeuronpediaConnectionError(NeuronpediaError):
    """The connection could not be made or was dropped."""


class InvalidResponseError(NeuronpediaError):
    """The server answered 2xx, but not with the JSON shape the contract describes."""


class AuthError(NeuronpediaError):
    """401, or a key-only endpoint called without a key."""


class ForbiddenError(NeuronpediaError):
    """403: the object exists (or not) but belongs to someone else."""


class NotFoundError(NeuronpediaError):
    """404: no such graph, feature or subgraph."""


class RequestRejectedError(NeuronpediaError):
    """Another 4xx: the server refused the request (``details`` / ``path`` name the field)."""

    def __init__(self, message: str, *, details: Any = None, path: str | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.details = details
        self.path = path


class ServerError(NeuronpediaError):
    """A 5xx that is not "busy" (after the allowed retries)."""


class RemoteUnavailableError(NeuronpediaError):
    """Neuronpedia has no inference (or no access) for this model / source set."""


class GraphInvalidError(NeuronpediaError):
    """A downloaded graph is not a valid attribution-graph JSON."""


class SlugTakenError(NeuronpediaError):
    """The slug is already used for this model by a graph with another prompt."""


class SubgraphRejectedError(NeuronpediaError):
    """``subgraph/save`` answered 500: Neuronpedia gives no reason, so we suggest the usual ones."""


class CancelledError(AgpError):
    """The user stopped a long run; what was fetched so far stays in the cache."""


class OverQuotaError(AgpError):
    """A probing run needs more calls than the hourly quota has left; it starts only with consent."""

    def __init__(self, plan):
        super().__init__(f"Not started: {plan.summary()} Agree to run over the limit to start anyway.")
        self.plan = plan
