"""The conversation log: ``aiwire logs``, ``-c``/``--cid`` on any provider,
turning it off, concurrent writers, a corrupt or newer database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from _cli_helpers import Run
from _cli_loopback import Loopback

from aiwire._cli.main import main


def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "logs.db")


def _home() -> Path:
    return Path(os.environ["AIWIRE_HOME"])


def test_exchanges_are_logged_listed_shown_and_exported(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "-u", "what is 6 times 7?"]) == 0
    assert main(["chat", "-c", "and 2 plus 3?"]) == 0
    capsys.readouterr()
    assert main(["logs"]) == 0
    listing = capsys.readouterr().out
    assert "demo/aiwire-demo" in listing and "what is 6 times 7?" in listing and " 2 " in listing
    assert main(["logs", "show"]) == 0
    shown = capsys.readouterr().out
    assert "> what is 6 times 7?" in shown and "> and 2 plus 3?" in shown
    assert '[-> calculate({"expression":"6 * 7"})]' in shown and "[calculate: 42]" in shown
    assert " in, " in shown and "first token" in shown
    assert main(["logs", "--json"]) == 0
    [conv] = json.loads(capsys.readouterr().out)
    assert [r["prompt"] for r in conv["responses"]] == ["what is 6 times 7?", "and 2 plus 3?"]
    first = conv["responses"][0]
    assert first["model"] == "demo/aiwire-demo" and first["input_tokens"] > 0 and first["duration"] > 0
    assert [m["role"] for m in first["messages"]] == ["user", "assistant", "tool_result", "assistant"]
    assert "The calculate tool says: 5." in conv["responses"][1]["answer"]
    with _db(_home()) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    db.close()


def test_continue_on_another_provider_hands_the_context_over(run_cli: Run) -> None:
    first = run_cli("chat", "what is 6 times 7?")
    assert first.returncode == 0, first.stderr
    with Loopback() as server:
        proc = run_cli("chat", "-c", "-m", "ollama/llama3", "--base-url", server.url, "and now?")
    assert proc.returncode == 0, proc.stderr
    sent = server.requests[0]["body"]["messages"]
    assert sent[0] == {"role": "user", "content": "what is 6 times 7?"}
    assert any(m["role"] == "tool" and m["content"] == "42" for m in sent)
    assert sent[-1] == {"role": "user", "content": "and now?"}
    shown = run_cli("logs", "show", "--json")
    conv = json.loads(shown.stdout)
    assert [r["model"] for r in conv["responses"]] == ["demo/aiwire-demo", "ollama/llama3"]
    # Without -m, -c goes on with the conversation's last model.
    with Loopback("again") as server:
        proc = run_cli("chat", "-c", "--base-url", server.url, "once more")
    assert proc.stdout == "again #1\n", proc.stderr
    assert len(server.requests[0]["body"]["messages"]) == len(sent) + 2


def test_cid_picks_a_conversation_by_prefix(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--no-tools", "first conversation"]) == 0
    assert main(["chat", "--no-tools", "second conversation"]) == 0
    capsys.readouterr()
    assert main(["logs", "--json"]) == 0
    convs = json.loads(capsys.readouterr().out)
    older = next(c for c in convs if c["title"] == "first conversation")
    assert main(["chat", "--no-tools", "--cid", older["id"][:6], "more"]) == 0
    capsys.readouterr()
    assert main(["logs", "show", older["id"], "--json"]) == 0
    conv = json.loads(capsys.readouterr().out)
    assert [r["prompt"] for r in conv["responses"]] == ["first conversation", "more"]
    assert main(["chat", "--cid", "zzzz", "hi"]) == 2
    assert "no conversation with id 'zzzz' in the log; list them with `aiwire logs`" in capsys.readouterr().err


def test_continue_without_a_log_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--no-log", "-c", "hi"]) == 2
    assert capsys.readouterr().err == (
        "aiwire chat: there is no conversation log to continue from; start a conversation without -c\n"
    )
    assert main(["chat", "-c", "hi"]) == 2
    assert "the conversation log is empty; start a conversation without -c" in capsys.readouterr().err


def test_the_log_can_be_turned_off(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    home = _home()
    assert main(["chat", "--no-log", "hi"]) == 0
    assert not (home / "logs.db").exists()
    monkeypatch.setenv("AIWIRE_CHAT_LOG", "off")
    assert main(["chat", "hi"]) == 0
    assert not (home / "logs.db").exists()
    monkeypatch.delenv("AIWIRE_CHAT_LOG")
    assert main(["logs", "off"]) == 0
    assert main(["chat", "hi"]) == 0
    assert not (home / "logs.db").exists()
    assert main(["logs", "status"]) == 0
    assert "logging: off (`aiwire logs off`)" in capsys.readouterr().out
    assert main(["logs", "on"]) == 0
    assert main(["chat", "hi"]) == 0
    assert (home / "logs.db").exists()


def test_two_processes_writing_at_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    go = tmp_path / "go"
    writer = f"""
import os, sys, time
from pathlib import Path
from aiwire._cli.log import open_log
from aiwire.types import AssistantMessage, TextContent, Usage, UserMessage
go = Path({str(go)!r})
while not go.exists():
    time.sleep(0.005)
log = open_log(print)
for n in range(60):
    msgs = [UserMessage(content=f"{{sys.argv[1]}} {{n}}"), AssistantMessage(content=[TextContent(text="ok")])]
    log.record(None, model="demo/x", system=None, prompt=f"{{sys.argv[1]}} {{n}}", messages=msgs,
               usage=Usage(input=1, output=1), duration=0.1, first_token=0.01)
log.close()
"""
    env = {**os.environ, "AIWIRE_HOME": str(home)}
    procs = [
        subprocess.Popen([sys.executable, "-c", writer, name], env=env, stderr=subprocess.PIPE, text=True)
        for name in ("a", "b")
    ]
    go.touch()
    errs = [p.communicate(timeout=120)[1] for p in procs]  # both finish before any assert
    assert [p.returncode for p in procs] == [0, 0], errs
    with sqlite3.connect(home / "logs.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        prompts = {r[0] for r in db.execute("SELECT prompt FROM responses")}
    db.close()
    assert prompts == {f"{w} {n}" for w in "ab" for n in range(60)}


def test_a_corrupt_log_is_moved_aside(capsys: pytest.CaptureFixture[str]) -> None:
    home = _home()
    home.mkdir(parents=True, exist_ok=True)
    (home / "logs.db").write_bytes(b"this is not a database" * 100)
    assert main(["chat", "hi"]) == 0
    err = capsys.readouterr().err
    assert "logs.db is not a readable database" in err and "moved it to logs.db.corrupt-" in err
    assert "Traceback" not in err
    aside = [p.name for p in home.iterdir() if p.name.startswith("logs.db.corrupt-")]
    assert len(aside) == 1 and (home / aside[0]).read_bytes().startswith(b"this is not")
    assert main(["logs", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_a_newer_log_is_moved_aside(capsys: pytest.CaptureFixture[str]) -> None:
    home = _home()
    home.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(home / "logs.db") as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    assert main(["chat", "hi"]) == 0
    err = capsys.readouterr().err
    assert "was written by a newer aiwire (schema 99)" in err and "moved it to logs.db.newer-" in err
    assert any(p.name.startswith("logs.db.newer-") for p in home.iterdir())


def test_an_older_log_is_migrated_in_place(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from aiwire._cli import log as chatlog

    assert main(["chat", "--no-tools", "before the upgrade"]) == 0
    v2 = "ALTER TABLE responses ADD COLUMN rating INTEGER"
    monkeypatch.setattr(chatlog, "MIGRATIONS", (*chatlog.MIGRATIONS, v2))
    monkeypatch.setattr(chatlog, "SCHEMA_VERSION", 2)
    assert main(["chat", "--no-tools", "-c", "after the upgrade"]) == 0
    capsys.readouterr()
    with _db(_home()) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        rows = db.execute("SELECT prompt, rating FROM responses ORDER BY id").fetchall()
    db.close()
    assert rows == [("before the upgrade", None), ("after the upgrade", None)]


def test_the_log_is_private(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    home = _home() / "fresh"
    monkeypatch.setenv("AIWIRE_HOME", str(home))
    assert main(["chat", "hi"]) == 0
    if sys.platform != "win32":
        assert home.stat().st_mode & 0o777 == 0o700  # the auth store beside it insists on that
        assert (home / "logs.db").stat().st_mode & 0o777 == 0o600
    from aiwire.auth.store import AuthStore

    AuthStore(home / "auth.json").logins()  # still usable: no "insecure folder" error


def test_a_failed_log_write_does_not_fail_the_chat(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiwire._cli.log import ConversationLog

    def locked(*args: object, **kwargs: object) -> str:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(ConversationLog, "record", locked)
    assert main(["chat", "hi"]) == 0
    out, err = capsys.readouterr()
    assert "You said: 'hi'" in out
    assert "aiwire: this exchange was not logged: database is locked" in err


def test_the_key_never_reaches_the_log(run_cli: Run) -> None:
    with Loopback() as server:
        proc = run_cli("chat", "-m", "ollama/llama3", "--base-url", server.url, "--key", "sk-never-logged", "hi")
    assert proc.returncode == 0, proc.stderr
    dump = run_cli("logs", "--json")
    assert "loopback answer" in dump.stdout and "sk-never-logged" not in dump.stdout
    home = _home()
    for f in home.iterdir():
        if f.name.startswith("logs.db"):
            assert b"sk-never-logged" not in f.read_bytes()
