"""Regenerate src/aiwire_openai/catalog.json from the models.dev data.

    python plugins/aiwire-openai/scripts/generate_catalog.py [path-or-url]

Reads the snapshot in ``../shared/models-dev/`` by default (see
``aiwire.catalog.read_models_dev``). Local servers (ollama, vllm, llama.cpp,
lmstudio) have no catalog: any model id works for them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiwire.catalog import from_models_dev, read_models_dev, write_catalog
from aiwire.types import Model
from aiwire_openai.providers import PROVIDERS

OUT = Path(__file__).resolve().parent.parent / "src" / "aiwire_openai" / "catalog.json"

# aiwire provider id -> models.dev provider key
SOURCES = {
    "openai": "openai",
    "azure": "azure",
    "groq": "groq",
    "openrouter": "openrouter",
    "deepseek": "deepseek",
    "xai": "xai",
    "mistral": "mistral",
    "cerebras": "cerebras",
    "together": "togetherai",
    "fireworks": "fireworks-ai",
    "huggingface": "huggingface",
}

# Azure's catalog also lists other vendors' models (Foundry); only OpenAI's speak Responses.
_AZURE_OPENAI = re.compile(r"^(gpt-|o\d|codex)")
_GPT5 = re.compile(r"^gpt-5(?:\.(\d+))?")
_ALL_DEFAULT = {lvl: "default" for lvl in ("minimal", "low", "medium", "high", "xhigh")}


def model_compat(provider: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Per-model compat overrides (documented in the README)."""
    mid = str(raw.get("id", ""))
    if provider in ("openai", "azure"):
        m = _GPT5.match(mid)
        if m:
            # "off": gpt-5 takes "minimal" as its lowest effort, gpt-5.1 and later take "none".
            return {"reasoning_effort_map": {"off": "none" if m.group(1) else "minimal"}}
    if provider == "groq" and mid.startswith("qwen/qwen3"):
        # Groq's Qwen 3 accepts only "none" and "default".
        return {"reasoning_effort_map": {**_ALL_DEFAULT, "off": "none"}}
    return {}


def _keep_azure(raw: Mapping[str, Any]) -> bool:
    return bool(raw.get("tool_call")) and raw.get("status") != "deprecated" and bool(_AZURE_OPENAI.match(str(raw.get("id", ""))))


def build(data: Mapping[str, Any]) -> list[Model]:
    specs = {p.id: p for p in PROVIDERS}
    models: list[Model] = []
    for provider, key in SOURCES.items():
        spec = specs[provider]
        models += from_models_dev(
            data,
            key,
            provider=provider,
            api=spec.api,
            base_url=spec.base_url,
            compat=lambda raw, p=provider: model_compat(p, raw),  # type: ignore[misc]
            keep=_keep_azure if provider == "azure" else None,
        )
    return models


def main(argv: list[str]) -> None:
    data = read_models_dev(argv[1] if len(argv) > 1 else None)
    models = build(data)
    write_catalog(models, OUT)
    print(f"wrote {len(models)} models to {OUT}")


if __name__ == "__main__":
    main(sys.argv)
