"""The async driver: runs an :class:`~aiwire._engine.exchange.Exchange` with
a transport's sender (aiwire's own by default, or httpx), timers and task
cancellation. Every decision is the engine's.

- ``idle`` from the engine bounds each wait on the server (the response head,
  then the next decoded event); one timer handle per call, re-armed by moving
  a deadline, so an event costs a float store, not a timer;
- :meth:`AssistantStream.abort`, cancelling the task, leaving the loop early
  and exiting the context manager end the call as aborted and close the
  response, which returns its connection to the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import weakref
from collections.abc import AsyncGenerator, Generator
from typing import Any

from aiwire import events as ev
from aiwire._engine.call import PreparedCall
from aiwire._engine.exchange import (
    Aborted,
    Body,
    Ended,
    Exchange,
    Failed,
    Read,
    Refresh,
    Refreshed,
    Responded,
    Send,
    Sleep,
    Stalled,
    Stream,
    describe,
)
from aiwire._io.errors import is_timeout, net_errors
from aiwire._io.transport import Pool
from aiwire.types import AssistantMessage, EmbeddingResult, ImageResult, Model

__all__ = ["AssistantStream", "ImageJob", "acomplete"]

_CONSUMER, _SERVER, _SLEEPING = 0, 1, 2


def _os_text(err: OSError) -> str:
    # A name lookup's errors are the resolver's (negative, EAI_*), not errno
    # values: os.strerror would say "Unknown error -2".
    if isinstance(err, socket.gaierror) or (err.errno or 0) < 0:
        return str(err.strerror or err)
    return os.strerror(err.errno or 0)


def describe_io(exc: BaseException) -> str:
    """One wording for a network failure whichever driver met it: httpx's
    async and sync stacks word the same failure differently ("All connection
    attempts failed" and "[Errno 111] Connection refused"), so the text comes
    from the operating system's error underneath, or says "timed out"."""
    kind = type(exc).__name__
    if is_timeout(exc):
        return f"{kind}: timed out"
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, ssl.SSLError):  # its errno is OpenSSL's, not the system's
            if hasattr(cause, "reason"):  # the ssl module's own (aiohttp's wrappers lack it)
                return f"{kind}: {cause}"
            cause = cause.__cause__ or cause.__context__
            continue
        if isinstance(cause, OSError) and cause.errno:
            return f"{kind}: {_os_text(cause)}"
        for arg in cause.args:  # httpcore wraps the OSError as an argument
            if isinstance(arg, ssl.SSLError):
                return f"{kind}: {arg}"
            if isinstance(arg, OSError) and arg.errno:
                return f"{kind}: {_os_text(arg)}"
        cause = cause.__cause__ or cause.__context__
    return describe(exc)


# After the last event the body usually ends a moment later (the chunked
# terminator, a trailing ``[DONE]``). Reading that little rest lets the
# connection go back to the pool; closing a response before its end discards
# the connection, and the next call pays a new TCP and TLS handshake. Both
# drivers drain, at most this long and this much.
DRAIN_SECONDS = 0.05
DRAIN_BYTES = 65536


async def _rest(raw: Any) -> None:
    size = 0
    async for chunk in raw:
        size += len(chunk)
        if size > DRAIN_BYTES:
            return


class _Timer:
    """The idle deadline of one call; cancels the task when it passes while
    the task waits on the server."""

    __slots__ = ("deadline", "fired", "handle", "loop", "run", "timeout")

    def __init__(self, run: _Run, timeout: float) -> None:
        self.run = run
        self.loop = asyncio.get_running_loop()
        self.timeout = timeout
        self.fired = False
        self.deadline = self.loop.time() + timeout
        self.handle: asyncio.TimerHandle | None = self.loop.call_at(self.deadline, self._check)

    def reset(self) -> None:
        self.deadline = self.loop.time() + self.timeout
        if self.handle is None:  # fired before: re-arm (a retried stall must be bounded too)
            self.handle = self.loop.call_at(self.deadline, self._check)

    def _check(self) -> None:
        now = self.loop.time()
        run = self.run
        if now < self.deadline:
            self.handle = self.loop.call_at(self.deadline, self._check)
        elif run.waiting == _SERVER and run.task is not None and not run.task.done():
            self.handle = None
            self.fired = True
            run.task.cancel()
        else:  # the consumer or a backoff holds the call; the wait restarts after it
            self.deadline = now + self.timeout
            self.handle = self.loop.call_at(self.deadline, self._check)

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


class _Run:
    """One run of an exchange on the running loop; ``batches()`` yields event lists."""

    def __init__(self, call: PreparedCall, pool: Pool, *, emit: bool) -> None:
        self.ex = Exchange(call, emit=emit)
        self.pool = pool
        self.task: asyncio.Task[Any] | None = None
        self.waiting = _CONSUMER
        self.aborted = False
        self.timer: _Timer | None = None
        self.response: Any = None  # a LeanResponse or an HttpxResponse

    def abort(self) -> None:
        if self.ex.finished or self.aborted:
            return
        self.aborted = True
        task = self.task
        if self.waiting != _CONSUMER and task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()

    def _interrupted(self) -> Aborted | Stalled | None:
        """Why a CancelledError arrived; our own cancellations are consumed."""
        timer = self.timer
        why: Aborted | Stalled | None = (
            Aborted() if self.aborted else Stalled() if timer is not None and timer.fired else None
        )
        if why is not None:
            if timer is not None:
                timer.fired = False
            task = asyncio.current_task()
            if task is not None and hasattr(task, "uncancel"):
                task.uncancel()
        return why

    async def _close(self) -> None:
        resp, self.response = self.response, None
        if resp is not None and not resp.is_closed:
            with contextlib.suppress(Exception):
                await resp.aclose()

    async def batches(self) -> AsyncGenerator[list[ev.Event], None]:
        ex = self.ex
        self.task = asyncio.current_task()
        flow = ex.flow()
        try:
            action: Any = next(flow)
            while True:
                outcome: Any = None
                if ex.events:
                    yield ex.drain()
                if isinstance(action, Stream):
                    # The hot path: inline state, no per-chunk allocation beyond the events.
                    resp = self.response
                    assert resp is not None
                    raw = resp.__aiter__()
                    timer = self.timer
                    while True:
                        if self.aborted:
                            outcome = Aborted()
                            break
                        self.waiting = _SERVER
                        try:
                            chunk = await raw.__anext__()
                        except StopAsyncIteration:
                            self.waiting = _CONSUMER
                            outcome = Ended()
                            break
                        except asyncio.CancelledError:
                            self.waiting = _CONSUMER
                            outcome = self._interrupted()
                            if outcome is None:
                                raise
                            break
                        except Exception as exc:  # httpx errors, or anything a custom transport raises
                            self.waiting = _CONSUMER
                            outcome = Failed(describe_io(exc), network=True)
                            break
                        self.waiting = _CONSUMER
                        out = ex.feed(chunk)
                        if out:
                            yield out
                            if ex.finished:
                                outcome = Ended()
                                await self._drain(raw)
                                break
                            if timer is not None:
                                timer.reset()
                    await self._close()
                elif isinstance(action, Send):
                    outcome = await self._send(action)
                elif isinstance(action, Read):
                    outcome = await self._read()
                elif isinstance(action, Sleep):
                    outcome = await self._sleep(action.seconds)
                elif isinstance(action, Refresh):
                    outcome = await self._refresh(action.force)
                try:
                    action = flow.send(outcome)
                except StopIteration:
                    break
            if ex.events:
                yield ex.drain()
        except asyncio.CancelledError:
            self.ex.abort_now("the task was cancelled")
            raise
        finally:
            if self.timer is not None:
                self.timer.cancel()
            await self._close()

    async def _drain(self, raw: Any) -> None:
        """Read the body's short rest after the last event (see :data:`DRAIN_SECONDS`)."""
        if self.aborted:
            return
        with contextlib.suppress(Exception):  # timed out or broken: the connection is just not reused
            await asyncio.wait_for(_rest(raw), DRAIN_SECONDS)

    async def _send(self, send: Send) -> Any:
        if self.aborted:
            return Aborted(sent=False)
        try:
            sender = await self.pool.async_client(self.ex.call.options.transport or self._spec_transport())
        except Exception as exc:
            return Failed(describe(exc), network=False)
        if send.idle:
            if self.timer is None:
                self.timer = _Timer(self, send.idle)
            else:
                self.timer.reset()
        self.waiting = _SERVER
        try:
            response = await sender.send_call(send)
        except asyncio.CancelledError:
            self.waiting = _CONSUMER
            why = self._interrupted()
            if why is None:
                raise
            return why
        except Exception as exc:
            self.waiting = _CONSUMER
            if isinstance(exc, net_errors()):
                return Failed(describe_io(exc), network=True)
            return Failed(describe(exc), network=False)
        self.waiting = _CONSUMER
        self.response = response
        return Responded(response.info())

    def _spec_transport(self) -> Any:
        spec = self.ex.call.spec
        return spec.transport if spec is not None else None

    async def _read(self) -> Any:
        resp = self.response
        assert resp is not None
        self.waiting = _SERVER
        try:
            return Body(await resp.aread())
        except asyncio.CancelledError:
            why = self._interrupted()
            if why is None:
                raise
            return why
        except Exception as exc:
            if isinstance(exc, net_errors()):
                return Failed(describe_io(exc), network=True)
            return Failed(describe(exc), network=False)
        finally:
            self.waiting = _CONSUMER
            await self._close()

    async def _sleep(self, seconds: float) -> Any:
        if self.aborted:
            return Aborted()
        self.waiting = _SLEEPING  # a backoff does not count as idle; abort() still wakes it
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            why = self._interrupted()
            if why is None:
                raise
            return Aborted() if isinstance(why, Aborted) else None
        finally:
            self.waiting = _CONSUMER
        return Aborted() if self.aborted else None

    async def _refresh(self, force: bool) -> Any:
        refresher = self.ex.credentials.refresher
        assert refresher is not None
        self.waiting = _SLEEPING
        try:
            # The refresh may block (token endpoint, store lock): a worker thread keeps the loop free.
            return Refreshed(await asyncio.to_thread(refresher, force))
        except asyncio.CancelledError:
            if self._interrupted() is None:
                raise
            return Aborted()
        except Exception as exc:
            return Refreshed(error=exc)
        finally:
            self.waiting = _CONSUMER


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

    def __init__(self, call: PreparedCall, pool: Pool) -> None:
        self._run = _Run(call, pool, emit=True)
        self._started = False
        self._iter: weakref.ref[AsyncGenerator[ev.Event, None]] | None = None

    @property
    def model(self) -> Model:
        return self._run.ex.call.model

    @property
    def message(self) -> AssistantMessage | None:
        """The final message once the stream ended, else ``None``."""
        result = self._run.ex.result
        return result if isinstance(result, AssistantMessage) else None

    @property
    def partial(self) -> AssistantMessage | None:
        """A snapshot of the message so far (``None`` before the response)."""
        return self._run.ex.partial

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
        self._run.ex.abort_now("the consumer stopped reading the stream")

    async def _events(self) -> AsyncGenerator[ev.Event, None]:
        run = self._run
        batches = run.batches()
        try:
            async for batch in batches:
                for event in batch:
                    yield event
                    if run.aborted and not run.ex.finished:
                        # abort() was called between reads: end now, not after the next one.
                        run.ex.abort_now("aborted")
                        yield from_final(run.ex)
                        return
        finally:
            run.ex.abort_now("the consumer stopped reading the stream")
            await batches.aclose()

    def abort(self) -> None:
        """Cancel the request; the stream ends with an ``aborted`` error event.
        Safe to call from the consuming task or another task of the same loop."""
        self._run.abort()

    async def result(self) -> AssistantMessage:
        """Run the stream to its end (if nobody iterates it) and return the final message."""
        if not self._started:
            async for _ in self:
                pass
        msg = self.message
        if msg is None:
            raise RuntimeError("the stream is still being iterated elsewhere; await it after the loop ends")
        return msg

    def __await__(self) -> Generator[Any, None, AssistantMessage]:
        return self.result().__await__()

    async def __aenter__(self) -> AssistantStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._run.ex.abort_now("the stream's context manager exited before the end")
        it = self._iter() if self._iter is not None else None
        if it is not None:
            await it.aclose()
        await self._run._close()


def from_final(ex: Exchange) -> ev.Event:
    """The terminal event of a finished exchange (after an abort between reads)."""
    msg = ex.result
    assert isinstance(msg, AssistantMessage)
    if msg.stop_reason in ("error", "aborted"):
        return ev.Error(reason=msg.stop_reason, message=msg)
    return ev.Done(reason=msg.stop_reason, message=msg)  # type: ignore[arg-type]


async def _collect(run: _Run) -> AssistantMessage | ImageResult | EmbeddingResult:
    async for _ in run.batches():
        pass
    result = run.ex.result
    assert result is not None
    return result


async def acomplete(call: PreparedCall, pool: Pool) -> AssistantMessage:
    """One turn without events (a stream-only host streams and collects)."""
    result = await _collect(_Run(call, pool, emit=False))
    assert isinstance(result, AssistantMessage)
    return result


class ImageJob:
    """One image generation in flight.

    ``await job`` (or ``await job.result()``) gives the :class:`ImageResult`;
    :meth:`abort` cancels it, and the result then has ``stop_reason`` aborted.
    Cancelling the awaiting task otherwise propagates as usual.
    """

    __slots__ = ("_check", "_run")

    def __init__(self, call: PreparedCall, pool: Pool, *, check: bool = False) -> None:
        self._run = _Run(call, pool, emit=False)
        self._check = check

    @property
    def model(self) -> Model:
        return self._run.ex.call.model

    async def result(self) -> ImageResult:
        """Run the request (once) and return its result."""
        run = self._run
        if run.ex.result is None:
            if run.task is not None:
                raise RuntimeError("this image generation is already being awaited elsewhere")
            await _collect(run)
        result = run.ex.result
        assert isinstance(result, ImageResult)
        return result.raise_for_error() if self._check else result

    def __await__(self) -> Generator[Any, None, ImageResult]:
        return self.result().__await__()

    def abort(self) -> None:
        """Cancel the request; the result has ``stop_reason`` aborted."""
        self._run.abort()
