"""Claude through InvokeModel (the ``bedrock-anthropic`` api, wrapping
aiwire-anthropic's codec): every ``bedrock-invoke`` recording in the
conformance set decodes and agrees with the anthropic SDK's own model of the
same body; the request is the recorded shape (``anthropic_version`` instead
of ``model``); a streamed answer in ``chunk`` frames decodes, exception
frames included."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from bedrock_helpers import CONFORMANCE, exception, frame, load, model_id

import aiwire
from aiwire.testing.contract import check_message, check_stream, decode

anthropic = pytest.importorskip("anthropic", reason="the anthropic SDK is a test-only dependency")
pytest.importorskip("aiwire_anthropic", reason="bedrock-anthropic wraps aiwire-anthropic's codec")

DIR = CONFORMANCE / "bedrock-invoke"
RECORDINGS = sorted(DIR.glob("*.json")) if DIR.is_dir() else []


def model_for(mid: str) -> aiwire.Model:
    return aiwire.custom_model(mid, provider="amazon-bedrock", api="bedrock-anthropic", reasoning=True)


def codec() -> Any:
    from aiwire._plugins.registry import get_registry

    return get_registry().codec("bedrock-anthropic")


def test_the_recordings_are_here() -> None:
    if not RECORDINGS:
        pytest.skip(f"no conformance recordings at {DIR}")
    assert len(RECORDINGS) == 3


@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_every_recorded_response_agrees_with_the_anthropic_sdk(path: Path) -> None:
    from anthropic.types import Message

    recording = load(path)
    body = recording["response"]["body_text"].encode()
    model = model_for(model_id(recording))
    msg = codec().parse_response(model, aiwire.Options(), body)
    check_message(msg)
    theirs = Message.model_validate_json(body)
    assert msg.text == "".join(b.text for b in theirs.content if b.type == "text")
    assert msg.stop_reason == "stop" and theirs.stop_reason == "end_turn"
    u = msg.usage
    assert u is not None
    assert (u.input, u.output) == (theirs.usage.input_tokens, theirs.usage.output_tokens)
    assert u.cache_read == (theirs.usage.cache_read_input_tokens or 0)
    assert u.cache_write == (theirs.usage.cache_creation_input_tokens or 0)
    headers = recording["response"]["headers"]
    assert u.input == int(headers["x-amzn-bedrock-input-token-count"])
    assert u.output == int(headers["x-amzn-bedrock-output-token-count"])


def test_the_request_has_the_recorded_shape() -> None:
    path = DIR / "test_anthropic_mid_conversation_system__test_mid_conversation_system_prompt_on_bedrock.json"
    if not path.exists():
        pytest.skip(f"no recording {path.name}")
    recording = load(path)
    sent = recording["request"]["body"]
    model = model_for(model_id(recording))
    ctx = aiwire.Context(
        messages=[
            aiwire.UserMessage(content="Review `def add(a, b): return a + b`."),
            aiwire.AssistantMessage(content=[aiwire.TextContent(text="Looks fine.")]),
            aiwire.UserMessage(content="Review it again."),
        ]
    )
    request = codec().build_request(
        model,
        ctx,
        aiwire.Options(max_tokens=4096, cache_retention="none"),
        aiwire.plugin.Credentials("k"),
        stream=False,
    )
    assert request.url == recording["request"]["url"].replace(":", "%3A").replace("https%3A", "https:")
    assert request.headers["authorization"] == "Bearer k" and "x-api-key" not in request.headers
    body = request.json
    assert body["anthropic_version"] == sent["anthropic_version"] == "bedrock-2023-05-31"
    assert "model" not in body and "model" not in sent and "stream" not in body
    # The recording ends with a mid-conversation system turn, which aiwire contexts do not have.
    assert [m["role"] for m in body["messages"]] == [m["role"] for m in sent["messages"]][:3]
    assert body["max_tokens"] == sent["max_tokens"]


def chunk(event: dict[str, Any]) -> bytes:
    raw = base64.b64encode(json.dumps(event).encode()).decode()
    return frame(
        {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"},
        json.dumps({"bytes": raw, "p": "abcd"}).encode(),
    )


START = (
    chunk(
        {
            "type": "message_start",
            "message": {
                "id": "msg_bdrk_1",
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": "claude",
                "stop_reason": None,
                "usage": {"input_tokens": 12, "output_tokens": 1},
            },
        }
    )
    + chunk({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    + chunk({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}})
)
END = (
    chunk({"type": "content_block_stop", "index": 0})
    + chunk({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 5}})
    + chunk({"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 12}})
)


def test_a_streamed_answer_decodes_at_every_split() -> None:
    model = model_for("us.anthropic.claude-haiku-4-5-20251001-v1:0")
    body = START + END
    whole = check_stream(decode(model, [body], api_key="k"))
    assert whole.text == "Hello" and whole.stop_reason == "stop" and whole.id == "msg_bdrk_1"
    assert whole.usage is not None and (whole.usage.input, whole.usage.output) == (12, 5)
    for i in range(0, len(body) + 1, 7):
        assert check_stream(decode(model, [body[:i], body[i:]], api_key="k")).content == whole.content


def test_an_exception_frame_keeps_the_partial_text() -> None:
    model = model_for("us.anthropic.claude-haiku-4-5-20251001-v1:0")
    msg = check_stream(decode(model, [START + exception("throttlingException", "Too many tokens")], api_key="k"))
    assert msg.stop_reason == "error" and msg.text == "Hello" and msg.error_type == "ThrottlingException"
    assert aiwire.is_rate_limited(msg)


def test_stream_end_to_end_through_the_public_api() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            200, headers={"content-type": "application/vnd.amazon.eventstream"}, stream=httpx.ByteStream(START + END)
        )

    model = model_for("us.anthropic.claude-haiku-4-5-20251001-v1:0")
    msg = aiwire.stream_sync(model, "Hi", api_key="k", transport=httpx.MockTransport(handler)).result()
    assert msg.text == "Hello"
    assert str(sent[0].url).endswith("/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke-with-response-stream")
