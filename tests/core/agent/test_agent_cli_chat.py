"""``aiwire chat`` runs on the agent loop (offline demo model and faux provider)."""

from __future__ import annotations

import json

import pytest

from aiwire._cli import chat as _cli_chat
from aiwire.testing import FauxProvider, text, tool_call


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AIWIRE_MODEL", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(var, raising=False)


def test_chat_runs_the_calculator(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli_chat.main(["-u", "what is 6 times 7?"]) == 0
    out, err = capsys.readouterr()
    assert '-> calculate({"expression":"6 * 7"})' in err
    assert "<- calculate: 42\n" in err
    assert err.index("-> calculate") < err.index("<- calculate")
    assert out.startswith("Let me work that out") and "The calculate tool says: 42." in out
    assert "offline demo model" in err and "[demo/aiwire-demo:" in err


def test_chat_json_prints_agent_events(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli_chat.main(["--json", "what is 6 times 7?"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    types = [e["type"] for e in lines]
    assert types[0] == "agent_start" and types[-1] == "agent_end"
    end = next(e for e in lines if e["type"] == "tool_execution_end")
    assert end["tool_name"] == "calculate" and end["result"]["content"][0]["text"] == "42"
    assert any(e["type"] == "message_update" and e["event"]["type"] == "text_delta" for e in lines)
    assert len(lines[-1]["messages"]) == 4


def test_chat_reports_tool_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli_chat.main(["what is 1 divided by 0?"]) == 0
    _, err = capsys.readouterr()
    assert "!! calculate: ZeroDivisionError: division by zero" in err


def test_chat_without_tools(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli_chat.main(["--no-tools", "what is 6 times 7?"]) == 0
    out, err = capsys.readouterr()
    assert "->" not in err and "You said" in out


def test_chat_stops_after_max_turns(faux: FauxProvider, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(_cli_chat.MAX_TURNS + 2):
        faux.reply(tool_call("current_time"))
    assert _cli_chat.main(["-m", "faux/faux-1", "-T", "current_time", "loop forever"]) == 0
    assert len(faux.requests) == _cli_chat.MAX_TURNS
    assert capsys.readouterr().err.count("<- current_time:") == _cli_chat.MAX_TURNS


def test_chat_exit_code_on_provider_error(faux: FauxProvider, capsys: pytest.CaptureFixture[str]) -> None:
    faux.reply(text("partial"), error="upstream fell over")
    assert _cli_chat.main(["-m", "faux/faux-1", "hi"]) == 1
    assert "error: " in capsys.readouterr().err
