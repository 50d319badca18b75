"""Helpers for the aiwire-openai tests (imported by the test modules)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import aiwire
from aiwire._wire.codec import Options, StreamDecoder
from aiwire._wire.framing import SSEFramer

ROOT = Path(__file__).resolve().parents[3]


def conformance_dir() -> Path | None:
    """``<repo root>/../shared/conformance``; worktrees sit one level deeper,
    so the parents are searched too (``$AIWIRE_CONFORMANCE`` overrides)."""
    env = os.environ.get("AIWIRE_CONFORMANCE")
    if env:
        return Path(env) if Path(env).is_dir() else None
    for parent in (ROOT, *ROOT.parents):
        candidate = parent.parent / "shared" / "conformance"
        if candidate.is_dir():
            return candidate
    return None


def recordings(api: str, *, streaming: bool | None = None) -> list[tuple[str, dict[str, Any]]]:
    folder = conformance_dir()
    if folder is None:
        return []
    out = []
    for path in sorted((folder / api).glob("*.json")):
        data = json.loads(path.read_text())
        if streaming is not None and (data["response"]["body_format"] == "sse") != streaming:
            continue
        out.append((path.stem, data))
    return out


def model(api: str, provider: str = "openai", id: str = "gpt-test", **kw: Any) -> aiwire.Model:
    return aiwire.Model(id=id, provider=provider, api=api, base_url="https://api.openai.test/v1", **kw)


def sse(*events: Any, done: bool = True) -> bytes:
    """An SSE body: dicts become ``data:`` JSON lines, ``(name, dict)`` named events."""
    out = []
    for e in events:
        if isinstance(e, tuple):
            out.append(f"event: {e[0]}\ndata: {json.dumps(e[1])}\n\n")
        elif isinstance(e, str):
            out.append(e)
        else:
            out.append(f"data: {json.dumps(e)}\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def decode(codec: Any, m: aiwire.Model, body: bytes, chunks: list[bytes] | None = None) -> StreamDecoder:
    """Run ``body`` (or its ``chunks``) through the SSE framer and a fresh decoder, as the core does."""
    dec = codec.decoder(m, Options())
    framer = SSEFramer()
    for chunk in chunks if chunks is not None else [body]:
        for name, data in framer.feed(chunk):
            if dec.terminated:
                break
            dec.feed(name, data)
    if not dec.terminated:
        dec.end_of_stream()
    return dec
