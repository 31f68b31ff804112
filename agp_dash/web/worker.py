"""Celery entry point: ``celery -A agp_dash.web.worker:celery_app worker -P prefork``.

The worker must register the same background callbacks as the web processes, so it builds
the app through the factory (same code, same task names).
"""
from agp_dash.settings import Settings
from agp_dash.web.app import create_app

_settings = Settings.from_env()
if not _settings.redis_url:
    raise SystemExit("agp worker: set AGP_REDIS_URL to the Redis URL shared with the web processes")

app = create_app(_settings)
celery_app = app.agp_background_manager.handle  # the Celery app the CeleryManager wraps
