"""``aiwire chat``: output discipline, options, attachments, base URL, retries."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from _cli_helpers import Run
from _cli_loopback import Loopback

from aiwire._cli.main import main
from aiwire._cli.render import Printer
from aiwire.testing import FauxProvider, error, text


def test_answer_alone_on_stdout_and_piped_stdin_joined(run_cli: Run) -> None:
    proc = run_cli("chat", "--no-tools", "summarize this", input="FILE CONTENT\n")
    assert proc.returncode == 0, proc.stderr
    # The demo echoes the prompt: stdin first, then the prompt, joined.
    assert "You said: 'FILE CONTENT\\n\\nsummarize this'" in proc.stdout
    assert "[thinking]" in proc.stderr and "[thinking]" not in proc.stdout
    assert "offline demo model" in proc.stderr
    assert "\033[" not in proc.stderr  # not a terminal: no colour codes


def test_no_thinking_and_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--no-thinking", "-u", "what is 6 times 7?"]) == 0
    out, err = capsys.readouterr()
    assert "[thinking]" not in err and "[thinking]" not in out
    assert "<- calculate: 42" in err
    assert "[demo/aiwire-demo: " in err and " in, " in err and " out, " in err


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_side_channel_is_dimmed_on_a_terminal_unless_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out, err = io.StringIO(), _Tty()
    p = Printer(out, err)
    p.side("-> tool()\n")
    p.answer("the answer")
    p.finish()
    assert err.getvalue() == "\033[2m-> tool()\033[0m\n" and out.getvalue() == "the answer\n"
    monkeypatch.setenv("NO_COLOR", "1")
    err2 = _Tty()
    Printer(io.StringIO(), err2).side("x\n")
    assert err2.getvalue() == "x\n"


def test_unknown_option_lists_the_valid_ones(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "-o", "temprature", "0.2", "hi"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "-o temprature: not an option of the faux api; valid: " in err and "temperature" in err


def test_bad_option_value_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "-o", "temperature", "hot", "hi"]) == 2
    assert "temperature" in capsys.readouterr().err


def test_options_reach_the_request(faux: FauxProvider, capsys: pytest.CaptureFixture[str]) -> None:
    faux.reply(text("ok"))
    assert (
        main(["chat", "-m", "faux/faux-1", "-o", "temperature", "0.25", "-o", "stop", "END", "-s", "be brief", "hi"])
        == 0
    )
    req = faux.requests[0]["json"]
    assert req["options"]["temperature"] == 0.25 and req["options"]["stop"] == ["END"]
    assert req["context"]["system_prompt"] == "be brief"


def test_missing_attachment_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "-a", "nope.png", "hi"]) == 2
    err = capsys.readouterr().err
    assert err == "aiwire chat: attachment 'nope.png' not found; give an image file path or an http(s) URL\n"


def test_attachment_is_sent_as_an_image(faux: FauxProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "dot.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    faux.reply(text("a dot"))
    assert main(["chat", "-m", "faux/faux-1", "-a", str(png), "what is this?"]) == 0
    content = faux.requests[0]["json"]["context"]["messages"][0]["content"]
    assert [c["type"] for c in content] == ["text", "image"] and content[1]["mime_type"] == "image/png"


def test_not_an_image_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("hi")
    assert main(["chat", "-a", str(f), "hi"]) == 2
    assert "is not an image" in capsys.readouterr().err


def test_base_url_and_key_reach_a_loopback_server(run_cli: Run, cli_env: dict[str, str]) -> None:
    cli_env["OLLAMA_HOST"] = "http://127.0.0.1:9"  # --base-url wins over the environment
    with Loopback() as server:
        proc = run_cli("chat", "-m", "ollama/llama3", "--base-url", server.url, "--key", "sk-loop", "-u", "hello")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "loopback answer #1\n"
    assert server.requests[0]["path"] == "/v1/chat/completions"
    assert server.requests[0]["headers"]["authorization"] == "Bearer sk-loop", server.requests[0]["headers"]
    assert "[ollama/llama3: 11 in, 5 out" in proc.stderr
    assert "sk-loop" not in proc.stderr


def test_no_stream_asks_for_the_whole_answer(run_cli: Run) -> None:
    with Loopback() as server:
        proc = run_cli("chat", "-m", "ollama/llama3", "--base-url", server.url, "--no-stream", "hello")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "loopback answer #1\n"
    assert "stream" not in server.requests[0]["body"] or server.requests[0]["body"]["stream"] is False


def test_a_retry_is_announced(faux: FauxProvider, capsys: pytest.CaptureFixture[str]) -> None:
    faux.reply(error("busy", status=429))
    faux.reply(text("fine now"))
    assert main(["chat", "-m", "faux/faux-1", "-o", "max_retry_delay", "0.01", "hi"]) == 0
    out, err = capsys.readouterr()
    assert out == "fine now\n"
    assert "[retry 1 in " in err and "429" in err


def test_calculator_refuses_huge_powers_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert main(["chat", "what is ((10**999)**999)**999?"]) == 0
    assert time.monotonic() - started < 15
    err = capsys.readouterr().err
    assert "!! calculate: ValueError: a large number ** 999 would exceed 10,000 bits" in err


def test_tools_only_for_the_demo_or_when_asked(faux: FauxProvider, capsys: pytest.CaptureFixture[str]) -> None:
    faux.reply(text("no tools"))
    faux.reply(text("one tool"))
    assert main(["chat", "-m", "faux/faux-1", "hi"]) == 0
    assert main(["chat", "-m", "faux/faux-1", "-T", "calculate", "hi"]) == 0
    assert faux.requests[0]["json"]["context"].get("tools", []) == []
    assert [t["name"] for t in faux.requests[1]["json"]["context"]["tools"]] == ["calculate"]


def test_unknown_tool_and_tool_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "-T", "nope", "hi"]) == 2
    assert "unknown tool 'nope'; the built-in tools are calculate, current_time" in capsys.readouterr().err
    assert main(["chat", "--list-tools"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("calculate: ") and "current_time: " in out


def test_bad_tool_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--tool-timeout", "0", "hi"]) == 2
    assert capsys.readouterr().err == "aiwire chat: --tool-timeout 0: give a number of seconds > 0\n"
