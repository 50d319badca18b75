# why: issue 19 — every fault a server can throw, through every wire api and every entry point, ends well.
"""The fault matrix: fault kinds x wire apis x entry points.

Each case scripts the loopback :class:`~_faultserver.FaultServer` with one
fault in the real wire format of one api (``anthropic-messages``,
``openai-completions``, ``openai-responses``, ``google-generative-ai``: a
small valid stream of that api, broken on cue), runs one entry point
(``stream``, ``stream_sync``, ``complete``, ``complete_sync``) and asserts:

- exactly one terminal event (streams), last, and one final message;
- the outcome the fault calls for (recovered by a retry, or an error) and the
  partial content that arrived before the fault;
- a bounded time;
- the server's own message surfaced in the error;
- the key (which every error body and in-stream error of the server echoes)
  in no output: no event, message, raised error or log record;
- the connection released or reused: once the call is over and a healthy call
  followed it, at most one connection stays open on the server (the pooled one).

The providers are registered ``stream_only`` so that ``complete()`` streams
and collects too, and every stream fault reaches all four entry points;
``test_complete_json_body`` runs the faults of a whole JSON response through
``complete``/``complete_sync`` on a host that answers without streaming.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from _faultserver import FaultServer, Reply

import aiwire
from aiwire import events as ev
from aiwire._engine import call as engine_call
from aiwire._engine import retry
from aiwire._plugins.hooks import ProviderSpec, hookimpl
from aiwire._wire.framing import SSEFramer
from aiwire.errors import ProviderError

pytestmark = pytest.mark.network

SECRET = "FAKE-fault-matrix-key-not-a-secret"
TEXT = "hello world"
LINE_CAP = 256 * 1024  # the framers' line cap in this module (16 MiB by default)
IDLE = 5.0  # the idle timeout of a call, but for the stall faults
STALL = {"idle_timeout": 0.2}


# -- the wire formats -------------------------------------------------------------------


def _sse(obj: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + json.dumps(obj, ensure_ascii=False).encode() + b"\n\n"


class Wire:
    """One api's stream, cut into ``content`` (everything up to the text) and
    ``terminal`` (what ends it), and its in-stream error."""

    api = ""

    def content(self, text: str) -> bytes:
        raise NotImplementedError

    def terminal(self) -> bytes:
        raise NotImplementedError

    def error(self, message: str) -> bytes:
        raise NotImplementedError

    def json_ok(self, text: str) -> bytes:
        raise NotImplementedError

    def ok(self, text: str = TEXT) -> bytes:
        return self.content(text) + self.terminal()


class Anthropic(Wire):
    api = "anthropic-messages"

    def content(self, text: str) -> bytes:
        start = {
            "type": "message_start",
            "message": {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "m",
                "content": [],
                "stop_reason": None,
                "usage": {"input_tokens": 5, "output_tokens": 1},
            },
        }
        block = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
        out = _sse(start, "message_start") + _sse(block, "content_block_start")
        for i in range(0, len(text), 5):
            delta = {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": text[i : i + 5]},
            }
            out += _sse(delta, "content_block_delta")
        return out

    def terminal(self) -> bytes:
        return (
            _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
            + _sse(
                {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 3}},
                "message_delta",
            )
            + _sse({"type": "message_stop"}, "message_stop")
        )

    def error(self, message: str) -> bytes:
        return _sse({"type": "error", "error": {"type": "overloaded_error", "message": message}}, "error")

    def json_ok(self, text: str) -> bytes:
        return json.dumps(
            {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "m",
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 5, "output_tokens": 3},
            }
        ).encode()


class Completions(Wire):
    api = "openai-completions"

    def _chunk(self, delta: dict[str, Any], finish: str | None = None, **more: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _sse({"id": "c1", "object": "chat.completion.chunk", "model": "m", "choices": [choice], **more})

    def content(self, text: str) -> bytes:
        out = self._chunk({"role": "assistant", "content": ""})
        for i in range(0, len(text), 5):
            out += self._chunk({"content": text[i : i + 5]})
        return out

    def terminal(self) -> bytes:
        usage = {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
        return self._chunk({}, "stop") + _sse({"id": "c1", "choices": [], "usage": usage}) + b"data: [DONE]\n\n"

    def error(self, message: str) -> bytes:
        return _sse({"error": {"message": message, "type": "server_error"}})

    def json_ok(self, text: str) -> bytes:
        return json.dumps(
            {
                "id": "c1",
                "object": "chat.completion",
                "model": "m",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
            }
        ).encode()


class Responses(Wire):
    api = "openai-responses"

    def content(self, text: str) -> bytes:
        resp = {"id": "r1", "object": "response", "status": "in_progress", "model": "m", "output": []}
        item = {"type": "message", "id": "m1", "role": "assistant", "status": "in_progress", "content": []}
        out = _sse({"type": "response.created", "response": resp})
        out += _sse({"type": "response.output_item.added", "output_index": 0, "item": item})
        part = {"type": "output_text", "text": "", "annotations": []}
        out += _sse(
            {
                "type": "response.content_part.added",
                "item_id": "m1",
                "output_index": 0,
                "content_index": 0,
                "part": part,
            }
        )
        for i in range(0, len(text), 5):
            out += _sse(
                {
                    "type": "response.output_text.delta",
                    "item_id": "m1",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": text[i : i + 5],
                }
            )
        return out

    def terminal(self) -> bytes:
        item = {
            "type": "message",
            "id": "m1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": TEXT, "annotations": []}],
        }
        resp = {
            "id": "r1",
            "object": "response",
            "status": "completed",
            "model": "m",
            "output": [item],
            "usage": {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8},
        }
        return _sse({"type": "response.output_item.done", "output_index": 0, "item": item}) + _sse(
            {"type": "response.completed", "response": resp}
        )

    def error(self, message: str) -> bytes:
        return _sse({"type": "error", "code": "server_error", "message": message})

    def json_ok(self, text: str) -> bytes:
        return json.dumps(
            {
                "id": "r1",
                "object": "response",
                "status": "completed",
                "model": "m",
                "output": [
                    {
                        "type": "message",
                        "id": "m1",
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": text, "annotations": []}],
                    }
                ],
                "usage": {"input_tokens": 5, "output_tokens": 3, "total_tokens": 8},
            }
        ).encode()


class Google(Wire):
    api = "google-generative-ai"

    def content(self, text: str) -> bytes:
        out = b""
        for i in range(0, len(text), 5):
            cand = {"content": {"role": "model", "parts": [{"text": text[i : i + 5]}]}, "index": 0}
            out += _sse({"candidates": [cand], "modelVersion": "m"})
        return out

    def terminal(self) -> bytes:
        cand = {"content": {"role": "model", "parts": [{"text": ""}]}, "finishReason": "STOP", "index": 0}
        usage = {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8}
        return _sse({"candidates": [cand], "usageMetadata": usage, "modelVersion": "m"})

    def error(self, message: str) -> bytes:
        return _sse({"error": {"code": 500, "message": message, "status": "INTERNAL"}})

    def json_ok(self, text: str) -> bytes:
        cand = {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}
        usage = {"promptTokenCount": 5, "candidatesTokenCount": 3, "totalTokenCount": 8}
        return json.dumps({"candidates": [cand], "usageMetadata": usage}).encode()


WIRES: dict[str, Wire] = {w.api: w for w in (Anthropic(), Completions(), Responses(), Google())}


# -- replies --------------------------------------------------------------------------------


def stream(*ops: Any) -> Reply:
    return Reply(ops=list(ops))


def http_error(status: int, message: str, **headers: str) -> Reply:
    body = json.dumps({"error": {"type": "fault_matrix_error", "message": message}}).encode()
    return Reply(
        status=status, headers={"content-type": "application/json", **headers}, ops=[("send", body)], chunked=False
    )


def body_200(content_type: str, body: bytes) -> Reply:
    return Reply(status=200, headers={"content-type": content_type}, ops=[("send", body)], chunked=False)


def _raw(content_type: str, body: bytes) -> Reply:
    """A 200 whose body is not the stream (its own content type, no chunking)."""
    r = body_200(content_type, body)
    return r


# -- the faults -------------------------------------------------------------------------------


@dataclass
class Fault:
    """``replies(wire)`` scripts the server; the call must end ``stop`` with
    the whole text, or ``error`` keeping ``text`` and naming ``says``."""

    name: str
    replies: Callable[[Wire], list[Reply]]
    stop: bool = False
    text: str = ""  # the content that must be kept
    says: tuple[str, ...] = ()  # in the error message (any one of them per entry)
    options: dict[str, Any] = field(default_factory=dict)
    seconds: float = 3.0  # the bound on the call's time
    requests: int | None = None


KEYED = f"invalid request for key {SECRET}"  # what a misconfigured gateway echoes
FAR_DATE = "Wed, 01 Jan 2098 00:00:00 GMT"
PAST_DATE = "Wed, 01 Jan 2020 00:00:00 GMT"
GARBAGE = bytes(range(256)) * 4
HTML = b"<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>upstream down</h1></body></html>"


def _split_utf8(w: Wire, *, valid: bool) -> list[Reply]:
    body = w.content("h\u00e9llo w\u00f6rld") + w.terminal()
    at = body.index("\u00e9".encode()) + 1  # in the middle of a two-byte character
    if not valid:
        body = body[:at] + b"\xff" + body[at:]
    return [stream(("send", body[:at]), ("sleep", 0.02), ("send", body[at:]), ("end",))]


FAULTS = [
    Fault(
        "429-retry-after",
        lambda w: [http_error(429, KEYED, **{"retry-after": "0.05"}), stream(("send", w.ok()), ("end",))],
        stop=True,
        requests=2,
    ),
    Fault(
        "429-no-retry-after",
        lambda w: [http_error(429, KEYED), stream(("send", w.ok()), ("end",))],
        stop=True,
        requests=2,
    ),
    Fault(
        "429-huge-retry-after",
        lambda w: [http_error(429, f"slow down {SECRET}", **{"retry-after": "99999999"})],
        says=("slow down",),
        requests=1,
    ),
    Fault(
        "429-http-date-future",
        lambda w: [http_error(429, f"slow down {SECRET}", **{"retry-after": FAR_DATE})],
        says=("slow down",),
        requests=1,
    ),
    Fault(
        "429-http-date-past",
        lambda w: [http_error(429, KEYED, **{"retry-after": PAST_DATE}), stream(("send", w.ok()), ("end",))],
        stop=True,
        requests=2,
    ),
    *(
        Fault(
            f"{s}-then-ok",
            lambda w, s=s: [http_error(s, KEYED), stream(("send", w.ok()), ("end",))],
            stop=True,
            requests=2,
        )
        for s in (500, 502, 503, 529)
    ),
    Fault(
        "503-every-time",
        lambda w: [http_error(503, f"down for maintenance {SECRET}")] * 2,
        says=("down for maintenance",),
        options={"max_retries": 1},
        requests=2,
    ),
    Fault(
        "reset-before-headers",
        lambda w: [stream(("reset",)), stream(("send", w.ok()), ("end",))],
        stop=True,
        requests=2,
    ),
    Fault(
        "reset-mid-stream",
        lambda w: [stream(("send", w.content(TEXT)), ("sleep", 0.02), ("reset",))],
        text=TEXT,
        says=("mid-stream",),
    ),
    Fault(
        "eof-without-terminal",
        lambda w: [stream(("send", w.content(TEXT)), ("end",))],
        text=TEXT,
        says=("ended before", "ended without"),
    ),
    Fault(
        "close-without-last-chunk",
        lambda w: [stream(("send", w.content(TEXT)), ("close",))],
        text=TEXT,
        says=("ended before", "ended without", "mid-stream"),
    ),
    Fault(
        "stall-first-pings",
        lambda w: [stream(("pings", 0.05, 2))],
        says=("stalled",),
        options={**STALL, "max_retries": 0},
    ),
    Fault(
        "stall-first-silent",
        lambda w: [stream(("wait_gone", 2))],
        says=("stalled",),
        options={**STALL, "max_retries": 0},
    ),
    Fault(
        "stall-mid-pings",
        lambda w: [stream(("send", w.content(TEXT)), ("pings", 0.05, 2))],
        text=TEXT,
        says=("stalled",),
        options=STALL,
    ),
    Fault(
        "stall-mid-silent",
        lambda w: [stream(("send", w.content(TEXT)), ("wait_gone", 2))],
        text=TEXT,
        says=("stalled",),
        options=STALL,
    ),
    Fault(
        "stalls-across-retries",
        lambda w: [stream(("pings", 0.05, 2)), stream(("wait_gone", 2)), stream(("pings", 0.05, 2))],
        says=("stalled",),
        options={**STALL, "max_retries": 2},
        requests=3,
    ),
    Fault(
        "stall-then-ok",
        lambda w: [stream(("pings", 0.05, 2)), stream(("send", w.ok()), ("end",))],
        stop=True,
        options=STALL,
        requests=2,
    ),
    Fault(
        "garbage-bytes",
        lambda w: [stream(("send", GARBAGE), ("end",))],
        says=("ended before", "ended without", "could not decode", "expected"),
    ),
    Fault(
        "garbage-after-content",
        lambda w: [stream(("send", w.content(TEXT) + GARBAGE + b"\n\n"), ("end",))],
        text=TEXT,
        says=("ended before", "ended without", "could not decode"),
    ),
    Fault("utf8-split-valid", lambda w: _split_utf8(w, valid=True), stop=True),
    Fault("utf8-split-invalid", lambda w: _split_utf8(w, valid=False), says=("",)),
    Fault(
        "endless-line",
        lambda w: [stream(("send", b"data: " + b"x" * (LINE_CAP * 2)), ("wait_gone", 2))],
        says=("exceeds",),
    ),
    Fault(
        "endless-line-after-content",
        lambda w: [stream(("send", w.content(TEXT) + b"data: " + b"x" * (LINE_CAP * 2)), ("wait_gone", 2))],
        text=TEXT,
        says=("exceeds",),
    ),
    Fault(
        "non-json-data",
        lambda w: [stream(("send", w.content(TEXT) + b"data: {not json\n\n"), ("end",))],
        text=TEXT,
        says=("could not decode",),
    ),
    Fault(
        "in-stream-error-first",
        lambda w: [stream(("send", w.error(f"model overloaded {SECRET}")), ("end",))],
        says=("model overloaded",),
    ),
    Fault(
        "in-stream-error-after-content",
        lambda w: [stream(("send", w.content(TEXT) + w.error(f"model overloaded {SECRET}")), ("end",))],
        text=TEXT,
        says=("model overloaded",),
    ),
    Fault(
        "200-json-error",
        lambda w: [
            _raw(
                "application/json",
                json.dumps({"error": {"message": f"quota exceeded for {SECRET}", "type": "quota"}}).encode(),
            )
        ],
        says=("application/json: quota exceeded",),
    ),
    Fault("200-html", lambda w: [_raw("text/html; charset=utf-8", HTML)], says=("text/html", "502 Bad Gateway")),
    Fault("never-answering", lambda w: [stream(("hold", 3))], says=("stalled",), options={**STALL, "max_retries": 0}),
]

# The async entry points run on the default transport (aiwire's own) and on
# httpx's ("@httpx", by AIWIRE_TRANSPORT; aiohttp's is in the fault table);
# the blocking ones always use httpx's.
ENTRY_POINTS = ["stream", "stream_sync", "complete", "complete_sync", "stream@httpx", "complete@httpx"]


# -- the harness ----------------------------------------------------------------------------


class CountingServer(FaultServer):
    """Counts the connections still open on the server side."""

    def __init__(self) -> None:
        super().__init__(lifetime=30)
        self.finished = 0
        self._count = threading.Lock()

    def _connection(self, conn: Any) -> None:
        try:
            super()._connection(conn)
        finally:
            with self._count:
                self.finished += 1

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):  # wakes the accept() at once
            self._sock.shutdown(socket.SHUT_RDWR)
        super().close()

    def open_after(self, timeout: float = 2.0) -> int:
        stop = time.monotonic() + timeout
        while time.monotonic() < stop and self.connections - self.finished > 1:
            time.sleep(0.01)
        return self.connections - self.finished


class MatrixPlugin:
    AIWIRE_PLUGIN_API = 2

    def __init__(self) -> None:
        self.base_url = "http://127.0.0.1:9"

    @hookimpl
    def register_providers(self, register: Any) -> None:
        for api in WIRES:
            register(
                ProviderSpec(id=f"fm-{api}", api=api, base_url="http://127.0.0.1:9", env=("FM_KEY",), stream_only=True)
            )
            register(ProviderSpec(id=f"fmjson-{api}", api=api, base_url="http://127.0.0.1:9", env=("FM_KEY",)))


@pytest.fixture(scope="module", autouse=True)
def _plugin() -> Iterator[None]:
    aiwire.register_plugin(MatrixPlugin(), "fault-matrix")
    try:
        yield
    finally:
        aiwire.unregister_plugin("fault-matrix")


@pytest.fixture(autouse=True)
def _setup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "backoff", lambda attempt: 0.01)
    monkeypatch.setattr(engine_call, "SSEFramer", functools.partial(SSEFramer, max_size=LINE_CAP))
    monkeypatch.setenv("FM_KEY", SECRET)


@pytest.fixture
def server() -> Iterator[CountingServer]:
    s = CountingServer()
    yield s
    s.close()


def model(api: str, server: FaultServer, *, json_host: bool = False) -> aiwire.Model:
    prefix = "fmjson" if json_host else "fm"
    return aiwire.custom_model("m", provider=f"{prefix}-{api}", api=api, base_url=server.url)


def check_events(events: list[ev.Event]) -> aiwire.AssistantMessage:
    terminal = [e for e in events if isinstance(e, (ev.Done, ev.Error))]
    assert len(terminal) == 1 and events[-1] is terminal[0], [type(e).__name__ for e in events]
    assert [i for i, e in enumerate(events) if isinstance(e, ev.Start)] == [0]
    return terminal[0].message


async def run_entry(
    entry: str, m: aiwire.Model, options: dict[str, Any]
) -> tuple[aiwire.AssistantMessage, list[ev.Event]]:
    if entry == "stream":
        s = aiwire.stream(m, "hi", **options)
        events = [e async for e in s]
        msg = check_events(events)
        assert s.message is msg
        return msg, events
    if entry == "stream_sync":

        def go() -> tuple[aiwire.AssistantMessage, list[ev.Event]]:
            s = aiwire.stream_sync(m, "hi", **options)
            events = list(s)
            msg = check_events(events)
            assert s.message is msg
            return msg, events

        return await asyncio.to_thread(go)
    if entry == "complete":
        return await aiwire.complete(m, "hi", **options), []
    return await asyncio.to_thread(lambda: aiwire.complete_sync(m, "hi", **options)), []


def check_outcome(fault: Fault, msg: aiwire.AssistantMessage, events: list[ev.Event], took: float, logs: str) -> None:
    where = f"{fault.name}: {msg.stop_reason} {msg.error_message!r} text={msg.text!r}"
    assert took < fault.seconds, f"{where} took {took:.2f} s"
    if fault.stop:
        assert msg.stop_reason == "stop", where
        assert msg.text in (TEXT, "h\u00e9llo w\u00f6rld"), where
    else:
        assert msg.stop_reason == "error", where
        assert msg.error_message, where
        assert fault.text in msg.text, where  # the partial content is kept
        assert any(s in msg.error_message for s in fault.says), where
        with pytest.raises(ProviderError) as raised:
            msg.raise_for_error()
        assert SECRET not in str(raised.value) and SECRET not in repr(raised.value)
    outputs = [repr(msg), str(msg.error_message), logs, *(repr(e) for e in events)]
    assert not [o for o in outputs if SECRET in o], f"{where}: the key leaked"


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("api", list(WIRES))
@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
async def test_fault_matrix(
    fault: Fault, api: str, entry: str, server: CountingServer, caplog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry, _, via = entry.partition("@")
    if via:
        monkeypatch.setenv("AIWIRE_TRANSPORT", via)
    wire = WIRES[api]
    server.script(*fault.replies(wire))
    options = {"idle_timeout": IDLE, **fault.options}
    m = model(api, server)
    with caplog.at_level(logging.DEBUG, logger="aiwire"):
        t0 = time.monotonic()
        msg, events = await run_entry(entry, m, options)
        took = time.monotonic() - t0
    check_outcome(fault, msg, events, took, caplog.text)
    if fault.requests is not None:
        assert len(server.requests) == fault.requests, fault.name
    # The connection was released or reused: a healthy call follows, and at most
    # the pooled connection stays open.
    server.replies.clear()
    server.script(Reply(ops=[("send", wire.ok()), ("end",)]))
    after, _ = await run_entry(entry, m, {"idle_timeout": 2})
    assert after.stop_reason == "stop" and after.text == TEXT, after.error_message
    assert server.open_after() <= 1, f"{fault.name}: {server.connections - server.finished} connections left open"


# -- a whole JSON response (complete on a host that answers without streaming) ----------------

JSON_FAULTS = [
    Fault("ok", lambda w: [body_200("application/json", w.json_ok(TEXT))], stop=True),
    Fault(
        "429-then-ok",
        lambda w: [http_error(429, KEYED), body_200("application/json", w.json_ok(TEXT))],
        stop=True,
        requests=2,
    ),
    Fault(
        "500-every-time",
        lambda w: [http_error(500, f"internal {SECRET}")] * 2,
        says=("internal",),
        options={"max_retries": 1},
        requests=2,
    ),
    Fault(
        "reset-before-headers",
        lambda w: [stream(("reset",)), body_200("application/json", w.json_ok(TEXT))],
        stop=True,
        requests=2,
    ),
    Fault("200-html", lambda w: [body_200("text/html", HTML)], says=("text/html", "502 Bad Gateway")),
    Fault(
        "200-json-error",
        lambda w: [
            body_200("application/json", json.dumps({"error": {"message": f"quota exceeded {SECRET}"}}).encode())
        ],
        says=("quota exceeded",),
    ),
    Fault(
        "200-truncated-json", lambda w: [body_200("application/json", w.json_ok(TEXT)[:20])], says=("could not decode",)
    ),
    Fault(
        "never-answering",
        lambda w: [stream(("hold", 3))],
        says=("timed out", "Timeout"),
        options={"timeout": 0.3, "max_retries": 0},
    ),
]


@pytest.mark.parametrize("entry", ["complete", "complete_sync"])
@pytest.mark.parametrize("api", list(WIRES))
@pytest.mark.parametrize("fault", JSON_FAULTS, ids=[f.name for f in JSON_FAULTS])
async def test_complete_json_body(fault: Fault, api: str, entry: str, server: CountingServer, caplog: Any) -> None:
    server.script(*fault.replies(WIRES[api]))
    with caplog.at_level(logging.DEBUG, logger="aiwire"):
        t0 = time.monotonic()
        msg, _ = await run_entry(entry, model(api, server, json_host=True), fault.options)
        took = time.monotonic() - t0
    check_outcome(fault, msg, [], took, caplog.text)
    if fault.requests is not None:
        assert len(server.requests) == fault.requests, fault.name
    assert server.open_after() <= 1
