"""When to retry and how long to wait. Pure functions; the drivers sleep.

The core is the only retry owner: codecs never retry and plugins must not
wrap their own. Defaults follow the official SDKs: 2 retries, backoff from
0.5 s doubling to 8 s with jitter, on connection errors, timeouts before any
content, 408, 409, 429 and 5xx, honouring ``retry-after-ms``, ``Retry-After``
(seconds or an HTTP date) and the ``x-should-retry`` hint.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

__all__ = ["RETRY_STATUSES", "backoff", "decide", "retry_after", "should_retry_status"]

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
BASE_DELAY = 0.5
MAX_BACKOFF = 8.0


def should_retry_status(status: int, headers: Mapping[str, str]) -> bool:
    """Retry 408, 409, 429 and 5xx unless the server says otherwise."""
    hint = headers.get("x-should-retry")
    if hint == "true":
        return True
    if hint == "false":
        return False
    return status in RETRY_STATUSES or status >= 500


def retry_after(headers: Mapping[str, str]) -> float | None:
    """The server's requested delay in seconds, from ``retry-after-ms`` or
    ``Retry-After`` (seconds or an HTTP date); ``None`` if absent or unreadable
    (``Retry-After: soon`` is ignored, not an error)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            value = float(ms) / 1000
        except ValueError:
            pass
        else:
            if value == value and value != float("inf"):  # not NaN or infinite
                return max(0.0, value)
    value_s = headers.get("retry-after")
    if not value_s:
        return None
    try:
        seconds = float(value_s)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None
    try:
        import email.utils  # only for an HTTP-date Retry-After: ~5 ms of imports, off the cold path

        when = email.utils.parsedate_to_datetime(value_s)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # RFC 7231 dates are GMT
        import datetime

        when = when.replace(tzinfo=datetime.timezone.utc)
    wait: float = when.timestamp() - time.time()
    return max(0.0, wait)


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: 0.5 s doubling to 8 s, minus up to 25%."""
    delay: float = min(BASE_DELAY * (2 ** min(attempt, 16)), MAX_BACKOFF)
    return delay * (1 - 0.25 * _jitter())


def _jitter() -> float:
    import random  # imported by the first backoff, never by the first request

    return random.random()


def decide(
    attempt: int,
    max_retries: int,
    max_delay: float,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[float | None, str | None]:
    """Whether to retry after failed attempt number ``attempt`` (0-based).

    ``status`` is ``None`` for a failure without a response (connection
    error, timeout before any content). Returns ``(delay, note)``: the seconds
    to wait, or ``None`` to give up, and a note for the error message when
    giving up was a decision worth explaining.
    """
    headers = headers or {}
    if status is not None and not should_retry_status(status, headers):
        return None, None
    if attempt >= max_retries:
        return None, f"gave up after {attempt + 1} attempts" if max_retries > 0 else None
    asked = retry_after(headers) if status is not None else None
    if asked is None:
        return backoff(attempt), None
    if asked > max_delay:
        return None, (
            f"the server asked to retry after {asked:.6g} s, more than max_retry_delay={max_delay:g} s, "
            "so aiwire did not wait"
        )
    return asked, None
