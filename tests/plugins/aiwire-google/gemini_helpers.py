"""Helpers shared by the aiwire-google tests (imported by name: the folder is no package)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiwire
from aiwire import events as ev
from aiwire._wire.framing import SSEFramer
from aiwire_google.codec import GoogleCodec

ROOT = Path(__file__).resolve().parents[3]
CASSETTES = ROOT / "cassettes" / "aiwire-google"


def model(model_id: str = "gemini-2.5-flash", **kw: Any) -> aiwire.Model:
    """A Gemini API model without touching the catalog."""
    kw.setdefault("reasoning", True)
    kw.setdefault("input", ("text", "image"))
    return aiwire.Model(
        id=model_id,
        provider="google",
        api="google-generative-ai",
        base_url="https://generativelanguage.googleapis.com/v1beta",
        **kw,
    )


def sse(*chunks: dict[str, Any], crlf: bool = True) -> bytes:
    """An ``alt=sse`` body the way Gemini sends it."""
    nl = "\r\n" if crlf else "\n"
    return "".join(f"data: {json.dumps(c)}{nl}{nl}" for c in chunks).encode()


def decode(body: bytes, m: aiwire.Model | None = None, *, split: int = 0) -> tuple[aiwire.AssistantMessage, list[Any]]:
    """Frame ``body`` (in pieces of ``split`` bytes if set) and decode it."""
    m = m or model()
    dec = GoogleCodec().decoder(m, aiwire.Options())
    framer = SSEFramer()
    events: list[Any] = []
    pieces = [body[i : i + split] for i in range(0, len(body), split)] if split else [body]
    for piece in pieces:
        for name, data in framer.feed(piece):
            if not dec.terminated:
                dec.feed(name, data)
        events.extend(dec.drain())
    dec.end_of_stream()
    events.extend(dec.drain())
    assert sum(isinstance(e, (ev.Done, ev.Error)) for e in events) == 1
    return dec.message, events


def chunk(
    *parts: dict[str, Any], finish: str | None = None, usage: dict[str, Any] | None = None, rid: str = "resp1"
) -> dict[str, Any]:
    cand: dict[str, Any] = {"content": {"role": "model", "parts": list(parts)}, "index": 0}
    if finish:
        cand["finishReason"] = finish
    out: dict[str, Any] = {"candidates": [cand], "modelVersion": "gemini-2.5-flash", "responseId": rid}
    if usage is not None:
        out["usageMetadata"] = usage
    return out
