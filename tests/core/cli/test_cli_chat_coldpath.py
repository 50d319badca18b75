"""What ``aiwire chat`` does before its first request: the setup check does
not announce a call to observers, the conversation log is opened only when
the first exchange is written, tool execution is imported by the first turn
that calls a tool, and the garbage collector, paused while the command sets
up, is back on (with the setup frozen) when the call starts."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from aiwire._cli import log as chatlog
from aiwire._cli.main import main
from aiwire._plugins import registry as _plugins
from aiwire.plugin import hookimpl


class Observer:
    AIWIRE_PLUGIN_API = 2

    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    @hookimpl
    def on_call_start(self, model: Any, call: Any) -> None:
        self.seen.append(f"call {model.ref}")


@pytest.fixture
def seen() -> Any:
    events: list[str] = []
    _plugins.register_plugin(Observer(events), "chat-observer")
    try:
        yield events
    finally:
        _plugins.unregister_plugin("chat-observer")


def test_one_call_is_announced_and_the_log_opens_after_it(
    seen: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = chatlog.open_log

    def open_log(*args: Any, **kwargs: Any) -> Any:
        seen.append("log opened")
        return real(*args, **kwargs)

    monkeypatch.setattr(chatlog, "open_log", open_log)
    assert main(["chat", "--no-tools", "hi"]) == 0
    assert "You said: 'hi'" in capsys.readouterr().out
    assert seen == ["call demo/aiwire-demo", "log opened"]
    assert main(["logs", "--json"]) == 0
    assert '"prompt": "hi"' in capsys.readouterr().out.replace('"prompt":"hi"', '"prompt": "hi"')


def test_no_log_opens_nothing(
    seen: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chatlog, "open_log", lambda *a, **k: seen.append("log opened"))
    assert main(["chat", "--no-tools", "--no-log", "hi"]) == 0
    capsys.readouterr()
    assert seen == ["call demo/aiwire-demo"]


# Run as the `aiwire` script runs it: main() reads sys.argv. An observer
# records the process's state when the chat's first call starts.
_AT_FIRST_CALL = """
import gc, json, sys
from aiwire._plugins.registry import register_plugin
from aiwire.plugin import hookimpl

class Observer:
    AIWIRE_PLUGIN_API = 2
    seen = None

    @hookimpl
    def on_call_start(self, model, call):
        if Observer.seen is None:
            Observer.seen = {
                "gc_enabled": gc.isenabled(),
                "frozen": gc.get_freeze_count(),
                "execute_loaded": "aiwire.agent._execute" in sys.modules,
            }

register_plugin(Observer(), "first-call")
sys.argv = ["aiwire", "chat", "--no-log", *sys.argv[1:]]
from aiwire._cli.main import main
code = main()
print(json.dumps({**Observer.seen, "gc_enabled_after": gc.isenabled(), "code": code}))
"""


@pytest.mark.parametrize("tools", [False, True], ids=["no-tools", "demo-tools"])
def test_first_call_starts_with_the_collector_on_and_no_tool_machinery(tools: bool) -> None:
    args = ["-m", "demo/aiwire-demo", "what is 6 times 7?"] + ([] if tools else ["--no-tools"])
    out = subprocess.run(
        [sys.executable, "-c", _AT_FIRST_CALL, *args], capture_output=True, text=True, timeout=120, check=True
    )
    state = json.loads(out.stdout.strip().splitlines()[-1])
    assert state["code"] == 0
    assert state["gc_enabled"] and state["gc_enabled_after"], "the collector must be back on once setup is done"
    assert state["frozen"] > 10_000, "what setup made is frozen out of later collections"
    assert not state["execute_loaded"], "tool execution loads when a turn calls a tool, not before the first call"


def test_in_process_main_leaves_the_collector_alone(capsys: pytest.CaptureFixture[str]) -> None:
    import gc

    frozen = gc.get_freeze_count()
    gc.disable()
    try:
        assert main(["chat", "--no-tools", "--no-log", "hi"]) == 0
        assert not gc.isenabled(), "a caller's own gc.disable() is kept"
    finally:
        gc.enable()
    assert gc.get_freeze_count() == frozen
    capsys.readouterr()
