"""Shared test setup: every test starts from a fresh plugin registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aiwire._plugins import registry as _plugins

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT.parent / "shared" / "conformance"


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    _plugins.reset()
    yield
    _plugins.reset()
