"""Real recorded Gemini traffic: our codec against the official google-genai SDK,
and the same final message for every byte split of a stream.

The recordings live in ``<repo>/../shared/conformance/google-gemini`` (read in
place, never copied); tests that need them skip with that reason when absent.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from gemini_helpers import chunk, decode, model, sse
from hypothesis import given, settings
from hypothesis import strategies as st

import aiwire
from aiwire_google.codec import GoogleCodec

CONFORMANCE = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / "google-gemini"
FILES = sorted(CONFORMANCE.glob("*.json")) if CONFORMANCE.is_dir() else []
NEEDS = pytest.mark.skipif(not FILES, reason=f"conformance recordings not found at {CONFORMANCE}")
STREAMS = [f for f in FILES if json.loads(f.read_text())["streaming"]]


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _model(rec: dict[str, Any]) -> aiwire.Model:
    url = rec["request"]["url"]
    model_id = url.rsplit("/models/", 1)[1].split(":", 1)[0]
    provider = "google-vertex" if rec["provider"] == "google-vertex" else "google"
    return msgspec.structs.replace(model(model_id), provider=provider)


def _ours(rec: dict[str, Any]) -> aiwire.AssistantMessage:
    body = rec["response"]["body_text"].encode()
    if rec["streaming"]:
        return decode(body, _model(rec))[0]
    return GoogleCodec().parse_response(_model(rec), aiwire.Options(), body)


def _sdk_chunks(rec: dict[str, Any]) -> list[Any]:
    from google.genai import models, types

    from aiwire._wire.framing import SSEFramer

    convert = (
        models._GenerateContentResponse_from_vertex
        if rec["provider"] == "google-vertex"
        else models._GenerateContentResponse_from_mldev
    )
    body = rec["response"]["body_text"]
    raw = [json.loads(d) for _, d in SSEFramer().feed(body.encode())] if rec["streaming"] else [json.loads(body)]
    return [types.GenerateContentResponse._from_response(response=convert(r), kwargs={}) for r in raw]


class _SdkView:
    """What the SDK's response types say about one recorded response."""

    def __init__(self, chunks: list[Any]) -> None:
        self.text = ""
        self.thoughts = ""
        self.calls: list[tuple[str | None, str, dict[str, Any]]] = []
        self.signatures: list[bytes] = []
        self.finish: str | None = None
        self.usage: Any = None
        self.blocked: str | None = None
        for c in chunks:
            if c.usage_metadata is not None:
                self.usage = c.usage_metadata
            if c.prompt_feedback is not None and c.prompt_feedback.block_reason:
                self.blocked = str(c.prompt_feedback.block_reason.value)
            for cand in (c.candidates or [])[:1]:
                if cand.finish_reason is not None:
                    self.finish = str(cand.finish_reason.value)
                for part in (cand.content.parts if cand.content else None) or []:
                    if part.thought_signature:
                        self.signatures.append(part.thought_signature)
                    if part.function_call is not None:
                        fc = part.function_call
                        self.calls.append((fc.id, fc.name or "", fc.args or {}))
                    elif part.text is not None:
                        if part.thought:
                            self.thoughts += part.text
                        else:
                            self.text += part.text


def _signatures(msg: aiwire.AssistantMessage) -> list[bytes]:
    out = []
    for b in msg.content:
        sig = b.data.get("thoughtSignature") if isinstance(b, aiwire.ProviderContent) else b.signature
        if sig:
            out.append(base64.b64decode(sig))
    return sorted(out)


@NEEDS
@pytest.mark.conformance
@pytest.mark.parametrize("path", FILES, ids=[f.stem[:70] for f in FILES])
def test_codec_agrees_with_the_official_sdk(path: Path) -> None:
    pytest.importorskip("google.genai", reason="the differential test needs google-genai (requirements-dev.txt)")
    rec = _load(path)
    status = rec["response"]["status"]
    if status >= 400:
        from google.genai import errors

        sdk_err = errors.APIError(status, json.loads(rec["response"]["body_text"]))
        info = GoogleCodec().parse_error(status, {}, rec["response"]["body_text"].encode())
        assert info.message.startswith(sdk_err.message or "") and info.type == sdk_err.status
        return

    sdk = _SdkView(_sdk_chunks(rec))
    msg = _ours(rec)
    assert msg.text == sdk.text
    assert "".join(b.thinking for b in msg.content if isinstance(b, aiwire.ThinkingContent)) == sdk.thoughts
    assert [(c.name, c.arguments) for c in msg.tool_calls] == [(n, a) for _, n, a in sdk.calls]
    for ours, (sdk_id, _, _) in zip(msg.tool_calls, sdk.calls, strict=True):
        if sdk_id:
            assert ours.id == sdk_id
    assert len({c.id for c in msg.tool_calls}) == len(msg.tool_calls)

    # Every signature the SDK saw is kept on some block, bytes for bytes.
    assert _signatures(msg) == sorted(sdk.signatures)

    if sdk.blocked:
        assert msg.stop_reason == "error" and sdk.blocked in (msg.error_type or "")
    elif sdk.finish == "STOP":
        assert msg.stop_reason == ("tool_use" if sdk.calls else "stop")
    elif sdk.finish == "MAX_TOKENS":
        assert msg.stop_reason == "length"
    else:
        assert msg.stop_reason == "error" and msg.error_type == (sdk.finish or "").lower()

    u = sdk.usage
    if u is None or not u.prompt_token_count:
        assert msg.usage is None
    else:
        assert msg.usage is not None
        cached = u.cached_content_token_count or 0
        assert msg.usage.input == u.prompt_token_count - cached + (u.tool_use_prompt_token_count or 0)
        assert msg.usage.output == (u.candidates_token_count or 0) + (u.thoughts_token_count or 0)
        assert msg.usage.cache_read == cached
        assert msg.usage.reasoning == (u.thoughts_token_count or None)


def _final(body: bytes, m: aiwire.Model, split_at: list[int]) -> dict[str, Any]:
    from aiwire._wire.framing import SSEFramer

    dec = GoogleCodec().decoder(m, aiwire.Options())
    framer = SSEFramer()
    cuts = sorted(set(split_at))
    for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True):
        for name, data in framer.feed(body[a:b]):
            if not dec.terminated:
                dec.feed(name, data)
    dec.end_of_stream()
    out: dict[str, Any] = msgspec.to_builtins(dec.message)
    out.pop("timestamp")
    return out


SYNTHETIC = sse(
    chunk({"text": "Thinking ", "thought": True}),
    chunk({"text": "über things ✓", "thought": True, "thoughtSignature": "VEhP"}),
    chunk({"text": "Answer: ", "thoughtSignature": "VFhU"}, {"functionCall": {"name": "f", "args": {"k": "ß"}}}),
    chunk(
        {"text": "done"}, finish="STOP", usage={"promptTokenCount": 4, "candidatesTokenCount": 3, "totalTokenCount": 7}
    ),
)


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=len(SYNTHETIC) - 1), max_size=40))
def test_synthetic_stream_is_split_independent(cuts: list[int]) -> None:
    m = model()
    assert _final(SYNTHETIC, m, cuts) == _final(SYNTHETIC, m, [])


@NEEDS
@pytest.mark.conformance
@pytest.mark.parametrize("path", STREAMS, ids=[f.stem[:70] for f in STREAMS])
def test_recorded_streams_are_split_independent(path: Path) -> None:
    rec = _load(path)
    body = rec["response"]["body_text"].encode()
    m = _model(rec)
    whole = _final(body, m, [])

    @settings(max_examples=25, deadline=None)
    @given(cuts=st.lists(st.integers(min_value=1, max_value=len(body) - 1), max_size=60))
    def check(cuts: list[int]) -> None:
        assert _final(body, m, cuts) == whole

    check()
    assert _final(body, m, list(range(1, len(body)))) == whole  # one byte at a time
