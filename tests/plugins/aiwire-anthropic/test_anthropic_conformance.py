"""Differential test: our codec against the official ``anthropic`` SDK on real recordings.

Every ``anthropic-messages`` recording in ``../shared/conformance`` is decoded
twice: by our decoder (streams through aiwire's SSE framer, whole responses
through ``parse_response``) and by the SDK (its SSE decoder and its beta stream
accumulator, or its ``BetaMessage`` model: the beta variants know every block
type in the recordings, MCP ones included, which the GA accumulator leaves
without their streamed input). Text, thinking, signatures, redacted
data, tool calls, server-tool blocks, citations, stop reason and usage must
agree. Intended differences, checked explicitly rather than skipped:

* stop reasons are mapped to aiwire's neutral ones (``_STOP`` below); the raw
  value is kept in ``provider_data["stop_reason"]``;
* empty ``thinking_delta`` events produce no aiwire event (text unaffected);
* a tool call's arguments are parsed once at the end of the block; the SDK
  re-parses the growing buffer on every fragment. The results agree.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from anthropic_helpers import CONFORMANCE

import aiwire
from aiwire._wire.framing import SSEFramer
from aiwire.types import AssistantMessage, ProviderContent, TextContent, ThinkingContent, ToolCall
from aiwire_anthropic.codec import AnthropicCodec

anthropic = pytest.importorskip("anthropic", reason="the official anthropic SDK is a test-only dependency")
from anthropic._streaming import SSEDecoder  # noqa: E402
from anthropic.lib.streaming._beta_messages import accumulate_event  # noqa: E402
from anthropic.types.beta import BetaMessage as Message  # noqa: E402

pytestmark = pytest.mark.conformance

CODEC = AnthropicCodec()
_STOP = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_use",
    "refusal": "error",
}
_ACCUMULATE_PARAMS = inspect.signature(accumulate_event).parameters


def _recordings() -> list[Path]:
    if not CONFORMANCE.is_dir():
        return []
    return sorted(CONFORMANCE.glob("*.json"))


RECORDINGS = _recordings()
needs_recordings = pytest.mark.skipif(
    not RECORDINGS, reason=f"no conformance recordings at {CONFORMANCE} (../shared/conformance beside the clone)"
)


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _model(recording: dict[str, Any]) -> aiwire.Model:
    m = aiwire.get_model("anthropic", "claude-sonnet-4-5")
    body = recording["request"].get("body") or {}
    return aiwire.custom_model(body.get("model", m.id), provider="anthropic", cost=m.cost)


def ours_stream(model: aiwire.Model, body: bytes) -> AssistantMessage:
    dec = CODEC.decoder(model, aiwire.Options())
    framer = SSEFramer()
    for name, data in framer.feed(body):
        dec.feed(name, data)
    dec.end_of_stream()
    return dec.message


def sdk_stream(body: bytes) -> Message:
    snapshot: Any = None
    # Keyword arguments vary across SDK versions; pass those this one takes.
    extra: dict[str, Any] = {}
    if "json_bufs" in _ACCUMULATE_PARAMS:
        extra["json_bufs"] = {}
    if "request_headers" in _ACCUMULATE_PARAMS:
        extra["request_headers"] = {}
    for sse in SSEDecoder().iter_bytes(iter([body])):
        if sse.event in ("ping", None) or not sse.data:
            continue
        event = json.loads(sse.data)
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, **extra)
    assert snapshot is not None
    return snapshot  # type: ignore[no-any-return]


def assert_same(ours: AssistantMessage, sdk: Message) -> None:
    """Block by block: our content list mirrors the SDK's."""
    assert len(ours.content) == len(sdk.content)
    for mine, theirs in zip(ours.content, sdk.content, strict=True):
        t = theirs.type
        if t == "text":
            assert isinstance(mine, TextContent)
            assert mine.text == theirs.text
            want = [c.to_dict() for c in theirs.citations] if theirs.citations else None
            assert mine.citations == want
        elif t == "thinking":
            assert isinstance(mine, ThinkingContent) and not mine.redacted
            assert mine.thinking == theirs.thinking
            assert mine.signature == (theirs.signature or None)
        elif t == "redacted_thinking":
            assert isinstance(mine, ThinkingContent) and mine.redacted
            assert mine.signature == theirs.data
        elif t == "tool_use":
            assert isinstance(mine, ToolCall)
            assert (mine.id, mine.name, mine.arguments) == (theirs.id, theirs.name, theirs.input)
        else:
            assert isinstance(mine, ProviderContent) and mine.kind == t
            expected = theirs.to_dict()
            for key in ("input", "content", "id", "tool_use_id", "name"):
                if key in expected:
                    assert mine.data[key] == expected[key], key
    raw = sdk.stop_reason
    assert ours.stop_reason == _STOP.get(raw or "", "stop")
    assert (ours.provider_data or {}).get("stop_reason") == raw
    assert ours.id == sdk.id
    u, su = ours.usage, sdk.usage
    assert u is not None
    assert (u.input, u.output) == (su.input_tokens, su.output_tokens)
    assert u.cache_read == (su.cache_read_input_tokens or 0)
    assert u.cache_write == (su.cache_creation_input_tokens or 0)


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem[:80] for p in paths]


STREAMS = [p for p in RECORDINGS if _load(p)["response"]["body_format"] == "sse"]
WHOLE = [
    p for p in RECORDINGS if _load(p)["response"]["body_format"] == "json" and _load(p)["response"]["status"] == 200
]
ERRORS = [p for p in RECORDINGS if _load(p)["response"]["status"] >= 400]


@needs_recordings
def test_recordings_cover_the_main_shapes() -> None:
    assert len(STREAMS) >= 9 and len(WHOLE) >= 15 and len(ERRORS) >= 2


@needs_recordings
@pytest.mark.parametrize("path", STREAMS, ids=_ids(STREAMS))
def test_stream_agrees_with_the_sdk_accumulator(path: Path) -> None:
    rec = _load(path)
    body = rec["response"]["body_text"].encode()
    ours = ours_stream(_model(rec), body)
    assert ours.stop_reason != "error", ours.error_message
    assert_same(ours, sdk_stream(body))


@needs_recordings
@pytest.mark.parametrize("path", WHOLE, ids=_ids(WHOLE))
def test_whole_response_agrees_with_the_sdk_model(path: Path) -> None:
    rec = _load(path)
    body = rec["response"]["body_text"].encode()
    ours = CODEC.parse_response(_model(rec), aiwire.Options(), body)
    assert_same(ours, Message.model_validate_json(body))


@needs_recordings
@pytest.mark.parametrize("path", ERRORS, ids=_ids(ERRORS))
def test_errors_carry_the_vendor_type_and_message(path: Path) -> None:
    rec = _load(path)
    body = rec["response"]["body_text"].encode()
    vendor = json.loads(body)["error"]
    info = CODEC.parse_error(rec["response"]["status"], rec["response"]["headers"], body)
    assert info.type == vendor["type"]
    assert vendor["message"] in info.message
