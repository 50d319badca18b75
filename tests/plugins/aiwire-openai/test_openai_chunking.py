"""Chunk-boundary property: however the bytes of a recording are split, the
final message is the same (SSE framer + decoder, as the core feeds them)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import msgspec
import pytest
from _openai_helpers import conformance_dir, decode, model, recordings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

if conformance_dir() is None:
    pytest.skip("../shared/conformance is not beside this clone (set AIWIRE_CONFORMANCE)", allow_module_level=True)

CASES = [("openai-completions", n, r) for n, r in recordings("openai-chat", streaming=True)] + [
    ("openai-responses", n, r) for n, r in recordings("openai-responses", streaming=True)
]


def final(api: str, rec: dict[str, Any], chunks: list[bytes] | None = None) -> bytes:
    from aiwire_openai.completions import CompletionsCodec
    from aiwire_openai.responses import ResponsesCodec

    codec = CompletionsCodec() if api == "openai-completions" else ResponsesCodec()
    provider = rec["provider"] if rec["provider"] in ("openrouter", "mistral") else "openai"
    body = rec["response"]["body_text"].encode()
    msg = decode(codec, model(api, provider=provider), body, chunks).message
    msg.timestamp = 0
    return msgspec.json.encode(msg)


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    edges = [0, *points, len(body)]
    return [body[a:b] for a, b in pairwise(edges)]


@pytest.mark.conformance
@pytest.mark.parametrize(("api", "name", "rec"), CASES, ids=[f"{a}:{n}" for a, n, _ in CASES])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=40))
def test_any_byte_split_gives_the_same_message(api: str, name: str, rec: dict[str, Any], cuts: list[int]) -> None:
    body = rec["response"]["body_text"].encode()
    assert final(api, rec, split(body, cuts)) == final(api, rec)


@pytest.mark.conformance
@pytest.mark.parametrize(("api", "name", "rec"), CASES[:6], ids=[f"{a}:{n}" for a, n, _ in CASES[:6]])
def test_one_byte_at_a_time(api: str, name: str, rec: dict[str, Any]) -> None:
    body = rec["response"]["body_text"].encode()
    assert final(api, rec, [body[i : i + 1] for i in range(len(body))]) == final(api, rec)
