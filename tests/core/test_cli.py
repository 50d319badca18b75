"""The aiwire command, through its real entry function and as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from aiwire._cli.main import main


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "chat" in out and "models" in out and "plugins" in out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("aiwire ")


def test_unknown_command_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chta"]) == 2
    assert "Did you mean `aiwire chat`?" in capsys.readouterr().err


def test_help_imports_nothing_network_related() -> None:
    # Not even aiwire's types (msgspec) or asyncio: `aiwire --help` is the cheapest start there is.
    heavy = ("httpx", "httpcore", "anyio", "h11", "ssl", "asyncio", "msgspec")
    code = f"import sys; from aiwire._cli.main import main; main(['--help']); print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_chat_demo_runs_a_tool(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIWIRE_MODEL", raising=False)
    assert main(["chat", "-m", "demo/aiwire-demo", "what is 6 times 7?"]) == 0
    cap = capsys.readouterr()
    # The answer alone on stdout; thinking, tool traces and notices on stderr.
    assert "[thinking]" in cap.err and "[thinking]" not in cap.out
    assert '-> calculate({"expression":"6 * 7"})' in cap.err
    assert "<- calculate: 42" in cap.err
    assert "The calculate tool says: 42" in cap.out
    assert "calculate(" not in cap.out
    assert "offline demo model" in cap.err


def test_chat_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "-m", "demo/aiwire-demo", "--json", "what is 2 + 3?"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    types = [line["type"] for line in lines]
    assert types[0] == "agent_start" and types[-1] == "agent_end"
    assert "tool_execution_end" in types
    stream_events = [line["event"]["type"] for line in lines if line["type"] == "message_update"]
    assert "toolcall_end" in stream_events and "text_delta" in stream_events
    assert lines[-1]["messages"][-1]["stop_reason"] == "stop"


def test_chat_reads_the_prompt_from_stdin() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "aiwire._cli.main", "chat", "-m", "demo/aiwire-demo", "--no-tools"],
        input="hello from stdin",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "hello from stdin" in proc.stdout


def test_chat_bad_model_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "-m", "nonesuch/model", "hi"]) == 2
    assert "unknown provider 'nonesuch'" in capsys.readouterr().err


def test_models_and_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    assert "demo/aiwire-demo" in capsys.readouterr().out
    assert main(["models", "--json", "--provider", "demo"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == "aiwire-demo"
    assert main(["plugins"]) == 0
    assert "register_providers" in capsys.readouterr().out
    assert main(["plugins", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert any(r["name"] == "aiwire" and r["status"] == "ok" for r in rows)
