"""Regenerate src/aiwire_oauth_github_copilot/catalog.json from models.dev.

    python plugins/aiwire-oauth-github-copilot/scripts/make_catalog.py [models.json or URL]

Routing (which wire api each model is served on): Claude models take the
Anthropic Messages route, GPT-5 family models the Responses route, the
rest Chat Completions.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiwire.catalog import from_models_dev, read_models_dev, write_catalog

HERE = Path(__file__).resolve().parent.parent / "src" / "aiwire_oauth_github_copilot"
BASE_URL = "https://api.individual.githubcopilot.com"


def route(raw: Mapping[str, Any]) -> str:
    mid = str(raw.get("id", ""))
    if mid.startswith("claude-"):
        return "anthropic-messages"
    if mid.startswith(("gpt-5", "oswe")):
        return "openai-responses"
    return "openai-completions"


def main() -> None:
    data = read_models_dev(sys.argv[1] if len(sys.argv) > 1 else None)
    models = from_models_dev(data, "github-copilot", api=route, base_url=BASE_URL)
    write_catalog(models, HERE / "catalog.json")
    print(f"wrote {len(models)} models")


if __name__ == "__main__":
    main()
