"""The drivers against a misbehaving loopback server: retries, stalls, resets,
truncation and garbage, through the public API, async and sync."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _faultserver import END, USAGE, FaultServer, Reply, error_reply, ok, sse, text_events

import aiwire
from aiwire import events as ev

pytestmark = pytest.mark.network


@pytest.fixture
def server() -> Iterator[FaultServer]:
    s = FaultServer(lifetime=30)
    yield s
    s.close()


def model(server: FaultServer) -> aiwire.Model:
    return aiwire.custom_model("faux-1", api="faux", base_url=server.url)


def check_protocol(events: list[ev.Event]) -> aiwire.AssistantMessage:
    """Exactly one terminal event, last; at most one start, first."""
    terminal = [e for e in events if isinstance(e, (ev.Done, ev.Error))]
    assert len(terminal) == 1 and events[-1] is terminal[0], [type(e).__name__ for e in events]
    starts = [i for i, e in enumerate(events) if isinstance(e, ev.Start)]
    assert starts in ([], [0])
    return terminal[0].message


async def run_async(m: aiwire.Model, **options: Any) -> tuple[list[ev.Event], aiwire.AssistantMessage]:
    s = aiwire.stream(m, "hi", **options)
    events = [e async for e in s]
    msg = check_protocol(events)
    assert s.message is msg
    return events, msg


def run_sync(m: aiwire.Model, **options: Any) -> tuple[list[ev.Event], aiwire.AssistantMessage]:
    s = aiwire.stream_sync(m, "hi", **options)
    events = list(s)
    msg = check_protocol(events)
    assert s.message is msg
    return events, msg


@pytest.fixture(params=["async", "sync"])
def run(request: pytest.FixtureRequest) -> Any:
    """Run a stream with the async or the sync driver; same assertions."""
    if request.param == "sync":

        async def go(m: aiwire.Model, **options: Any) -> tuple[list[ev.Event], aiwire.AssistantMessage]:
            return await asyncio.to_thread(run_sync, m, **options)

        return go
    return run_async


async def test_429_with_retry_after_then_success(server: FaultServer, run: Any, caplog: Any) -> None:
    server.script(error_reply(429, headers={"retry-after": "0.05"}), ok("after the wait"))
    retries: list[tuple[int, float, str]] = []
    with caplog.at_level(logging.INFO, logger="aiwire"):
        _, msg = await run(model(server), on_retry=lambda *a: retries.append(a))
    assert msg.stop_reason == "stop" and msg.text == "after the wait", msg.error_message
    assert retries == [(1, 0.05, "HTTP 429")]
    assert len(server.requests) == 2
    record = next(r for r in caplog.records if "retrying" in r.getMessage())
    assert record.aiwire_attempt == 1 and record.aiwire_delay == 0.05  # type: ignore[attr-defined]


async def test_500_then_success_uses_backoff(server: FaultServer, run: Any) -> None:
    server.script(error_reply(500), ok())
    retries: list[tuple[int, float, str]] = []
    t0 = time.monotonic()
    _, msg = await run(model(server), on_retry=lambda *a: retries.append(a))
    assert msg.stop_reason == "stop" and msg.usage is not None and msg.usage.input == 7
    assert len(retries) == 1 and 0.375 <= retries[0][1] <= 0.5 and retries[0][2] == "HTTP 500"
    assert time.monotonic() - t0 >= 0.37


async def test_reset_before_the_first_byte_is_retried(server: FaultServer, run: Any) -> None:
    server.script(Reply(ops=[("reset",)]), ok("second try"))
    reasons: list[str] = []
    _, msg = await run(model(server), on_retry=lambda a, d, r: reasons.append(r))
    assert msg.text == "second try"
    assert len(reasons) == 1 and "failed" in reasons[0]


async def test_reset_mid_stream_keeps_the_partial_message(server: FaultServer, run: Any) -> None:
    server.script(Reply(ops=[("send", b"".join(text_events("partial answer")[:-1])), ("sleep", 0.05), ("reset",)]))
    retries: list[Any] = []
    events, msg = await run(model(server), on_retry=lambda *a: retries.append(a))
    assert msg.stop_reason == "error" and "mid-stream" in (msg.error_message or "")
    assert msg.text == "partial answer"
    assert retries == []  # content had reached the caller: never retried
    assert isinstance(events[0], ev.Start)


async def test_reset_after_headers_before_any_event_is_retried_invisibly(server: FaultServer, run: Any) -> None:
    server.script(Reply(ops=[("send", b": comment only\n\n"), ("sleep", 0.05), ("reset",)]), ok("clean"))
    events, msg = await run(model(server))
    assert msg.text == "clean"
    assert sum(isinstance(e, ev.Start) for e in events) == 1
    assert [e.delta for e in events if isinstance(e, ev.TextDelta)] == ["clea", "n"]


async def test_stall_with_pings_ends_in_a_stall_error(server: FaultServer, run: Any) -> None:
    server.script(Reply(ops=[("send", b"".join(text_events("so far"))), ("pings", 0.05, 5)]))
    t0 = time.monotonic()
    _, msg = await run(model(server), idle_timeout=0.4)
    took = time.monotonic() - t0
    assert msg.stop_reason == "error"
    assert "stalled" in (msg.error_message or "") and "0.4 s" in (msg.error_message or "")
    assert msg.text == "so far"
    assert 0.35 <= took < 2.0  # the pings did not keep it alive


async def test_ping_events_the_decoder_ignores_do_not_reset_the_deadline(server: FaultServer, run: Any) -> None:
    ping = sse({"type": "ping"})
    server.script(Reply(ops=[("send", text_events("x")[0]), ("pings", 0.05, 5, ping)]))
    t0 = time.monotonic()
    _, msg = await run(model(server), idle_timeout=0.3)
    assert "stalled" in (msg.error_message or "")
    assert time.monotonic() - t0 < 2.0


async def test_stall_before_any_event_is_retried(server: FaultServer, run: Any) -> None:
    server.script(Reply(ops=[("pings", 0.05, 3)]), ok("awake"))
    reasons: list[str] = []
    _, msg = await run(model(server), idle_timeout=0.3, on_retry=lambda a, d, r: reasons.append(r))
    assert msg.text == "awake"
    assert len(reasons) == 1 and "stalled" in reasons[0]


async def test_idle_timeout_none_waits_for_slow_events(server: FaultServer, run: Any) -> None:
    server.script(Reply(ops=[("send", text_events("slow")[0]), ("pings", 0.05, 0.4), ("send", END), ("end",)]))
    _, msg = await run(model(server), idle_timeout=None)
    assert msg.stop_reason == "stop"


async def test_eof_without_a_stop_event(server: FaultServer, run: Any) -> None:
    server.script(Reply(ops=[("send", b"".join([*text_events("cut short"), USAGE])), ("end",)]))
    _, msg = await run(model(server))
    assert msg.stop_reason == "error" and "ended before" in (msg.error_message or "")
    assert msg.text == "cut short" and msg.usage is not None and msg.usage.output == 3


async def test_connection_closed_without_the_last_chunk(server: FaultServer, run: Any) -> None:
    server.script(Reply(ops=[("send", b"".join(text_events("abc"))), ("close",)]))
    _, msg = await run(model(server))
    assert msg.stop_reason == "error" and msg.text == "abc"


async def test_malformed_lines(server: FaultServer, run: Any) -> None:
    junk = b"this line has no colon\nid: 7\nretry: soon\n: comment\n\n"
    body = b"".join([junk, *text_events("good"), b"data: {not json\n\n", END])
    server.script(Reply(ops=[("send", body), ("end",)]))
    _, msg = await run(model(server))
    assert msg.stop_reason == "error" and "could not decode" in (msg.error_message or "")
    assert msg.text == "good"


async def test_event_for_an_unknown_content_index(server: FaultServer, run: Any) -> None:
    body = b"".join([*text_events("ok"), sse({"type": "block_delta", "index": 9, "delta": "?"}), END])
    server.script(Reply(ops=[("send", body), ("end",)]))
    _, msg = await run(model(server))
    assert msg.stop_reason == "error" and msg.text == "ok"


async def test_retry_after_soon_falls_back_to_backoff(server: FaultServer, run: Any) -> None:
    server.script(error_reply(503, headers={"retry-after": "soon"}), ok())
    delays: list[float] = []
    _, msg = await run(model(server), on_retry=lambda a, d, r: delays.append(d))
    assert msg.stop_reason == "stop" and len(delays) == 1 and 0.375 <= delays[0] <= 0.5


async def test_retry_after_beyond_the_cap_fails_at_once(server: FaultServer, run: Any) -> None:
    server.script(error_reply(429, "slow down", headers={"retry-after": "3600"}))
    t0 = time.monotonic()
    _, msg = await run(model(server), max_retry_delay=10)
    assert time.monotonic() - t0 < 2
    assert msg.error_status == 429 and msg.error_type == "rate_limit_error"
    assert "slow down" in (msg.error_message or "") and "3600 s" in (msg.error_message or "")
    assert len(server.requests) == 1


async def test_x_should_retry_overrides_the_status(server: FaultServer, run: Any) -> None:
    server.script(
        error_reply(500, headers={"x-should-retry": "false"}),
    )
    _, msg = await run(model(server))
    assert msg.error_status == 500 and len(server.requests) == 1
    server.script(error_reply(400, headers={"x-should-retry": "true", "retry-after-ms": "10"}), ok())
    _, msg = await run(model(server))
    assert msg.stop_reason == "stop" and len(server.requests) == 3


async def test_retries_are_bounded(server: FaultServer, run: Any) -> None:
    server.script(*(error_reply(503, headers={"retry-after-ms": "1"}) for _ in range(3)))
    _, msg = await run(model(server))
    assert msg.error_status == 503 and "gave up after 3 attempts" in (msg.error_message or "")
    assert len(server.requests) == 3
    server.script(error_reply(503))
    _, msg = await run(model(server), max_retries=0)
    assert len(server.requests) == 4 and "gave up" not in (msg.error_message or "")


async def test_no_retry_on_400(server: FaultServer, run: Any) -> None:
    server.script(error_reply(400, "bad field"))
    _, msg = await run(model(server))
    assert msg.error_status == 400 and msg.error_message == "bad field" and len(server.requests) == 1


async def test_connect_error_is_retried_then_reported() -> None:
    sock = __import__("socket").create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    m = aiwire.custom_model("faux-1", api="faux", base_url=f"http://127.0.0.1:{port}")
    retries: list[Any] = []
    _, msg = await run_async(m, max_retries=1, on_retry=lambda *a: retries.append(a))
    assert msg.stop_reason == "error" and "ConnectError" in (msg.error_message or "")
    assert len(retries) == 1


async def test_api_key_never_appears_in_errors_or_reprs(server: FaultServer, run: Any) -> None:
    key = "sk-test-abcdef0123456789"
    server.script(error_reply(401, f"Invalid key Bearer {key} (key={key})"))
    s = aiwire.stream(model(server), "hi", api_key=key)
    call = s._run.ex.call
    assert key not in repr(call.options) and key not in repr(call.credentials) and key not in repr(call)
    _, msg = await run(model(server), api_key=key)
    assert msg.error_status == 401
    for text in (msg.error_message or "", repr(msg), str(aiwire.errors.ProviderError(msg)), repr(call.request)):
        assert key not in text
    assert server.requests[-1]["headers"]["authorization"] == f"Bearer {key}"


# -- cancellation -----------------------------------------------------------------


def _stalling(server: FaultServer) -> None:
    server.script(Reply(ops=[("send", b"".join([*text_events("before abort"), USAGE])), ("wait_gone", 5)]))


def _stalled_stream(server: FaultServer) -> tuple[aiwire.Model, httpx.AsyncHTTPTransport, aiwire.AssistantStream]:
    _stalling(server)
    m = model(server)
    transport = _one_connection_transport()
    return m, transport, aiwire.stream(m, "hi", transport=transport)


async def _assert_released(m: aiwire.Model, transport: httpx.AsyncHTTPTransport, server: FaultServer) -> None:
    """The server saw the client leave, and the one pooled connection is free again."""
    assert await asyncio.to_thread(server.client_gone.wait, 3)
    server.script(ok("next turn"))
    msg = await asyncio.wait_for(aiwire.stream(m, "again", transport=transport).result(), 5)
    assert msg.text == "next turn"


def _one_connection_transport() -> httpx.AsyncHTTPTransport:
    # With one connection allowed, a leaked connection would make the next
    # request wait for the pool forever (bounded here by wait_for).
    return httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=1))


async def test_cancelling_the_task_aborts_and_frees_the_connection(server: FaultServer) -> None:
    m, transport, s = _stalled_stream(server)
    seen: list[ev.Event] = []

    async def consume() -> None:
        async for e in s:
            seen.append(e)

    task = asyncio.create_task(consume())
    while not any(isinstance(e, ev.TextEnd) for e in seen):
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    msg = s.message
    assert msg is not None and msg.stop_reason == "aborted"
    assert msg.text == "before abort" and msg.usage is not None and msg.usage.output == 3
    await _assert_released(m, transport, server)


async def test_breaking_out_of_the_loop_aborts_at_once(server: FaultServer) -> None:
    m, transport, s = _stalled_stream(server)
    async for e in s:
        if isinstance(e, ev.TextEnd):
            break
    msg = s.message
    assert msg is not None and msg.stop_reason == "aborted" and msg.text == "before abort"
    await _assert_released(m, transport, server)


async def test_abort_from_another_task(server: FaultServer) -> None:
    m, transport, s = _stalled_stream(server)

    async def later() -> None:
        while s.partial is None or not s.partial.text:
            await asyncio.sleep(0.01)
        s.abort()

    aborter = asyncio.create_task(later())
    events = [e async for e in s]
    await aborter
    msg = check_protocol(events)
    assert msg.stop_reason == "aborted" and msg.text == "before abort"
    assert isinstance(events[-1], ev.Error) and events[-1].reason == "aborted"
    await _assert_released(m, transport, server)


async def test_abort_inside_the_loop_and_context_manager(server: FaultServer) -> None:
    _stalling(server)
    async with aiwire.stream(model(server), "hi") as s:
        events = []
        async for e in s:
            events.append(e)
            if isinstance(e, ev.TextDelta):
                s.abort()
    msg = check_protocol(events)
    # the rest of the network read that held the first delta was already decoded
    assert msg.stop_reason == "aborted" and msg.text == "before abort"
    assert s.message is msg


async def test_abort_during_backoff(server: FaultServer) -> None:
    server.script(error_reply(503, headers={"retry-after": "30"}))
    s = aiwire.stream(model(server), "hi")
    task = asyncio.create_task(s.result())
    while not server.requests:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    t0 = time.monotonic()
    s.abort()
    msg = await asyncio.wait_for(task, 2)
    assert msg.stop_reason == "aborted" and time.monotonic() - t0 < 1


def test_sync_abort_from_another_thread_wakes_a_blocked_read(server: FaultServer) -> None:
    _stalling(server)
    s = aiwire.stream_sync(model(server), "hi", idle_timeout=None)
    events: list[ev.Event] = []

    def consume() -> None:
        events.extend(s)

    t = threading.Thread(target=consume)
    t.start()
    deadline = time.monotonic() + 5
    while not any(isinstance(e, ev.TextEnd) for e in events) and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.monotonic()
    s.abort()
    t.join(3)
    assert not t.is_alive() and time.monotonic() - t0 < 1
    msg = check_protocol(events)
    assert msg.stop_reason == "aborted" and msg.text == "before abort"
    assert server.client_gone.wait(3)


def test_sync_break_aborts_and_the_next_request_works(server: FaultServer) -> None:
    _stalling(server)
    m = model(server)
    s = aiwire.stream_sync(m, "hi")
    for e in s:
        if isinstance(e, ev.TextEnd):
            break
    assert s.message is not None and s.message.stop_reason == "aborted"
    assert server.client_gone.wait(3)
    server.script(ok("again"))
    assert aiwire.stream_sync(m, "hi").result().text == "again"


async def test_a_later_request_on_the_aborted_conversation_works(server: FaultServer) -> None:
    _stalling(server)
    m = model(server)
    ctx = aiwire.Context(messages=[aiwire.UserMessage(content="hi")])
    s = aiwire.stream(m, ctx)
    async for e in s:
        if isinstance(e, ev.TextEnd):
            break
    assert s.message is not None
    ctx.messages.append(s.message)
    ctx.messages.append(aiwire.UserMessage(content="try again"))
    server.script(ok("fine"))
    msg = await aiwire.stream(m, ctx).result()
    assert msg.text == "fine"
    sent = server.requests[-1]["json"]["context"]["messages"]
    assert [x["role"] for x in sent] == ["user", "user"]  # the aborted turn was dropped


async def test_complete_retries_too(server: FaultServer) -> None:
    body = b'{"content": [{"type": "text", "text": "whole"}], "stop_reason": "stop"}'
    server.script(
        error_reply(429, headers={"retry-after-ms": "5"}),
        Reply(headers={"content-type": "application/json"}, ops=[("send", body)], chunked=False),
    )
    msg = await aiwire.complete(model(server), "hi")
    assert msg.text == "whole" and len(server.requests) == 2
    server.script(error_reply(429, headers={"retry-after": "999"}))
    msg = await asyncio.to_thread(aiwire.complete_sync, model(server), "hi")
    assert msg.error_status == 429 and "999 s" in (msg.error_message or "")


async def test_every_retried_stall_is_bounded(server: FaultServer, run: Any) -> None:
    # The async idle timer used to fire once and never re-arm: a retried stall hung.
    server.script(*[Reply(ops=[("pings", 0.05, 200)]) for _ in range(3)])
    reasons: list[str] = []
    started = time.monotonic()
    _, msg = await run(model(server), idle_timeout=0.3, max_retries=2, on_retry=lambda a, d, r: reasons.append(r))
    elapsed = time.monotonic() - started
    assert msg.stop_reason == "error" and "stalled" in (msg.error_message or "")
    assert "gave up after 3 attempts" in (msg.error_message or "")
    assert len(reasons) == 2 and all("stalled" in r for r in reasons)
    assert elapsed < 8, f"three stalls of 0.3 s took {elapsed:.1f} s"


async def test_silence_after_an_early_stall_is_still_detected(server: FaultServer, run: Any) -> None:
    text_then_silence = Reply(ops=[("send", b"".join(text_events("hello world"))), ("pings", 0.05, 200)])
    server.script(Reply(ops=[("pings", 0.05, 200)]), text_then_silence)
    _, msg = await run(model(server), idle_timeout=0.3, max_retries=1)
    assert msg.stop_reason == "error" and "stalled" in (msg.error_message or "")
    assert msg.text == "hello world"


def test_secret_headers_never_appear_in_option_reprs() -> None:
    from aiwire.plugin import Options

    text = repr(Options(headers={"Authorization": "Bearer FAKE-header-token-000"}, api_key="FAKE-option-key-000"))
    assert "FAKE-header-token-000" not in text and "FAKE-option-key-000" not in text and "Authorization" in text
