"""Regenerate ``src/aiwire_bedrock/catalog.json`` from models.dev data.

    python plugins/aiwire-bedrock/scripts/generate_catalog.py            # the shared snapshot
    python plugins/aiwire-bedrock/scripts/generate_catalog.py https://models.dev/api.json

Every Converse chat model of the ``amazon-bedrock`` section with tool calls
(in-region ids and the ``us.``/``eu.``/``global.``... inference profiles).
Compat records what the request builder needs beyond the id: ``thinking``
(``adaptive`` or ``budget``) and ``efforts`` for Claude, the same way as
aiwire-anthropic's catalog, and ``structured_output`` where Converse's
native JSON-schema output is available. Embedding models (which models.dev
lacks for Bedrock) come from the table below.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiwire.catalog import MODELS_DEV_URL, from_models_dev, read_models_dev, write_catalog
from aiwire.types import Model, ModelCost

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


# Embedding models (api bedrock-embeddings): models.dev has no Bedrock rows for
# them. Sizes and limits from the vendors' model pages; prices per million
# input tokens from Bedrock's on-demand price list (us-east-1); None where
# no price was checked (cost then stays zero).
EMBEDDINGS: dict[str, dict[str, Any]] = {
    "amazon.titan-embed-text-v1": {
        "name": "Titan Text Embeddings",
        "price": 0.10,
        "context": 8192,
        "compat": {"dimensions": 1536, "dimension_options": [1536]},
    },
    "amazon.titan-embed-text-v2:0": {
        "name": "Titan Text Embeddings V2",
        "price": 0.02,
        "context": 8192,
        "compat": {"dimensions": 1024, "dimension_options": [256, 512, 1024]},
    },
    "cohere.embed-english-v3": {
        "name": "Cohere Embed English v3",
        "price": 0.10,
        "context": 512,
        "compat": {"dimensions": 1024, "dimension_options": [1024], "max_batch": 96},
    },
    "cohere.embed-multilingual-v3": {
        "name": "Cohere Embed Multilingual v3",
        "price": 0.10,
        "context": 512,
        "compat": {"dimensions": 1024, "dimension_options": [1024], "max_batch": 96},
    },
    "cohere.embed-v4:0": {
        "name": "Cohere Embed v4",
        "price": 0.12,
        "context": 128000,
        "compat": {"dimensions": 1536, "dimension_options": [256, 512, 1024, 1536], "max_batch": 96},
    },
    "amazon.nova-2-multimodal-embeddings-v1:0": {
        "name": "Nova 2 Multimodal Embeddings",
        "price": None,
        "context": 8192,
        "compat": {"dimensions": 3072, "dimension_options": [256, 384, 1024, 3072]},
    },
}


def embedding_models() -> list[Model]:
    out: list[Model] = []
    for mid, spec in EMBEDDINGS.items():
        ids = [mid, f"us.{mid}"] if mid.startswith("cohere.embed-v4") else [mid]
        out.extend(
            Model(
                id=one,
                name=spec["name"],
                provider="amazon-bedrock",
                api="bedrock-embeddings",
                base_url=BASE_URL,
                output=("embedding",),
                cost=ModelCost(input=spec["price"] or 0.0),
                context_window=spec["context"],
                compat=dict(spec["compat"]),
            )
            for one in ids
        )
    return out


def main(argv: list[str]) -> None:
    source = argv[1] if len(argv) > 1 else None
    data = read_models_dev(source)
    models = from_models_dev(data, "amazon-bedrock", api="bedrock-converse", base_url=BASE_URL, compat=compat)
    models += embedding_models()
    write_catalog(models, OUT, source=source if source and "://" in source else MODELS_DEV_URL)
    print(f"wrote {len(models)} models to {OUT}")


if __name__ == "__main__":
    main(sys.argv)
