"""Where the shared real fixtures live, and a skip helper for machines without them.

The fixtures are at ``../shared/fixtures/real`` beside the repository (CI has them); they
are never copied into the project.
"""
from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REAL_FIXTURES = REPO_ROOT.parent / "shared" / "fixtures" / "real"
SPEC_DIR = REPO_ROOT.parent / "shared" / "spec"


def real_fixture(*parts: str) -> Path:
    """Path of a real fixture file; skips the calling test cleanly when it is absent."""
    path = REAL_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real fixture not available: {path} (needs ../shared/fixtures)")
    return path


def spec_file(name: str) -> Path:
    path = SPEC_DIR / name
    if not path.exists():
        pytest.skip(f"spec file not available: {path} (needs ../shared/spec)")
    return path
