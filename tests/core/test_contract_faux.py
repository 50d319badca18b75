"""The codec contract suite, run against core's own ``faux`` api."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aiwire._demo.faux import FauxReply, encode_reply
from aiwire.testing import contract
from aiwire.testing.contract import CodecContract, Recording
from aiwire.types import TextContent, ThinkingContent, ToolCall, Usage


def _rec(name: str, reply: FauxReply, **expect: object) -> Recording:
    return Recording(name=name, body=b"".join(encode_reply(reply)), **expect)  # type: ignore[arg-type]


_ARGS = {"city": "Paris", "days": [1, 2, 3], "note": 'quote " and \\ and é ' * 20}

RECORDINGS = [
    _rec(
        "text",
        FauxReply(content=[TextContent(text="Hello, wörld! " * 40)], usage=Usage(input=3, output=9), chunk_size=3),
        stop_reason="stop",
        usage=True,
        text="Hello, wörld!",
    ),
    _rec(
        "thinking-text-tools",
        FauxReply(
            content=[
                ThinkingContent(thinking="Let me think. " * 10, signature="sig-1"),
                TextContent(text="Checking."),
                ToolCall(id="call_1", name="get_weather", arguments=_ARGS),
                ToolCall(id="call_2", name="get_weather", arguments={"city": "Oslo"}),
            ],
            usage=Usage(input=10, output=20, cache_read=5),
            chunk_size=7,
        ),
        stop_reason="tool_use",
        tool_calls=2,
    ),
    _rec("no-usage", FauxReply(content=[TextContent(text="hi")]), usage=False),
    _rec("length", FauxReply(content=[TextContent(text="cut sho")], stop_reason="length"), stop_reason="length"),
    _rec(
        "in-stream-error",
        FauxReply(content=[TextContent(text="partial")], error="overloaded", error_type="overloaded_error"),
        stop_reason="error",
    ),
    _rec("truncated", FauxReply(content=[TextContent(text="never ends")], truncate=True), stop_reason="error"),
    Recording(name="http-400", status=400, body=b'{"error": {"type": "invalid_request", "message": "bad max_tokens"}}'),
    Recording(
        name="http-529",
        status=529,
        body=b'{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
    ),
    Recording(name="http-502-text", status=502, body=b"Bad Gateway"),
]


RESPONSES = [
    Recording(
        name="whole-reply",
        body=json.dumps(
            {
                "content": [{"type": "text", "text": "Hello in one piece."}],
                "stop_reason": "stop",
                "usage": {"input": 3, "output": 4},
            }
        ).encode(),
        stop_reason="stop",
        usage=True,
        text="Hello in one piece.",
    )
]


class TestFauxContract(CodecContract):
    api = "faux"
    recordings = RECORDINGS
    responses = RESPONSES


def test_contract_fails_a_decoder_that_never_finishes_and_corrupts_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: a decoder patched never to call ``finish()`` and to corrupt its
    text passed the suite (the stream ended in an error, deltas matched the
    corrupted content)."""
    from aiwire._demo.faux import FauxDecoder

    suite = TestFauxContract()
    real_add = FauxDecoder.add_text
    never_finishes = ("finish", lambda self, *a, **k: None)
    corrupts = ("add_text", lambda self, i, delta: real_add(self, i, delta.upper()))
    for patches, error in (
        ([never_finishes], "ended in Error"),
        ([corrupts], "not in the response body"),
        ([never_finishes, corrupts], "not in the response body|ended in Error"),
    ):
        with monkeypatch.context() as m:
            for name, fn in patches:
                m.setattr(FauxDecoder, name, fn)
            for rec in RECORDINGS[:3]:
                with pytest.raises(AssertionError, match=error):
                    suite.test_stream_invariants(rec)
    for rec in RECORDINGS[:3]:
        suite.test_stream_invariants(rec)  # and the real decoder passes


def test_contract_asks_for_parse_response_or_stream_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiwire._demo.faux import FauxCodec

    suite = TestFauxContract()
    with pytest.raises(AssertionError, match="declare stream_only"):
        suite.test_parse_response(None)
    monkeypatch.setattr(FauxCodec, "stream_only", True, raising=False)
    suite.test_parse_response(None)
    monkeypatch.setattr(FauxCodec, "parse_response", lambda self, m, o, body: _corrupt(m))
    with pytest.raises(AssertionError, match="not in the response body"):
        suite.test_parse_response(RESPONSES[0])


def _corrupt(model: object) -> object:
    from aiwire.types import AssistantMessage

    return AssistantMessage(content=[TextContent(text="HELLO IN ONE PIECE.")], stop_reason="stop")


def test_an_undeclared_supported_options_is_refused_at_registration() -> None:
    from aiwire.errors import PluginError
    from aiwire.plugin import BaseCodec, hookimpl
    from aiwire.testing import use_plugin

    class Silent(BaseCodec):  # a chat codec that forgot supported_options
        api = "silent"

        def build_request(self, *args: object, **kwargs: object) -> Any:
            raise NotImplementedError

    class ImagesOnly(BaseCodec):  # no chat methods: nothing to declare
        api = "images-only"

        def build_image_request(self, *args: object) -> Any:
            raise NotImplementedError

    class plugin:
        AIWIRE_PLUGIN_API = 2

        @staticmethod
        @hookimpl
        def register_apis(register: object) -> None:
            register("silent", Silent)  # type: ignore[operator]
            register("images-only", ImagesOnly)  # type: ignore[operator]

    from aiwire._plugins.registry import get_registry

    with use_plugin(plugin, "silent-plugin"):
        with pytest.raises(PluginError, match="does not declare supported_options"):
            get_registry().codec("silent")
        assert isinstance(get_registry().codec("images-only"), ImagesOnly)


def test_contract_catches_a_split_sensitive_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite must fail a decoder whose output depends on chunking."""
    from aiwire._engine.exchange import Exchange

    real = Exchange.feed

    def flaky(self: Exchange, chunk: bytes) -> list[object]:
        out = real(self, chunk)
        if len(chunk) == 1 and self.decoder is not None and not self.decoder.terminated:
            self.decoder.message.id = "depends-on-chunking"
        return out  # type: ignore[return-value]

    monkeypatch.setattr(Exchange, "feed", flaky)
    suite = TestFauxContract()
    with pytest.raises(AssertionError, match="decodes differently"):
        suite.test_same_message_under_every_byte_split(RECORDINGS[0])


def test_check_stream_rejects_bad_sequences() -> None:
    from aiwire import events as ev
    from aiwire.types import AssistantMessage

    msg = AssistantMessage(content=[TextContent(text="ab")])
    good = [
        ev.Start(message=msg),
        ev.TextStart(content_index=0),
        ev.TextDelta(content_index=0, delta="ab"),
        ev.TextEnd(content_index=0, content="ab"),
        ev.Done(reason="stop", message=msg),
    ]
    assert contract.check_stream(good) is msg
    with pytest.raises(AssertionError, match="terminal"):
        contract.check_stream([*good, ev.Done(reason="stop", message=msg)])
    with pytest.raises(AssertionError, match="differs"):
        contract.check_stream([*good[:3], ev.TextEnd(content_index=0, content="abc"), good[4]])
    with pytest.raises(AssertionError, match="no open"):
        contract.check_stream([good[0], ev.TextDelta(content_index=0, delta="x"), good[4]])
    with pytest.raises(AssertionError, match="never ended"):
        contract.check_stream([*good[:3], good[4]])


def test_loaders(tmp_path: Path) -> None:
    root = tmp_path
    (root / "a.sse").write_bytes(RECORDINGS[0].body)
    [rec] = contract.from_sse_files(root, stop_reason="stop")
    assert (rec.name, rec.stop_reason, rec.body) == ("a", "stop", RECORDINGS[0].body)
    assert contract.from_conformance(root / "absent", "openai-chat") == []
    api_dir = root / "conf" / "x"
    api_dir.mkdir(parents=True)
    sample = {"api": "openai-chat", "response": {"status": 200, "body_format": "sse", "body_text": "data: {}\n\n"}}
    (api_dir / "one.json").write_text(json.dumps(sample))
    sample["response"] = {"status": 200, "body_format": "json", "body_text": "{}"}
    (api_dir / "two.json").write_text(json.dumps(sample))
    assert [r.name for r in contract.from_conformance(root / "conf", "openai-chat")] == ["one"]
    assert contract.from_conformance(root / "conf", "anthropic-messages") == []


def test_from_cassettes_streaming_only(tmp_path: Path) -> None:
    def interaction(status: int, body: str) -> dict[str, object]:
        return {"request": {}, "response": {"status": {"code": status}, "body": {"string": body}}}

    bodies = [(200, "data: {}\n\n"), (200, ' {"id": "whole"}'), (429, '{"error": {"message": "slow"}}')]
    cassette = {"interactions": [interaction(s, b) for s, b in bodies]}
    (tmp_path / "c.yaml").write_text(json.dumps(cassette))  # JSON is YAML
    assert [r.status for r in contract.from_cassettes(tmp_path)] == [200, 200, 429]
    assert [r.name for r in contract.from_cassettes(tmp_path, streaming_only=True)] == ["c[0]", "c[2]"]
