"""Registration, provider rows, compat resolution and the README's coverage of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import aiwire
from aiwire.errors import BadOptionsError
from aiwire_openai.compat import Compat, resolve_compat
from aiwire_openai.providers import PROVIDERS

README = Path(__file__).resolve().parents[3] / "plugins" / "aiwire-openai" / "README.md"
EXPECTED: dict[str, str | tuple[str, ...]] = {
    "openai": "OPENAI_API_KEY",
    "azure": "AZURE_OPENAI_API_KEY",
    "groq": "GROQ_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "xai": "XAI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "cerebras": "CEREBRAS_API_KEY",
    "together": "TOGETHER_API_KEY",
    "fireworks": "FIREWORKS_API_KEY",
    "huggingface": "HF_TOKEN",
    "vercel-ai-gateway": "AI_GATEWAY_API_KEY",
    "zai": ("ZAI_API_KEY", "ZHIPU_API_KEY"),
    "minimax": "MINIMAX_API_KEY",
    "minimax-cn": ("MINIMAX_CN_API_KEY", "MINIMAX_API_KEY"),
    "moonshotai": ("MOONSHOT_API_KEY", "KIMI_API_KEY"),
    "opencode": "OPENCODE_API_KEY",
}
LOCAL = {"ollama": 11434, "vllm": 8000, "llamacpp": 8080, "lmstudio": 1234}


def test_every_provider_is_registered_with_its_key_variable() -> None:
    got = {p.id: p for p in aiwire.providers() if p.plugin == "openai"}
    assert set(got) == set(EXPECTED) | set(LOCAL)
    for pid, var in EXPECTED.items():
        assert got[pid].env == (var if isinstance(var, tuple) else (var,)) and got[pid].auth == "required"
    for pid, port in LOCAL.items():
        assert got[pid].auth == "none" and got[pid].base_url == f"http://localhost:{port}/v1"
        assert aiwire.get_model(f"{pid}/any-model:7b").api == "openai-completions"


def test_openai_defaults_to_responses_and_catalog_loads() -> None:
    m = aiwire.get_model("openai/gpt-4o")
    assert m.api == "openai-responses" and m.cost.input > 0
    assert aiwire.get_model("groq/qwen/qwen3-32b").compat["reasoning_effort_map"]["high"] == "default"
    assert all(not m.id.startswith("claude") for m in aiwire.models("azure"))


def test_discovery_does_not_import_the_codecs() -> None:
    code = (
        "import sys, aiwire; aiwire.providers(); "
        "print(any(m.startswith(('aiwire_openai.completions', 'aiwire_openai.responses', 'aiwire_openai._')) "
        "for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_model_compat_overrides_provider_defaults() -> None:
    assert resolve_compat("openai", {}).developer_role is True
    assert resolve_compat("openai", {"developer_role": False}).developer_role is False
    assert resolve_compat("custom", {}) == Compat()
    with pytest.raises(BadOptionsError, match="compat"):
        resolve_compat("openai", {"max_tokens_field": "tokens"})


def test_an_unregistered_providers_lookup_error_is_worded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``custom`` models resolve compat on every request; the core's error for
    an unknown provider (near matches, hints) is built once per provider, and a
    provider registered later still gets its defaults."""
    from aiwire._api import models
    from aiwire_openai import compat

    worded: list[str] = []
    real = models._unknown_provider_message
    monkeypatch.setattr(models, "_unknown_provider_message", lambda p, reg: worded.append(p) or real(p, reg))
    monkeypatch.setattr(compat, "_UNREGISTERED", set())
    for _ in range(50):
        assert resolve_compat("late-host", {"developer_role": True}).developer_role is True
        assert resolve_compat("late-host", {}) == Compat()
    assert worded == ["late-host"]

    class Plugin:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl
        def register_providers(self, register: Any) -> None:
            register(
                aiwire.ProviderSpec(
                    id="late-host",
                    api="openai-completions",
                    base_url="http://x.invalid",
                    auth="none",
                    compat={"developer_role": True},
                )
            )

    aiwire.register_plugin(Plugin(), "late-host-plugin")
    try:
        assert resolve_compat("late-host", {}).developer_role is True
    finally:
        aiwire.unregister_plugin("late-host-plugin")
    assert resolve_compat("late-host", {}) == Compat()


def test_readme_lists_every_provider_variable_and_compat_flag() -> None:
    text = README.read_text()
    for spec in PROVIDERS:
        assert f"`{spec.id}`" in text, spec.id
        for var in spec.env:
            assert var in text
    for flag in Compat.__struct_fields__:
        assert f"`{flag}`" in text, flag


@pytest.mark.parametrize(
    ("ref", "api", "wire"),
    [
        ("vercel-ai-gateway/anthropic/claude-sonnet-4.5", "openai-completions", {}),
        ("zai/glm-4.7", "openai-completions", {"thinking": {"type": "enabled"}}),
        ("minimax/MiniMax-M2", "openai-completions", {}),
        ("moonshotai/kimi-k2-thinking", "openai-completions", {}),
        ("opencode/gpt-5.1-codex", "openai-responses", {}),
    ],
)
def test_pi_ai_hosts_are_data_rows_with_catalogs(ref: str, api: str, wire: dict[str, object]) -> None:
    """Each host's catalog comes from models.dev, priced; requests go to its endpoint."""
    import httpx

    model = aiwire.get_model(ref)
    assert model.api == api and model.cost.input > 0
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500, json={"error": {"message": "stop here"}})

    aiwire.complete_sync(
        model, "hi", api_key="k", reasoning="high", max_retries=0, transport=httpx.MockTransport(handler)
    )
    spec = {p.id: p for p in aiwire.providers()}[model.provider]
    assert str(sent[0].url).startswith(spec.base_url)
    body = __import__("json").loads(sent[0].content)
    for key, value in wire.items():
        assert body[key] == value
