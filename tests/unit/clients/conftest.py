"""Fixtures for the Neuronpedia client tests: the fake server, clients on it, and a guard that
fails any test trying to open a connection anywhere but 127.0.0.1."""
from __future__ import annotations

import socket

import pytest


_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") and self.family != socket.AF_UNIX:
        raise AssertionError(f"test tried to reach {address!r}: the client tests must stay on 127.0.0.1")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # a CI proxy must not sit between us and the fake
