"""Run the tests against the installed plugin, or against this source tree
when it is not installed (registered in-process, as an installed plugin
would be through its entry point)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from aiwire.testing import use_plugin

try:
    metadata.distribution("aiwire-acme")
    INSTALLED = True
except metadata.PackageNotFoundError:
    INSTALLED = False
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


@pytest.fixture(autouse=True)
def acme_plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ACME_API_KEY", "test-key")
    monkeypatch.delenv("ACME_BASE_URL", raising=False)
    if INSTALLED:
        with use_plugin():  # discovery finds it through its entry point
            yield
    else:
        import aiwire_acme

        with use_plugin(aiwire_acme, "acme"):
            yield
