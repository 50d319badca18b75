"""Regenerate src/aiwire_google/catalog.json from models.dev data.

    python plugins/aiwire-google/scripts/generate_catalog.py [path-or-url]

Without an argument the snapshot beside the repository is read (see
aiwire.catalog.read_models_dev). Keeps Gemini models that take tools.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from aiwire.catalog import from_models_dev, read_models_dev, write_catalog
from aiwire.types import Model

API = "google-generative-ai"
GEMINI = "https://generativelanguage.googleapis.com/v1beta"
VERTEX = "https://aiplatform.googleapis.com/v1/publishers/google"
VERTEX_ANTHROPIC = "https://aiplatform.googleapis.com/v1/publishers/anthropic"


def _keep(raw: Mapping[str, Any]) -> bool:
    # Gemini models that take tools; models.dev also lists Gemma, Claude and
    # others on Vertex, which speak other apis or need other endpoints.
    return (
        bool(raw.get("tool_call"))
        and raw.get("status") != "deprecated"
        and str(raw.get("id", "")).startswith("gemini-")
    )


# Embedding models (api google-embeddings, see docs/embeddings.md). Vector
# sizes and limits from Google's model pages; gemini-embedding-001 on Vertex
# AI's :predict takes one instance a request.
EMBEDDINGS: dict[str, dict[str, Any]] = {"gemini-embedding-001": {"dimensions": 3072}}
_VERTEX_EMBEDDINGS: dict[str, dict[str, Any]] = {"gemini-embedding-001": {"max_batch": 1}}
# Not in models.dev (no price there: their cost reads 0 until it is): Gemini Embedding 2.
_EXTRA = [
    Model(
        id="gemini-embedding-2",
        name="Gemini Embedding 2",
        provider=provider,
        api="google-embeddings",
        base_url=base,
        output=("embedding",),
        context_window=8192,
        compat={"dimensions": 3072, **extra},
    )
    for provider, base, extra in (
        ("google", GEMINI, {}),
        ("google-vertex", VERTEX, {"vertex_method": "embedContent", "max_batch": 1}),
    )
]


def embedding_models(data: Mapping[str, Any]) -> list[Model]:
    out = list(_EXTRA)
    for provider, base, extra in (("google", GEMINI, {}), ("google-vertex", VERTEX, _VERTEX_EMBEDDINGS)):
        found = from_models_dev(
            data,
            provider,
            api="google-embeddings",
            base_url=base,
            keep=lambda raw: raw.get("id") in EMBEDDINGS,
            compat=lambda raw, x=extra: {**EMBEDDINGS[str(raw["id"])], **x.get(str(raw["id"]), {})},  # type: ignore[misc]
        )
        out += [msgspec.structs.replace(m, output=("embedding",), max_tokens=0) for m in found]
    return out


def main() -> None:
    data = read_models_dev(sys.argv[1] if len(sys.argv) > 1 else None)
    models = from_models_dev(data, "google", api=API, base_url=GEMINI, keep=_keep)
    models += from_models_dev(data, "google-vertex", api=API, base_url=VERTEX, keep=_keep)
    models += embedding_models(data)
    claude = from_models_dev(
        data,
        "google-vertex-anthropic",
        api="vertex-anthropic",
        base_url=VERTEX_ANTHROPIC,
        keep=lambda raw: bool(raw.get("tool_call")) and raw.get("status") != "deprecated",
    )
    # models.dev writes "@default" for models Vertex AI names without a version suffix.
    models += [msgspec.structs.replace(m, id=m.id.removesuffix("@default")) for m in claude]
    out = Path(__file__).resolve().parent.parent / "src" / "aiwire_google" / "catalog.json"
    write_catalog(models, out)
    print(f"wrote {len(models)} models to {out}")


if __name__ == "__main__":
    main()
