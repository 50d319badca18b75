"""When to retry and how long to wait. Pure functions; the drivers sleep."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping

__all__ = ["RETRY_STATUSES", "backoff", "retry_after", "should_retry_status"]

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
    ``Retry-After`` (seconds or an HTTP date); ``None`` if absent or unreadable."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    wait: float = when.timestamp() - time.time()
    return max(0.0, wait)


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: 0.5 s doubling to 8 s, minus up to 25%."""
    delay: float = min(BASE_DELAY * (2**attempt), MAX_BACKOFF)
    return delay * (1 - 0.25 * random.random())
