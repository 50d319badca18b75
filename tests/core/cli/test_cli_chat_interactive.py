"""The interactive ``aiwire chat``, driven through a pseudo-terminal: type,
stream, Ctrl-C an answer, continue, multi-line input, exit; the log holds the
conversation and ``-c`` continues it on another provider."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time

import pytest
from _cli_helpers import Run
from _cli_loopback import Loopback

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def _controlling_terminal() -> None:
    """In the child: a new session whose controlling terminal is the pty, so
    that Ctrl-C typed on it is a SIGINT, as in a real terminal."""
    import fcntl
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """The CLI on the slave side of a pty; the test reads and types on the master."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        import pty

        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aiwire._cli.main", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "dumb"},
            preexec_fn=_controlling_terminal,
        )
        os.close(slave)
        self.seen = ""
        self.mark = 0

    def expect(self, text: str, timeout: float = 30) -> str:
        """Wait until ``text`` appears after the previous match; returns what came before it."""
        deadline = time.monotonic() + timeout
        while text not in self.seen[self.mark :]:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {text!r}; got:\n{self.seen[self.mark :]}"
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                assert chunk or text in self.seen[self.mark :], f"terminal closed; got:\n{self.seen[self.mark :]}"
                self.seen += chunk.decode(errors="replace")
        end = self.seen.index(text, self.mark)
        before = self.seen[self.mark : end]
        self.mark = end + len(text)
        return before

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> int:
        try:
            code = self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self.master)
        return code


def test_interactive_session(run_cli: Run, cli_env: dict[str, str]) -> None:
    term = Terminal(["chat", "-T", "slowtools:calculate"], cli_env)
    try:
        term.expect("Chatting with demo/aiwire-demo")
        term.expect("> ")
        term.type("hello there\r")
        term.expect("You said: 'hello there'")
        term.expect("> ")
        # The (never-ending) tool runs: Ctrl-C cancels this answer, not the session.
        term.type("what is 6 times 7?\r")
        term.expect('-> calculate({"expression":"6 * 7"})')
        time.sleep(0.5)
        term.type("\x03")
        term.expect("[cancelled]")
        term.expect("> ")
        term.type('"""\r')
        term.type("line one\r")
        term.type('line two"""\r')
        term.expect("You said: 'line one\\nline two'")
        term.expect("> ")
        term.type("end with a \\\r")
        term.type("backslash\r")
        term.expect("You said: 'end with a \\nbackslash'")
        term.expect("> ")
        term.type("!exit\r")
        term.expect("continue it with `aiwire chat -c`")
    finally:
        code = term.close()
    assert code == 0, term.seen
    assert "Traceback" not in term.seen

    shown = run_cli("logs", "show", "--json")
    conv = json.loads(shown.stdout)
    responses = conv["responses"]
    assert [r["prompt"] for r in responses] == [
        "hello there",
        "what is 6 times 7?",
        "line one\nline two",
        "end with a \nbackslash",
    ]
    assert [r["stop_reason"] for r in responses] == ["stop", "aborted", "stop", "stop"]

    # -c continues the conversation on another provider (a loopback OpenAI-compatible server).
    with Loopback() as server:
        proc = run_cli("chat", "-c", "-m", "ollama/llama3", "--base-url", server.url, "and now?")
    assert proc.returncode == 0, proc.stderr
    sent = server.requests[0]["body"]["messages"]
    users = [m["content"] for m in sent if m["role"] == "user"]
    assert users[0] == "hello there" and users[-1] == "and now?"
    assert "line one\nline two" in users


def test_ctrl_d_leaves_cleanly(cli_env: dict[str, str]) -> None:
    term = Terminal(["chat"], cli_env)
    try:
        term.expect("> ")
        # As a person would, press Ctrl-C once readline waits: a SIGINT that
        # lands between the prompt being written and readline's select() is
        # only seen at the next key.
        time.sleep(0.5)
        term.type("\x03")  # at the prompt: a new prompt, not an exit
        term.expect("(Ctrl-D or !exit leaves)")
        term.expect("> ")
        term.type("\x04")
    finally:
        code = term.close()
    assert code == 0 and "Traceback" not in term.seen


def test_the_spinner_says_a_retry_is_waiting_and_why(cli_env: dict[str, str]) -> None:
    with Loopback(statuses=[429], retry_after="2") as server:
        term = Terminal(["chat", "-m", "ollama/llama3", "--base-url", server.url, "hi"], cli_env)
        try:
            term.expect("ollama/llama3 ...")  # the spinner, before any answer
            term.expect("retry 1 (")
            term.expect("429")
            term.expect(": waiting ")
            term.expect("loopback answer #2")
        finally:
            code = term.close()
    assert code == 0, term.seen
