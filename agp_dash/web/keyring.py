"""API keys typed into the UI: held in this process's memory, per browser session, for a while.

The browser keeps only a random session id; the key itself never goes back to it, to a
store, a log or a file. Local background jobs are forked from this process and see it too.
In multi-process deployments (gunicorn workers, Celery) set ``NEURONPEDIA_API_KEY`` instead:
a key typed into one worker's memory is not visible to the others.
"""
from __future__ import annotations

import contextlib
import contextvars
import secrets
import threading
import time

from agp_dash.settings import Secret

TTL_SECONDS = 8 * 3600
_keys: dict[tuple[str, str], tuple[Secret, float]] = {}
_lock = threading.Lock()
_current_session: contextvars.ContextVar[str | None] = contextvars.ContextVar("agp_session", default=None)


def new_session_id() -> str:
    return secrets.token_urlsafe(18)


def set_key(session_id: str, service: str, key: str) -> None:
    with _lock:
        _keys[(session_id, service)] = (Secret(key), time.monotonic() + TTL_SECONDS)


def forget_key(session_id: str, service: str) -> None:
    with _lock:
        _keys.pop((session_id, service), None)


def get_key(session_id: str | None, service: str) -> Secret | None:
    if not session_id:
        return None
    with _lock:
        entry = _keys.get((session_id, service))
        if entry and entry[1] < time.monotonic():
            _keys.pop((session_id, service), None)
            return None
    return entry[0] if entry else None


@contextlib.contextmanager
def session(session_id: str | None):
    """Run a block on behalf of a browser session (clients built inside see its keys)."""
    token = _current_session.set(session_id)
    try:
        yield
    finally:
        _current_session.reset(token)


def current_key(service: str) -> Secret | None:
    return get_key(_current_session.get(), service)
