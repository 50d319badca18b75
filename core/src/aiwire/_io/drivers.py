"""The async and sync drivers: HTTP, retries, idle timeout and cancellation.

Both drivers only move bytes; what the bytes mean lives in
:class:`~aiwire._engine.call.Call` and the codec's decoder, and when to retry in
:mod:`aiwire._engine.retry`, so sync and async behave the same:

- every stream ends with exactly one ``done`` or ``error`` event;
- failures before any content event reached the caller are retried (a
  connection error, a reset or stall before the first event, a retryable
  status); nothing is retried after that;
- ``idle_timeout`` bounds the wait for the next event the decoder produces,
  so keep-alive pings and SSE comments do not keep a dead stream alive;
- abort, cancellation and leaving the loop early close the response (which
  returns its connection to the pool) and end with ``stop_reason`` aborted.

The ``start`` event is sent together with the first decoded event, which is
what makes a retry before any content invisible to the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Generator, Iterator
from typing import Any

import httpx

from aiwire import events as ev
from aiwire._engine.call import Call
from aiwire._engine.retry import decide
from aiwire._io.transport import async_client, sync_client
from aiwire._wire.exchange import RequestContext, ResponseInfo
from aiwire.types import AssistantMessage

__all__ = ["AssistantStream", "SyncAssistantStream", "acomplete", "scomplete"]

log = logging.getLogger("aiwire")

_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=200, keepalive_expiry=30)
_NET_ERRORS = (httpx.TransportError, httpx.TimeoutException, httpx.StreamError)


def _timeout(call: Call, *, idle: bool = False) -> httpx.Timeout:
    """``idle``: let a socket read wait no longer than ``idle_timeout`` (the
    sync driver's stall detection; the async one uses a timer instead)."""
    t = call.options.timeout
    i = call.options.idle_timeout if idle else None
    read = min(t, i) if t and i else (t or i)
    return httpx.Timeout(t, connect=min(t, 30.0) if t else 30.0, read=read)


def _transport(call: Call) -> Any:
    if call.options.transport is not None:
        return call.options.transport
    spec = call.registry.providers.get(call.model.provider)
    return spec.transport if spec is not None else None


def _async_client(call: Call) -> httpx.AsyncClient:
    return async_client(_transport(call), _LIMITS)


def _sync_client(call: Call) -> httpx.Client:
    return sync_client(_transport(call), _LIMITS)


class _Retries:
    """Counts attempts and reports each retry (log record and ``on_retry``)."""

    __slots__ = ("attempt", "call")

    def __init__(self, call: Call) -> None:
        self.call = call
        self.attempt = 0

    def next_delay(
        self, reason: str, status: int | None = None, headers: Any = None
    ) -> tuple[float | None, str | None]:
        opts = self.call.options
        delay, note = decide(self.attempt, opts.max_retries, opts.max_retry_delay, status, headers)
        if delay is not None:
            self.attempt += 1
            log.info(
                "retrying %s (attempt %d of %d) in %.2fs: %s",
                self.call.model.ref,
                self.attempt + 1,
                opts.max_retries + 1,
                delay,
                reason,
                extra={"aiwire_attempt": self.attempt, "aiwire_delay": delay, "aiwire_reason": reason},
            )
            if opts.on_retry is not None:
                try:
                    opts.on_retry(self.attempt, delay, reason)
                except Exception:
                    log.exception("on_retry callback failed")
        return delay, note


def _describe(exc: BaseException) -> str:
    kind = type(exc).__name__
    text = str(exc)
    return f"{kind}: {text}" if text else kind


def _with_note(text: str, note: str | None) -> str:
    return f"{text} ({note})" if note else text


def _observe(call: Call, response: httpx.Response) -> None:
    if call.options.on_response is not None:
        call.options.on_response(call.model, response)
    call.registry.run_on_response(
        RequestContext(call.model, call.options, call.credentials, call.request),
        ResponseInfo(response.status_code, response.headers, str(response.url)),
    )


def _stall_message(call: Call) -> str:
    return (
        f"the stream stalled: no event from {call.model.provider} for {call.options.idle_timeout:g} s "
        "(idle_timeout; keep-alive pings do not count)"
    )


def _retry_or_fail(call: Call, retries: _Retries, reason: str) -> list[ev.Event] | float:
    """The delay before the next attempt, or the final error events."""
    delay, note = retries.next_delay(reason)
    return delay if delay is not None else call.fail(_with_note(reason, note))


def _status_outcome(call: Call, retries: _Retries, response: httpx.Response, body: bytes) -> list[ev.Event] | float:
    """After an HTTP error status: the delay before a retry, or the error events."""
    status = response.status_code
    delay, note = retries.next_delay(f"HTTP {status}", status, response.headers)
    if delay is not None:
        return delay
    return call.http_error(status, response.headers, body, note=note)


def _request(
    client: httpx.AsyncClient | httpx.Client, call: Call, *, stream: bool = True, idle: bool = False
) -> httpx.Request:
    req = call.build(stream=stream)
    return client.build_request(
        req.method, req.url, headers=req.headers, content=call.body(), timeout=_timeout(call, idle=idle)
    )


# Where an async stream is waiting, for abort() and the idle timer.
_CONSUMER, _SERVER, _SLEEPING = 0, 1, 2


class _IdleTimer:
    """One timer handle per stream, re-armed only when it fires: moving the
    deadline after an event costs one float store, not a timer per read."""

    __slots__ = ("deadline", "fired", "handle", "loop", "stream", "timeout")

    def __init__(self, stream: AssistantStream, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.stream = stream
        self.loop = loop
        self.timeout = timeout
        self.fired = False
        self.deadline = loop.time() + timeout
        self.handle = loop.call_at(self.deadline, self._check)

    def reset(self) -> None:
        self.deadline = self.loop.time() + self.timeout

    def _check(self) -> None:
        now = self.loop.time()
        s = self.stream
        if now < self.deadline:
            self.handle = self.loop.call_at(self.deadline, self._check)
        elif s._waiting == _SERVER and s._task is not None and not s._task.done():
            self.fired = True
            s._task.cancel()
        else:  # the consumer or a backoff sleep holds the stream; the wait restarts after it
            self.deadline = now + self.timeout
            self.handle = self.loop.call_at(self.deadline, self._check)

    def cancel(self) -> None:
        self.handle.cancel()


class AssistantStream:
    """An async stream of events for one assistant turn.

    Iterate it for events; ``await stream`` (or ``await stream.result()``)
    for the final message. Leaving the ``async for`` early, cancelling the
    task or calling :meth:`abort` ends the request; the final message then has
    ``stop_reason`` aborted and keeps what arrived. Use it as a context
    manager to release the connection deterministically::

        async with aiwire.stream(model, context) as s:
            async for event in s:
                ...
        message = s.message
    """

    def __init__(self, call: Call) -> None:
        self._call = call
        self._started = False
        self._final: AssistantMessage | None = None
        self._response: httpx.Response | None = None
        self._aborted = False
        self._task: asyncio.Task[Any] | None = None
        self._waiting = _CONSUMER
        self._timer: _IdleTimer | None = None
        self._iter: weakref.ref[AsyncGenerator[ev.Event, None]] | None = None

    @property
    def model(self) -> Any:
        return self._call.model

    @property
    def message(self) -> AssistantMessage | None:
        """The final message once the stream ended, else ``None``."""
        return self._final

    @property
    def partial(self) -> AssistantMessage | None:
        """A snapshot of the message so far (``None`` before the response)."""
        dec = self._call.decoder
        return None if dec is None else dec.snapshot()

    def __aiter__(self) -> AsyncGenerator[ev.Event, None]:
        if self._started:
            raise RuntimeError("an AssistantStream can be iterated only once; use .message or await it")
        self._started = True
        it = self._events()
        # A generator clears its weak references as soon as it is dropped, before
        # the event loop schedules its aclose(): so a `break` ends the turn at once.
        self._iter = weakref.ref(it, self._dropped)
        return it

    def _dropped(self, _ref: object) -> None:
        self._end_aborted("the consumer stopped reading the stream")

    async def _events(self) -> AsyncGenerator[ev.Event, None]:
        batches = self._batches()
        try:
            async for batch in batches:
                for event in batch:
                    yield event
                    if self._aborted and self._final is None:
                        # abort() was called between reads: end now, not after the next one.
                        for end in self._finish(self._call.fail("aborted", aborted=True)):
                            yield end
                        return
        finally:
            # Closed early (break with aclosing(), or the task cancelled): end
            # the turn as aborted before releasing the connection.
            self._end_aborted("the consumer stopped reading the stream")
            await batches.aclose()

    async def _wait(self, awaitable: Any, state: int) -> Any:
        self._waiting = state
        try:
            return await awaitable
        finally:
            self._waiting = _CONSUMER

    def _interrupted(self) -> str | None:
        """Why a CancelledError arrived: ``abort``, ``stall`` or None (the
        task itself was cancelled). Our own cancellations are consumed."""
        timer = self._timer
        why = "abort" if self._aborted else "stall" if timer is not None and timer.fired else None
        if why is not None:
            if timer is not None:
                timer.fired = False
            task = asyncio.current_task()
            if task is not None and hasattr(task, "uncancel"):
                task.uncancel()
        return why

    async def _batches(self) -> AsyncGenerator[list[ev.Event], None]:
        call = self._call
        self._task = asyncio.current_task()
        if call.options.idle_timeout:
            self._timer = _IdleTimer(self, asyncio.get_running_loop(), call.options.idle_timeout)
        timer = self._timer
        retries = _Retries(call)
        try:
            final = await self._connect(retries)
            if final is not None:
                yield self._finish(final)
                return
            while True:
                response = self._response
                assert response is not None
                start = call.start_decoding()
                raw = response.aiter_raw()
                while True:
                    if self._aborted:
                        yield self._finish(start + call.fail("aborted", aborted=True))
                        return
                    # The hot path: set the state inline rather than through _wait().
                    self._waiting = _SERVER
                    try:
                        chunk = await raw.__anext__()
                    except StopAsyncIteration:
                        self._waiting = _CONSUMER
                        yield self._finish(start + call.eof())
                        return
                    except asyncio.CancelledError:
                        self._waiting = _CONSUMER
                        why = self._interrupted()
                        if why is None:
                            raise
                        if why == "abort":
                            yield self._finish(start + call.fail("aborted", aborted=True))
                            return
                        reason = _stall_message(call)
                        break
                    except Exception as exc:  # httpx errors, or anything a custom transport raises
                        self._waiting = _CONSUMER
                        reason = f"the connection failed mid-stream: {_describe(exc)}"
                        break
                    self._waiting = _CONSUMER
                    out = call.feed(chunk)
                    if out:
                        if start:
                            out = start + out
                            start = []
                        if call.decoder is not None and call.decoder.terminated:
                            yield self._finish(out)
                            return
                        yield out
                        if timer is not None:
                            timer.reset()
                # The connection failed or stalled.
                await self._close()
                if not start:  # content reached the caller: never retried
                    yield self._finish(call.fail(reason))
                    return
                outcome = _retry_or_fail(call, retries, reason)
                final = outcome if isinstance(outcome, list) else await self._connect(retries, outcome)
                if final is not None:
                    yield self._finish(start + final)
                    return
        except asyncio.CancelledError:
            self._end_aborted("the task was cancelled")
            raise
        finally:
            if timer is not None:
                timer.cancel()
            await self._close()

    async def _connect(self, retries: _Retries, delay: float | None = None) -> list[ev.Event] | None:
        """Attempt until a streaming response is ready (``None``) or the
        final events are known; ``delay`` is a backoff to wait first."""
        call = self._call
        while True:
            if delay is not None:
                try:
                    await self._wait(asyncio.sleep(delay), _SLEEPING)
                except asyncio.CancelledError:
                    if self._interrupted() is None:
                        raise
            if self._aborted:
                return call.fail("aborted before the request was sent", aborted=True)
            if self._timer is not None:
                self._timer.reset()
            outcome = await self._attempt(retries)
            if outcome is None or isinstance(outcome, list):
                return outcome
            delay = outcome

    async def _attempt(self, retries: _Retries) -> list[ev.Event] | float | None:
        """Send the request: ``None`` when a streaming response is ready,
        a delay to retry after, or the final events."""
        call = self._call
        client = _async_client(call)
        try:
            request = _request(client, call)
        except Exception as exc:
            return call.fail(f"could not build the request: {_describe(exc)}")
        try:
            response = await self._wait(client.send(request, stream=True), _SERVER)
        except asyncio.CancelledError:
            why = self._interrupted()
            if why == "abort":
                return call.fail("aborted", aborted=True)
            if why == "stall":
                return _retry_or_fail(call, retries, _stall_message(call))
            raise
        except _NET_ERRORS as exc:
            return _retry_or_fail(call, retries, f"request to {call.model.base_url} failed: {_describe(exc)}")
        except Exception as exc:
            return call.fail(f"request to {call.model.base_url} failed: {_describe(exc)}")
        self._response = response
        try:
            _observe(call, response)
            if response.status_code < 400:
                return None
            body = await self._wait(response.aread(), _SERVER)
        except asyncio.CancelledError:
            why = self._interrupted()
            if why is None:
                raise
            if why == "abort":
                return call.fail("aborted", aborted=True)
            return _retry_or_fail(call, retries, _stall_message(call))
        except _NET_ERRORS as exc:
            return _retry_or_fail(call, retries, f"reading the error response failed: {_describe(exc)}")
        except Exception as exc:
            return call.fail(f"an on_response observer failed: {_describe(exc)}")
        finally:
            if response.status_code >= 400:
                await self._close()
        return _status_outcome(call, retries, response, body)

    def _finish(self, events: list[ev.Event]) -> list[ev.Event]:
        for e in events:
            if isinstance(e, (ev.Done, ev.Error)):
                self._final = e.message
                self._call.message_end(e.message)
        return events

    def _end_aborted(self, reason: str) -> None:
        if self._final is None:
            self._finish(self._call.fail(reason, aborted=True))

    async def _close(self) -> None:
        resp = self._response
        if resp is not None and not resp.is_closed:
            with contextlib.suppress(Exception):
                await resp.aclose()

    def abort(self) -> None:
        """Cancel the request; the stream ends with an ``aborted`` error event.

        Safe to call from the consuming task or another task of the same loop.
        """
        if self._final is not None or self._aborted:
            return
        self._aborted = True
        task = self._task
        if self._waiting != _CONSUMER and task is not None and not task.done():
            task.cancel()

    async def result(self) -> AssistantMessage:
        """Run the stream to its end (if nobody iterates it) and return the final message."""
        if not self._started:
            async for _ in self:
                pass
        if self._final is None:
            raise RuntimeError("the stream is still being iterated elsewhere; await it after the loop ends")
        return self._final

    def __await__(self) -> Generator[Any, None, AssistantMessage]:
        return self.result().__await__()

    async def __aenter__(self) -> AssistantStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._end_aborted("the stream's context manager exited before the end")
        it = self._iter() if self._iter is not None else None
        if it is not None:
            await it.aclose()
        await self._close()


class SyncAssistantStream:
    """The blocking twin of :class:`AssistantStream`: iterate it for events,
    call :meth:`result` for the final message. :meth:`abort` may be called
    from another thread; it wakes a blocked read at once."""

    def __init__(self, call: Call) -> None:
        self._call = call
        self._started = False
        self._final: AssistantMessage | None = None
        self._response: httpx.Response | None = None
        self._aborted = threading.Event()
        self._deadline = 0.0
        self._request: httpx.Request | None = None

    @property
    def model(self) -> Any:
        return self._call.model

    @property
    def message(self) -> AssistantMessage | None:
        return self._final

    @property
    def partial(self) -> AssistantMessage | None:
        dec = self._call.decoder
        return None if dec is None else dec.snapshot()

    def __iter__(self) -> Iterator[ev.Event]:
        if self._started:
            raise RuntimeError("a SyncAssistantStream can be iterated only once; use .result()")
        self._started = True
        return self._events()

    def _events(self) -> Iterator[ev.Event]:
        try:
            for batch in self._batches():
                for event in batch:
                    yield event
                    if self._aborted.is_set() and self._final is None:
                        yield from self._finish(self._call.fail("aborted", aborted=True))
                        return
        finally:
            if self._final is None:
                self._finish(self._call.fail("the consumer stopped reading the stream", aborted=True))
            self._close()

    def _sleep(self, delay: float) -> bool:
        """Back off; False when aborted meanwhile."""
        return not self._aborted.wait(delay)

    def _batches(self) -> Iterator[list[ev.Event]]:
        call = self._call
        retries = _Retries(call)
        while True:
            outcome = self._attempt(retries)
            if isinstance(outcome, list):
                yield self._finish(outcome)
                return
            if outcome is not None:
                if not self._sleep(outcome):
                    yield self._finish(call.fail("aborted", aborted=True))
                    return
                continue
            events, reason = yield from self._body()
            if events is not None:
                yield self._finish(events)
                return
            assert reason is not None
            again = _retry_or_fail(call, retries, reason)
            if isinstance(again, list):
                yield self._finish(again)
                return
            if not self._sleep(again):
                yield self._finish(call.fail("aborted", aborted=True))
                return

    def _attempt(self, retries: _Retries) -> list[ev.Event] | float | None:
        call = self._call
        if self._aborted.is_set():
            return call.fail("aborted before the request was sent", aborted=True)
        client = _sync_client(call)
        try:
            self._request = request = _request(client, call, idle=True)
        except Exception as exc:
            return call.fail(f"could not build the request: {_describe(exc)}")
        self._reset_deadline()
        try:
            response = client.send(request, stream=True)
        except _NET_ERRORS as exc:
            if self._aborted.is_set():
                return call.fail("aborted", aborted=True)
            if isinstance(exc, httpx.TimeoutException) and self._stalled():
                return _retry_or_fail(call, retries, _stall_message(call))
            return _retry_or_fail(call, retries, f"request to {call.model.base_url} failed: {_describe(exc)}")
        except Exception as exc:
            return call.fail(f"request to {call.model.base_url} failed: {_describe(exc)}")
        self._response = response
        try:
            _observe(call, response)
            if response.status_code < 400:
                return None
            body = response.read()
        except _NET_ERRORS as exc:
            return _retry_or_fail(call, retries, f"reading the error response failed: {_describe(exc)}")
        except Exception as exc:
            self._close()
            return call.fail(f"an on_response observer failed: {_describe(exc)}")
        finally:
            if response.status_code >= 400:
                self._close()
        return _status_outcome(call, retries, response, body)

    def _reset_deadline(self) -> None:
        idle = self._call.options.idle_timeout
        if idle:
            self._deadline = time.monotonic() + idle
            self._set_read_timeout(idle)

    def _stalled(self) -> bool:
        return bool(self._call.options.idle_timeout) and time.monotonic() >= self._deadline - 0.005

    def _set_read_timeout(self, seconds: float) -> None:
        # httpcore reads the request's timeout dict before every socket read,
        # so shrinking it makes the next read wait no longer than the deadline.
        request = self._request
        t = self._call.options.timeout
        if request is not None:
            timeouts = request.extensions.get("timeout")
            if isinstance(timeouts, dict):
                timeouts["read"] = max(0.001, min(seconds, t) if t else seconds)

    def _body(self) -> Generator[list[ev.Event], None, tuple[list[ev.Event] | None, str | None]]:
        """Stream the body; returns the final events, or a failure reason
        when the failure came before any event and may be retried."""
        call = self._call
        response = self._response
        assert response is not None
        start = call.start_decoding()
        idle = call.options.idle_timeout
        reason: str | None = None
        try:
            for chunk in response.iter_raw():
                if self._aborted.is_set():
                    break
                out = call.feed(chunk)
                if out:
                    if start:
                        out = start + out
                        start = []
                    if call.decoder is not None and call.decoder.terminated:
                        return out, None
                    yield out
                    self._reset_deadline()
                elif idle:
                    left = self._deadline - time.monotonic()
                    if left <= 0:
                        reason = _stall_message(call)
                        break
                    self._set_read_timeout(left)
            else:
                if not self._aborted.is_set():
                    return start + call.eof(), None
        except Exception as exc:  # httpx errors, or anything a custom transport raises
            if not self._aborted.is_set():
                if isinstance(exc, httpx.TimeoutException) and self._stalled():
                    reason = _stall_message(call)
                else:
                    reason = f"the connection failed mid-stream: {_describe(exc)}"
        self._close()
        if self._aborted.is_set():
            return start + call.fail("aborted", aborted=True), None
        assert reason is not None
        if start:
            return None, reason
        return call.fail(reason), None

    def _finish(self, events: list[ev.Event]) -> list[ev.Event]:
        for e in events:
            if isinstance(e, (ev.Done, ev.Error)):
                self._final = e.message
                self._call.message_end(e.message)
        return events

    def _close(self) -> None:
        resp = self._response
        if resp is not None and not resp.is_closed:
            with contextlib.suppress(Exception):
                resp.close()

    def abort(self) -> None:
        """Cancel the request (thread-safe); a blocked read returns at once."""
        if self._final is not None:
            return
        self._aborted.set()
        resp = self._response
        if resp is not None:
            # Closing a socket does not wake a read blocked in another thread;
            # shutting it down does. The reader then closes the response.
            stream = resp.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def result(self) -> AssistantMessage:
        if not self._started:
            for _ in self:
                pass
        if self._final is None:
            raise RuntimeError("the stream is still being iterated; call result() after the loop ends")
        return self._final

    def __enter__(self) -> SyncAssistantStream:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._final is None:
            self._finish(self._call.fail("the stream's context manager exited before the end", aborted=True))
        self._close()


def _parse_or_fail(call: Call, status: int, headers: Any, body: bytes, note: str | None) -> AssistantMessage:
    if status >= 400:
        events = call.http_error(status, headers, body, note=note)
    else:
        try:
            msg = call.parse_response(body)
            call.message_end(msg)
            return msg
        except Exception as exc:
            events = call.fail(f"could not decode the {call.codec.api} response: {_describe(exc)}")
    final = events[-1]
    assert isinstance(final, ev.Error)
    call.message_end(final.message)
    return final.message


def _failed(call: Call, reason: str, note: str | None) -> AssistantMessage:
    final = call.fail(_with_note(reason, note))[-1]
    assert isinstance(final, ev.Error)
    call.message_end(final.message)
    return final.message


async def acomplete(call: Call) -> AssistantMessage:
    """One non-streamed request, with retries."""
    client = _async_client(call)
    retries = _Retries(call)
    while True:
        try:
            request = _request(client, call, stream=False)
            response = await client.send(request)
        except _NET_ERRORS as exc:
            reason = f"request to {call.model.base_url} failed: {_describe(exc)}"
            delay, note = retries.next_delay(reason)
            if delay is None:
                return _failed(call, reason, note)
            await asyncio.sleep(delay)
            continue
        _observe(call, response)
        note = None
        if response.status_code >= 400:
            delay, note = retries.next_delay(f"HTTP {response.status_code}", response.status_code, response.headers)
            if delay is not None:
                await asyncio.sleep(delay)
                continue
        return _parse_or_fail(call, response.status_code, response.headers, response.content, note)


def scomplete(call: Call) -> AssistantMessage:
    """The blocking twin of :func:`acomplete`."""
    client = _sync_client(call)
    retries = _Retries(call)
    while True:
        try:
            request = _request(client, call, stream=False)
            response = client.send(request)
        except _NET_ERRORS as exc:
            reason = f"request to {call.model.base_url} failed: {_describe(exc)}"
            delay, note = retries.next_delay(reason)
            if delay is None:
                return _failed(call, reason, note)
            time.sleep(delay)
            continue
        _observe(call, response)
        note = None
        if response.status_code >= 400:
            delay, note = retries.next_delay(f"HTTP {response.status_code}", response.status_code, response.headers)
            if delay is not None:
                time.sleep(delay)
                continue
        return _parse_or_fail(call, response.status_code, response.headers, response.content, note)
