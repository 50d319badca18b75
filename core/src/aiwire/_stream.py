"""The async and sync drivers: HTTP, retries and cancellation around a Call.

Both drivers only move bytes; every decision about what the bytes mean lives
in :class:`~aiwire._call.Call` and the codec's decoder, so sync and async
behave the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import httpx

from . import events as ev
from ._call import Call
from ._retry import backoff, retry_after, should_retry_status
from ._transport import async_client, sync_client
from .types import AssistantMessage

__all__ = ["AssistantStream", "SyncAssistantStream", "acomplete", "scomplete"]

log = logging.getLogger("aiwire")

_LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=200, keepalive_expiry=30)


def _timeout(call: Call) -> httpx.Timeout:
    t = call.options.timeout
    return httpx.Timeout(t, connect=min(t, 30.0) if t else 30.0)


def _transport(call: Call) -> Any:
    if call.options.transport is not None:
        return call.options.transport
    spec = call.registry.providers.get(call.model.provider)
    return spec.transport if spec is not None else None


def _async_client(call: Call) -> httpx.AsyncClient:
    return async_client(_transport(call), _LIMITS)


def _sync_client(call: Call) -> httpx.Client:
    return sync_client(_transport(call), _LIMITS)


def _retry_delay(call: Call, attempt: int, response: httpx.Response | None) -> float | None:
    """Delay before the next attempt, or None to stop retrying."""
    if attempt >= call.options.max_retries:
        return None
    if response is None:
        return backoff(attempt)
    if not should_retry_status(response.status_code, response.headers):
        return None
    asked = retry_after(response.headers)
    if asked is None:
        return backoff(attempt)
    if asked > call.options.max_retry_delay:
        return None
    return asked


def _notify_retry(call: Call, attempt: int, delay: float, reason: str) -> None:
    log.info("retrying %s (attempt %d) in %.2fs: %s", call.model.ref, attempt + 1, delay, reason)
    if call.options.on_retry is not None:
        call.options.on_retry(attempt + 1, delay, reason)


def _describe(exc: Exception) -> str:
    kind = type(exc).__name__
    text = str(exc)
    return f"{kind}: {text}" if text else kind


def _build_request(client: httpx.AsyncClient | httpx.Client, call: Call, *, stream: bool) -> httpx.Request:
    req = call.build(stream=stream)
    return client.build_request(req.method, req.url, headers=req.headers, content=call.body(), timeout=_timeout(call))


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
        self._reading = False

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

    def __aiter__(self) -> AsyncIterator[ev.Event]:
        if self._started:
            raise RuntimeError("an AssistantStream can be iterated only once; use .message or await it")
        self._started = True
        return self._events()

    async def _events(self) -> AsyncIterator[ev.Event]:
        try:
            async for batch in self._batches():
                for event in batch:
                    yield event
        finally:
            if self._final is None:
                self._end_aborted("the consumer stopped reading the stream")
            await self._close()

    async def _batches(self) -> AsyncIterator[list[ev.Event]]:
        call = self._call
        self._task = asyncio.current_task()
        client = _async_client(call)
        attempt = 0
        while True:
            if self._aborted:
                yield self._finish(call.fail("aborted before the request was sent", aborted=True))
                return
            try:
                request = _build_request(client, call, stream=True)
                self._reading = True
                response = await client.send(request, stream=True)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                self._reading = False
                delay = _retry_delay(call, attempt, None)
                if delay is None:
                    yield self._finish(call.fail(f"request to {call.model.base_url} failed: {_describe(exc)}"))
                    return
                _notify_retry(call, attempt, delay, _describe(exc))
                attempt += 1
                await asyncio.sleep(delay)
                continue
            except asyncio.CancelledError:
                if self._consume_abort():
                    yield self._finish(call.fail("aborted", aborted=True))
                    return
                raise
            finally:
                self._reading = False
            self._response = response
            if call.options.on_response is not None:
                call.options.on_response(call.model, response)
            call.registry.pm.hook.on_response(model=call.model, response=response)
            if response.status_code >= 400:
                body = await response.aread()
                await response.aclose()
                delay = _retry_delay(call, attempt, response)
                if delay is not None:
                    _notify_retry(call, attempt, delay, f"HTTP {response.status_code}")
                    attempt += 1
                    await asyncio.sleep(delay)
                    continue
                yield self._finish(call.http_error(response.status_code, response.headers, body))
                return
            break
        yield call.start_decoding()
        raw = response.aiter_raw()
        while True:
            self._reading = True
            try:
                chunk = await raw.__anext__()
            except StopAsyncIteration:
                yield self._finish(call.eof())
                return
            except asyncio.CancelledError:
                if self._consume_abort():
                    yield self._finish(call.fail("aborted", aborted=True))
                    return
                raise
            except (httpx.TransportError, httpx.TimeoutException, httpx.StreamError) as exc:
                yield self._finish(call.fail(f"the connection failed mid-stream: {_describe(exc)}"))
                return
            finally:
                self._reading = False
            out = call.feed(chunk)
            if call.decoder is not None and call.decoder.terminated:
                yield self._finish(out)
                return
            if out:
                yield out

    def _consume_abort(self) -> bool:
        if not self._aborted:
            return False
        task = asyncio.current_task()
        if task is not None and hasattr(task, "uncancel"):
            task.uncancel()
        return True

    def _finish(self, events: list[ev.Event]) -> list[ev.Event]:
        for e in events:
            if isinstance(e, (ev.Done, ev.Error)):
                self._final = e.message
                self._call.message_end(e.message)
        return events

    def _end_aborted(self, reason: str) -> None:
        self._final = None
        events = self._call.fail(reason, aborted=True)
        self._finish(events)

    async def _close(self) -> None:
        resp = self._response
        if resp is not None and not resp.is_closed:
            await resp.aclose()

    def abort(self) -> None:
        """Cancel the request; the stream ends with an ``aborted`` error event."""
        if self._final is not None or self._aborted:
            return
        self._aborted = True
        task = self._task
        if self._reading and task is not None and not task.done():
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
        if self._final is None:
            self._end_aborted("the stream's context manager exited before the end")
        await self._close()


class SyncAssistantStream:
    """The blocking twin of :class:`AssistantStream`: iterate it for events,
    call :meth:`result` for the final message. :meth:`abort` may be called
    from another thread."""

    def __init__(self, call: Call) -> None:
        self._call = call
        self._started = False
        self._final: AssistantMessage | None = None
        self._response: httpx.Response | None = None
        self._aborted = threading.Event()

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
                yield from batch
        finally:
            if self._final is None:
                self._finish(self._call.fail("the consumer stopped reading the stream", aborted=True))
            self._close()

    def _batches(self) -> Iterator[list[ev.Event]]:
        call = self._call
        client = _sync_client(call)
        attempt = 0
        while True:
            if self._aborted.is_set():
                yield self._finish(call.fail("aborted before the request was sent", aborted=True))
                return
            try:
                request = _build_request(client, call, stream=True)
                response = client.send(request, stream=True)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                delay = _retry_delay(call, attempt, None)
                if delay is None or self._aborted.is_set():
                    yield self._finish(call.fail(f"request to {call.model.base_url} failed: {_describe(exc)}"))
                    return
                _notify_retry(call, attempt, delay, _describe(exc))
                attempt += 1
                self._aborted.wait(delay)
                continue
            self._response = response
            if call.options.on_response is not None:
                call.options.on_response(call.model, response)
            call.registry.pm.hook.on_response(model=call.model, response=response)
            if response.status_code >= 400:
                body = response.read()
                response.close()
                delay = _retry_delay(call, attempt, response)
                if delay is not None:
                    _notify_retry(call, attempt, delay, f"HTTP {response.status_code}")
                    attempt += 1
                    self._aborted.wait(delay)
                    continue
                yield self._finish(call.http_error(response.status_code, response.headers, body))
                return
            break
        yield call.start_decoding()
        try:
            for chunk in response.iter_raw():
                if self._aborted.is_set():
                    break
                out = call.feed(chunk)
                if call.decoder is not None and call.decoder.terminated:
                    yield self._finish(out)
                    return
                if out:
                    yield out
        except (httpx.TransportError, httpx.TimeoutException, httpx.StreamError) as exc:
            if not self._aborted.is_set():
                yield self._finish(call.fail(f"the connection failed mid-stream: {_describe(exc)}"))
                return
        if self._aborted.is_set():
            yield self._finish(call.fail("aborted", aborted=True))
            return
        yield self._finish(call.eof())

    def _finish(self, events: list[ev.Event]) -> list[ev.Event]:
        for e in events:
            if isinstance(e, (ev.Done, ev.Error)):
                self._final = e.message
                self._call.message_end(e.message)
        return events

    def _close(self) -> None:
        resp = self._response
        if resp is not None and not resp.is_closed:
            resp.close()

    def abort(self) -> None:
        """Cancel the request (thread-safe)."""
        if self._final is not None:
            return
        self._aborted.set()
        resp = self._response
        if resp is not None:
            # Closing from another thread may race the reader; the reader
            # notices the abort flag either way.
            with contextlib.suppress(Exception):
                resp.close()

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


def _parse_or_fail(call: Call, status: int, headers: Any, body: bytes) -> AssistantMessage:
    if status >= 400:
        events = call.http_error(status, headers, body)
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


async def acomplete(call: Call) -> AssistantMessage:
    """One non-streamed request, with retries."""
    client = _async_client(call)
    attempt = 0
    while True:
        t0 = time.monotonic()
        try:
            request = _build_request(client, call, stream=False)
            response = await client.send(request)
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            delay = _retry_delay(call, attempt, None)
            if delay is None:
                events = call.fail(f"request to {call.model.base_url} failed: {_describe(exc)}")
                msg = events[-1].message  # type: ignore[union-attr]
                call.message_end(msg)
                return msg
            _notify_retry(call, attempt, delay, _describe(exc))
            attempt += 1
            await asyncio.sleep(delay)
            continue
        if call.options.on_response is not None:
            call.options.on_response(call.model, response)
        call.registry.pm.hook.on_response(model=call.model, response=response)
        if response.status_code >= 400:
            delay = _retry_delay(call, attempt, response)
            if delay is not None:
                _notify_retry(call, attempt, delay, f"HTTP {response.status_code}")
                attempt += 1
                await asyncio.sleep(delay)
                continue
        log.debug("%s answered in %.3fs", call.model.ref, time.monotonic() - t0)
        return _parse_or_fail(call, response.status_code, response.headers, response.content)


def scomplete(call: Call) -> AssistantMessage:
    """The blocking twin of :func:`acomplete`."""
    client = _sync_client(call)
    attempt = 0
    while True:
        try:
            request = _build_request(client, call, stream=False)
            response = client.send(request)
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            delay = _retry_delay(call, attempt, None)
            if delay is None:
                events = call.fail(f"request to {call.model.base_url} failed: {_describe(exc)}")
                msg = events[-1].message  # type: ignore[union-attr]
                call.message_end(msg)
                return msg
            _notify_retry(call, attempt, delay, _describe(exc))
            attempt += 1
            time.sleep(delay)
            continue
        if call.options.on_response is not None:
            call.options.on_response(call.model, response)
        call.registry.pm.hook.on_response(model=call.model, response=response)
        if response.status_code >= 400:
            delay = _retry_delay(call, attempt, response)
            if delay is not None:
                _notify_retry(call, attempt, delay, f"HTTP {response.status_code}")
                attempt += 1
                time.sleep(delay)
                continue
        return _parse_or_fail(call, response.status_code, response.headers, response.content)
