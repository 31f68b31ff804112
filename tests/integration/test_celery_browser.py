"""The shared-deployment path: background jobs on a real Celery worker through real Redis."""
import os
import subprocess
import sys
import time

import pytest
from dash.testing.wait import until

from agp_dash.web.ids import Home
from tests.integration.browser_helpers import click

pytestmark = pytest.mark.celery


@pytest.fixture
def celery_env(agp_home, monkeypatch):
    redis_url = os.environ["AGP_TEST_REDIS_URL"]
    monkeypatch.setenv("AGP_REDIS_URL", redis_url)
    monkeypatch.setenv("AGP_SECRET_KEY", "test-shared-secret")
    return {**os.environ, "AGP_HOME": str(agp_home), "AGP_REDIS_URL": redis_url,
            "AGP_SECRET_KEY": "test-shared-secret"}


@pytest.fixture
def celery_worker(celery_env, tmp_path):
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "agp_dash.web.worker:celery_app", "worker",
             "-P", "prefork", "--concurrency=2", "--loglevel=INFO", "--without-heartbeat",
             "--without-mingle", "--without-gossip"],
            env=celery_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in log_path.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"celery worker did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        yield log_path
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_ce01_verify_job_runs_on_celery_worker(dash_duo, celery_env, celery_worker):
    from agp_dash.settings import Settings
    from agp_dash.web.app import create_app
    from agp_dash.web.services import services

    app = create_app(Settings.from_env(env_file=None))
    assert type(app.agp_background_manager).__name__ == "CeleryManager"
    services().workspace.save_text("graphs", "shared.json", "{}", producer="t")
    dash_duo.start_server(app)
    click(dash_duo, f"#{Home.VERIFY_RUN}")
    dash_duo.wait_for_contains_text(f"#{Home.VERIFY_RESULT}", "All 1 artefacts match", timeout=30)
    until(lambda: dash_duo.find_element(f"#{Home.VERIFY_RUN}").is_enabled(), 5)
    assert "background_callback_" in celery_worker.read_text()
    assert dash_duo.get_logs() == []


def test_ce02_worker_refuses_to_start_without_redis(agp_home):
    env = {k: v for k, v in os.environ.items() if k != "AGP_REDIS_URL"}
    out = subprocess.run([sys.executable, "-c", "import agp_dash.web.worker"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "set AGP_REDIS_URL" in out.stderr
