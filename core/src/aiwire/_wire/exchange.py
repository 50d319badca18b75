"""What request hooks see: the call they belong to, and a response's head.

No httpx type crosses the hook boundary: :class:`ResponseInfo` is the status
line and headers of a response, copied once per attempt (never per event).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, final

from aiwire._wire.headers import Headers

if TYPE_CHECKING:
    from aiwire._wire.codec import Credentials, Options, Request
    from aiwire.types import Model

__all__ = ["RequestContext", "ResponseInfo"]


@final
class RequestContext:
    """One attempt of one call, as request hooks see it.

    ``model`` (after credentials may have moved its base URL), ``options``,
    ``credentials`` (a login's extra data is in ``credentials.extra``),
    ``attempt`` (0 for the first send, 1 for the first retry...), ``stream``
    (whether the response is read as a stream) and ``request`` (the request
    about to be sent; hooks may edit it in place or return a replacement).
    ``call_id`` is the same for every hook and attempt of one call.
    """

    __slots__ = ("attempt", "call_id", "credentials", "model", "options", "request", "stream")

    def __init__(
        self,
        model: Model,
        options: Options,
        credentials: Credentials,
        request: Request,
        *,
        attempt: int = 0,
        stream: bool = True,
        call_id: str = "",
    ) -> None:
        self.model = model
        self.options = options
        self.credentials = credentials
        self.request = request
        self.attempt = attempt
        self.stream = stream
        self.call_id = call_id

    def __repr__(self) -> str:
        return (
            f"RequestContext({self.model.provider}/{self.model.id}, attempt={self.attempt}, "
            f"stream={self.stream}, call_id={self.call_id!r})"
        )


@final
class ResponseInfo:
    """The head of an HTTP response: ``status``, ``headers`` (case-insensitive)
    and the ``url`` it came from. ``repr`` leaves the header values out."""

    __slots__ = ("headers", "status", "url")

    def __init__(self, status: int, headers: Any = None, url: str = "") -> None:
        self.status = status
        self.headers = headers if isinstance(headers, Headers) else Headers(headers or {})
        self.url = url

    @property
    def status_code(self) -> int:
        """Alias of ``status`` (the httpx spelling)."""
        return self.status

    def __repr__(self) -> str:
        return f"ResponseInfo({self.status}, {self.url!r})"
