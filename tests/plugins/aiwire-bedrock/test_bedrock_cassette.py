"""The ConverseStream cassette written from AWS's documented wire format
(``cassettes/aiwire-bedrock/converse_stream_documented.yaml``, by
``bedrock_cassettes.py``): what the script writes, what aiwire decodes from it
at any read split, what boto3 reads from the same bytes, and a replay through
the public API."""

from __future__ import annotations

from pathlib import Path

import pytest
from bedrock_cassettes import MODEL_ID, OUT, PROMPT, SIGNATURE, WEATHER, stream_body
from bedrock_helpers import ROOT

import aiwire
from aiwire import events as ev
from aiwire.testing.contract import check_stream, decode, from_cassettes

MODEL = aiwire.get_model("amazon-bedrock", MODEL_ID)
BLOCKS = [
    ("thinking", "The user asks about Paris. I should call get_weather.", SIGNATURE),
    ("text", "Let me check the weather in Paris."),
    ("tool", "tooluse_Documented01", "get_weather", {"city": "Paris", "unit": "celsius"}),
]


def blocks(msg: aiwire.AssistantMessage) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for b in msg.content:
        if isinstance(b, aiwire.ThinkingContent):
            out.append(("thinking", b.thinking, b.signature))
        elif isinstance(b, aiwire.TextContent):
            out.append(("text", b.text))
        elif isinstance(b, aiwire.ToolCall):
            out.append(("tool", b.id, b.name, b.arguments))
        else:
            out.append(("other", type(b).__name__))
    return out


def test_the_cassette_is_what_the_script_writes_and_says_so() -> None:
    assert OUT == ROOT / "cassettes" / "aiwire-bedrock" / "converse_stream_documented.yaml"
    text = OUT.read_text()
    assert text.startswith("# origin: written from AWS's documented ConverseStream wire format")
    assert "conformance" not in text and "LICENSE" not in text
    [recording] = from_cassettes(OUT.parent, OUT.name)
    assert recording.status == 200 and recording.body == stream_body()
    assert list(OUT.parent.iterdir()) == [OUT], "only cassettes written from documented formats belong here"


def test_aiwire_decodes_it_the_same_at_every_split() -> None:
    body = stream_body()
    msg = check_stream(decode(MODEL, [body], api_key="FAKE-key"))
    assert blocks(msg) == BLOCKS
    assert msg.stop_reason == "tool_use" and msg.error_message is None
    assert msg.usage is not None
    assert (msg.usage.input, msg.usage.output, msg.usage.cache_read, msg.usage.cache_write) == (412, 96, 2000, 0)
    assert msg.usage.cost.total == pytest.approx((412 * 3.0 + 96 * 15.0 + 2000 * 0.3) / 1e6)
    for i in range(1, len(body), 7):
        again = check_stream(decode(MODEL, [body[:i], body[i:]], api_key="FAKE-key"))
        assert (blocks(again), again.stop_reason, again.usage) == (BLOCKS, "tool_use", msg.usage), i


def test_boto3_reads_the_same_stream_from_these_bytes() -> None:
    pytest.importorskip("boto3", reason="boto3 is a test-only dependency (requirements-dev.txt)")
    from test_bedrock_conformance import boto3_stream

    content, stop, usage = boto3_stream(stream_body())
    assert content == [
        ("thinking", BLOCKS[0][1], SIGNATURE, False),
        ("text", BLOCKS[1][1]),
        ("tool", "tooluse_Documented01", "get_weather", {"city": "Paris", "unit": "celsius"}),
    ]
    assert (stop, usage) == ("tool_use", (412, 96, 2000, 0))


@pytest.fixture
def vcr_cassette_dir() -> str:
    return str(OUT.parent)


@pytest.mark.vcr
@pytest.mark.default_cassette(OUT.name)
async def test_replayed_through_the_public_api(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "FAKE-bedrock-api-key")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    context = aiwire.Context(messages=[aiwire.UserMessage(content=PROMPT)], tools=[WEATHER])
    s = aiwire.stream(MODEL, context, reasoning="low")
    events = [e async for e in s]
    msg = await s
    assert isinstance(events[0], ev.Start) and isinstance(events[-1], ev.Done)
    assert blocks(msg) == BLOCKS and msg.stop_reason == "tool_use"
    assert [e.delta for e in events if isinstance(e, ev.TextDelta)] == ["Let me check ", "the weather in Paris."]
