"""Helpers of the CLI tests: the CLI as a subprocess with a private AIWIRE_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture()
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for CLI subprocesses: no keys, a fresh home, no colour."""
    for var in (
        "AIWIRE_MODEL",
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "GEMINI_API_KEY",
        "AIWIRE_LOG",
        "AIWIRE_CHAT_LOG",
        "NO_COLOR",
    ):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("AIWIRE_HOME", str(home))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return env


from _cli_helpers import Run  # noqa: E402


@pytest.fixture()
def run_cli(cli_env: dict[str, str]) -> Run:
    def run(*args: str, input: str | None = None, timeout: float = 60, **kw: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "aiwire._cli.main", *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            env=cli_env,
            **kw,
        )

    return run
