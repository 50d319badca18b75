"""Plugins extend the CLI (``register_commands``) and name their own
packages in errors (``register_install_hints``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import _cmdplugin
import pytest

import aiwire
from aiwire._api.models import missing_plugin_message
from aiwire._cli.main import main
from aiwire.errors import UnknownApiError, UnknownProviderError
from aiwire.testing import use_plugin

HERE = Path(__file__).parent


@pytest.fixture()
def cmdplugin() -> Iterator[None]:
    sys.modules.pop("_cmdplugin.heavy", None)
    with use_plugin(_cmdplugin, "cmdplugin"):
        yield


def test_plugin_command_runs_and_is_listed(cmdplugin: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "greet" not in capsys.readouterr().out  # --help loads no plugin
    assert "_cmdplugin.heavy" not in sys.modules
    assert main(["help", "--all"]) == 0
    out = capsys.readouterr().out
    assert "greet" in out and "say hello from a plugin (plugin cmdplugin)" in out
    assert "_cmdplugin.heavy" not in sys.modules  # listing imports only the entry module
    assert main(["greet", "world", "--shout"]) == 0
    assert capsys.readouterr().out == "HELLO, WORLD\n"
    assert main(["greet", "three"]) == 3


def test_help_discovers_no_plugins() -> None:
    code = (
        "import sys; from aiwire._cli.main import main; main(['--help']); "
        "print(sorted(m for m in sys.modules if m.startswith(('aiwire_', 'aiwire._plugins.registry', 'pluggy'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_third_party_hint_in_unknown_provider(cmdplugin: None) -> None:
    with pytest.raises(UnknownProviderError, match=r"Install it with: pip install aiwire-acme-cloud"):
        aiwire.get_model("acme-cloud/big")


def test_first_party_hints_without_the_plugins() -> None:
    client = aiwire.Client(plugins=[])
    with pytest.raises(UnknownProviderError, match="pip install aiwire-google"):
        client.get_model("google/gemini-2.5-flash")
    with pytest.raises(UnknownApiError, match="Fix: pip install aiwire-anthropic"):
        client.complete(aiwire.custom_model("m", api="anthropic-messages", base_url="http://127.0.0.1:9"), "hi")
    client.close()


def test_key_set_but_plugin_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    reg = aiwire.Client(plugins=[]).registry
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    assert missing_plugin_message(reg) is None
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-x")
    message = missing_plugin_message(reg) or ""
    assert "$ANTHROPIC_API_KEY is set" in message and "pip install aiwire-anthropic" in message


def test_cli_names_the_disabled_plugin_instead_of_the_demo(tmp_path: Path) -> None:
    env = {**os.environ, "OPENAI_API_KEY": "sk-x", "AIWIRE_DISABLE_PLUGINS": "openai", "AIWIRE_HOME": str(tmp_path)}
    env.pop("AIWIRE_MODEL", None)
    for var in ("ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        env.pop(var, None)
    proc = subprocess.run(
        [sys.executable, "-m", "aiwire._cli.main", "chat", "hi"], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 2
    assert "$OPENAI_API_KEY is set" in proc.stderr and "aiwire-openai" in proc.stderr
    assert "offline demo model" not in proc.stderr and proc.stdout == ""
