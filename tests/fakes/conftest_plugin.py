"""pytest fixtures for the fake Neuronpedia (import them into a conftest.py)::

    from tests.fakes.conftest_plugin import fake_np, fake_np_server, make_np_client, np_client  # noqa: F401

``fake_np`` is a running server, reset and with a fresh :class:`FakeConfig` for every test
(generate latency 0, fault stalls 0.6 s); script it with ``fake_np.add_faults(...)``,
``fake_np.set_remaining(...)``, ``fake_np.config.…``. ``make_np_client(**overrides)`` builds a
client on it with the test key, a per-test disk cache and tiny retry delays; every sleep is
recorded in ``client.sleeps``.
"""
from __future__ import annotations

import random
import time
from urllib.parse import urlsplit

import pytest

from tests.fakes.neuronpedia_server import API_KEY, FakeConfig, FakeNeuronpedia

#: Small delays so retry paths run in milliseconds.
FAST_DELAYS = dict(busy_delay_s=0.01, base_delay_s=0.005, max_delay_s=0.05)


def fast_config() -> FakeConfig:
    return FakeConfig(generate_latency_s=0.0, fault_delay_s=0.6)


@pytest.fixture(scope="session")
def fake_np_server():
    fake = FakeNeuronpedia(config=fast_config()).start()
    assert urlsplit(fake.url).hostname == "127.0.0.1", "the fake must never leave the machine"
    yield fake
    fake.stop()


@pytest.fixture
def fake_np(fake_np_server):
    fake_np_server.config = fast_config()
    fake_np_server.reset()
    return fake_np_server


@pytest.fixture
def make_np_client(fake_np, tmp_path):
    from agp_dash.clients import Backoff, NeuronpediaClient

    def factory(**overrides):
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            time.sleep(min(seconds, 0.2))

        options = dict(api_key=API_KEY, cache=tmp_path / "np-cache", backoff=Backoff(**FAST_DELAYS), sleep=sleep,
                       rng=random.Random(7), recovery_poll_s=0.1, recovery_window_s=3.0)
        options.update(overrides)
        base_url = options.pop("base_url", fake_np.url)
        assert urlsplit(base_url).hostname == "127.0.0.1"
        client = NeuronpediaClient(base_url, **options)
        client.sleeps = sleeps
        return client

    return factory


@pytest.fixture
def np_client(make_np_client):
    return make_np_client()
