"""Debug logging of requests and responses, on the ``aiwire.http`` logger.

Off by default. ``AIWIRE_LOG=debug`` (method, URL, status, timings, retry
decisions) or ``AIWIRE_LOG=trace`` (also headers and bodies) switches it on
and, if the ``aiwire`` logger has no handler, prints to stderr; or configure
the ``aiwire`` logger with :mod:`logging` (level :data:`TRACE` = 5 for
bodies). Every line names the call id that hooks see as ``call.call_id``.
Everything is redacted with the call's own secret masking first. Lines are
written once per request, response and call end, never per streamed event,
and each site checks the level before building anything.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from aiwire._wire.exchange import ResponseInfo

if TYPE_CHECKING:
    from aiwire._engine.exchange import Exchange
    from aiwire._wire.codec import Request
    from aiwire.types import AssistantMessage, EmbeddingResult, ImageResult

__all__ = ["TRACE", "FirstChunk", "configure_from_env", "http_log"]

TRACE = 5
logging.addLevelName(TRACE, "TRACE")
http_log = logging.getLogger("aiwire.http")
_DEBUG = logging.DEBUG
_LEVELS = {"trace": TRACE, "debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_BODY_LIMIT = 64 * 1024  # a trace line shows at most this much of a body
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie", "set-cookie"}
)


def configure_from_env() -> None:
    """Apply ``AIWIRE_LOG`` (``trace``, ``debug``, ``info``, ``warning``) to
    the ``aiwire`` logger, with a stderr handler unless it has one."""
    value = os.environ.get("AIWIRE_LOG", "").strip().lower()
    if not value:
        return
    level = _LEVELS.get(value)
    root = logging.getLogger("aiwire")
    if level is None:
        root.warning("AIWIRE_LOG=%r is not a level; use trace, debug, info or warning", value)
        return
    root.setLevel(level)
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root.addHandler(handler)


configure_from_env()


class FirstChunk:
    """Wraps a framer until its first framed event, notes the time on the
    call, then puts the real framer back: no cost after the first event."""

    __slots__ = ("exchange", "inner")

    def __init__(self, inner: Any, exchange: Exchange) -> None:
        self.inner = inner
        self.exchange = exchange

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = self.inner.feed(chunk)
        if out:
            self._arrived()
        return out

    def close(self) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = self.inner.close()
        if out:
            self._arrived()
        return out

    def _arrived(self) -> None:
        ex = self.exchange
        ex.call.first_chunk_at = time.time()
        ex.framer = self.inner


def _headers(ex: Exchange, headers: Any) -> str:
    secret = _SECRET_HEADERS | {k.lower() for k in ex.credentials.headers}
    parts = [f"{k}: {'***' if k.lower() in secret else v}" for k, v in headers.items()]
    return ex.redact("; ".join(parts))


def _body(ex: Exchange, body: bytes | None) -> str:
    if not body:
        return "(empty)"
    text = body[:_BODY_LIMIT].decode("utf-8", "replace")
    more = f" ... ({len(body)} bytes)" if len(body) > _BODY_LIMIT else ""
    return ex.redact(text) + more


def request(ex: Exchange, req: Request, body: bytes | None, attempt: int) -> None:
    """The request about to be sent (``attempt`` 0 is the first send)."""
    call = ex.call
    http_log.debug(
        "call %s: %s %s (%s %s, attempt %d)",
        call.call_id,
        req.method,
        ex.redact(req.url),
        call.kind,
        call.model.ref,
        attempt + 1,
        extra={"aiwire_call_id": call.call_id, "aiwire_attempt": attempt},
    )
    if http_log.isEnabledFor(TRACE):
        http_log.log(TRACE, "call %s: request headers: %s", call.call_id, _headers(ex, req.headers))
        http_log.log(TRACE, "call %s: request body: %s", call.call_id, _body(ex, body))


def response(ex: Exchange, info: ResponseInfo, sent_at: float) -> None:
    call = ex.call
    elapsed = time.time() - sent_at
    request_id = next(
        (info.headers[h] for h in ("request-id", "x-request-id", "openai-request-id") if h in info.headers), ""
    )
    http_log.debug(
        "call %s: HTTP %d in %.3fs%s",
        call.call_id,
        info.status,
        elapsed,
        f" (request id {request_id})" if request_id else "",
        extra={"aiwire_call_id": call.call_id, "aiwire_status": info.status, "aiwire_elapsed": elapsed},
    )
    if http_log.isEnabledFor(TRACE):
        http_log.log(TRACE, "call %s: response headers: %s", call.call_id, _headers(ex, info.headers))


def body(ex: Exchange, data: bytes) -> None:
    """A whole response body (an error, or a reply that is not streamed): trace only."""
    if http_log.isEnabledFor(TRACE):
        http_log.log(TRACE, "call %s: response body: %s", ex.call.call_id, _body(ex, data))


def end(ex: Exchange, result: AssistantMessage | ImageResult | EmbeddingResult) -> None:
    call = ex.call
    total = time.time() - call.started_at
    first = call.first_chunk_at
    ttfc = f", first event after {first - call.started_at:.3f}s" if first is not None else ""
    usage = result.usage
    tokens = f", {usage.input} in / {usage.output} out tokens" if usage is not None else ""
    error = f": {result.error_message}" if result.error_message else ""  # already redacted
    http_log.debug(
        "call %s: ended %s after %.3fs%s%s%s",
        call.call_id,
        result.stop_reason,
        total,
        ttfc,
        tokens,
        error,
        extra={"aiwire_call_id": call.call_id, "aiwire_stop_reason": result.stop_reason, "aiwire_duration": total},
    )
