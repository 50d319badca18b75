"""``$AIWIRE_HOME/config.toml``: custom providers and models, overrides of
installed providers, and clear errors for a bad file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _llm_server import LLMServer

import aiwire
from aiwire._cli.main import main
from aiwire._plugins.config import ConfigFileError, load_config

pytestmark = pytest.mark.usefixtures("_fresh_registry")


@pytest.fixture()
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("AIWIRE_HOME", str(folder))
    for var in ("OLLAMA_HOST", "OPENAI_BASE_URL", "MYGPU_BASE_URL", "AIWIRE_MODEL"):
        monkeypatch.delenv(var, raising=False)
    return folder


def custom_config(url: str) -> str:
    return f"""
[providers.mygpu]
name = "My GPU box"
api = "openai-completions"
base_url = "{url}/v1"
key_env = "MYGPU_KEY"
headers = {{ X-Team = "research" }}
compat = {{ max_tokens_field = "max_tokens" }}

[[providers.mygpu.models]]
id = "qwen-72b"
name = "Qwen 72B"
context_window = 32768
max_tokens = 8192
input = ["text", "image"]
cost = {{ input = 0.5, output = 1.5 }}
"""


def test_no_file_is_an_empty_config(home: Path) -> None:
    config = load_config()
    assert config.providers == {} and config.aliases == {} and config.path == ""


@pytest.mark.network
def test_custom_model_is_listed_and_answers(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with LLMServer("hi from my gpu") as server:
        (home / "config.toml").write_text(custom_config(server.url))
        model = aiwire.get_model("mygpu/qwen-72b")
        assert (model.api, model.base_url, model.context_window, model.input) == (
            "openai-completions",
            f"{server.url}/v1",
            32768,
            ("text", "image"),
        )
        assert main(["models", "--provider", "mygpu"]) == 0
        out = capsys.readouterr().out
        assert "mygpu/qwen-72b" in out and "32,768" in out and "text,image" in out
        with pytest.raises(aiwire.errors.MissingCredentialsError, match=r"\$MYGPU_KEY"):
            aiwire.complete_sync(model, "hi")
        monkeypatch.setenv("MYGPU_KEY", "gpu-secret-123")
        msg = aiwire.complete_sync("mygpu/qwen-72b", "hi", max_tokens=50)
        assert msg.text == "hi from my gpu"
        seen = server.seen[-1]
        assert seen.path == "/v1/chat/completions"
        assert seen.headers["authorization"] == "Bearer gpu-secret-123"
        assert seen.headers["x-team"] == "research"
        assert seen.body["max_tokens"] == 50 and "max_completion_tokens" not in seen.body
        proc = subprocess.run(
            [sys.executable, "-m", "aiwire._cli.main", "chat", "-m", "mygpu/qwen-72b", "hello"],
            capture_output=True,
            text=True,
            env={**os.environ},
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        assert "hi from my gpu" in proc.stdout


def test_installed_provider_gets_models_and_key_variable(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "config.toml").write_text(
        '[providers.ollama]\nbase_url = "http://gpu:11434/v1"\n'
        '[[providers.ollama.models]]\nid = "llama3.3"\ncontext_window = 131072\n'
    )
    model = aiwire.get_model("ollama/llama3.3")
    assert model.context_window == 131072
    assert "ollama/llama3.3" in [m.ref for m in aiwire.models("ollama")]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("default_model = [", "it is not valid TOML"),
        ("[providers.x]\nap = 'openai-completions'", "Object contains unknown field `ap`"),
        ("[providers.x]\nbase_url = 'http://h/v1'", "[providers.x] is not an installed provider and has no api"),
        ("[providers.ollama]\napi = 'anthropic-messages'", "sets api, but 'ollama' is an installed provider"),
        ("[aliases]\nfast = 'nothing'", "alias 'fast' = 'nothing' is not provider/model-id"),
        ("[providers.x]\napi = 'openai-completions'\nbase_url = 'gpu:8000'", "is not a URL"),
    ],
)
def test_bad_config_is_one_clear_line(home: Path, text: str, problem: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = home / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigFileError) as info:
        aiwire.get_model("demo/aiwire-demo")
    message = str(info.value)
    assert str(path) in message and problem in message and "\n" not in message
    assert main(["models"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and problem in err


def test_unreadable_config_exits_2(home: Path) -> None:
    path = home / "config.toml"
    path.write_bytes(b"\xff\xfe not utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "aiwire._cli.main", "chat", "-m", "demo/aiwire-demo", "hi"],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "it cannot be read (it is not UTF-8 text)" in proc.stderr


def test_models_json_has_config_models(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = custom_config("http://127.0.0.1:9").replace(
        'X-Team = "research"', 'X-Team = "research", Authorization = "Bearer s3cret-value"'
    )
    (home / "config.toml").write_text(text)
    assert main(["models", "--json", "--provider", "mygpu"]) == 0
    out = capsys.readouterr().out
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["qwen-72b"]
    assert rows[0]["headers"] == {"X-Team": "research", "Authorization": "***"} and "s3cret" not in out


@pytest.mark.network
def test_anthropic_compatible_endpoint(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with LLMServer("hi from a messages gateway") as server:
        (home / "config.toml").write_text(
            f'[providers.gateway]\napi = "anthropic-messages"\nbase_url = "{server.url}/v1"\nkey_env = "GW_KEY"\n'
        )
        monkeypatch.setenv("GW_KEY", "gw-secret-7")
        msg = aiwire.complete_sync("gateway/claude-compatible", "hi", max_tokens=20)
        assert msg.text == "hi from a messages gateway"
        assert server.seen[-1].path == "/v1/messages"
        assert server.seen[-1].headers["x-api-key"] == "gw-secret-7"
        assert server.seen[-1].body["model"] == "claude-compatible"


def test_config_is_not_read_on_import() -> None:
    code = "import sys, aiwire; print('tomllib' in sys.modules, 'aiwire._plugins.config' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
