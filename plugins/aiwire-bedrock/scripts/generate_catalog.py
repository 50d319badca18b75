"""Regenerate ``src/aiwire_bedrock/catalog.json`` from models.dev data.

    python plugins/aiwire-bedrock/scripts/generate_catalog.py            # the shared snapshot
    python plugins/aiwire-bedrock/scripts/generate_catalog.py https://models.dev/api.json

Every Converse chat model of the ``amazon-bedrock`` section with tool calls
(in-region ids and the ``us.``/``eu.``/``global.``... inference profiles).
Compat records what the request builder needs beyond the id: ``thinking``
(``adaptive`` or ``budget``) and ``efforts`` for Claude, the same way as
aiwire-anthropic's catalog, and ``structured_output`` where Converse's
native JSON-schema output is available.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiwire.catalog import MODELS_DEV_URL, from_models_dev, read_models_dev, write_catalog

OUT = Path(__file__).resolve().parent.parent / "src" / "aiwire_bedrock" / "catalog.json"
BASE_URL = "https://bedrock-runtime.us-east-1.amazonaws.com"


def compat(raw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if raw.get("structured_output"):
        out["structured_output"] = True
    if "anthropic.claude" in str(raw.get("id", "")) and raw.get("reasoning"):
        efforts: list[str] = []
        budget = False
        for opt in raw.get("reasoning_options") or []:
            if opt.get("type") == "effort":
                efforts = list(opt.get("values", []))
            elif opt.get("type") == "budget_tokens":
                budget = True
        adaptive = bool(efforts) and (not budget or "max" in efforts)
        out["thinking"] = "adaptive" if adaptive else "budget"
        if adaptive:
            out["efforts"] = efforts
    return out


def main(argv: list[str]) -> None:
    source = argv[1] if len(argv) > 1 else None
    data = read_models_dev(source)
    models = from_models_dev(data, "amazon-bedrock", api="bedrock-converse", base_url=BASE_URL, compat=compat)
    write_catalog(models, OUT, source=source if source and "://" in source else MODELS_DEV_URL)
    print(f"wrote {len(models)} models to {OUT}")


if __name__ == "__main__":
    main(sys.argv)
