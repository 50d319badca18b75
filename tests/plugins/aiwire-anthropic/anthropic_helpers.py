"""Fixtures for the aiwire-anthropic tests: cassette location and helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

ROOT = Path(__file__).resolve().parents[3]
CASSETTES = ROOT / "cassettes" / "aiwire-anthropic"
# Real recorded traffic beside the clone (see tests/conftest.py); optional.
CONFORMANCE = ROOT.parent / "shared" / "conformance" / "anthropic-messages"

F = TypeVar("F", bound=Callable[..., Any])


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """``@replay(name)`` picks the cassette; a ``cassette`` parameter does too."""
    marker = request.node.get_closest_marker("default_cassette")
    if marker is not None:
        return str(marker.args[0])
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and "cassette" in callspec.params:
        return f"{callspec.params['cassette']}_documented.yaml"
    return f"{request.node.name}.yaml"


def replay(name: str) -> Callable[[F], F]:
    """Replay ``cassettes/aiwire-anthropic/<name>_documented.yaml`` (record mode none)."""

    def mark(fn: F) -> F:
        return pytest.mark.vcr(pytest.mark.default_cassette(f"{name}_documented.yaml")(fn))  # type: ignore[no-any-return]

    return mark
