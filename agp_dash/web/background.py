"""Background-callback managers: diskcache on one host, Celery + Redis when shared."""
from __future__ import annotations

from agp_dash.settings import Settings
from agp_dash.workspace import Workspace


def make_celery(settings: Settings):
    """The Celery app for the shared deployment (``AGP_REDIS_URL``), broker = backend = Redis."""
    from celery import Celery  # the 'deploy' extra; only needed when AGP_REDIS_URL is set

    return Celery("agp", broker=settings.redis_url, backend=settings.redis_url)


def make_manager(settings: Settings, workspace: Workspace):
    """A manager every web process and job shares: never a per-process temporary cache."""
    from dash import CeleryManager, DiskcacheManager

    if settings.redis_url:
        return CeleryManager(make_celery(settings))
    import diskcache

    return DiskcacheManager(diskcache.Cache(str(workspace.cache_dir)))
