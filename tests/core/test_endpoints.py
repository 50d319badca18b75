"""Base URL overrides: per call > environment > config file > plugin default,
through the real drivers to a loopback server, and from the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from _llm_server import LLMServer

import aiwire
from aiwire._plugins.endpoints import base_url_for, env_var_name
from aiwire.errors import BadOptionsError

pytestmark = pytest.mark.network

ALL_URL_VARS = ("OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OLLAMA_HOST", "OLLAMA_BASE_URL", "GROQ_BASE_URL")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ALL_URL_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path / "home"))


def test_env_var_name_convention() -> None:
    assert env_var_name("openai") == "OPENAI_BASE_URL"
    assert env_var_name("google-vertex") == "GOOGLE_VERTEX_BASE_URL"
    assert env_var_name("llama.cpp") == "LLAMA_CPP_BASE_URL"


def test_vendor_variables_and_their_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = aiwire.get_provider("ollama")
    assert base_url_for(spec)[0] == "http://localhost:11434/v1"
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box")  # host only: scheme, port and path from the default
    assert base_url_for(spec) == ("http://gpu-box:11434/v1", "$OLLAMA_HOST")
    monkeypatch.setenv("OLLAMA_HOST", "10.0.0.2:9999")
    assert base_url_for(spec)[0] == "http://10.0.0.2:9999/v1"
    monkeypatch.setenv("OLLAMA_HOST", "https://ollama.example:443/")
    assert base_url_for(spec)[0] == "https://ollama.example:443/v1"
    anthropic = aiwire.get_provider("anthropic")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://proxy.example:8080")  # the SDKs' form: no /v1
    assert base_url_for(anthropic)[0] == "http://proxy.example:8080/v1"
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://proxy.example:8080/v1/")
    assert base_url_for(anthropic)[0] == "http://proxy.example:8080/v1"
    groq = aiwire.get_provider("groq")  # no vendor variable declared: the generic one
    monkeypatch.setenv("GROQ_BASE_URL", "http://127.0.0.1:1/openai/v1")
    assert base_url_for(groq) == ("http://127.0.0.1:1/openai/v1", "$GROQ_BASE_URL")
    monkeypatch.setenv("GROQ_BASE_URL", "ftp://nope")
    with pytest.raises(BadOptionsError, match=r"\$GROQ_BASE_URL='ftp://nope' is not an http\(s\) URL"):
        base_url_for(groq)


def test_precedence_call_over_env_over_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with LLMServer("from env") as env_server, LLMServer("from config") as cfg, LLMServer("per call") as call:
        home = tmp_path / "home"
        home.mkdir()
        (home / "config.toml").write_text(f'[providers.ollama]\nbase_url = "{cfg.url}/v1"\n')
        assert aiwire.complete_sync("ollama/llama3", "hi").text == "from config"
        monkeypatch.setenv("OLLAMA_HOST", env_server.url)
        assert aiwire.complete_sync("ollama/llama3", "hi").text == "from env"
        with aiwire.Client(base_urls={"ollama": f"{call.url}/v1"}) as client:
            assert client.complete("ollama/llama3", "hi").text == "per call"
        assert [s.path for s in cfg.seen + env_server.seen + call.seen] == ["/v1/chat/completions"] * 3


def test_failed_request_names_the_full_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    with LLMServer() as server:
        monkeypatch.setenv("OLLAMA_HOST", f"{server.url}/missing")
        msg = aiwire.complete_sync("ollama/llama3", "hi", max_retries=0)
        assert msg.stop_reason == "error"
        assert f"HTTP 404 from {server.url}/missing/v1/chat/completions" in (msg.error_message or "")
        url = server.url
    monkeypatch.setenv("OLLAMA_HOST", url)  # closed now: nothing listens
    msg = aiwire.complete_sync("ollama/llama3", "hi", max_retries=0)
    assert f"request to {url}/v1/chat/completions failed" in (msg.error_message or "")


def test_cli_reaches_openai_base_url(tmp_path: Path) -> None:
    with LLMServer("hello through the proxy") as server:
        env = {
            **os.environ,
            "OPENAI_BASE_URL": f"{server.url}/v1",
            "OPENAI_API_KEY": "sk-test-not-real",
            "AIWIRE_HOME": str(tmp_path / "home"),
        }
        proc = subprocess.run(
            [sys.executable, "-m", "aiwire._cli.main", "chat", "-m", "openai/gpt-4o-mini", "hi"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        assert "hello through the proxy" in proc.stdout
        assert server.seen[0].path == "/v1/responses"
        assert server.seen[0].headers["authorization"] == "Bearer sk-test-not-real"
