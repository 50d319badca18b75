"""`aiwire chat -m anthropic/...` through the CLI's normal path, against a replayed cassette."""

from __future__ import annotations

import json

import pytest
from anthropic_helpers import replay

from aiwire._cli.main import main


@replay("text")
def test_chat_command_streams_from_anthropic(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    assert main(["chat", "-u", "-m", "anthropic/claude-sonnet-4-5", "Say hello"]) == 0
    cap = capsys.readouterr()
    assert cap.out == "Hello! How can I help?\n"
    assert "[anthropic/claude-sonnet-4-5: 12 in, 9 out" in cap.err


@replay("text")
def test_chat_picks_anthropic_when_its_key_is_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AIWIRE_MODEL", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    assert main(["chat", "--json", "Say hello"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    ends = [line for line in lines if line["type"] == "message_end" and line["message"]["role"] == "assistant"]
    assert lines[-1]["type"] == "agent_end" and ends[-1]["message"]["provider"] == "anthropic"


def test_chat_without_key_names_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["chat", "-m", "anthropic/claude-sonnet-4-5", "hi"]) == 2
    assert "$ANTHROPIC_API_KEY" in capsys.readouterr().err
