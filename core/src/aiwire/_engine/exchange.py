"""The exchange engine: every decision of one call, with no I/O.

An :class:`Exchange` is driven the way httpx drives an ``Auth.auth_flow``:
:meth:`Exchange.flow` is a generator that yields what to do next (an
*action*: send a request, read or stream the body, sleep, refresh the
credentials) and receives what happened (an *outcome*: a response head, a
body, the end of the stream, a network failure, a stall, an abort). The
drivers in :mod:`aiwire._io` only do that I/O, the timers and cancellation;
the body's chunks go straight to :meth:`Exchange.feed`, the hot path.

The rules, in one place:

- retries happen before any content reached the caller, never after: on a
  network failure, a stall, a retryable status (:mod:`aiwire._engine.retry`);
- a 401 from a login whose token can be refreshed refreshes it once and
  sends again, without counting as a retry;
- a stream's first event is ``start``, sent once a response is accepted (2xx)
  or together with the error when no attempt got that far; its last is one
  ``done`` or ``error``;
- after setup every failure is a result (an error message, error event or
  error image result) in every entry point; error texts are worded here and
  credentials are masked out of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any

from aiwire import events as ev
from aiwire._engine import observe
from aiwire._engine.retry import decide
from aiwire._wire.codec import Credentials, Request, StreamDecoder, generic_error_info
from aiwire._wire.exchange import ResponseInfo
from aiwire.types import AssistantMessage, EmbeddingResult, ImageResult

if TYPE_CHECKING:
    from aiwire._engine.call import PreparedCall

__all__ = [
    "Aborted",
    "Body",
    "Ended",
    "Exchange",
    "Failed",
    "Read",
    "Refresh",
    "Refreshed",
    "Responded",
    "Send",
    "Sleep",
    "Stalled",
    "Stream",
    "describe",
]

log = logging.getLogger("aiwire")
_http_log = observe.http_log
_DEBUG = logging.DEBUG


# -- actions: what the driver does next -------------------------------------------


class Send:
    """Send ``request`` (``body`` already encoded) and report the response head.
    ``idle`` bounds the wait for the head, ``timeout`` every socket read."""

    __slots__ = ("attempt", "body", "idle", "request", "timeout")

    def __init__(
        self, request: Request, body: bytes | None, attempt: int, timeout: float | None, idle: float | None
    ) -> None:
        self.request = request
        self.body = body
        self.attempt = attempt
        self.timeout = timeout
        self.idle = idle


class Read:
    """Read the whole body of the current response and report it."""

    __slots__ = ()


class Stream:
    """Feed the body's chunks to :meth:`Exchange.feed` until it is finished,
    the body ends, or the wait for the next event exceeds ``idle``."""

    __slots__ = ("idle",)

    def __init__(self, idle: float | None) -> None:
        self.idle = idle


class Sleep:
    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Refresh:
    """Run ``Exchange.refresher(force)`` (it may block: async drivers run it in
    a worker thread) and report the new credentials."""

    __slots__ = ("force",)

    def __init__(self, force: bool) -> None:
        self.force = force


Action = Send | Read | Stream | Sleep | Refresh


# -- outcomes: what happened ----------------------------------------------------------


class Responded:
    __slots__ = ("info",)

    def __init__(self, info: ResponseInfo) -> None:
        self.info = info


class Body:
    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class Ended:
    """The body ended (or the decoder said the turn is complete)."""

    __slots__ = ()


class Failed:
    """A failure in the I/O layer, described by the driver (``"ReadError:
    Connection reset by peer"``). ``network`` failures (connection, protocol,
    timeout) may be retried; anything else a custom transport raised ends the
    call."""

    __slots__ = ("description", "network")

    def __init__(self, description: str, *, network: bool) -> None:
        self.description = description
        self.network = network


class Stalled:
    __slots__ = ()


class Aborted:
    """``sent``: whether the request had left when the abort came."""

    __slots__ = ("sent",)

    def __init__(self, sent: bool = True) -> None:
        self.sent = sent


class Refreshed:
    __slots__ = ("credentials", "error")

    def __init__(self, credentials: Credentials | None = None, error: BaseException | None = None) -> None:
        self.credentials = credentials
        self.error = error


Outcome = Responded | Body | Ended | Failed | Stalled | Aborted | Refreshed | None

_READ = Read()


def describe(exc: BaseException) -> str:
    kind = type(exc).__name__
    text = str(exc)
    return f"{kind}: {text}" if text else kind


def _with_note(text: str, note: str | None) -> str:
    return f"{text} ({note})" if note else text


class Exchange:
    """One call's state. Drivers run :meth:`flow` and read ``result``.

    ``emit``: whether events are wanted (a stream) or only the result.
    """

    __slots__ = (
        "attempt",
        "call",
        "content",
        "credentials",
        "decoder",
        "emit",
        "events",
        "framer",
        "head",
        "prefix",
        "request",
        "result",
        "sent_at",
        "started",
    )

    def __init__(self, call: PreparedCall, *, emit: bool = True) -> None:
        self.call = call
        self.emit = emit
        self.events: list[ev.Event] = []
        self.request: Request = call.request
        self.credentials: Credentials = call.credentials
        self.decoder: StreamDecoder | None = None
        self.framer: Any = None
        self.result: AssistantMessage | ImageResult | EmbeddingResult | None = None
        self.head: ResponseInfo | None = None  # the accepted response's head
        self.prefix = b""  # the body's first bytes while nothing was decoded (for a body that is no stream)
        self.attempt = 0
        self.content = False  # events of the current turn reached the caller: never retried
        self.started = False
        self.sent_at = 0.0

    # -- the hot path ------------------------------------------------------------

    def feed(self, chunk: bytes) -> list[ev.Event]:
        """Decode one network read; the events it produced (often none)."""
        dec = self.decoder
        assert dec is not None
        if not self.content and len(self.prefix) < _PREFIX:
            self.prefix += chunk[:_PREFIX]
        try:
            feed = dec.feed  # bound once per read, not once per event
            for name, data in self.framer.feed(chunk):
                feed(name, data)
                if dec.terminated:
                    break
        except Exception as exc:  # a codec must never crash the caller
            dec.fail(f"could not decode the {self.call.codec.api} stream: {describe(exc)}")
        out = dec.events
        if out:
            dec.events = []
            self.content = True
            if dec.terminated:
                self._finalize(dec.message)
        return out

    @property
    def finished(self) -> bool:
        return self.result is not None

    def drain(self) -> list[ev.Event]:
        """Events the engine produced outside :meth:`feed` (start, errors)."""
        out = self.events
        if out:
            self.events = []
        return out

    @property
    def partial(self) -> AssistantMessage | None:
        dec = self.decoder
        return None if dec is None else dec.snapshot()

    # -- the control flow ------------------------------------------------------------

    def flow(self) -> Generator[Action, Outcome, None]:
        call = self.call
        opts = call.options
        stream = call.wire_stream
        idle = opts.idle_timeout if stream else None
        refreshed = False
        refresher = self.credentials.refresher
        if refresher is not None and self.credentials.stale:
            got = yield Refresh(False)
            if not self._refreshed(got, 0):
                return
            refreshed = True
        built = self.attempt  # the attempt the request was built for
        while True:
            if built != self.attempt and self.credentials.per_attempt:
                built = self.attempt  # a signed request is signed again for each attempt
                if not self._rebuilt():
                    return
            req = self.request
            body = call.encode(req)
            self.sent_at = time.time()
            if _http_log.isEnabledFor(_DEBUG):
                observe.request(self, req, body, self.attempt)
            outcome = yield Send(req, body, self.attempt, opts.timeout, idle)
            reason: str
            if isinstance(outcome, Responded):
                info = outcome.info
                if _http_log.isEnabledFor(_DEBUG):
                    observe.response(self, info, self.sent_at)
                try:
                    self._observe(info)
                except Exception as exc:
                    self._fail(f"an on_response observer failed: {describe(exc)}")
                    return
                status = info.status
                self.head = info
                self.prefix = b""
                if status >= 400:
                    got = yield _READ
                    if isinstance(got, Aborted):
                        self._fail("aborted", aborted=True)
                        return
                    if isinstance(got, Body) and _http_log.isEnabledFor(_DEBUG):
                        observe.body(self, got.data)
                    if not isinstance(got, Body):
                        reason = f"reading the error response failed: {self._why(got)}"
                    elif status == 401 and not refreshed and self.credentials.refresher is not None:
                        refreshed = True
                        log.info("call %s: %s answered 401; refreshing the login once", call.call_id, call.model.ref)
                        if not self._refreshed((yield Refresh(True)), self.attempt):
                            return
                        continue
                    else:
                        delay, note = decide(self.attempt, opts.max_retries, opts.max_retry_delay, status, info.headers)
                        if delay is None:
                            self._http_error(status, info.headers, got.data, note)
                            return
                        self._announce(delay, f"HTTP {status}")
                        if isinstance((yield Sleep(delay)), Aborted):
                            self._fail("aborted while waiting to retry", aborted=True)
                            return
                        continue
                elif stream:
                    self._start_decoding()
                    got = yield Stream(idle)
                    if isinstance(got, Ended):
                        self._eof()
                        return
                    if isinstance(got, Aborted):
                        self._fail("aborted", aborted=True)
                        return
                    reason = self._why(got, mid_stream=True)
                    if self.content:
                        self._fail(reason)
                        return
                else:
                    got = yield _READ
                    if isinstance(got, Body):
                        if _http_log.isEnabledFor(_DEBUG):
                            observe.body(self, got.data)
                        self._parse(got.data)
                        return
                    if isinstance(got, Aborted):
                        self._fail("aborted", aborted=True)
                        return
                    reason = self._why(got)
                    if isinstance(got, Failed) and not got.network:  # as on send: not the network's fault
                        self._fail(reason)
                        return
            elif isinstance(outcome, Aborted):
                why = "aborted before a response arrived" if outcome.sent else "aborted before the request was sent"
                self._fail(why, aborted=True)
                return
            elif isinstance(outcome, Failed) and not outcome.network:
                self._fail(f"request to {req.url} failed: {outcome.description}")
                return
            else:
                reason = self._why(outcome, url=req.url)
            # A failure before any content: retry, or give up with the reason.
            delay, note = decide(self.attempt, opts.max_retries, opts.max_retry_delay)
            if delay is None:
                self._fail(_with_note(reason, note))
                return
            self._announce(delay, reason)
            if isinstance((yield Sleep(delay)), Aborted):
                self._fail("aborted while waiting to retry", aborted=True)
                return

    def abort_now(self, why: str = "aborted") -> None:
        """End the call as aborted from outside the flow (the consumer left),
        unless it has ended; the events nobody will read are dropped."""
        if self.result is None:
            self._fail(why, aborted=True)
            self.drain()

    # -- steps ------------------------------------------------------------------------

    def _why(self, outcome: Outcome, *, url: str | None = None, mid_stream: bool = False) -> str:
        if isinstance(outcome, Stalled):
            c = self.call
            return (
                f"the stream stalled: no event from {c.model.provider} for {c.options.idle_timeout:g} s "
                "(idle_timeout; keep-alive pings do not count)"
            )
        desc = outcome.description if isinstance(outcome, Failed) else type(outcome).__name__
        if mid_stream:
            return f"the connection failed mid-stream: {desc}"
        if url is not None:
            return f"request to {url} failed: {desc}"
        return desc

    def _refreshed(self, got: Outcome, attempt: int) -> bool:
        if isinstance(got, Refreshed) and got.credentials is not None:
            self.credentials = got.credentials
            try:
                self.request = self.call.build(got.credentials, attempt)
            except Exception as exc:
                self._fail(f"could not build the request after refreshing the login: {describe(exc)}")
                return False
            return True
        if isinstance(got, Aborted):
            self._fail("aborted while refreshing the login", aborted=True)
            return False
        error = got.error if isinstance(got, Refreshed) else None
        why = (str(error) or describe(error)) if error is not None else ""
        self._fail(why or "the login could not be refreshed")
        return False

    def _rebuilt(self) -> bool:
        try:
            self.request = self.call.build(self.credentials, self.attempt)
        except Exception as exc:
            self._fail(f"could not build the request for attempt {self.attempt + 1}: {describe(exc)}")
            return False
        return True

    def _observe(self, info: ResponseInfo) -> None:
        call = self.call
        if call.options.on_response is not None:
            call.options.on_response(call.model, info)
        # Plugin observers never fail a call (the registry logs them by name).
        call.registry.run_on_response(call.context_for(self.request, self.credentials, self.attempt), info)

    def _announce(self, delay: float, reason: str) -> None:
        self.attempt += 1
        reason = self.redact(reason)  # it names the URL, which may carry the key (?key=)
        call = self.call
        opts = call.options
        log.info(
            "call %s: retrying %s (attempt %d of %d) in %.2fs: %s",
            call.call_id,
            call.model.ref,
            self.attempt + 1,
            opts.max_retries + 1,
            delay,
            reason,
            extra={
                "aiwire_call_id": call.call_id,
                "aiwire_attempt": self.attempt,
                "aiwire_delay": delay,
                "aiwire_reason": reason,
            },
        )
        if opts.on_retry is not None:
            try:
                opts.on_retry(self.attempt, delay, reason)
            except Exception:
                log.exception("on_retry callback failed")

    def _start(self, message: AssistantMessage) -> None:
        if self.emit and not self.started:
            self.started = True
            self.events.append(ev.Start(message=message))

    def _start_decoding(self) -> None:
        call = self.call
        try:
            self.decoder = call.decoder()
            self.framer = call.framer()
        except Exception as exc:  # a broken codec still ends in one error event
            self.decoder = StreamDecoder(call.model, call.options)
            self._start(self.decoder.message)
            self._fail(f"the {call.codec.api} codec could not start decoding: {describe(exc)}")
            self.framer = _NoFramer()
            return
        self.framer = observe.FirstChunk(self.framer, self)  # notes the time, then steps aside
        self._start(self.decoder.message)

    def _eof(self) -> None:
        dec = self.decoder
        assert dec is not None
        if not dec.terminated and not self.content and self._not_a_stream():
            return
        if not dec.terminated:
            try:
                for name, data in self.framer.close():
                    if dec.terminated:
                        break
                    dec.feed(name, data)
                dec.end_of_stream()
            except Exception as exc:
                dec.fail(f"could not decode the {self.call.codec.api} stream: {describe(exc)}")
        self._collect()

    def _content_type(self) -> str:
        head = self.head
        ctype = head.headers.get("content-type", "") if head is not None else ""
        return ctype.partition(";")[0].strip().lower()

    def _not_a_stream(self) -> bool:
        """A 2xx body that ended with nothing decoded and was not labelled an
        event stream (a JSON error, an HTML page from a proxy): fail with the
        content type and the server's own words instead of "ended early"."""
        ctype = self._content_type()
        if not self.prefix.strip() or ctype in _STREAM_TYPES:
            return False
        api = self.call.codec.api
        message, error_type = _excerpt(self.prefix)
        status = self.head.status if self.head is not None else None
        self._fail(
            f"expected an event stream from the {api} api but got {ctype or 'a body without a content type'}: {message}",
            status=status,
            error_type=error_type,
        )
        return True

    def _collect(self) -> None:
        dec = self.decoder
        assert dec is not None
        if dec.events:
            self.events += dec.events
            dec.events = []
        if dec.terminated and self.result is None:
            self._finalize(dec.message)

    def _parse(self, body: bytes) -> None:
        call = self.call
        try:
            if call.kind == "images":
                codec: Any = call.codec
                result: Any = codec.parse_image_response(call.model, call.image_options, body)
            elif call.kind == "embeddings":
                result = embedding_result(call, body)
            else:
                result = call.codec.parse_response(call.model, call.options, body)
        except Exception as exc:  # a codec must never crash the caller
            ctype = self._content_type() or "no content type"
            message, error_type = _excerpt(body)
            self._fail(
                f"could not decode the {call.model.api} response ({ctype}): {describe(exc)}; the body: {message}",
                status=self.head.status if self.head is not None else None,
                error_type=error_type,
            )
            return
        self._finalize(result)

    def _http_error(self, status: int, headers: Mapping[str, str], body: bytes, note: str | None) -> None:
        codec = self.call.codec
        try:
            info = codec.parse_error(status, headers, body)
        except Exception as exc:
            info = generic_error_info(status, body)
            log.warning("%s codec could not parse an error body: %s", codec.api, exc)
        message = info.message
        if status == 401:
            message = f"{message}; {self._auth_hint()}"
        elif status in (404, 405):  # most often a wrong base URL: say where the request went
            message = f"{message} (HTTP {status} from {self.request.url}; check the base URL)"
        self._fail(_with_note(message, note), status=status, error_type=info.type)

    def _auth_hint(self) -> str:
        """Where this call's key came from, worded for a 401: the provider's
        own variables, not a vendor's."""
        call = self.call
        cred = self.credentials
        spec = call.spec
        if cred.source.startswith("$"):
            return f"check {cred.source}"
        if cred.source == "api_key option":
            return "check the api_key option"
        if cred.source.startswith("aiwire keys"):
            return f"check the stored key (replace it with `{cred.source}`)"
        login = spec.login if spec is not None else None
        if cred.kind == "oauth":
            return f"log in again with `aiwire login {login}`" if login else "log in again"
        where = " or ".join(f"${v}" for v in spec.env) if spec is not None else ""
        if where and login:
            return f"check {where}, or log in with `aiwire login {login}`"
        return f"check {where}" if where else "check the api_key option"

    def _fail(
        self, message: str, *, status: int | None = None, error_type: str | None = None, aborted: bool = False
    ) -> None:
        """End the call with an error (or abort), keeping what arrived."""
        if self.result is not None:
            return
        call = self.call
        if call.kind in ("images", "embeddings"):
            m = call.model
            self._finalize(
                (ImageResult if call.kind == "images" else EmbeddingResult)(
                    api=m.api,
                    provider=m.provider,
                    model=m.id,
                    stop_reason="aborted" if aborted else "error",
                    error_message=message,
                    error_status=status,
                    error_type=error_type,
                )
            )
            return
        dec = self.decoder
        if dec is None:
            dec = self.decoder = StreamDecoder(call.model, call.options)
        self._start(dec.message)
        dec.fail(message, status=status, error_type=error_type, aborted=aborted)
        self._collect()

    def _finalize(self, result: AssistantMessage | ImageResult | EmbeddingResult) -> None:
        """Mask credentials out of the error text, tell the observers, keep the result."""
        if result.error_message:
            result.error_message = self.redact(result.error_message)
        self.result = result
        call = self.call
        if _http_log.isEnabledFor(_DEBUG):
            observe.end(self, result)
        ctx = call.context_for(self.request, self.credentials, self.attempt)
        if isinstance(result, ImageResult):
            call.registry.run_on_images_end(ctx, result)
        elif isinstance(result, EmbeddingResult):
            call.registry.run_on_embeddings_end(ctx, result)
        else:
            call.registry.run_on_message_end(ctx, result)

    def redact(self, text: str) -> str:
        """``text`` with every credential of this call replaced by ``***``."""
        for secret in self.call.secrets(self.request):
            if secret in text:
                text = text.replace(secret, "***")
        cred = self.credentials
        if cred is not self.call.credentials and cred.api_key and cred.api_key in text:
            text = text.replace(cred.api_key, "***")
        return text


_STREAM_TYPES = frozenset({"text/event-stream", "application/vnd.amazon.eventstream"})
_PREFIX = 4096  # how much of a body that is not a stream is kept to say what it was
_EXCERPT = 500


def _excerpt(body: bytes) -> tuple[str, str | None]:
    """The server's message in a body that is not what was expected: the
    ``error.message`` of a JSON error, else the first characters as text."""
    info = generic_error_info(200, body)
    text = " ".join(info.message.split())
    return (text[:_EXCERPT] + "…" if len(text) > _EXCERPT else text) or "an empty body", info.type


def embedding_result(call: PreparedCall, body: bytes) -> EmbeddingResult:
    """One batch's response as a result; a codec that returns the wrong number
    of vectors is a decode failure, never a silent misalignment."""
    codec: Any = call.codec
    inputs = call.inputs or []
    batch = codec.parse_embedding_response(call.model, call.embedding_options, body, len(inputs))
    if len(batch.vectors) != len(inputs):
        raise ValueError(f"{len(inputs)} inputs were sent but {len(batch.vectors)} vectors came back")
    m = call.model
    return EmbeddingResult(
        vectors=batch.vectors,
        dimensions=len(batch.vectors[0]) if batch.vectors else 0,
        api=m.api,
        provider=m.provider,
        model=m.id,
        usage=batch.usage,
        requests=1,
        provider_data=batch.provider_data,
    )


class _NoFramer:
    """Framer of a stream whose decoder could not start: reads nothing."""

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        return []

    def close(self) -> list[tuple[str, bytes]]:
        return []
