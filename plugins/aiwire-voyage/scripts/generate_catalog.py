"""Regenerate src/aiwire_voyage/catalog.json.

    python plugins/aiwire-voyage/scripts/generate_catalog.py

models.dev has no Voyage AI section, so the rows below are written by hand
from Voyage AI's documentation (model pages and pricing): context length in
tokens, default vector size, the sizes ``output_dimension`` takes, the most
tokens one request may carry, and the price per million tokens.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from aiwire.types import Model, ModelCost
from aiwire_voyage import API, BASE_URL

OUT = Path(__file__).resolve().parent.parent / "src" / "aiwire_voyage" / "catalog.json"
NOTICE = "Voyage AI models, limits and prices from Voyage AI's documentation, written by hand (no models.dev data)."
SOURCE = "Voyage AI documentation: embeddings and pricing pages"
_FLEX = [256, 512, 1024, 2048]

# id: (name, context, default dimensions, dimension options, request token total, USD per million tokens)
ROWS: dict[str, tuple[str, int, int, list[int], int, float]] = {
    "voyage-4-large": ("Voyage 4 Large", 32000, 1024, _FLEX, 120_000, 0.12),
    "voyage-4": ("Voyage 4", 32000, 1024, _FLEX, 320_000, 0.06),
    "voyage-4-lite": ("Voyage 4 Lite", 32000, 1024, _FLEX, 1_000_000, 0.02),
    "voyage-3-large": ("Voyage 3 Large", 32000, 1024, _FLEX, 120_000, 0.18),
    "voyage-3.5": ("Voyage 3.5", 32000, 1024, _FLEX, 320_000, 0.06),
    "voyage-3.5-lite": ("Voyage 3.5 Lite", 32000, 1024, _FLEX, 1_000_000, 0.02),
    "voyage-code-3": ("Voyage Code 3", 32000, 1024, _FLEX, 120_000, 0.18),
    "voyage-finance-2": ("Voyage Finance 2", 32000, 1024, [1024], 120_000, 0.12),
    "voyage-law-2": ("Voyage Law 2", 16000, 1024, [1024], 120_000, 0.12),
}


class _CatalogFile(msgspec.Struct):
    notice: str
    source: str
    models: list[Model]


def build() -> list[Model]:
    return [
        Model(
            id=mid,
            name=name,
            provider="voyage",
            api=API,
            base_url=BASE_URL,
            output=("embedding",),
            cost=ModelCost(input=price),
            context_window=context,
            compat={"dimensions": dims, "dimension_options": options, "max_batch_tokens": budget},
        )
        for mid, (name, context, dims, options, budget, price) in sorted(ROWS.items())
    ]


def main() -> None:
    body = _CatalogFile(notice=NOTICE, source=SOURCE, models=build())
    OUT.write_bytes(msgspec.json.format(msgspec.json.encode(body), indent=1) + b"\n")
    print(f"wrote {len(body.models)} models to {OUT}")


if __name__ == "__main__":
    main()
