"""Fixtures of the local-engine tests: the shipped model, loaded once per session."""
from __future__ import annotations

import numpy as np
import pytest

from agp_dash.engine import load_engine

# Prompts of different lengths used by the exactness and structure tests.
PROMPTS = [
    "The capital of state containing Dallas is",
    "Fact: the capital of the state containing Oakland is",
    "Fact: Michael Jordan plays the sport of",
    'The opposite of "small" is "',
    'Le contraire de "petit" est "',
    'The muscle that contracts when you inhale deeply is "the',
    "Dallas , Texas is",
    "I live in Dallas , Texas and I like music . The capital of the state containing Houston is",
]
DALLAS = PROMPTS[0]


@pytest.fixture(scope="session")
def engine():
    return load_engine()


@pytest.fixture(scope="session")
def dallas64(engine):
    return engine.attribute(DALLAS, dtype=np.float64, keep_parts=True)


@pytest.fixture(scope="session")
def dallas_graph(engine):
    return engine.graph(DALLAS, slug="dallas-test", node_threshold=1.0, edge_threshold=1.0)
