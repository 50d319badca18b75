"""Regenerate ``src/aiwire_anthropic/catalog.json`` from models.dev data.

    python plugins/aiwire-anthropic/scripts/generate_catalog.py            # the shared snapshot
    python plugins/aiwire-anthropic/scripts/generate_catalog.py https://models.dev/api.json

The compat of each model records how it takes thinking (see the README):
``thinking`` is ``adaptive`` (``thinking: {type: adaptive}`` plus an effort)
or ``budget`` (``thinking: {type: enabled, budget_tokens}``), ``efforts`` the
effort values it accepts, and ``temperature`` false when it rejects sampling
parameters.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiwire.catalog import MODELS_DEV_URL, from_models_dev, read_models_dev, write_catalog

OUT = Path(__file__).resolve().parent.parent / "src" / "aiwire_anthropic" / "catalog.json"


def compat(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Thinking mode, effort values and sampling support from a models.dev entry."""
    out: dict[str, Any] = {}
    options = raw.get("reasoning_options") or []
    efforts: list[str] = []
    budget = False
    for opt in options:
        if opt.get("type") == "effort":
            efforts = list(opt.get("values", []))
        elif opt.get("type") == "budget_tokens":
            budget = True
    if raw.get("reasoning"):
        # Models that take both (the 4.6 generation) deprecate budgets in favour
        # of adaptive thinking; Opus 4.5 takes an effort but no adaptive mode,
        # which is why "max" (introduced with adaptive thinking) decides it.
        adaptive = bool(efforts) and (not budget or "max" in efforts)
        out["thinking"] = "adaptive" if adaptive else "budget"
        if adaptive:
            out["efforts"] = efforts
    if raw.get("temperature") is False:
        out["temperature"] = False
    return out


def main(argv: list[str]) -> None:
    source = argv[1] if len(argv) > 1 else None
    data = read_models_dev(source)
    models = from_models_dev(
        data,
        "anthropic",
        api="anthropic-messages",
        base_url="https://api.anthropic.com/v1",
        compat=compat,
    )
    write_catalog(models, OUT, source=source if source and "://" in source else MODELS_DEV_URL)
    print(f"wrote {len(models)} models to {OUT}")


if __name__ == "__main__":
    main(sys.argv)
