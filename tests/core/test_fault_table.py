"""One fault table through all six entry points.

``stream``, ``stream_sync``, ``complete``, ``complete_sync``,
``generate_images`` and ``generate_images_sync`` must agree on every fault:
after setup a failure is a result (an error message, or one ``error`` event),
raised only with ``check=True``; a setup problem raises at once. For each
fault every entry point is run against the same scripted loopback server
(:mod:`_faultserver`) and its outcome is reduced to an :class:`Outcome`
(kind, stop reason, text, error message, status and type, requests the server
saw, the delays and reasons announced to ``on_retry``, how often ``on_payload``
saw the request). The six outcomes must be
identical and match what the table expects.

Each test collects every discrepancy and fails once, with all six outcomes in
the message, so a failure says exactly which entry points drifted and how.

The api ``fault-table`` is a small codec registered in-process that serves
the three request kinds: SSE chat, a whole JSON chat response and image
generation; its error bodies are ``{"error": {"type", "message"}}``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NamedTuple

import httpx
import msgspec
import pytest
from _faultserver import FaultServer, Reply, sse

import aiwire
from aiwire import events as ev
from aiwire.errors import ProviderError
from aiwire.plugin import (
    CODEC_OPTIONS,
    IMAGE_OPTIONS,
    BaseCodec,
    Credentials,
    ImageOptions,
    Options,
    Request,
    StreamDecoder,
)
from aiwire.types import AssistantMessage, Context, ImageContent, ImageResult, Model, TextContent

pytestmark = pytest.mark.network

API = "fault-table"
PROMPT = "draw a fox"
TEXT = "hello world"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\nfox").decode()

# docs/concepts.md: "`start` means the provider accepted the request; an HTTP
# error before that yields a lone `error` event". Set this to True to demand a
# `start` event first in every stream, failures before a response included.
START_ALWAYS = True

# -- the codec ----------------------------------------------------------------------


class FaultTableDecoder(StreamDecoder):
    """Text blocks, usage, end and in-stream errors, one JSON object per SSE event."""

    def __init__(self, model: Model, options: Options | None = None) -> None:
        super().__init__(model, options)
        self._index: dict[int, int] = {}

    def feed(self, event: str, data: bytes) -> None:
        e = json.loads(data)
        kind = e["type"]
        if kind == "block_start":
            self._index[e["index"]] = self.open_text()
        elif kind == "block_delta":
            self.add_text(self._index[e["index"]], e["delta"])
        elif kind == "block_end":
            self.close_block(self._index[e["index"]])
        elif kind == "usage":
            self.set_usage(input=e["input"], output=e["output"])
        elif kind == "end":
            self.finish(e["stop_reason"])
        elif kind == "error":
            self.fail(e["message"], error_type=e.get("error_type"))


class FaultTableCodec(BaseCodec):
    """Chat and images at one path, ``/generate`` (so error texts that name the URL
    compare equal across entry points): SSE when streamed, one JSON object otherwise;
    generic ``{"error": {...}}`` error bodies."""

    api = API
    supported_options = CODEC_OPTIONS
    image_options = IMAGE_OPTIONS

    def build_request(
        self, model: Model, context: Context, options: Options, credentials: Credentials, *, stream: bool = True
    ) -> Request:
        body = {"model": model.id, "kind": "chat", "stream": stream, "messages": len(context.messages)}
        return Request(url=f"{model.base_url}/generate", headers={"content-type": "application/json"}, json=body)

    def decoder(self, model: Model, options: Options) -> StreamDecoder:
        return FaultTableDecoder(model, options)

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        data = json.loads(body)
        return AssistantMessage(
            content=[TextContent(text=data["text"])],
            api=model.api,
            provider=model.provider,
            model=model.id,
            stop_reason=data["stop_reason"],
        )

    def build_image_request(
        self, model: Model, context: Context, options: ImageOptions, credentials: Credentials
    ) -> Request:
        body = {"model": model.id, "kind": "images", "stream": False}
        return Request(url=f"{model.base_url}/generate", headers={"content-type": "application/json"}, json=body)

    def parse_image_response(self, model: Model, options: ImageOptions, body: bytes) -> ImageResult:
        data = json.loads(body)
        return ImageResult(
            images=msgspec.convert(data["images"], list[ImageContent]),
            text=data["text"],
            api=model.api,
            provider=model.provider,
            model=model.id,
        )


class _Plugin:
    AIWIRE_PLUGIN_API = 2

    @aiwire.hookimpl
    def register_apis(self, register: Any) -> None:
        register(API, FaultTableCodec)


@pytest.fixture(autouse=True)
def _codec() -> Iterator[None]:
    aiwire.register_plugin(_Plugin(), "test-fault-table")
    yield
    aiwire.unregister_plugin("test-fault-table")


@pytest.fixture(autouse=True, params=["asyncio", "aiohttp", "httpx"])
def _transport(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The async entry points on each transport (the blocking ones always use httpx's)."""
    monkeypatch.setenv("AIWIRE_TRANSPORT", request.param)


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff without a server-given delay waits 0.01 s (0.5 s and more by
    default), so retried faults stay fast; the delay is in each outcome."""
    from aiwire._engine import retry

    monkeypatch.setattr(retry, "backoff", lambda attempt: 0.01)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    s = FaultServer(lifetime=30)
    yield s
    s.close()


def model(base_url: str) -> Model:
    return Model(id="ft-1", provider="custom", api=API, base_url=base_url, output=("text", "image"))


# -- scripted replies -----------------------------------------------------------------

Kind = Literal["stream", "complete", "images"]
OK: Final = "ok"  # a step of a script: the success reply for the entry point's request kind
Step = Reply | Literal["ok"]

# Every reply closes its connection, so no attempt reuses a pooled connection:
# what a fault does to one entry point it does to the next.
CLOSE = {"connection": "close"}


def success(kind: Kind) -> Reply:
    if kind == "stream":
        events = [
            sse({"type": "block_start", "index": 0}),
            *(sse({"type": "block_delta", "index": 0, "delta": TEXT[i : i + 4]}) for i in range(0, len(TEXT), 4)),
            sse({"type": "block_end", "index": 0}),
            sse({"type": "usage", "input": 7, "output": 3}),
            sse({"type": "end", "stop_reason": "stop"}),
        ]
        return Reply(headers=dict(CLOSE), ops=[("send", b"".join(events)), ("end",)])
    if kind == "complete":
        body: dict[str, Any] = {"text": TEXT, "stop_reason": "stop"}
    else:
        body = {"text": TEXT, "images": [{"data": PNG, "mime_type": "image/png"}]}
    return Reply(
        headers={"content-type": "application/json", **CLOSE},
        ops=[("send", json.dumps(body).encode())],
        chunked=False,
    )


def failure(status: int, message: str, error_type: str, **headers: str) -> Reply:
    body = json.dumps({"error": {"type": error_type, "message": message}}).encode()
    return Reply(
        status=status,
        headers={"content-type": "application/json", **CLOSE, **{k.replace("_", "-"): v for k, v in headers.items()}},
        ops=[("send", body)],
        chunked=False,
    )


def reset() -> Reply:
    """The connection is reset after the request, before any byte of a response."""
    return Reply(ops=[("reset",)])


def hold(seconds: float) -> Reply:
    """No response head for ``seconds`` (or until the client gives up)."""
    return Reply(ops=[("hold", seconds)])


# -- the table ------------------------------------------------------------------------


class Exploding(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A custom transport that fails with an exception that is not httpx's."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("transport exploded")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("transport exploded")


def _raise(exc: Exception) -> Callable[..., Any]:
    def hook(*args: Any) -> Any:
        raise exc

    return hook


@dataclass(frozen=True)
class Fault:
    """A fault, and the outcome every entry point must report for it.

    ``phrases`` must all appear in the error message (for ``raised``: in
    ``"ExceptionType: text"``), ``absent`` none of them. ``requests`` is what
    the server saw, ``delays`` the delays announced to ``on_retry``.
    """

    id: str
    script: tuple[Step, ...] = ()
    options: Callable[[], dict[str, Any]] = dict
    closed_port: bool = False  # send to a port where nothing listens
    kind: Literal["ok", "error", "raised"] = "error"
    status: int | None = None
    error_type: str | None = None
    phrases: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    requests: int = 1
    delays: tuple[float, ...] = ()


FAULTS = [
    Fault("success", (OK,), kind="ok"),
    Fault(
        "429-retry-after-then-success",
        (failure(429, "slow down", "rate_limit_error", retry_after="0"), OK),
        kind="ok",
        requests=2,
        delays=(0.0,),
    ),
    Fault(
        "500-twice-then-success-backoff",
        (failure(500, "try later", "overloaded_error"), failure(500, "try later", "overloaded_error"), OK),
        kind="ok",
        requests=3,
        delays=(0.01, 0.01),
    ),
    Fault(
        "500-every-time-gives-up",
        tuple(failure(500, "try later", "overloaded_error") for _ in range(3)),
        status=500,
        error_type="overloaded_error",
        phrases=("try later", "gave up after 3 attempts"),
        requests=3,
        delays=(0.01, 0.01),
    ),
    Fault(
        "400-not-retried",
        (failure(400, "bad field", "invalid_request_error"),),
        status=400,
        error_type="invalid_request_error",
        phrases=("bad field",),
        absent=("gave up",),
    ),
    Fault(
        "401-not-retried",
        (failure(401, "invalid api key", "authentication_error"),),
        status=401,
        error_type="authentication_error",
        phrases=("invalid api key",),
        absent=("gave up",),
    ),
    Fault(
        "retry-after-beyond-max-retry-delay",
        (failure(429, "slow down", "rate_limit_error", retry_after="3600"),),
        options=lambda: {"max_retry_delay": 10},
        status=429,
        error_type="rate_limit_error",
        phrases=("slow down", "3600 s", "max_retry_delay"),
    ),
    Fault(
        "503-x-should-retry-false",
        (failure(503, "down for maintenance", "overloaded_error", x_should_retry="false"),),
        status=503,
        error_type="overloaded_error",
        phrases=("down for maintenance",),
        absent=("gave up",),
    ),
    Fault(
        "400-x-should-retry-true-then-success",
        (failure(400, "flaky", "invalid_request_error", x_should_retry="true", retry_after_ms="1"), OK),
        kind="ok",
        requests=2,
        delays=(0.001,),
    ),
    Fault(
        "retry-after-unreadable-falls-back-to-backoff",
        (failure(503, "busy", "overloaded_error", retry_after="soon"), OK),
        kind="ok",
        requests=2,
        delays=(0.01,),
    ),
    # an observer that fails is logged, never the call's failure (the recorder is replaced: no delays seen)
    Fault(
        "on-retry-raises",
        (failure(429, "slow down", "rate_limit_error", retry_after="0"), OK),
        options=lambda: {"on_retry": _raise(ValueError("retry observer broke"))},
        kind="ok",
        requests=2,
    ),
    Fault(
        "connection-refused",
        options=lambda: {"max_retries": 1},
        closed_port=True,
        phrases=("ConnectError", "gave up after 2 attempts"),
        requests=0,
        delays=(0.01,),
    ),
    Fault("reset-before-any-byte-retried", (reset(), OK), kind="ok", requests=2, delays=(0.01,)),
    Fault(
        "stall-before-headers",
        (hold(5), hold(5)),
        options=lambda: {"timeout": 0.25, "max_retries": 1},
        phrases=("ReadTimeout", "gave up after 2 attempts"),
        requests=2,
        delays=(0.01,),
    ),
    Fault(
        "custom-transport-raises",
        options=lambda: {"transport": Exploding()},
        phrases=("RuntimeError: transport exploded",),
        requests=0,
    ),
    Fault(
        "on-response-raises",
        (OK,),
        options=lambda: {"on_response": _raise(ValueError("observer broke"))},
        phrases=("ValueError: observer broke",),
    ),
    # on_payload runs while the request is built, before any I/O: a setup problem.
    Fault(
        "on-payload-raises",
        (OK,),
        options=lambda: {"on_payload": _raise(ValueError("payload refused"))},
        kind="raised",
        phrases=("ValueError: payload refused",),
        requests=0,
    ),
]

# -- running one entry point ----------------------------------------------------------


class Outcome(NamedTuple):
    kind: str  # ok, error or raised
    stop_reason: str | None
    text: str
    error_message: str | None  # for raised: "ExceptionType: text"
    error_status: int | None
    error_type: str | None
    requests: int
    retries: tuple[tuple[float, str], ...]  # (delay, reason) announced to on_retry
    payloads: int  # how often on_payload saw the request (no rule yet: once per call or per attempt, but the same)

    @property
    def delays(self) -> tuple[float, ...]:
        return tuple(delay for delay, _ in self.retries)


Result = AssistantMessage | ImageResult
Runner = Callable[[Model, dict[str, Any], list[str], list[str]], Awaitable[Result]]
ENTRY_POINTS = ("stream", "stream_sync", "complete", "complete_sync", "generate_images", "generate_images_sync")
CHECKED = ("complete", "complete_sync", "generate_images", "generate_images_sync")
KINDS: dict[str, Kind] = {
    "stream": "stream",
    "stream_sync": "stream",
    "complete": "complete",
    "complete_sync": "complete",
    "generate_images": "images",
    "generate_images_sync": "images",
}


def stream_problems(events: list[ev.Event], final: AssistantMessage | None) -> list[str]:
    """Where a stream breaks the event protocol (empty when it keeps it)."""
    names = [type(e).__name__ for e in events]
    problems = []
    terminal = [e for e in events if isinstance(e, (ev.Done, ev.Error))]
    if len(terminal) != 1 or events[-1] is not terminal[0]:
        problems.append(f"not exactly one terminal event, last: {names}")
    starts = [i for i, e in enumerate(events) if isinstance(e, ev.Start)]
    lone_error = len(events) == 1 and isinstance(events[0], ev.Error)
    if starts != [0] and (START_ALWAYS or not lone_error):
        problems.append(f"a start event must come first, once: {names}")
    if terminal and final is not terminal[0].message:
        problems.append("stream.message is not the terminal event's message")
    return problems


async def _stream(m: Model, opts: dict[str, Any], phase: list[str], problems: list[str]) -> Result:
    s = aiwire.stream(m, PROMPT, **opts)
    phase.append("iterate")
    events = [e async for e in s]
    problems += stream_problems(events, s.message)
    assert s.message is not None
    return s.message


async def _stream_sync(m: Model, opts: dict[str, Any], phase: list[str], problems: list[str]) -> Result:
    def run() -> Result:
        s = aiwire.stream_sync(m, PROMPT, **opts)
        phase.append("iterate")
        events = list(s)
        problems.extend(stream_problems(events, s.message))
        assert s.message is not None
        return s.message

    return await asyncio.to_thread(run)


async def _complete(m: Model, opts: dict[str, Any], phase: list[str], problems: list[str]) -> Result:
    return await aiwire.complete(m, PROMPT, **opts)


async def _complete_sync(m: Model, opts: dict[str, Any], phase: list[str], problems: list[str]) -> Result:
    return await asyncio.to_thread(lambda: aiwire.complete_sync(m, PROMPT, **opts))


async def _generate_images(m: Model, opts: dict[str, Any], phase: list[str], problems: list[str]) -> Result:
    job = aiwire.generate_images(m, PROMPT, **opts)
    phase.append("await")
    return await job


async def _generate_images_sync(m: Model, opts: dict[str, Any], phase: list[str], problems: list[str]) -> Result:
    return await asyncio.to_thread(lambda: aiwire.generate_images_sync(m, PROMPT, **opts))


RUNNERS: dict[str, Runner] = {
    "stream": _stream,
    "stream_sync": _stream_sync,
    "complete": _complete,
    "complete_sync": _complete_sync,
    "generate_images": _generate_images,
    "generate_images_sync": _generate_images_sync,
}


@dataclass
class Run:
    outcome: Outcome
    problems: list[str] = field(default_factory=list)
    exc: BaseException | None = None


def closed_port() -> int:
    sock = socket.create_server(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    return port


class Bench:
    """One fault's server and model, shared by the six entry points so that
    every error text (which may name the base URL) can match exactly."""

    def __init__(self, fault: Fault, server: FaultServer) -> None:
        self.fault = fault
        self.server = server
        self.model = model(f"http://127.0.0.1:{closed_port()}" if fault.closed_port else server.url)

    async def run(self, entry: str, **extra: Any) -> Run:
        fault, server = self.fault, self.server
        server.replies.clear()
        server.script(*(success(KINDS[entry]) if isinstance(step, str) else step for step in fault.script))
        retries: list[tuple[float, str]] = []
        payloads: list[int] = []
        opts = {
            "on_retry": lambda n, delay, why: retries.append((round(delay, 3), why)),
            "on_payload": lambda m, request: payloads.append(1),
            **fault.options(),
            **extra,
        }
        before = len(server.requests)
        phase: list[str] = []
        problems: list[str] = []
        exc: BaseException | None = None
        try:
            result = await asyncio.wait_for(RUNNERS[entry](self.model, opts, phase, problems), 15)
        except Exception as e:
            exc = e
            outcome = Outcome("raised", None, "", f"{type(e).__name__}: {e}", None, None, 0, (), 0)
            if phase and fault.kind == "raised":  # a setup problem must raise from the call itself
                problems.append(f"raised while consuming ({phase[-1]}), not by the call: {outcome.error_message}")
        else:
            outcome = Outcome(
                "ok" if result.stop_reason not in ("error", "aborted") else "error",
                result.stop_reason,
                result.text,
                result.error_message,
                result.error_status,
                result.error_type,
                0,
                (),
                0,
            )
        outcome = outcome._replace(
            requests=len(server.requests) - before, retries=tuple(retries), payloads=len(payloads)
        )
        return Run(outcome, problems, exc)


def expected_problems(fault: Fault, outcome: Outcome) -> list[str]:
    """How ``outcome`` differs from what the table expects."""
    out = []
    want_stop = {"ok": "stop", "error": "error", "raised": None}[fault.kind]
    for name, got, want in (
        ("kind", outcome.kind, fault.kind),
        ("stop_reason", outcome.stop_reason, want_stop),
        ("error_status", outcome.error_status, fault.status),
        ("requests", outcome.requests, fault.requests),
        ("delays", outcome.delays, fault.delays),
    ):
        if got != want:
            out.append(f"{name} {got!r}, expected {want!r}")
    if fault.kind != "raised" and outcome.error_type != fault.error_type:
        out.append(f"error_type {outcome.error_type!r}, expected {fault.error_type!r}")
    if fault.kind == "ok":
        if outcome.text != TEXT or outcome.error_message is not None:
            out.append(f"text {outcome.text!r} / error {outcome.error_message!r}, expected {TEXT!r} / None")
    else:
        text = outcome.error_message or ""
        out += [f"error text lacks {p!r}" for p in fault.phrases if p not in text]
        out += [f"error text has {p!r}" for p in fault.absent if p in text]
    return out


def disagreement(runs: Mapping[str, Run]) -> list[str]:
    """One line per outcome field on which the entry points differ, grouping them by value."""
    out = []
    for name in Outcome._fields:
        groups: dict[Any, list[str]] = {}
        for entry, run in runs.items():
            groups.setdefault(getattr(run.outcome, name), []).append(entry)
        if len(groups) > 1:
            parts = [f"{', '.join(entries)} = {value!r}" for value, entries in groups.items()]
            out.append(f"entry points disagree on {name}: " + "; ".join(parts))
    return out


def show(runs: Mapping[str, Run]) -> str:
    return "\n".join(f"  {entry:<21} {run.outcome}" for entry, run in runs.items())


@pytest.mark.parametrize("fault", FAULTS, ids=[f.id for f in FAULTS])
async def test_fault_table(fault: Fault, server: FaultServer) -> None:
    bench = Bench(fault, server)
    runs = {entry: await bench.run(entry) for entry in ENTRY_POINTS}
    problems: list[str] = []
    problems += disagreement(runs)
    for entry, run in runs.items():
        problems += [f"{entry}: {p}" for p in expected_problems(fault, run.outcome) + run.problems]

    # check=True: the same failure, raised as ProviderError; success and setup errors unchanged.
    for entry in CHECKED:
        plain = runs[entry].outcome
        checked = await bench.run(entry, check=True)
        got = checked.outcome
        if plain.kind == "error":
            err = checked.exc
            if not isinstance(err, ProviderError):
                problems.append(f"{entry}(check=True): {got.kind} {got.error_message!r}, expected a ProviderError")
                continue
            failed = err.message
            if (failed.stop_reason, failed.error_message, failed.error_status) != (
                plain.stop_reason,
                plain.error_message,
                plain.error_status,
            ):
                problems.append(f"{entry}(check=True): ProviderError carries {failed!r}, not the plain result")
            if plain.error_message and plain.error_message not in str(err):
                problems.append(f"{entry}(check=True): {str(err)!r} lacks the error message")
        elif (got.kind, got.error_message) != (plain.kind, plain.error_message):
            problems.append(f"{entry}(check=True): {got.kind} {got.error_message!r}, without check {plain.kind}")

    assert not problems, f"fault {fault.id}:\n" + "\n".join(problems) + "\noutcomes:\n" + show(runs)


# -- abort before the request is sent (the entry points with an abort handle) ---------


async def test_abort_before_send(server: FaultServer) -> None:
    m = model(server.url)
    runs: dict[str, tuple[str | None, str | None, str]] = {}

    s = aiwire.stream(m, PROMPT)
    s.abort()
    events = [e async for e in s]
    assert stream_problems(events, s.message) == []
    assert s.message is not None
    runs["stream"] = (s.message.stop_reason, s.message.error_message, "")

    def sync() -> tuple[str | None, str | None, str]:
        t = aiwire.stream_sync(m, PROMPT)
        t.abort()
        assert stream_problems(list(t), t.message) == []
        assert t.message is not None
        return (t.message.stop_reason, t.message.error_message, "")

    runs["stream_sync"] = await asyncio.to_thread(sync)

    job = aiwire.generate_images(m, PROMPT)
    job.abort()
    result = await job
    runs["generate_images"] = (result.stop_reason, result.error_message, result.text)

    assert set(runs.values()) == {("aborted", "aborted before the request was sent", "")}, runs
    assert server.requests == []
    job = aiwire.generate_images(m, PROMPT, check=True)
    job.abort()
    with pytest.raises(ProviderError, match="aborted before the request was sent"):
        await job
