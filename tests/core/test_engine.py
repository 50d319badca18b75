# why: every retry/refresh/abort decision of the sans-IO engine, pinned on a virtual clock with no I/O.
"""The exchange engine driven by hand.

Each row of the table is a script of outcomes (what the "network" did) and the
actions the engine must have asked for, in order: ``Send``, ``Read``,
``Stream``, ``Sleep(seconds)``, ``Refresh(force)``. Sleeps are recorded, never
slept; the jitter of the backoff is fixed (``random() == 0.5``, so backoff is
0.4375 s, 0.875 s, 1.75 s...). Every row also checks the invariants: for a
stream ``start`` comes first and exactly one ``done``/``error`` comes last,
``on_retry`` saw exactly the announced (attempt, delay, reason), and the API
key never appears in any error text or retry reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import aiwire
from aiwire import events as ev
from aiwire._engine import retry
from aiwire._engine.call import prepare
from aiwire._engine.exchange import (
    Aborted,
    Body,
    Ended,
    Exchange,
    Failed,
    Refresh,
    Refreshed,
    Responded,
    Send,
    Sleep,
    Stalled,
    Stream,
)
from aiwire._wire.exchange import ResponseInfo
from aiwire.auth import LoginExpiredError
from aiwire.plugin import CODEC_OPTIONS, BaseCodec, Credentials, Options, Request, StreamDecoder
from aiwire.types import AssistantMessage, Context, Model, TextContent

API = "engine-test"
KEY = "FAKE-engine-key-not-a-secret-0001"
NEW_KEY = "FAKE-engine-refreshed-key-0002"
URL = "http://engine.invalid/v1"


class _Decoder(StreamDecoder):
    def __init__(self, model: Model, options: Options | None = None) -> None:
        super().__init__(model, options)
        self._block = -1

    def feed(self, event: str, data: bytes) -> None:
        e = json.loads(data)
        if e["type"] == "text":
            if self._block < 0:
                self._block = self.open_text()
            self.add_text(self._block, e["delta"])
        elif e["type"] == "end":
            if self._block >= 0:
                self.close_block(self._block)
            self.finish("stop")
        elif e["type"] == "error":
            self.fail(e["message"])


class _Codec(BaseCodec):
    """The key travels in a header and, like Google's ``?key=``, in the URL."""

    api = API
    supported_options = CODEC_OPTIONS

    def build_request(
        self, model: Model, context: Context, options: Options, credentials: Credentials, *, stream: bool = True
    ) -> Request:
        return Request(
            url=f"{model.base_url}/chat?key={credentials.api_key}",
            headers={"authorization": f"Bearer {credentials.api_key}"},
            json={"stream": stream},
        )

    def decoder(self, model: Model, options: Options) -> StreamDecoder:
        return _Decoder(model, options)

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        text = json.loads(body)["text"]
        return AssistantMessage(
            content=[TextContent(text=text)], api=model.api, provider=model.provider, model=model.id, stop_reason="stop"
        )


class _Plugin:
    AIWIRE_PLUGIN_API = 2

    @aiwire.hookimpl
    def register_apis(self, register: Any) -> None:
        register(API, _Codec)


@pytest.fixture(autouse=True)
def _setup(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(retry, "_jitter", lambda: 0.5)
    aiwire.register_plugin(_Plugin(), "test-engine")
    yield
    aiwire.unregister_plugin("test-engine")


MODEL = Model(id="e-1", provider="custom", api=API, base_url=URL)

# -- the script vocabulary ------------------------------------------------------


def sse(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def resp(status: int, **headers: str) -> Responded:
    return Responded(ResponseInfo(status, {k.replace("_", "-"): v for k, v in headers.items()}, URL))


def err_body(message: str = "try later") -> Body:
    return Body(json.dumps({"error": {"type": "x_error", "message": message}}).encode())


@dataclass
class Feed:
    """During a ``Stream`` action: feed these chunks, then report ``then``
    (``Ended`` if the decoder finished the turn on its own)."""

    chunks: list[bytes]
    then: Any = field(default_factory=Ended)


def text(*pieces: str) -> list[bytes]:
    return [sse({"type": "text", "delta": p}) for p in pieces]


OK = Feed([*text("hel", "lo"), sse({"type": "end"})])
PARTIAL = text("par", "tial")

# -- the runner -------------------------------------------------------------------------


@dataclass
class Run:
    actions: list[str]
    events: list[ev.Event]
    result: AssistantMessage
    retries: list[tuple[int, float, str]]
    sends: list[Send]


def name(action: Any) -> str:
    if isinstance(action, Sleep):
        return f"Sleep({action.seconds:g})"
    if isinstance(action, Refresh):
        return f"Refresh({action.force})"
    return type(action).__name__


def run(
    script: list[Any],
    *,
    emit: bool = True,
    stale: bool = False,
    refresher: Any = None,
    kind: Any = "stream",
    **options: Any,
) -> Run:
    retries: list[tuple[int, float, str]] = []
    opts = {"api_key": KEY, "on_retry": lambda a, d, r: retries.append((a, d, r)), **options}
    call = prepare(MODEL, "hi", opts, kind=kind)
    call.credentials.refresher = refresher
    call.credentials.stale = stale
    ex = Exchange(call, emit=emit)
    flow = ex.flow()
    actions: list[str] = []
    events: list[ev.Event] = []
    sends: list[Send] = []
    action: Any = next(flow)
    steps = list(script)
    while True:
        actions.append(name(action))
        if isinstance(action, Send):
            sends.append(action)
        events += ex.drain()
        assert steps, f"the engine asked for more than the script has: {actions}"
        step = steps.pop(0)
        if isinstance(step, Feed):
            assert isinstance(action, Stream), actions
            for chunk in step.chunks:
                events += ex.feed(chunk)
                if ex.finished:
                    break
            outcome = Ended() if ex.finished else step.then
        else:
            outcome = step
        try:
            action = flow.send(outcome)
        except StopIteration:
            break
    events += ex.drain()
    assert not steps, f"the engine stopped before the script's end: {actions}"
    assert isinstance(ex.result, AssistantMessage)
    out = Run(actions, events, ex.result, retries, sends)
    check_invariants(out, emit)
    return out


def check_invariants(r: Run, emit: bool) -> None:
    if emit:
        assert r.events and isinstance(r.events[0], ev.Start), r.events
        assert sum(isinstance(e, ev.Start) for e in r.events) == 1
        terminal = [e for e in r.events if isinstance(e, (ev.Done, ev.Error))]
        assert len(terminal) == 1 and terminal[0] is r.events[-1], r.events
        assert terminal[0].message.stop_reason == r.result.stop_reason
    else:
        assert not any(isinstance(e, ev.Start) for e in r.events), r.events
    announced = [(n + 1, float(a[6:-1])) for n, a in enumerate(x for x in r.actions if x.startswith("Sleep"))]
    assert [(a, d) for a, d, _ in r.retries] == announced
    texts = [r.result.error_message or "", *(reason for _, _, reason in r.retries)]
    texts += [e.message.error_message or "" for e in r.events if isinstance(e, ev.Error)]
    for t in texts:
        assert KEY not in t and NEW_KEY not in t, t


# -- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: str
    script: list[Any]
    actions: str  # the actions' names, space-separated
    stop: str = "error"
    phrases: tuple[str, ...] = ()
    status: int | None = None
    text: str = ""
    retries: int = 0
    options: dict[str, Any] = field(default_factory=dict)


FAIL = Failed("ConnectError: Connection refused", network=True)

# Sleep(0.4375) and Sleep(0.875) are the backoff after the first and second failure.
S1, S2 = "Sleep(0.4375)", "Sleep(0.875)"
OKAY = {"stop": "stop", "text": "hello"}
RETRIED_OK = {"stop": "stop", "text": "hello", "retries": 1}

ROWS = [
    Row("ok", [resp(200), OK], "Send Stream", **OKAY),
    Row("retry-after-2", [resp(429, retry_after="2"), err_body(), None, resp(200), OK],
        "Send Read Sleep(2) Send Stream", **RETRIED_OK),
    Row("retry-after-ms-wins", [resp(503, retry_after_ms="1500", retry_after="9"), err_body(), None, resp(200), OK],
        "Send Read Sleep(1.5) Send Stream", **RETRIED_OK),
    Row("retry-after-over-max", [resp(429, retry_after="120"), err_body("slow down")], "Send Read",
        phrases=("slow down", "120 s", "max_retry_delay=60"), status=429),
    Row("retry-after-unreadable-uses-backoff", [resp(429, retry_after="soon"), err_body(), None, resp(200), OK],
        f"Send Read {S1} Send Stream", **RETRIED_OK),
    Row("x-should-retry-false", [resp(503, x_should_retry="false"), err_body("no")], "Send Read",
        phrases=("no",), status=503),
    Row("x-should-retry-true-on-400", [resp(400, x_should_retry="true"), err_body(), None, resp(200), OK],
        f"Send Read {S1} Send Stream", **RETRIED_OK),
    Row("400-not-retried", [resp(400), err_body("bad request")], "Send Read", phrases=("bad request",), status=400),
    Row("500-gives-up", [resp(500), err_body("down"), None] * 2 + [resp(500), err_body("down")],
        f"Send Read {S1} Send Read {S2} Send Read",
        phrases=("down", "gave up after 3 attempts"), status=500, retries=2),
    Row("500-max-retries-0", [resp(500), err_body("down")], "Send Read", phrases=("down",), status=500,
        options={"max_retries": 0}),
    Row("network-then-ok", [FAIL, None, resp(200), OK], f"Send {S1} Send Stream", **RETRIED_OK),
    Row("network-gives-up", [FAIL, None, FAIL], f"Send {S1} Send", retries=1, options={"max_retries": 1},
        phrases=("request to", "Connection refused", "gave up after 2 attempts")),
    Row("not-network-not-retried", [Failed("RuntimeError: transport exploded", network=False)], "Send",
        phrases=("transport exploded",)),
    Row("stalled-before-head", [Stalled(), None, resp(200), OK], f"Send {S1} Send Stream", **RETRIED_OK),
    Row("stalled-before-content", [resp(200), Feed([b": ping\n\n"], Stalled()), None, resp(200), OK],
        f"Send Stream {S1} Send Stream", **RETRIED_OK),
    Row("stalled-after-content", [resp(200), Feed(PARTIAL, Stalled())], "Send Stream",
        phrases=("stalled", "idle_timeout"), text="partial"),
    Row("failed-after-content", [resp(200), Feed(PARTIAL, Failed("ReadError: reset by peer", network=True))],
        "Send Stream", phrases=("mid-stream", "reset by peer"), text="partial"),
    Row("body-ends-early", [resp(200), Feed(PARTIAL)], "Send Stream", text="partial"),
    Row("in-stream-error-echoes-key", [resp(200), Feed([*PARTIAL, sse({"type": "error", "message": f"bad {KEY}"})])],
        "Send Stream", phrases=("bad ***",), text="partial"),
    Row("error-body-echoes-key", [resp(403), err_body(f"key {KEY} refused; url {URL}/chat?key={KEY}")], "Send Read",
        phrases=("key *** refused", "?key=***"), status=403),
    Row("retry-reason-never-shows-the-key",
        [Failed(f"ConnectError: cannot reach {URL}/chat?key={KEY}", network=True), None, resp(200), OK],
        f"Send {S1} Send Stream", **RETRIED_OK),
    Row("aborted-before-send", [Aborted(sent=False)], "Send", "aborted", ("aborted before the request was sent",)),
    Row("aborted-before-head", [Aborted()], "Send", "aborted", ("aborted before a response arrived",)),
    Row("aborted-reading-error", [resp(500), Aborted()], "Send Read", "aborted", ("aborted",)),
    Row("aborted-in-backoff", [resp(500), err_body(), Aborted()], f"Send Read {S1}", "aborted",
        ("aborted while waiting to retry",), retries=1),
    Row("aborted-mid-stream", [resp(200), Feed(PARTIAL, Aborted())], "Send Stream", "aborted", text="partial"),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_engine_table(row: Row) -> None:
    r = run(row.script, **row.options)
    assert r.actions == row.actions.split()
    msg = r.result
    assert msg.stop_reason == row.stop, msg.error_message
    assert msg.error_status == row.status
    assert msg.text == row.text
    assert len(r.retries) == row.retries
    for phrase in row.phrases:
        assert phrase in (msg.error_message or ""), (phrase, msg.error_message)
    if row.stop == "stop":
        assert msg.error_message is None
    for n, send in enumerate(r.sends):
        assert send.attempt == min(n, row.retries)


def test_retry_reasons_match_what_happened() -> None:
    r = run([resp(429, retry_after="2"), err_body(), None, FAIL, None, resp(200), OK], max_retries=2)
    assert r.retries == [
        (1, 2.0, "HTTP 429"),
        (2, 0.875, f"request to {URL}/chat?key=*** failed: ConnectError: Connection refused"),
    ]


def test_complete_without_events() -> None:
    r = run([resp(200), Body(b'{"text": "whole"}')], emit=False, kind="complete")
    assert (r.actions, r.result.text, r.result.stop_reason) == (["Send", "Read"], "whole", "stop")
    failed_read = Failed("ReadError: reset", network=True)
    r = run([resp(200), failed_read, None, resp(200), Body(b'{"text": "x"}')], emit=False, kind="complete")
    assert (r.actions, r.result.text) == (["Send", "Read", "Sleep(0.4375)", "Send", "Read"], "x")
    not_network = Failed("ValueError: the custom transport broke", network=False)
    r = run([resp(200), not_network], emit=False, kind="complete")
    assert (r.actions, r.result.error_message) == (["Send", "Read"], "ValueError: the custom transport broke")
    r = run([resp(200), Aborted()], emit=False, kind="complete")
    assert (r.actions, r.result.stop_reason, r.result.error_message) == (["Send", "Read"], "aborted", "aborted")


# -- credentials: refresh on 401, stale tokens, refresh failures ---------------------


class Refresher:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[bool] = []
        self.error = error

    def __call__(self, force: bool) -> Credentials:
        self.calls.append(force)
        if self.error is not None:
            raise self.error
        return Credentials(NEW_KEY, kind="oauth", refresher=self)


def refreshed() -> Refreshed:
    return Refreshed(Credentials(NEW_KEY, kind="oauth"))


def test_401_refreshes_once_and_resends_without_counting_a_retry() -> None:
    r = run([resp(401), err_body(), refreshed(), resp(200), OK], refresher=Refresher())
    assert r.actions == ["Send", "Read", "Refresh(True)", "Send", "Stream"]
    assert (r.result.stop_reason, r.result.text, r.retries) == ("stop", "hello", [])
    first, second = r.sends
    assert first.attempt == second.attempt == 0
    assert first.request.headers["authorization"] == f"Bearer {KEY}"
    assert second.request.headers["authorization"] == f"Bearer {NEW_KEY}"
    assert second.request.url.endswith(f"key={NEW_KEY}")


def test_a_second_401_is_the_error() -> None:
    r = run(
        [resp(401), err_body(), refreshed(), resp(401), err_body(f"token {NEW_KEY} rejected")], refresher=Refresher()
    )
    assert r.actions == ["Send", "Read", "Refresh(True)", "Send", "Read"]
    assert (r.result.stop_reason, r.result.error_status) == ("error", 401)
    assert "token *** rejected" in (r.result.error_message or "")


def test_401_without_a_refresher_is_the_error() -> None:
    r = run([resp(401), err_body("bad key")])
    assert (r.actions, r.result.error_status) == (["Send", "Read"], 401)


def test_401_after_a_retry_keeps_the_attempt_count() -> None:
    r = run([resp(500), err_body(), None, resp(401), err_body(), refreshed(), resp(200), OK], refresher=Refresher())
    assert r.actions == ["Send", "Read", "Sleep(0.4375)", "Send", "Read", "Refresh(True)", "Send", "Stream"]
    assert [s.attempt for s in r.sends] == [0, 1, 1]
    assert r.result.stop_reason == "stop"


def test_stale_credentials_are_refreshed_before_the_first_send() -> None:
    r = run([refreshed(), resp(200), OK], refresher=Refresher(), stale=True)
    assert r.actions == ["Refresh(False)", "Send", "Stream"]
    assert r.sends[0].request.headers["authorization"] == f"Bearer {NEW_KEY}"
    assert r.result.stop_reason == "stop"


@pytest.mark.parametrize("emit", [True, False])
def test_refresh_failure_is_an_error_naming_the_login(emit: bool) -> None:
    why = LoginExpiredError("your 'acme' login could not be refreshed (invalid_grant); log in again")
    r = run([Refreshed(error=why)], refresher=Refresher(), stale=True, emit=emit)
    assert r.actions == ["Refresh(False)"]
    assert r.result.stop_reason == "error"
    assert "'acme' login" in (r.result.error_message or "")


def test_refresh_failure_without_text_still_says_what_failed() -> None:
    r = run([resp(401), err_body(), Refreshed(error=TimeoutError())], refresher=Refresher())
    assert r.result.stop_reason == "error"
    assert "TimeoutError" in (r.result.error_message or ""), r.result.error_message


def test_aborted_while_refreshing() -> None:
    r = run([Aborted()], refresher=Refresher(), stale=True)
    assert (r.actions, r.result.stop_reason) == (["Refresh(False)"], "aborted")
    assert r.result.error_message == "aborted while refreshing the login"
