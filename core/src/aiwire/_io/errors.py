"""The network errors of aiwire's own transport, named as httpx names them.

A failure reads the same whichever transport met it ("ConnectError:
Connection refused", "ReadTimeout: timed out"): the drivers word it from the
class name and the operating system's error underneath. httpx is not
imported for them, so the default path never pays its import.
"""

from __future__ import annotations

import sys

__all__ = [
    "ConnectError",
    "ConnectTimeout",
    "ProxyError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "TimeoutException",
    "TransportError",
    "UnsupportedProtocol",
    "WriteError",
    "is_timeout",
    "net_errors",
]


class TransportError(Exception):
    """A network failure: connecting, sending, or reading the response."""


class TimeoutException(TransportError):
    """A connect or read timed out."""


class ConnectTimeout(TimeoutException):
    """No connection within the connect timeout."""


class ReadTimeout(TimeoutException):
    """No bytes from the server within the read timeout."""


class ConnectError(TransportError):
    """The connection could not be made (refused, unreachable, TLS handshake)."""


class ProxyError(TransportError):
    """The proxy refused or broke the tunnel."""


class ReadError(TransportError):
    """Reading the response failed (e.g. the connection was reset)."""


class WriteError(TransportError):
    """Sending the request failed."""


class RemoteProtocolError(TransportError):
    """The server broke HTTP/1.1 (closed early, malformed head or body)."""


class UnsupportedProtocol(TransportError):
    """The URL's scheme is not http or https."""


def net_errors() -> tuple[type[BaseException], ...]:
    """The exception types that mean a network failure on any transport
    (httpx's only when httpx is loaded: nothing else can raise them)."""
    httpx = sys.modules.get("httpx")
    if httpx is None:
        return (TransportError,)
    return (TransportError, httpx.TransportError, httpx.TimeoutException, httpx.StreamError)


def is_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` is a connect or read timeout of any transport."""
    if isinstance(exc, TimeoutException):
        return True
    httpx = sys.modules.get("httpx")
    return httpx is not None and isinstance(exc, httpx.TimeoutException)
