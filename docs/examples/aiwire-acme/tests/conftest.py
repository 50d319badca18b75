"""Run the tests against the installed plugin, or against this source tree
when it is not installed (registered in-process, as an installed plugin
would be through its entry point)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from aiwire._plugins import registry as _plugins

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
    _plugins.reset()
    if not INSTALLED:
        import aiwire_acme

        _plugins.register_plugin(aiwire_acme, "acme")
    yield
    if not INSTALLED:
        _plugins.unregister_plugin("acme")
    _plugins.reset()
