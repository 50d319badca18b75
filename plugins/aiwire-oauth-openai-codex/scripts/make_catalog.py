"""Regenerate src/aiwire_oauth_openai_codex/catalog.json from models.dev.

    python plugins/aiwire-oauth-openai-codex/scripts/make_catalog.py [models.json or URL]

The subscription serves the GPT-5 family on the Codex Responses endpoint.
Prices are zeroed: usage is billed to the ChatGPT plan, not per token.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from aiwire.catalog import from_models_dev, read_models_dev, write_catalog
from aiwire.types import ModelCost

HERE = Path(__file__).resolve().parent.parent / "src" / "aiwire_oauth_openai_codex"
BASE_URL = "https://chatgpt.com/backend-api/codex"


def keep(raw: Mapping[str, Any]) -> bool:
    mid = str(raw.get("id", ""))
    return mid.startswith("gpt-5") and bool(raw.get("tool_call")) and raw.get("status") != "deprecated"


def main() -> None:
    data = read_models_dev(sys.argv[1] if len(sys.argv) > 1 else None)
    models = from_models_dev(
        data, "openai", api="openai-responses", base_url=BASE_URL, provider="openai-codex", keep=keep
    )
    models = [msgspec.structs.replace(m, cost=ModelCost()) for m in models]
    write_catalog(models, HERE / "catalog.json")
    print(f"wrote {len(models)} models")


if __name__ == "__main__":
    main()
