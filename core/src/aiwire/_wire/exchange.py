"""What request hooks see: the call they belong to, and a response's head.

No httpx type crosses the hook boundary: :class:`ResponseInfo` is the status
line and headers of a response, copied once per attempt (never per event).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal, final

from aiwire._wire.headers import Headers

if TYPE_CHECKING:
    from aiwire._wire.codec import Credentials, Options, Request
    from aiwire.types import Context, Model

__all__ = ["AgentRunContext", "RequestContext", "ResponseInfo", "current_parent"]

current_parent: ContextVar[str] = ContextVar("aiwire_current_parent", default="")
"""The id of the agent run whose turn is making calls (set by the agent loop
around each turn's call); copied into :attr:`RequestContext.parent_id`."""


@final
class RequestContext:
    """One attempt of one call, as request hooks see it.

    ``model`` (after credentials may have moved its base URL), ``options``,
    ``credentials`` (a login's extra data is in ``credentials.extra``),
    ``attempt`` (0 for the first send, 1 for the first retry...), ``stream``
    (whether the response is read as a stream) and ``request`` (the request
    about to be sent; hooks may edit it in place or return a replacement).
    ``call_id`` is the same for every hook and attempt of one call. ``kind``
    is what the caller asked for (``stream``, ``complete``, ``images`` or ``embeddings``),
    ``started_at`` the call's start and ``first_chunk_at`` when the first
    framed event of the response arrived (``time.time()`` seconds; ``None``
    until then, and for replies that are not streamed). ``parent_id`` is the
    ``run_id`` of the agent run making the call (``""`` outside agents).
    ``context`` is the conversation as sent (after handoff to this model;
    for an image generation, the prompt), or ``None`` when not known.
    """

    __slots__ = (
        "attempt",
        "call_id",
        "context",
        "credentials",
        "first_chunk_at",
        "kind",
        "model",
        "options",
        "parent_id",
        "request",
        "started_at",
        "stream",
    )

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
        kind: Literal["stream", "complete", "images", "embeddings"] = "stream",
        started_at: float = 0.0,
        first_chunk_at: float | None = None,
        parent_id: str = "",
        context: Context | None = None,
    ) -> None:
        self.model = model
        self.options = options
        self.credentials = credentials
        self.request = request
        self.attempt = attempt
        self.stream = stream
        self.call_id = call_id
        self.kind = kind
        self.started_at = started_at
        self.first_chunk_at = first_chunk_at
        self.parent_id = parent_id
        self.context = context

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


@final
class AgentRunContext:
    """One run of an agent, as the agent hooks see it: ``run_id`` (also the
    ``parent_id`` of the calls its turns make), the ``model`` it started
    with, its ``system_prompt`` and ``tools`` (names), and ``started_at``
    (``time.time()`` seconds)."""

    __slots__ = ("model", "run_id", "started_at", "system_prompt", "tools")

    def __init__(
        self,
        run_id: str,
        model: Model,
        *,
        system_prompt: str = "",
        tools: tuple[str, ...] = (),
        started_at: float = 0.0,
    ) -> None:
        self.run_id = run_id
        self.model = model
        self.system_prompt = system_prompt
        self.tools = tools
        self.started_at = started_at

    def __repr__(self) -> str:
        return f"AgentRunContext({self.run_id!r}, {self.model.provider}/{self.model.id})"
