"""What ``aiwire chat`` does before its first request: the setup check does
not announce a call to observers, and the conversation log is opened only
when the first exchange is written."""

from __future__ import annotations

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
