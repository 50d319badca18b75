"""The blocking driver: the twin of :mod:`aiwire._io.aio`, with threads.

Idle detection bounds every socket read to the time left before the
deadline: the response head through the request's timeout dict, the body by
clamping the timeout of each read of the connection's network stream while
this call owns it (httpcore fixes a body's read timeout when the body
starts). :meth:`SyncAssistantStream.abort` may come from another thread: it
shuts the socket down, which wakes a blocked read at once.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

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
from aiwire._io.aio import DRAIN_BYTES, DRAIN_SECONDS, describe_io, from_final
from aiwire._io.errors import net_errors
from aiwire._io.httpxio import body_chunks, http_request, response_info
from aiwire._io.transport import Pool
from aiwire.errors import BadOptionsError
from aiwire.types import AssistantMessage, EmbeddingResult, ImageResult, Model

__all__ = ["AbortHandle", "SyncAssistantStream", "scomplete", "sgenerate"]


_NEVER = float("inf")
monotonic = time.monotonic

# The run whose request this thread is sending: the network streams of the
# pool's own clients tell it which socket a blocked read waits on, so that
# abort() can wake a call still waiting for the response head.
_sending = threading.local()


class _TrackedStream:
    """A connection's network stream that records, at each read, the run
    reading it (httpcore reads the response head through it)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        run: _SyncRun | None = getattr(_sending, "run", None)
        if run is not None:
            run.waiting_on = self
            if run.aborted.is_set():
                import httpcore  # loaded with httpx's transport by now; not at aiwire's import

                raise httpcore.ReadError("aborted")
        return self._inner.read(max_bytes, timeout)  # type: ignore[no-any-return]

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, *args: Any, **kwargs: Any) -> _TrackedStream:
        return _TrackedStream(self._inner.start_tls(*args, **kwargs))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    def shutdown(self) -> None:
        sock = self._inner.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _TrackingBackend:
    """Wraps httpcore's network backend (duck-typed: importing httpcore here
    would cost ~50 ms at ``import aiwire``-time)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> Any:
        run: _SyncRun | None = getattr(_sending, "run", None)
        if run is not None and local_address is None:
            stream = _abortable_connect(run, host, port, timeout, socket_options)
            if stream is not None:
                return _TrackedStream(stream)
        inner = self._inner.connect_tcp(host, port, timeout, local_address=local_address, socket_options=socket_options)
        return _TrackedStream(inner)

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> Any:
        return _TrackedStream(self._inner.connect_unix_socket(*args, **kwargs))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _abortable_connect(run: _SyncRun, host: str, port: int, timeout: float | None, options: Any) -> Any:
    """httpcore's TCP connect, made wakeable: a non-blocking connect waited
    on together with a socket pair that :meth:`_SyncRun.abort` writes to, so
    an abort ends a connect that hangs (a host that drops the SYN). ``None``
    when httpcore's stream class cannot be had (then its own connect runs)."""
    import httpcore  # loaded with httpx's transport by now; not at aiwire's import

    try:
        from httpcore._backends.sync import SyncStream
    except ImportError:  # pragma: no cover - a future httpcore
        return None
    wake_r, wake_w = socket.socketpair()
    run.connect_wake = wake_w
    try:
        if run.aborted.is_set():
            raise httpcore.ConnectError("aborted")
        deadline = None if timeout is None else time.monotonic() + timeout
        last: OSError | None = None
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(exc) from exc
        for family, kind, proto, _, address in infos:
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                err = sock.connect_ex(address)
                if err in (errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN):
                    left = None if deadline is None else max(0.0, deadline - time.monotonic())
                    woken, ready, _ = select.select([wake_r], [sock], [], left)
                    if woken:
                        raise httpcore.ConnectError("aborted")
                    if not ready:
                        raise httpcore.ConnectTimeout("timed out")
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    raise OSError(err, os.strerror(err))
                sock.setblocking(True)
                for option in options or ():
                    sock.setsockopt(*option)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return SyncStream(sock)
            except OSError as exc:
                sock.close()
                last = exc
            except BaseException:
                sock.close()
                raise
        raise httpcore.ConnectError(last) from last
    finally:
        run.connect_wake = None
        wake_r.close()
        wake_w.close()


def track_sockets(client: httpx.Client) -> httpx.Client:
    """Let :meth:`_SyncRun.abort` find the socket of a request still waiting
    for its response head, on the pool's own httpx clients (a user's
    ``http_client`` or custom transport is left alone: there an abort waits
    for the head, or the idle timeout)."""
    transports = [client._transport, *client._mounts.values()]
    for tr in transports:
        pool = getattr(tr, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if callable(getattr(backend, "connect_tcp", None)) and not isinstance(backend, _TrackingBackend):
            pool._network_backend = _TrackingBackend(backend)  # type: ignore[union-attr]
    return client


class _SyncRun:
    def __init__(self, call: PreparedCall, pool: Pool, *, emit: bool) -> None:
        self.ex = Exchange(call, emit=emit)
        self.pool = pool
        self.aborted = threading.Event()
        self.response: httpx.Response | None = None
        self.request: httpx.Request | None = None
        self.deadline = 0.0
        self.idle: float | None = None
        self.read_by = _NEVER  # while streaming: every socket read returns by then
        self.clamped: Any = None  # the network stream whose reads are clamped
        self.waiting_on: _TrackedStream | None = None  # while sending: the stream a read waits on
        self.connect_wake: socket.socket | None = None  # while connecting: abort() writes here

    def abort(self) -> None:
        if self.ex.finished:
            return
        self.aborted.set()
        resp = self.response
        if resp is not None:
            # Closing a socket does not wake a read blocked in another thread;
            # shutting it down does. The reader then closes the response.
            stream = resp.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        else:
            waiting = self.waiting_on  # still waiting for the head: wake that read
            if waiting is not None:
                waiting.shutdown()
            wake = self.connect_wake  # still connecting: wake the connect
            if wake is not None:
                with contextlib.suppress(OSError):
                    wake.send(b"\0")

    def _close(self) -> None:
        stream, self.clamped = self.clamped, None
        if stream is not None:
            with contextlib.suppress(AttributeError):
                del stream.read  # the connection goes back to the pool as it came
        resp, self.response = self.response, None
        if resp is not None and not resp.is_closed:
            with contextlib.suppress(Exception):
                resp.close()

    def _arm(self, idle: float | None) -> None:
        self.idle = idle
        if idle:
            self.deadline = self.read_by = time.monotonic() + idle
            self._read_timeout(idle)

    def _read_timeout(self, seconds: float) -> None:
        request = self.request
        if request is not None:
            timeouts = request.extensions.get("timeout")
            if isinstance(timeouts, dict):
                t = self.ex.call.options.timeout
                timeouts["read"] = max(0.001, min(seconds, t) if t else seconds)

    def _clamp_reads(self, idle: float | None) -> None:
        """Make each socket read of this response return by ``read_by``."""
        resp = self.response
        stream: Any = resp.extensions.get("network_stream") if resp is not None else None
        read = getattr(stream, "read", None)
        if read is None:
            return
        self.read_by = self.deadline if idle else _NEVER
        owner = threading.get_ident()

        def clamped(max_bytes: int, timeout: float | None = None) -> Any:
            left = self.read_by - time.monotonic()
            if left != _NEVER and threading.get_ident() == owner and (timeout is None or left < timeout):
                timeout = max(0.001, left)
            return read(max_bytes, timeout)

        stream.read = clamped
        self.clamped = stream

    def _stalled(self, exc: BaseException) -> bool:
        return bool(self.idle) and isinstance(exc, httpx.TimeoutException) and time.monotonic() >= self.deadline - 0.005

    def batches(self) -> Iterator[list[ev.Event]]:
        ex = self.ex
        flow = ex.flow()
        try:
            action: Any = next(flow)
            while True:
                outcome: Any = None
                if ex.events:
                    yield ex.drain()
                if isinstance(action, Stream):
                    resp = self.response
                    assert resp is not None
                    idle = action.idle
                    self._clamp_reads(idle)
                    raw = body_chunks(resp, aio=False)
                    # With the reads clamped, an event only moves the deadline (a float store).
                    light = idle if self.clamped is not None else None
                    try:
                        for chunk in raw:
                            if self.aborted.is_set():
                                outcome = Aborted()
                                break
                            out = ex.feed(chunk)
                            if out:
                                yield out
                                if ex.finished:
                                    outcome = Ended()
                                    self._drain(raw)
                                    break
                                if light:
                                    self.deadline = self.read_by = monotonic() + light
                                elif idle:
                                    self._arm(idle)
                            elif idle:
                                left = self.deadline - time.monotonic()
                                if left <= 0:
                                    outcome = Stalled()
                                    break
                                self._read_timeout(left)
                        else:
                            outcome = Aborted() if self.aborted.is_set() else Ended()
                    except Exception as exc:  # httpx errors, or anything a custom transport raises
                        outcome = (
                            Aborted()
                            if self.aborted.is_set()
                            else Stalled()
                            if self._stalled(exc)
                            else Failed(describe_io(exc), network=True)
                        )
                    self._close()
                elif isinstance(action, Send):
                    outcome = self._send(action)
                elif isinstance(action, Read):
                    outcome = self._read()
                elif isinstance(action, Sleep):
                    outcome = Aborted() if self.aborted.wait(action.seconds) else None
                elif isinstance(action, Refresh):
                    outcome = self._refresh(action.force)
                try:
                    action = flow.send(outcome)
                except StopIteration:
                    break
            if ex.events:
                yield ex.drain()
        finally:
            self._close()

    def _drain(self, raw: Iterator[bytes]) -> None:
        """Read the body's short rest after the last event, so the connection
        goes back to the pool (see :data:`aiwire._io.aio.DRAIN_SECONDS`)."""
        if self.clamped is None:
            return
        self.read_by = time.monotonic() + DRAIN_SECONDS
        size = 0
        with contextlib.suppress(Exception):  # timed out or broken: the connection is just not reused
            for chunk in raw:
                size += len(chunk)
                if size > DRAIN_BYTES:
                    return

    def _send(self, send: Send) -> Any:
        if self.aborted.is_set():
            return Aborted(sent=False)
        call = self.ex.call
        try:
            spec_transport = call.spec.transport if call.spec is not None else None
            client = self.pool.sync_client(call.options.transport or spec_transport)
            self.request = request = http_request(client, send, send.timeout)
        except Exception as exc:
            return Failed(describe(exc), network=False)
        self._arm(send.idle)
        _sending.run = self
        try:
            response = client.send(request, stream=True)
        except net_errors() as exc:
            if self.aborted.is_set():
                return Aborted()
            return Stalled() if self._stalled(exc) else Failed(describe_io(exc), network=True)
        except Exception as exc:
            return Failed(describe(exc), network=False)
        finally:
            _sending.run = None
            self.waiting_on = None
        self.response = response
        return Responded(response_info(response))

    def _read(self) -> Any:
        resp = self.response
        assert resp is not None
        try:
            return Body(resp.read())
        except net_errors() as exc:
            return Aborted() if self.aborted.is_set() else Failed(describe_io(exc), network=True)
        except Exception as exc:
            return Failed(describe(exc), network=False)
        finally:
            self._close()

    def _refresh(self, force: bool) -> Any:
        refresher = self.ex.credentials.refresher
        assert refresher is not None
        try:
            return Refreshed(refresher(force))
        except Exception as exc:
            return Refreshed(error=exc)


class SyncAssistantStream:
    """The blocking twin of :class:`~aiwire.AssistantStream`: iterate it for
    events, call :meth:`result` for the final message. :meth:`abort` may be
    called from another thread; it wakes a blocked read at once."""

    def __init__(self, call: PreparedCall, pool: Pool) -> None:
        self._run = _SyncRun(call, pool, emit=True)
        self._started = False

    @property
    def model(self) -> Model:
        return self._run.ex.call.model

    @property
    def message(self) -> AssistantMessage | None:
        result = self._run.ex.result
        return result if isinstance(result, AssistantMessage) else None

    @property
    def partial(self) -> AssistantMessage | None:
        return self._run.ex.partial

    def __iter__(self) -> Iterator[ev.Event]:
        if self._started:
            raise RuntimeError("a SyncAssistantStream can be iterated only once; use .result()")
        self._started = True
        return self._events()

    def _events(self) -> Iterator[ev.Event]:
        run = self._run
        try:
            for batch in run.batches():
                for event in batch:
                    yield event
                    if run.aborted.is_set() and not run.ex.finished:
                        run.ex.abort_now("aborted")
                        yield from_final(run.ex)
                        return
        finally:
            run.ex.abort_now("the consumer stopped reading the stream")
            run._close()

    def abort(self) -> None:
        """Cancel the request (thread-safe); a blocked read returns at once."""
        self._run.abort()

    def result(self) -> AssistantMessage:
        """The final message; runs the stream to its end first if iteration has not started."""
        if not self._started:
            for _ in self:
                pass
        msg = self.message
        if msg is None:
            raise RuntimeError("the stream is still being iterated; call result() after the loop ends")
        return msg

    def __enter__(self) -> SyncAssistantStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self._run.ex.abort_now("the stream's context manager exited before the end")
        self._run._close()


class AbortHandle:
    """Aborts blocking calls from another thread.

    Pass one as ``abort=`` to :func:`aiwire.complete_sync` (or
    :meth:`aiwire.Client.complete`); :meth:`abort`, from any thread, ends the
    call at once with ``stop_reason == "aborted"``, as
    :meth:`SyncAssistantStream.abort` does, waking a blocked read even while
    the call waits for the response head. One handle may serve several calls;
    once aborted, a call given it ends before it sends anything.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: set[_SyncRun] = set()
        self._aborted = False

    @property
    def aborted(self) -> bool:
        """Whether :meth:`abort` was called."""
        return self._aborted

    def abort(self) -> None:
        """End every call using this handle now, and any later call before it sends (thread-safe)."""
        with self._lock:
            self._aborted = True
            runs = list(self._runs)
        for run in runs:
            run.abort()

    def _attach(self, run: _SyncRun) -> None:
        with self._lock:
            self._runs.add(run)
            if self._aborted:
                run.aborted.set()

    def _detach(self, run: _SyncRun) -> None:
        with self._lock:
            self._runs.discard(run)


def _collect(run: _SyncRun, handle: AbortHandle | None = None) -> AssistantMessage | ImageResult | EmbeddingResult:
    if handle is not None:
        handle._attach(run)
    try:
        for _ in run.batches():
            pass
    finally:
        if handle is not None:
            handle._detach(run)
    result = run.ex.result
    assert result is not None
    return result


def scomplete(call: PreparedCall, pool: Pool, abort: AbortHandle | None = None) -> AssistantMessage:
    if abort is not None and not isinstance(abort, AbortHandle):
        raise BadOptionsError(f"abort must be an aiwire.AbortHandle, not {type(abort).__name__}")
    result = _collect(_SyncRun(call, pool, emit=False), abort)
    assert isinstance(result, AssistantMessage)
    return result


def sgenerate(call: PreparedCall, pool: Pool) -> ImageResult:
    result = _collect(_SyncRun(call, pool, emit=False))
    assert isinstance(result, ImageResult)
    return result
