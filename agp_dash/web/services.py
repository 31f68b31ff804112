"""Server-side services (settings, workspace) for callbacks.

Callbacks are module-level functions, and background jobs run in other processes (forked
job processes under diskcache, Celery workers), so they cannot receive these as arguments.
``create_app`` configures them once per process; a fresh process that never called
``create_app`` falls back to the environment. Secrets stay here, never in callback
arguments, stores or the browser.
"""
from __future__ import annotations

from dataclasses import dataclass

from agp_dash.settings import Settings
from agp_dash.workspace import Workspace


@dataclass(frozen=True)
class Services:
    settings: Settings
    workspace: Workspace


_current: Services | None = None


def configure(settings: Settings) -> Services:
    global _current
    _current = Services(settings=settings, workspace=Workspace(settings.home).ensure())
    return _current


def services() -> Services:
    return _current or configure(Settings.from_env())
