"""``aiwire aliases``, ``aiwire models default``, ``aiwire keys`` and
``aiwire models -q`` with an isolated ``AIWIRE_HOME``."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from _llm_server import LLMServer

import aiwire
from aiwire._cli.chat import pick_model
from aiwire._cli.main import main
from aiwire.auth import default_store

pytestmark = pytest.mark.usefixtures("_fresh_registry")


@pytest.fixture()
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("AIWIRE_HOME", str(folder))
    monkeypatch.delenv("AIWIRE_MODEL", raising=False)
    return folder


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiwire._cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
    )


def test_aliases_round_trip(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home.mkdir(mode=0o700)
    config = home / "config.toml"
    config.write_text('# my settings\n\n[aliases]  # short names\nold = "demo/aiwire-demo"\n')
    assert main(["aliases", "set", "d", "demo/aiwire-demo"]) == 0
    assert main(["aliases", "set", "my.fast", "d"]) == 0  # an alias may name another alias's model
    text = config.read_text()
    assert text.startswith("# my settings\n\n[aliases]  # short names\n") and '"my.fast" = "demo/aiwire-demo"' in text
    assert aiwire.get_model("d").ref == "demo/aiwire-demo"
    assert aiwire.get_model("my.fast").ref == "demo/aiwire-demo"
    capsys.readouterr()
    assert main(["aliases", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "old": "demo/aiwire-demo",
        "d": "demo/aiwire-demo",
        "my.fast": "demo/aiwire-demo",
    }
    assert main(["chat", "-m", "d", "what is 2 + 3?"]) == 0
    assert main(["aliases", "remove", "d"]) == 0
    assert main(["aliases", "remove", "d"]) == 1
    assert "no alias 'd'" in capsys.readouterr().err
    with pytest.raises(aiwire.errors.UnknownModelError, match="aiwire aliases set d provider/model-id"):
        aiwire.get_model("d")
    assert main(["aliases", "set", "x", "nonesuch/model"]) == 2
    assert main(["aliases", "set", "a/b", "demo/aiwire-demo"]) == 2
    assert "not a valid alias" in capsys.readouterr().err


def test_default_model(home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "default"]) == 1
    home.mkdir(mode=0o700)
    (home / "config.toml").write_text(
        '[providers.mygpu]\napi = "openai-completions"\nbase_url = "http://127.0.0.1:9/v1"\n'
        '[[providers.mygpu.models]]\nid = "qwen"\n'
    )
    assert main(["aliases", "set", "q", "mygpu/qwen"]) == 0
    assert main(["models", "default", "q"]) == 0
    capsys.readouterr()
    assert main(["models", "default"]) == 0
    assert capsys.readouterr().out == "q\n"
    assert pick_model(None).ref == "mygpu/qwen"  # `aiwire chat` without -m
    monkeypatch.setenv("AIWIRE_MODEL", "demo/aiwire-demo")
    assert pick_model(None).ref == "demo/aiwire-demo"
    monkeypatch.delenv("AIWIRE_MODEL")
    assert main(["models", "default", "--clear"]) == 0
    assert "default_model" not in (home / "config.toml").read_text()
    assert main(["models", "default", "nonesuch/x"]) == 2


@pytest.mark.network
def test_keys_round_trip(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with LLMServer("keyed") as server:
        home.mkdir(mode=0o700)
        (home / "config.toml").write_text(
            f'[providers.mygpu]\napi = "openai-completions"\nbase_url = "{server.url}/v1"\nkey_env = "MYGPU_KEY"\n'
        )
        monkeypatch.delenv("MYGPU_KEY", raising=False)
        proc = run("keys", "set", "mygpu", stdin="sk-stored-secret-42\n")
        assert proc.returncode == 0, proc.stderr
        assert "sk-stored-secret-42" not in proc.stdout + proc.stderr
        path = home / "auth.json"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert default_store().key("mygpu") == "sk-stored-secret-42"
        listed = run("keys", "list")
        assert listed.returncode == 0 and "sk-stored" not in listed.stdout
        assert any(line.split()[:2] == ["mygpu", "yes"] for line in listed.stdout.splitlines())
        assert aiwire.complete_sync("mygpu/any-model", "hi").text == "keyed"
        assert server.seen[-1].headers["authorization"] == "Bearer sk-stored-secret-42"
        monkeypatch.setenv("MYGPU_KEY", "from-env-wins")  # the environment comes first
        aiwire.complete_sync("mygpu/any-model", "hi")
        assert server.seen[-1].headers["authorization"] == "Bearer from-env-wins"
        rows = json.loads(run("keys", "list", "--json").stdout)
        assert {"provider": "mygpu", "stored": True, "env": "$MYGPU_KEY"} in rows
        assert run("keys", "remove", "mygpu").returncode == 0
        assert run("keys", "remove", "mygpu").returncode == 1
        assert default_store().key("mygpu") is None


def test_keys_set_refuses_empty_input_and_unknown_provider(home: Path) -> None:
    proc = run("keys", "set", "demo", stdin="")
    assert proc.returncode == 2 and "nothing was stored" in proc.stderr
    proc = run("keys", "set", "nonesuch", stdin="x\n")
    assert proc.returncode == 2 and "unknown provider 'nonesuch'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_keys_survive_a_login_write(home: Path) -> None:
    from aiwire.auth import StoredLogin

    store = default_store()
    store.set_key("openai", "sk-kept")
    store.put("some-login", StoredLogin(access="tok"))
    assert store.key("openai") == "sk-kept" and store.get("some-login") is not None
    assert store.delete("some-login") and store.key("openai") == "sk-kept"


def test_models_search_and_json(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "-q", "DEMO"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "model",
        "input",
        "output",
        "context",
        "max",
        "out",
        "$/M",
        "in",
        "$/M",
        "out",
        "reasoning",
    ]
    assert "demo/aiwire-demo" in out
    assert main(["models", "-q", "demo", "-q", "no-such-text"]) == 1
    assert main(["models", "-q", "aiwire-demo", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["aiwire-demo", "aiwire-demo-embed", "aiwire-demo-image"]


def test_login_at_end_of_input_is_a_message_not_a_traceback(home: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "aiwire._cli.main", "login", "github-copilot", "--no-browser"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "aiwire login github-copilot: no answer to 'GitHub Enterprise domain" in proc.stderr
    assert "the input ended" in proc.stderr


def test_chat_without_m_uses_a_provider_with_a_stored_key(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for spec in aiwire.providers():
        for var in spec.env:
            monkeypatch.delenv(var, raising=False)
    assert pick_model(None).ref == "demo/aiwire-demo"
    default_store().set_key("anthropic", "sk-ant-stored")
    assert pick_model(None).ref == "anthropic/claude-sonnet-4-5"


def test_config_edits_keep_the_file_and_refuse_what_they_cannot_do(tmp_path: Path) -> None:
    from aiwire._cli.tomledit import set_value
    from aiwire.errors import ConfigError

    path = tmp_path / "config.toml"
    path.write_text('# top comment\n[providers.x]  # mine\napi = "openai-completions"\n\n[aliases]\na = "p/m"\n')
    set_value(path, None, "default_model", "p/m")
    set_value(path, "aliases", "b", "p/n")
    set_value(path, "aliases", "a", None)
    assert path.read_text() == (
        '# top comment\ndefault_model = "p/m"\n[providers.x]  # mine\napi = "openai-completions"\n\n[aliases]\nb = "p/n"\n'
    )
    inline = tmp_path / "inline.toml"
    inline.write_text('aliases = { a = "p/m" }\n')
    with pytest.raises(
        ConfigError, match=r"could not edit .*inline.toml automatically; edit it by hand: add \[aliases\] b"
    ):
        set_value(inline, "aliases", "b", "p/n")
    assert inline.read_text() == 'aliases = { a = "p/m" }\n'


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_keys_set_on_a_terminal_does_not_echo(home: Path) -> None:
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: aiwire on the pseudo-terminal
        os.execv(sys.executable, [sys.executable, "-m", "aiwire._cli.main", "keys", "set", "openai"])
    seen = b""
    deadline = time.monotonic() + 30
    typed = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        if not typed and b"not echoed" in seen:
            os.write(fd, b"sk-typed-secret-99\n")
            typed = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    assert typed and b"sk-typed-secret-99" not in seen
    assert default_store().key("openai") == "sk-typed-secret-99"
