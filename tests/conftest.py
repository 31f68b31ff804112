"""Test gating: browser tests need Chromium + chromedriver, Celery tests need Redis.

Where they are missing the tests skip with a visible reason, except in CI, where
``AGP_REQUIRE_BROWSER=1`` / ``AGP_REQUIRE_REDIS=1`` turn those skips into failures.
"""
from __future__ import annotations

import os
import shutil

import pytest

# The fake Neuronpedia server's fixtures (fake_np, make_np_client, …) for every test.
pytest_plugins = ["tests.fakes.conftest_plugin"]

BROWSER_FIXTURES = {"dash_duo", "dash_br", "dash_duo_mp"}


def pytest_setup_options():
    """Chrome options for dash.testing (it appends its own flags, --headless included)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.add_argument("--window-size=1400,1000")
    # This machine's network is closed: keep Chromium from trying to phone home.
    for flag in ("--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic"):
        options.add_argument(flag)
    return options


def _missing_browser() -> str | None:
    missing = [name for name in ("chromedriver", "chromium") if not shutil.which(name)]
    return f"browser test needs {' and '.join(missing)} on PATH" if missing else None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item):
    if item.get_closest_marker("browser"):
        reason = _missing_browser()
        if reason:
            if os.environ.get("AGP_REQUIRE_BROWSER") == "1":
                pytest.fail(f"{reason} (AGP_REQUIRE_BROWSER=1 forbids skipping)", pytrace=False)
            pytest.skip(reason)
    if item.get_closest_marker("celery") and not os.environ.get("AGP_TEST_REDIS_URL"):
        reason = "Celery test needs Redis: set AGP_TEST_REDIS_URL (make test under .ci/run does)"
        if os.environ.get("AGP_REQUIRE_REDIS") == "1":
            pytest.fail(f"{reason} (AGP_REQUIRE_REDIS=1 forbids skipping)", pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def agp_home(tmp_path, monkeypatch):
    """A fresh workspace folder, also exported as AGP_HOME for code that reads the environment."""
    home = tmp_path / "agp-home"
    monkeypatch.setenv("AGP_HOME", str(home))
    return home


@pytest.fixture
def make_app(agp_home):
    """Build a fresh app on a fresh workspace (one per test)."""
    from agp_dash.settings import Settings
    from agp_dash.web.app import create_app

    def factory(**overrides):
        settings = Settings(home=agp_home, **overrides)
        return create_app(settings)

    return factory


@pytest.fixture
def fake_graph_backend():
    """The deterministic test graph backend, registered as "fake" for the test's duration."""
    from agp_dash.graphs.backends import register_backend, unregister_backend
    from tests.graph_backend_fake import FakeBackend

    backend = register_backend(FakeBackend(), replace_existing=True)
    yield backend
    unregister_backend(backend.name)
