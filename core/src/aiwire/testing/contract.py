"""The codec contract suite: the tests every provider plugin must pass.

Point it at your api and your recorded responses by subclassing
:class:`CodecContract` in a test module::

    from pathlib import Path
    from aiwire.testing.contract import CodecContract, from_cassettes

    class TestAcmeContract(CodecContract):
        api = "acme-chat"
        recordings = from_cassettes(Path(__file__).parent / "cassettes")

Every recording is decoded through the core's own framing and decoding path
(the one ``aiwire.stream`` uses) and checked for: the event-sequence
invariants, exactly one terminal event, a 200 stream ending in ``done``
(unless its expected ``stop_reason`` is ``error``), text and thinking that
come from the body (every delta is found in it: a decoder that rewrites text
fails), the expected text, the same final message under every
byte split, a JSON round-trip of the final message, usage present or
explicitly absent, tool calls with valid JSON arguments, cancellation ending
in an ``aborted`` message, HTTP errors becoming one ``error`` event with the
vendor's message, and a handoff of the resulting conversation to every
registered api (each codec must build a request from it). The codec must
declare ``supported_options``, and ``parse_response`` is run on every
recorded non-streamed reply in ``responses`` (a codec without one declares
``stream_only = True``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, ClassVar

import httpx
import msgspec
import pytest

from aiwire import events as ev
from aiwire._api.models import custom_model
from aiwire._engine.call import prepare
from aiwire._engine.exchange import Ended, Exchange, Responded
from aiwire._plugins.registry import get_registry
from aiwire._wire.codec import CODEC_OPTIONS, Credentials, Options, Request, is_embedding_codec, is_image_codec
from aiwire._wire.eventstream import EventStreamFramer
from aiwire._wire.exchange import ResponseInfo
from aiwire._wire.framing import FramingError
from aiwire.handoff import transform_context
from aiwire.testing._embedding_contract import (
    EmbeddingContract,
    EmbeddingRecording,
    check_embeddings,
    embedding_recordings,
)
from aiwire.testing._recordings import Recording, from_cassettes, from_conformance, from_sse_files, strings_in
from aiwire.types import (
    AssistantMessage,
    Context,
    Model,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
    dumps,
    loads,
)

__all__ = [
    "CodecContract",
    "EmbeddingContract",
    "EmbeddingRecording",
    "Recording",
    "check_embeddings",
    "check_message",
    "check_deltas_come_from",
    "check_stream",
    "decode",
    "embedding_recordings",
    "from_cassettes",
    "from_conformance",
    "from_sse_files",
]

_TOOL = Tool(
    name="get_weather",
    description="Weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
DEFAULT_CONTEXT = Context(
    system_prompt="You are a test.", messages=[UserMessage(content="What is the weather in Paris?")], tools=[_TOOL]
)


SYNTHETIC_ERROR = Recording(
    name="synthetic-http-400",
    status=400,
    body=b'{"error": {"type": "invalid_request_error", "message": "contract suite: synthetic vendor error"}}',
)


def decode(model: Model, chunks: Sequence[bytes], context: Context = DEFAULT_CONTEXT, **options: Any) -> list[ev.Event]:
    """Decode a response body, given as byte chunks, exactly as the drivers
    do, without I/O: the exchange engine is driven by hand (a 200 response,
    then the chunks, then the end of the body)."""
    ex, flow = _streaming(model, context, options)
    events = ex.drain()
    for chunk in chunks:
        events += ex.feed(chunk)
        if ex.finished:
            break
    with contextlib.suppress(StopIteration):
        flow.send(Ended())
    return events + ex.drain()


def _streaming(model: Model, context: Context, options: dict[str, Any]) -> tuple[Exchange, Any]:
    """An exchange whose flow has sent its request and got a 200 head."""
    ex = Exchange(prepare(model, context, options))
    flow = ex.flow()
    next(flow)  # Send
    flow.send(Responded(ResponseInfo(200, {"content-type": "text/event-stream"})))  # now streaming
    return ex, flow


# -- checks ---------------------------------------------------------------------

_KIND = {
    ev.TextStart: "text",
    ev.TextDelta: "text",
    ev.TextEnd: "text",
    ev.ThinkingStart: "thinking",
    ev.ThinkingDelta: "thinking",
    ev.ThinkingEnd: "thinking",
    ev.ToolCallStart: "tool",
    ev.ToolCallDelta: "tool",
    ev.ToolCallEnd: "tool",
}
_BLOCK = {"text": TextContent, "thinking": ThinkingContent, "tool": ToolCall}


def check_stream(events: Sequence[ev.Event]) -> AssistantMessage:
    """Assert the event-sequence invariants; return the final message."""
    assert events, "no events at all"
    # A request the provider refused (an HTTP error) is one error event; a
    # stream it accepted starts with ``start``.
    refused = len(events) == 1 and isinstance(events[0], ev.Error)
    assert refused or isinstance(events[0], ev.Start), f"the first event is {type(events[0]).__name__}, not start"
    terminals = [i for i, e in enumerate(events) if isinstance(e, (ev.Done, ev.Error))]
    assert len(terminals) == 1, f"{len(terminals)} terminal events (done/error); exactly one is required"
    assert terminals[0] == len(events) - 1, "events follow the terminal event"
    final = events[-1]
    assert isinstance(final, (ev.Done, ev.Error))
    msg = final.message
    assert final.reason == msg.stop_reason, f"terminal reason {final.reason!r} != stop_reason {msg.stop_reason!r}"
    if isinstance(final, ev.Error):
        assert msg.error_message, "an error event must say what went wrong"
    state: dict[int, str] = {}
    kinds: dict[int, str] = {}
    parts: dict[int, list[str]] = {}
    last_delta: dict[int, ev.ToolCallDelta] = {}
    for e in events[1:-1]:
        assert not isinstance(e, ev.Start), "a second start event"
        kind = _KIND[type(e)]
        i: int = e.content_index  # type: ignore[union-attr]
        where = f"{type(e).__name__} at content_index {i}"
        if isinstance(e, (ev.TextStart, ev.ThinkingStart, ev.ToolCallStart)):
            assert i not in state, f"{where}: the block was already started"
            state[i] = kinds[i] = kind
            parts[i] = []
            continue
        assert state.get(i) == kind, f"{where}: no open {kind} block there (state {state.get(i)!r})"
        if isinstance(e, (ev.TextDelta, ev.ThinkingDelta, ev.ToolCallDelta)):
            parts[i].append(e.delta)
            if isinstance(e, ev.ToolCallDelta):
                last_delta[i] = e
            continue
        state[i] = "ended"
        joined = "".join(parts[i])
        if isinstance(e, ev.TextEnd) or (isinstance(e, ev.ThinkingEnd) and not e.redacted):
            assert e.content == joined, f"{where}: content differs from the deltas"
        elif isinstance(e, ev.ToolCallEnd) and joined:
            assert e.tool_call.arguments == msgspec.json.decode(joined), f"{where}: arguments differ from the deltas"
            # Read after the call ended, the deltas' partial arguments are the final ones.
            assert last_delta[i].arguments == e.tool_call.arguments, f"{where}: partial arguments end elsewhere"
    still_open = [i for i, s in state.items() if s != "ended"]
    assert not still_open, f"blocks {still_open} never ended"
    for i, kind in kinds.items():
        assert i < len(msg.content), f"content_index {i} is past the message's {len(msg.content)} blocks"
        block = msg.content[i]
        assert isinstance(block, _BLOCK[kind]), f"block {i} is {type(block).__name__}, not {kind}"
        if isinstance(block, TextContent) or (isinstance(block, ThinkingContent) and not block.redacted):
            text = block.text if isinstance(block, TextContent) else block.thinking
            assert text == "".join(parts[i]), f"block {i} of the final message differs from its deltas"
    return msg


def check_deltas_come_from(body: bytes, events: Sequence[ev.Event]) -> None:
    """Assert that every text and thinking delta is in ``body`` (in one of its
    JSON strings, or its raw text): a decoder must pass the vendor's words on,
    not rewrite them."""
    haystack = _body_text(body)
    for e in events:
        if isinstance(e, (ev.TextDelta, ev.ThinkingDelta)) and e.delta and e.delta not in haystack:
            raise AssertionError(f"{type(e).__name__} {e.delta[:80]!r} is not in the response body")


def _body_text(body: bytes) -> str:
    """The body's JSON string values (in SSE data lines, NDJSON lines or one
    document), joined by NUL, plus the raw text."""
    out = [body.decode("utf-8", "replace")]
    for part in _payloads(body):
        for m in _JSON_STRING.finditer(part):
            with contextlib.suppress(msgspec.DecodeError):
                out.append(msgspec.json.decode(m.group()))
    return "\0".join(out)


def _payloads(body: bytes) -> list[bytes]:
    """An AWS event stream's frame payloads (a quote byte in a binary prelude
    would pair with one in the JSON), else the body itself."""
    if b":message-type" in body[:512]:
        framer = EventStreamFramer()
        with contextlib.suppress(FramingError):
            return [payload for _, payload in framer.feed(body) + framer.close()]
    return [body]


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def check_message(msg: AssistantMessage) -> None:
    """Assert what every final message must satisfy."""
    back = loads(dumps(msg), AssistantMessage)
    assert back == msg, "the message does not survive a JSON round-trip unchanged"
    if msg.usage is not None:
        u = msg.usage
        assert u.total == u.input + u.output + u.cache_read + u.cache_write, f"usage total is not the sum: {u}"
        assert min(u.input, u.output, u.cache_read, u.cache_write) >= 0, f"negative usage: {u}"
    ids = [c.id for c in msg.tool_calls]
    assert len(set(ids)) == len(ids), f"duplicate tool call ids {ids}"
    for call in msg.tool_calls:
        assert call.id and call.name, f"tool call without id or name: {call}"
        assert call.invalid_arguments is None, f"tool call {call.name} has invalid JSON arguments"
        assert isinstance(call.arguments, dict)
        assert msgspec.json.decode(msgspec.json.encode(call.arguments)) == call.arguments


def _normal(msg: AssistantMessage) -> Any:
    return msgspec.to_builtins(msgspec.structs.replace(msg, timestamp=0))


def _shape(events: Sequence[ev.Event]) -> list[tuple[str, Any, Any]]:
    return [(type(e).__name__, getattr(e, "content_index", None), getattr(e, "delta", None)) for e in events]


def random_splits(body: bytes, seed: str, count: int) -> Iterator[list[bytes]]:
    rng = random.Random(seed)
    for _ in range(count):
        cuts = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, rng.randint(1, 64)))) if len(body) > 1 else []
        edges = [0, *cuts, len(body)]
        yield [body[a:b] for a, b in itertools.pairwise(edges)]


# -- transports for the driver-level checks -------------------------------------


class _Body(httpx.AsyncByteStream, httpx.SyncByteStream):
    def __init__(self, chunks: Sequence[bytes], stall: bool) -> None:
        self.chunks = chunks
        self.stall = stall

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.stall:
            await asyncio.Event().wait()

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


class ReplayTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """Answers every request with the status and chunks set on it."""

    def __init__(self) -> None:
        self.status = 200
        self.chunks: Sequence[bytes] = ()
        self.stall = False

    def _response(self) -> httpx.Response:
        ctype = "text/event-stream" if self.status < 400 else "application/json"
        return httpx.Response(self.status, headers={"content-type": ctype}, stream=_Body(self.chunks, self.stall))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._response()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._response()


# -- the suite ----------------------------------------------------------------


class CodecContract:
    """Subclass as ``Test<Something>`` and set ``api`` and ``recordings``.

    ``responses`` are recorded non-streamed replies (200, one JSON document)
    for ``parse_response``. ``model`` defaults to a custom model of ``api``; ``context`` is the request
    the recordings answer (it matters only to decoders that read it);
    ``splits`` is the number of random byte splits per recording, on top of
    the whole body and (for bodies up to ``byte_split_limit``) one byte at a
    time.
    """

    api: ClassVar[str] = ""
    recordings: ClassVar[Sequence[Recording]] = ()
    responses: ClassVar[Sequence[Recording]] = ()
    model: ClassVar[Model | None] = None
    context: ClassVar[Context] = DEFAULT_CONTEXT
    splits: ClassVar[int] = 20
    byte_split_limit: ClassVar[int] = 20_000

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        streams = [r for r in self.recordings if not r.is_error]
        # Without recorded errors, a generic vendor error body still checks
        # that HTTP errors become one error event with the vendor's message.
        errors = [r for r in self.recordings if r.is_error] or [SYNTHETIC_ERROR]
        for name, items in (("recording", streams), ("http_error", errors)):
            if name in metafunc.fixturenames:
                metafunc.parametrize(name, items, ids=[r.name for r in items])
        if "response" in metafunc.fixturenames:
            replies: list[Recording | None] = list(self.responses) or [None]
            metafunc.parametrize("response", replies, ids=[r.name if r else "none" for r in replies])

    def the_model(self) -> Model:
        if self.model is not None:
            return self.model
        return custom_model(
            "contract-model", api=self.api, base_url="http://contract.aiwire.invalid/v1", reasoning=True
        )

    def full(self, recording: Recording) -> list[ev.Event]:
        return decode(self.the_model(), [recording.body], self.context)

    def test_api_is_registered_with_recordings(self) -> None:
        assert self.api, "set `api` on the contract class"
        assert self.api in get_registry().apis, f"no installed plugin registers the api {self.api!r}"
        assert [r for r in self.recordings if not r.is_error], "give the contract at least one recorded stream"

    def test_codec_declares_supported_options(self) -> None:
        codec = get_registry().codec(self.api)
        declared = codec.supported_options
        assert isinstance(declared, (frozenset, set)), (
            f"supported_options is {type(declared).__name__}, not a frozenset"
        )
        extra = set(declared) - CODEC_OPTIONS
        assert not extra, (
            f"supported_options names {sorted(extra)}, which are not codec options ({sorted(CODEC_OPTIONS)})"
        )

    def test_parse_response(self, response: Recording | None) -> None:
        codec = get_registry().codec(self.api)
        if response is None:
            assert getattr(codec, "stream_only", False), (
                f"the {self.api} codec answers complete() with parse_response: give the contract a recorded "
                "non-streamed reply in `responses` (from_cassettes(dir, responses_only=True) or "
                "from_conformance(dir, label, responses_only=True)), or declare stream_only = True on the codec"
            )
            return
        msg = codec.parse_response(self.the_model(), Options(), response.body)
        assert isinstance(msg, AssistantMessage), f"parse_response returned {type(msg).__name__}"
        check_message(msg)
        haystack = _body_text(response.body)
        for block in msg.content:
            text = block.text if isinstance(block, TextContent) else getattr(block, "thinking", "")
            # A block may join several parts of the reply (summaries): each paragraph must be in it.
            for piece in text.split("\n\n"):
                assert piece in haystack, f"{piece[:80]!r} is not in the response body"
        self._expectations(response, msg)

    def test_stream_invariants(self, recording: Recording) -> None:
        events = self.full(recording)
        msg = check_stream(events)
        check_message(msg)
        check_deltas_come_from(recording.body, events)
        if recording.stop_reason not in ("error", "aborted"):
            assert isinstance(events[-1], ev.Done), (
                f"a 200 stream ended in {type(events[-1]).__name__} ({msg.error_message}); if the recording is an "
                "in-stream error, expect it: recording.expect(stop_reason='error')"
            )
        self._expectations(recording, msg)

    def _expectations(self, recording: Recording, msg: AssistantMessage) -> None:
        if recording.stop_reason is not None:
            assert msg.stop_reason == recording.stop_reason, msg.error_message
        if recording.usage is not None:
            assert (msg.usage is not None) == recording.usage, f"usage is {msg.usage}"
        if recording.tool_calls is not None:
            assert len(msg.tool_calls) == recording.tool_calls
        if recording.text is not None:
            assert recording.text in msg.text

    def test_same_message_under_every_byte_split(self, recording: Recording) -> None:
        whole = self.full(recording)
        expected = (_normal(check_stream(whole)), _shape(whole))
        body = recording.body
        splits: list[list[bytes]] = list(random_splits(body, recording.name, self.splits))
        if len(body) <= self.byte_split_limit:
            splits.append([body[i : i + 1] for i in range(len(body))])
        for chunks in splits:
            events = decode(self.the_model(), chunks, self.context)
            got = (_normal(check_stream(events)), _shape(events))
            assert got == expected, f"a split into {len(chunks)} chunks decodes differently"

    def test_cancellation_ends_aborted(self, recording: Recording) -> None:
        model = self.the_model()
        full = check_stream(self.full(recording))
        # The longest prefix, cut at an event boundary, that does not yet end
        # the turn: the stream stalls there until aborted.
        body = recording.body.replace(b"\r\n", b"\n")
        ex, _ = _streaming(model, self.context, {})
        cut = 0
        for end in (m.end() for m in re.finditer(b"\n\n", body)):
            ex.feed(body[cut:end])
            if ex.finished:
                break
            cut = end
        transport = ReplayTransport()
        transport.chunks, transport.stall = [body[:cut]] if cut else [], True

        async def run() -> tuple[list[ev.Event], AssistantMessage]:
            s = _stream(model, self.context, transport)
            asyncio.get_running_loop().call_later(0.05, s.abort)
            events = [e async for e in s]
            return events, await s

        events, msg = asyncio.run(run())
        check_stream(events)
        assert msg.stop_reason == "aborted", f"cancelled stream ended with {msg.stop_reason}: {msg.error_message}"
        assert full.text.startswith(msg.text), "the aborted message's text is not a prefix of the full text"
        check_message(msg)

    def test_http_error_becomes_error_event(self, http_error: Recording) -> None:
        transport = ReplayTransport()
        transport.status, transport.chunks = http_error.status, [http_error.body]
        s = _stream_sync(self.the_model(), self.context, transport)
        events = list(s)
        msg = check_stream(events)
        assert [type(e) for e in events] == [ev.Start, ev.Error], "an HTTP error is a start and one error event"
        assert msg.stop_reason == "error" and msg.error_status == http_error.status
        text = msg.error_message or ""
        assert any(s and (s in text or text in s) for s in strings_in(http_error.body)), (
            f"the error message {text!r} is not the vendor's"
        )

    def test_handoff_to_every_registered_api(self, recording: Recording) -> None:
        msg = check_stream(self.full(recording))
        messages: list[Any] = [*self.context.messages, msg]
        messages += [
            ToolResultMessage(tool_call_id=c.id, tool_name=c.name, content=[TextContent(text="18 C")])
            for c in msg.tool_calls
        ]
        messages.append(UserMessage(content="Thanks. And tomorrow?"))
        context = Context(system_prompt=self.context.system_prompt, messages=messages, tools=self.context.tools)
        reg = get_registry()
        for api in sorted(reg.apis):
            codec = reg.codec(api)
            if is_image_codec(codec) or is_embedding_codec(codec):
                continue
            target = custom_model("handoff-model", api=api, base_url="http://handoff.aiwire.invalid/v1", reasoning=True)
            adapted = transform_context(context, target, codec)
            # extra: what subscription codecs (Cloud Code Assist) read from a login.
            creds = Credentials("test-key", extra={"project_id": "contract"})
            request = codec.build_request(target, adapted, Options(), creds)
            assert isinstance(request, Request), f"{api}: build_request returned {type(request).__name__}"
            msgspec.json.encode(request.json)


def _stream(model: Model, context: Context, transport: ReplayTransport) -> Any:
    from aiwire._api.calls import stream

    return stream(model, context, transport=transport, max_retries=0)


def _stream_sync(model: Model, context: Context, transport: ReplayTransport) -> Any:
    from aiwire._api.calls import stream_sync

    return stream_sync(model, context, transport=transport, max_retries=0)
