"""Shared test setup. Tests need no reset between them: clients hold their own
state. Only tests that change what discovery finds (fake installed
distributions, allow/deny lists) ask for ``_fresh_registry``."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from _request_capture import (  # the request differential over the whole run (see its docstring)
    pytest_configure,
    pytest_runtest_setup,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

from aiwire._plugins import registry as _plugins

ROOT = Path(__file__).resolve().parent.parent

# Collection runs module-level code that discovers plugins before any fixture:
# it gets a private AIWIRE_HOME too, so that it neither reads the user's
# config.toml nor writes their plugin index. Tests get their own (below).
_USER_HOME = os.environ.get("AIWIRE_HOME")
if _USER_HOME is None:
    _collect_home = tempfile.mkdtemp(prefix="aiwire-collect-")
    os.environ["AIWIRE_HOME"] = _collect_home
    atexit.register(shutil.rmtree, _collect_home, True)
CONFORMANCE = ROOT.parent / "shared" / "conformance"


__all__ = ["pytest_configure", "pytest_runtest_setup", "pytest_sessionfinish", "pytest_terminal_summary"]


@pytest.fixture()
def _fresh_registry() -> Iterator[None]:
    _plugins.reset()
    yield
    _plugins.reset()


@pytest.fixture(autouse=True)
def _private_aiwire_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`aiwire chat` logs conversations in AIWIRE_HOME: never in the user's
    own folder during tests (subprocesses inherit the variable)."""
    if _USER_HOME is None:
        monkeypatch.setenv("AIWIRE_HOME", str(tmp_path_factory.mktemp("aiwire-home")))
