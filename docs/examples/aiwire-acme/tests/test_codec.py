"""acme-chat specifics: the request it builds, whole replies, errors, and a
replayed cassette through aiwire's public API."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

import aiwire
from aiwire.plugin import Credentials, Options
from aiwire.types import (
    AssistantMessage,
    Context,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)
from aiwire_acme.codec import AcmeCodec

CASSETTES = Path(__file__).parent / "cassettes"
MODEL_REF = "acme/acme-mini"


def test_discovery_registers_api_provider_and_model() -> None:
    model = aiwire.get_model(MODEL_REF)
    assert (model.api, model.base_url) == ("acme-chat", "https://api.acme.test/v1")
    assert aiwire.get_provider("acme").env == ("ACME_API_KEY",)


def test_request_carries_key_turns_and_tools() -> None:
    model = aiwire.get_model(MODEL_REF)
    previous = AssistantMessage(
        api="acme-chat",
        model="acme-mini",
        content=[ThinkingContent(thinking="hm"), ToolCall(id="call|1", name="calc", arguments={"x": 1})],
    )
    ctx = Context(
        system_prompt="Be brief.",
        messages=[
            UserMessage(content="hi"),
            previous,
            ToolResultMessage(tool_call_id="call|1", tool_name="calc", content=[TextContent(text="2")]),
        ],
        tools=[Tool(name="calc")],
    )
    req = AcmeCodec().build_request(model, ctx, Options(max_tokens=50, temperature=0.2), Credentials("k-123"))
    assert req.url == "https://api.acme.test/v1/chat"
    assert req.headers["x-acme-key"] == "k-123"
    assert "k-123" not in repr(req)
    body = req.json
    assert (body["system"], body["limit"], body["heat"], body["stream"]) == ("Be brief.", 50, 0.2, True)
    bot, tool = body["turns"][1], body["turns"][2]
    assert bot["parts"][0] == {"think": "hm"}
    # Ids that do not fit [A-Za-z0-9_-] are normalized the same way everywhere.
    assert bot["parts"][1]["call"] == tool["call"] != "call|1"


def test_unsupported_option_is_reported() -> None:
    with pytest.raises(aiwire.errors.BadOptionsError, match="reasoning"):
        aiwire.stream(MODEL_REF, "hi", reasoning="high")


def test_whole_reply_and_errors() -> None:
    model = aiwire.get_model(MODEL_REF)
    codec = AcmeCodec()
    body = {
        "id": "r-1",
        "reply": [{"text": "4"}, {"call": "c", "fn": "f", "args": {"a": 1}}],
        "why": "tools",
        "tokens": {"in": 3, "out": 1},
    }
    msg = codec.parse_response(model, Options(), msgspec.json.encode(body))
    assert (msg.text, msg.stop_reason, msg.tool_calls[0].arguments) == ("4", "tool_use", {"a": 1})
    assert msg.usage is not None and msg.usage.cost.total > 0
    info = codec.parse_error(400, {}, b'{"fault": {"msg": "nope", "kind": "invalid_request"}}')
    assert (info.message, info.type) == ("nope", "invalid_request")
    assert codec.parse_error(502, {}, b"Bad Gateway").message == "Bad Gateway"


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


@pytest.mark.vcr("tool_calls.yaml")
def test_replayed_cassette_through_stream_sync() -> None:
    s = aiwire.stream_sync(MODEL_REF, "Weather in Paris and Zürich?")
    kinds = [type(e).__name__ for e in s]
    msg = s.result()
    assert kinds[0] == "Start" and kinds[-1] == "Done"
    assert [c.arguments["city"] for c in msg.tool_calls] == ["Paris", 'Zürich "ZH"']
    assert msg.usage is not None and msg.usage.input == 40
