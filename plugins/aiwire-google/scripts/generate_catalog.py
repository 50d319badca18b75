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

from aiwire.catalog import from_models_dev, read_models_dev, write_catalog

API = "google-generative-ai"
GEMINI = "https://generativelanguage.googleapis.com/v1beta"
VERTEX = "https://aiplatform.googleapis.com/v1/publishers/google"


def _keep(raw: Mapping[str, Any]) -> bool:
    # Gemini models that take tools; models.dev also lists Gemma, Claude and
    # others on Vertex, which speak other apis or need other endpoints.
    return (
        bool(raw.get("tool_call"))
        and raw.get("status") != "deprecated"
        and str(raw.get("id", "")).startswith("gemini-")
    )


def main() -> None:
    data = read_models_dev(sys.argv[1] if len(sys.argv) > 1 else None)
    models = from_models_dev(data, "google", api=API, base_url=GEMINI, keep=_keep)
    models += from_models_dev(data, "google-vertex", api=API, base_url=VERTEX, keep=_keep)
    out = Path(__file__).resolve().parent.parent / "src" / "aiwire_google" / "catalog.json"
    write_catalog(models, out)
    print(f"wrote {len(models)} models to {out}")


if __name__ == "__main__":
    main()
