"""The recorded embeddings traffic in ``../shared/conformance`` (read in place,
never copied), and a mock transport that answers an SDK with a recording, so
that an official SDK and aiwire decode the very same bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

CONFORMANCE = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"


def recordings(api: str) -> list[Path]:
    folder = CONFORMANCE / api
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def needs(api: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not recordings(api), reason=f"conformance recordings not found at {CONFORMANCE / api}")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def body(rec: dict[str, Any]) -> bytes:
    return str(rec["response"]["body_text"]).encode()


def replay(rec: dict[str, Any], seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    """A transport answering every request with the recorded response."""

    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            request.read()
            seen.append(request)
        resp = rec["response"]
        return httpx.Response(resp["status"], headers={"content-type": "application/json"}, content=body(rec))

    return httpx.MockTransport(handle)


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content)


def ids(paths: list[Path]) -> Callable[[Path], str]:
    return lambda p: p.stem.split("__")[-1]
