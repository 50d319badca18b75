"""Regenerate src/aiwire_oauth_google/catalog.json from models.dev.

    python plugins/aiwire-oauth-google/scripts/make_catalog.py [models.json or URL]

Cloud Code Assist serves the Gemini 2.5 and 3 models of Google's catalog.
Prices are zeroed: usage counts against the account's Gemini CLI quota.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from aiwire.catalog import from_models_dev, read_models_dev, write_catalog
from aiwire.types import ModelCost

HERE = Path(__file__).resolve().parent.parent / "src" / "aiwire_oauth_google"
BASE_URL = "https://cloudcode-pa.googleapis.com"


def keep(raw: Mapping[str, Any]) -> bool:
    mid = str(raw.get("id", ""))
    ok = mid.startswith(("gemini-2.5-", "gemini-3")) and "image" not in mid and "tts" not in mid
    return ok and bool(raw.get("tool_call")) and raw.get("status") != "deprecated"


def main() -> None:
    data = read_models_dev(sys.argv[1] if len(sys.argv) > 1 else None)
    models = from_models_dev(
        data, "google", api="google-gemini-cli", base_url=BASE_URL, provider="google-gemini-cli", keep=keep
    )
    models = [msgspec.structs.replace(m, cost=ModelCost()) for m in models]
    write_catalog(models, HERE / "catalog.json")
    print(f"wrote {len(models)} models")


if __name__ == "__main__":
    main()
