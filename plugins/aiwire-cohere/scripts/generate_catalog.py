"""Regenerate src/aiwire_cohere/catalog.json from models.dev data.

    python plugins/aiwire-cohere/scripts/generate_catalog.py [path-or-url]

models.dev lists Cohere's embedding models under the hosts that resell them
(Azure) with Cohere's list prices; this maps them to Cohere's own ids. Vector
sizes and limits from Cohere's model pages.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import msgspec

from aiwire.catalog import from_models_dev, read_models_dev, write_catalog
from aiwire_cohere import API, BASE_URL

OUT = Path(__file__).resolve().parent.parent / "src" / "aiwire_cohere" / "catalog.json"

# models.dev id (under azure) -> (Cohere's id, name, compat)
MODELS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "cohere-embed-v-4-0": ("embed-v4.0", "Embed v4", {"dimensions": 1536, "dimension_options": [256, 512, 1024, 1536]}),
    "cohere-embed-v3-english": (
        "embed-english-v3.0",
        "Embed English v3",
        {"dimensions": 1024, "dimension_options": [1024]},
    ),
    "cohere-embed-v3-multilingual": (
        "embed-multilingual-v3.0",
        "Embed Multilingual v3",
        {"dimensions": 1024, "dimension_options": [1024]},
    ),
}


def main(argv: list[str]) -> None:
    data = read_models_dev(argv[1] if len(argv) > 1 else None)
    found = from_models_dev(
        data, "azure", api=API, base_url=BASE_URL, provider="cohere", keep=lambda raw: raw.get("id") in MODELS
    )
    models = []
    for m in found:
        cid, name, compat = MODELS[m.id]
        models.append(
            msgspec.structs.replace(
                m, id=cid, name=name, input=("text",), output=("embedding",), max_tokens=0, compat=compat
            )
        )
    write_catalog(models, OUT)
    print(f"wrote {len(models)} models to {OUT}")


if __name__ == "__main__":
    main(sys.argv)
