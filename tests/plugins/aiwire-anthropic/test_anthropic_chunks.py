"""Chunk-boundary property: however the bytes are split, the same events and message.

Bodies: every SSE cassette in ``cassettes/aiwire-anthropic`` and, when present,
every Anthropic SSE recording in ``../shared/conformance``.
"""

from __future__ import annotations

import json

import msgspec
import pytest
import yaml
from anthropic_helpers import CASSETTES, CONFORMANCE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aiwire
from aiwire._wire.framing import SSEFramer
from aiwire_anthropic.codec import AnthropicCodec

CODEC = AnthropicCodec()


def _bodies() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for path in sorted(CASSETTES.glob("*.yaml")):
        for n, item in enumerate(yaml.safe_load(path.read_text())["interactions"]):
            resp = item["response"]
            if resp["status"]["code"] == 200 and "event-stream" in resp["headers"]["content-type"][0]:
                out[f"{path.stem}#{n}"] = resp["body"]["string"].encode()
    if CONFORMANCE.is_dir():
        for path in sorted(CONFORMANCE.glob("*.json")):
            rec = json.loads(path.read_text())
            if rec["response"]["body_format"] == "sse":
                out[path.stem[:60]] = rec["response"]["body_text"].encode()
    return out


BODIES = _bodies()


def decode(chunks: list[bytes]) -> bytes:
    dec = CODEC.decoder(aiwire.get_model("anthropic", "claude-sonnet-4-5"), aiwire.Options())
    framer = SSEFramer()
    events = []
    for chunk in chunks:
        for name, data in framer.feed(chunk):
            dec.feed(name, data)
        events.extend(dec.drain())
    framer.close()
    dec.end_of_stream()
    events.extend(dec.drain())
    dec.message.timestamp = 0
    return msgspec.json.encode(events)


def test_there_are_bodies_to_split() -> None:
    assert len([k for k in BODIES if "#" in k]) >= 10


@pytest.mark.parametrize("name", sorted(BODIES))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_split_gives_the_same_result(name: str, data: st.DataObject) -> None:
    body = BODIES[name]
    whole = decode([body])
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=40), label="cuts"))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    assert decode(chunks) == whole


@pytest.mark.parametrize("name", sorted(BODIES)[:4])
def test_byte_by_byte(name: str) -> None:
    body = BODIES[name]
    assert decode([body[i : i + 1] for i in range(len(body))]) == decode([body])
