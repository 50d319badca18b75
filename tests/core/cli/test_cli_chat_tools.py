"""Tools run in a child process: a time limit and Ctrl-C stop a tool that
never finishes, and the CLI goes on (or ends) cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _cli_helpers import Run

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a child process")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_time_limit_stops_a_runaway_tool(run_cli: Run, tmp_path: Path, cli_env: dict[str, str]) -> None:
    pidfile = tmp_path / "tool.pid"
    cli_env["SLOWTOOL_PIDFILE"] = str(pidfile)
    started = time.monotonic()
    proc = run_cli("chat", "-T", "slowtools:calculate", "--tool-timeout", "1", "what is 6 times 7?", timeout=30)
    assert time.monotonic() - started < 20
    assert proc.returncode == 0, proc.stderr
    assert "!! calculate: TimeoutError: the calculate tool ran longer than 1s and was stopped" in proc.stderr
    assert "The calculate tool says: TimeoutError" in proc.stdout  # the model saw the error and answered
    assert _gone(int(pidfile.read_text()))


def test_ctrl_c_cancels_a_running_tool(tmp_path: Path, cli_env: dict[str, str]) -> None:
    pidfile = tmp_path / "tool.pid"
    cli_env["SLOWTOOL_PIDFILE"] = str(pidfile)
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiwire._cli.main", "chat", "-T", "slowtools:calculate", "what is 6 times 7?"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    try:
        deadline = time.monotonic() + 30
        while not (pidfile.exists() and pidfile.read_text()):
            assert time.monotonic() < deadline, "the tool never started"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        tool_pid = int(pidfile.read_text())
        pressed = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert time.monotonic() - pressed < 10
    assert proc.returncode == 130, err
    assert "[cancelled]" in err and "Traceback" not in err
    assert _gone(tool_pid)


def test_a_python_function_is_a_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiwire._cli.tools import resolve_tools

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent))
    [tool] = resolve_tools(["slowtools:scale"], 5)
    assert tool.definition.name == "scale" and tool.definition.description == "Multiply a number."
    assert tool.definition.parameters == {
        "type": "object",
        "properties": {"value": {"type": "number"}, "times": {"type": "integer"}, "exact": {"type": "boolean"}},
        "required": ["value"],
    }
    import asyncio

    result = asyncio.run(tool.execute("id", {"value": 1.5, "times": 3}, None, None))
    assert result.content[0].text == "4.5"
