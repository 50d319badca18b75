"""Differential test: our codec against boto3 on real recorded Bedrock traffic.

Every ``bedrock-converse`` recording in ``../shared/conformance`` is decoded
twice: by aiwire (ConverseStream bodies through the public
``EventStreamFramer`` and our decoder, as the core drives them; Converse
bodies through ``parse_response``) and by boto3's own client (its
event-stream parser and its JSON response parser, fed the same bytes). Text,
reasoning with signatures, redacted reasoning, tool calls with their
arguments, server-tool blocks and tool results, stop reason and usage
(cache reads and writes included) must agree. Intended differences, checked
explicitly: stop reasons map to aiwire's neutral ones (``_STOP``), and
redacted reasoning, bytes in boto3, is kept base64 as on the wire.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from bedrock_helpers import body_of, boto3_client, load, model_for, recordings

import aiwire
from aiwire.testing.contract import check_message, check_stream, decode
from aiwire.types import AssistantMessage, ProviderContent, TextContent, ThinkingContent, ToolCall
from aiwire_bedrock.codec import BedrockCodec

pytest.importorskip("boto3", reason="boto3 is a test-only dependency (requirements-dev.txt)")
pytestmark = pytest.mark.conformance

CODEC = BedrockCodec()
STREAMS = recordings(streaming=True, ok=True)
WHOLE = [p for p in recordings(streaming=False, ok=True) if load(p)["response"]["body_text"]]
_STOP = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "tool_use", "max_tokens": "length"}
Block = tuple[Any, ...]


def _norm_boto(content: list[dict[str, Any]]) -> list[Block]:
    out: list[Block] = []
    for b in content:
        if "text" in b:
            out.append(("text", b["text"]))
        elif "toolUse" in b:
            use = b["toolUse"]
            if use.get("type") == "server_tool_use":
                out.append(("provider", "server_tool_use", use["toolUseId"], use["name"], use["input"]))
            else:
                out.append(("tool", use["toolUseId"], use["name"], use["input"]))
        elif "reasoningContent" in b:
            r = b["reasoningContent"]
            if "redactedContent" in r:
                out.append(("thinking", "", base64.b64encode(r["redactedContent"]).decode(), True))
            else:
                t = r["reasoningText"]
                out.append(("thinking", t.get("text", ""), t.get("signature"), False))
        elif "toolResult" in b:
            res = b["toolResult"]
            out.append(("provider", "toolResult", res["toolUseId"], res.get("status"), res["content"]))
        else:
            out.append(("provider", next(iter(b))))
    return out


def _norm_ours(msg: AssistantMessage) -> list[Block]:
    out: list[Block] = []
    for b in msg.content:
        if isinstance(b, TextContent):
            out.append(("text", b.text))
        elif isinstance(b, ToolCall):
            out.append(("tool", b.id, b.name, b.arguments))
        elif isinstance(b, ThinkingContent):
            out.append(("thinking", b.thinking, b.signature, b.redacted))
        elif isinstance(b, ProviderContent):
            if b.kind == "server_tool_use":
                use = b.data["toolUse"]
                out.append(("provider", b.kind, use["toolUseId"], use["name"], use["input"]))
            elif b.kind == "toolResult":
                res = b.data["toolResult"]
                out.append(("provider", b.kind, res["toolUseId"], res.get("status"), res["content"]))
            else:
                out.append(("provider", b.kind))
    return out


def _usage(u: dict[str, Any]) -> tuple[int, int, int, int]:
    return (
        u["inputTokens"],
        u["outputTokens"],
        u.get("cacheReadInputTokens") or 0,
        u.get("cacheWriteInputTokens") or 0,
    )


def boto3_stream(body: bytes) -> tuple[list[Block], str, tuple[int, int, int, int] | None]:
    """boto3's events accumulated into blocks, by contentBlockIndex."""
    client = boto3_client(200, body, "application/vnd.amazon.eventstream")
    response = client.converse_stream(modelId="m", messages=[{"role": "user", "content": [{"text": "x"}]}])
    blocks: dict[int, dict[str, Any]] = {}
    stop, usage = "", None
    for ev in response["stream"]:
        if "contentBlockStart" in ev:
            e = ev["contentBlockStart"]
            start = e["start"]
            if "toolUse" in start:
                blocks[e["contentBlockIndex"]] = {"toolUse": {**start["toolUse"], "input": ""}}
            else:
                blocks[e["contentBlockIndex"]] = {"toolResult": {**start["toolResult"], "content": []}}
        elif "contentBlockDelta" in ev:
            e = ev["contentBlockDelta"]
            d = e["delta"]
            b = blocks.setdefault(e["contentBlockIndex"], {})
            if "text" in d:
                b["text"] = b.get("text", "") + d["text"]
            elif "toolUse" in d:
                b["toolUse"]["input"] += d["toolUse"]["input"]
            elif "toolResult" in d:
                b["toolResult"]["content"].extend(d["toolResult"])
            elif "reasoningContent" in d:
                r = d["reasoningContent"]
                rc = b.setdefault("reasoningContent", {})
                if "redactedContent" in r:
                    rc["redactedContent"] = rc.get("redactedContent", b"") + r["redactedContent"]
                else:
                    rt = rc.setdefault("reasoningText", {"text": ""})
                    rt["text"] += r.get("text", "")
                    if "signature" in r:
                        rt["signature"] = r["signature"]
        elif "messageStop" in ev:
            stop = ev["messageStop"]["stopReason"]
        elif "metadata" in ev:
            usage = _usage(ev["metadata"]["usage"])
    content = []
    for i in sorted(blocks):
        b = blocks[i]
        if "toolUse" in b:
            raw = b["toolUse"]["input"]
            b["toolUse"]["input"] = json.loads(raw) if raw else {}
        content.append(b)
    return _norm_boto(content), stop, usage


def _check(msg: AssistantMessage, blocks: list[Block], stop: str, usage: Any, model: aiwire.Model) -> None:
    assert _norm_ours(msg) == blocks
    assert msg.stop_reason == _STOP[stop]
    assert msg.usage is not None and usage is not None
    u = msg.usage
    assert (u.input, u.output, u.cache_read, u.cache_write) == usage
    if model.cost.input:
        assert u.cost.total > 0
        assert u.cost.input == pytest.approx(u.input * model.cost.input / 1e6)
        assert u.cost.cache_read == pytest.approx(u.cache_read * model.cost.cache_read / 1e6)


def test_the_conformance_set_is_here() -> None:
    if not STREAMS:
        pytest.skip("no ../shared/conformance/bedrock-converse beside the clone")
    assert len(STREAMS) == 10 and len(WHOLE) >= 200


@pytest.mark.parametrize("path", STREAMS, ids=[p.stem for p in STREAMS])
def test_every_recorded_stream_agrees_with_boto3(path: Path) -> None:
    recording = load(path)
    body = body_of(recording)
    model = model_for(recording)
    msg = check_stream(decode(model, [body], api_key="test-key"))
    check_message(msg)
    _check(msg, *boto3_stream(body), model)


@pytest.mark.parametrize("path", WHOLE, ids=[p.stem for p in WHOLE])
def test_every_recorded_response_agrees_with_boto3(path: Path) -> None:
    recording = load(path)
    body = body_of(recording)
    model = model_for(recording)
    msg = CODEC.parse_response(model, aiwire.Options(), body)
    check_message(msg)
    client = boto3_client(200, body, "application/json")
    response = client.converse(modelId="m", messages=[{"role": "user", "content": [{"text": "x"}]}])
    _check(
        msg,
        _norm_boto(response["output"]["message"]["content"]),
        response["stopReason"],
        _usage(response["usage"]),
        model,
    )
