"""The codec contract: what a provider plugin implements.

A codec turns ``(Model, Context, Options, Credentials)`` into a
:class:`Request`, and a :class:`StreamDecoder` turns the response's framed
events into aiwire events. Codecs do no I/O, no sleeping and no retries; the
core owns credentials, HTTP, SSE framing, retries, timeouts, cancellation,
hooks, cost and the guarantee of exactly one terminal event.

A minimal decoder::

    class MyDecoder(StreamDecoder):
        def feed(self, event: str, data: bytes) -> None:
            chunk = msgspec.json.decode(data)
            if chunk["type"] == "text":
                if self.text_index is None:
                    self.text_index = self.open_text()
                self.add_text(self.text_index, chunk["delta"])
            elif chunk["type"] == "end":
                self.finish("stop")

Block helpers keep the partial message and emit the events; ``finish`` and
``fail`` end it. Whatever a decoder leaves open is closed by the core.
"""

from __future__ import annotations

import binascii
import re
import sys
from array import array
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, ClassVar, Generic, Literal, Protocol, TypeVar, final

import msgspec

from aiwire import events as ev
from aiwire._wire.cost import compute_cost
from aiwire._wire.headers import Headers
from aiwire._wire.partial_json import PartialJSON, parse_arguments
from aiwire.types import (
    AssistantContent,
    AssistantMessage,
    Context,
    ImageContent,
    ImageResult,
    Model,
    ProviderContent,
    ReasoningLevel,
    TextContent,
    ThinkingContent,
    ToolCall,
    Usage,
    UserMessage,
)

__all__ = [
    "API_VERSION",
    "BaseCodec",
    "Codec",
    "Credentials",
    "EMBEDDING_OPTIONS",
    "EmbeddingBatch",
    "EmbeddingCodec",
    "EmbeddingOptions",
    "ErrorInfo",
    "Framer",
    "IMAGE_OPTIONS",
    "ImageCodec",
    "ImageOptions",
    "InputType",
    "OptionValues",
    "Options",
    "Request",
    "SUPPORTED_API_VERSIONS",
    "StreamDecoder",
    "WrappedDecoder",
    "image_prompt",
    "make_usage",
    "normalize_tool_call_id",
    "vector_from_base64",
    "vector_from_floats",
]

API_VERSION = 2
"""The newest plugin API version this core implements (see docs/plugins.md)."""

SUPPORTED_API_VERSIONS: tuple[int, ...] = (2,)
"""Every plugin API version this core loads plugins for, oldest first. When
the API moves on, the previous version stays here for one minor line where
the core can still honour it."""

CacheRetention = Literal["none", "short", "long"]
TransportName = Literal["asyncio", "httpx", "aiohttp"]
TRANSPORTS: tuple[TransportName, ...] = ("asyncio", "httpx", "aiohttp")
"""The transports a call's ``transport`` option may name (see :mod:`aiwire._io.transport`)."""


class Request(msgspec.Struct, kw_only=True):
    """An HTTP request description. ``json`` is encoded by the core."""

    url: str
    method: str = "POST"
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    json: Any = None
    content: bytes | None = None

    def __post_init__(self) -> None:
        # One entry per header name, whatever its spelling (see Headers).
        if not isinstance(self.headers, Headers):
            self.headers = Headers(self.headers)

    def __repr__(self) -> str:
        # Headers carry credentials; show their names only.
        return f"Request({self.method} {self.url}, headers={sorted(self.headers)})"


@final
class Credentials:
    """What a request needs to authenticate. ``repr`` never shows secrets.

    ``kind`` is ``api_key`` for vendor keys, ``oauth`` for subscription
    access tokens (codecs may need other headers for those), ``none`` for
    hosts that need nothing (local servers). A login's credentials carry a
    ``refresher(force) -> Credentials`` (it may block; the async driver runs
    it in a worker thread) and ``stale`` when the token is due for refresh.
    ``per_attempt`` asks the core to rebuild the request, and so run the
    ``prepare_request`` hooks again, for every attempt: for signatures that
    carry a timestamp (AWS SigV4), which a retry must not resend stale.
    """

    __slots__ = ("api_key", "base_url", "extra", "headers", "kind", "per_attempt", "refresher", "source", "stale")

    def __init__(
        self,
        api_key: str | None = None,
        *,
        kind: Literal["api_key", "oauth", "none"] = "api_key",
        headers: Mapping[str, str] | None = None,
        base_url: str | None = None,
        extra: Mapping[str, Any] | None = None,
        source: str = "",
        refresher: Callable[[bool], Credentials] | None = None,
        stale: bool = False,
        per_attempt: bool = False,
    ) -> None:
        self.api_key = api_key
        self.kind = kind if api_key or kind == "none" else "none"
        self.headers = Headers(headers or {})
        self.base_url = base_url
        self.extra = dict(extra or {})
        self.source = source
        self.refresher = refresher
        self.stale = stale
        self.per_attempt = per_attempt

    def __repr__(self) -> str:
        key = "***" if self.api_key else None
        return f"Credentials(kind={self.kind!r}, api_key={key!r}, source={self.source!r})"


class OptionValues(msgspec.Struct, kw_only=True):
    """The plain-data options (validated by type when a call is made)."""

    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] | None = None
    reasoning: ReasoningLevel | None = None
    thinking_budgets: dict[str, int] | None = None
    tool_choice: str | None = None
    cache_retention: CacheRetention = "short"
    session_id: str | None = None
    headers: dict[str, str] | None = None
    provider_options: dict[str, Any] | None = None
    # -- core only --
    api_key: str | None = None
    timeout: float | None = 600.0
    idle_timeout: float | None = 120.0
    max_retries: int = 2
    max_retry_delay: float = 60.0


class Options(OptionValues, kw_only=True):
    """Options of one call. Codecs read the first group; the core the rest.

    ``reasoning`` is a provider-neutral level; ``thinking_budgets`` overrides
    the token budget per level for apis that take budgets. ``tool_choice`` is
    ``auto``, ``none``, ``required``, or the name of one tool.
    ``provider_options`` is merged into the request body by the codec, last.
    ``on_payload(model, request)`` may return a replacement request;
    ``on_response(model, response)`` sees status and headers;
    ``on_retry(attempt, delay, reason)`` sees each retry; ``transport`` is an
    httpx transport to use instead of the network.
    """

    on_payload: Any = None
    on_response: Any = None
    on_retry: Any = None
    transport: Any = None

    def __repr__(self) -> str:
        fields = []
        for name in OptionValues.__struct_fields__:
            value = getattr(self, name)
            if value == getattr(_DEFAULT_VALUES, name):
                continue
            if name == "api_key":
                value = "***"
            elif name == "headers":  # values may carry credentials: names only
                value = sorted(value)
            fields.append(f"{name}={value!r}")
        return f"Options({', '.join(fields)})"


_DEFAULT_VALUES = OptionValues()


CODEC_OPTIONS = frozenset(
    {
        "max_tokens",
        "temperature",
        "top_p",
        "stop",
        "reasoning",
        "thinking_budgets",
        "tool_choice",
        "cache_retention",
        "session_id",
        "headers",
        "provider_options",
    }
)
"""Options a codec may or may not support; the rest are the core's."""


class ErrorInfo(msgspec.Struct, frozen=True):
    """A vendor error body made readable."""

    message: str
    type: str | None = None


class Framer(Protocol):
    """Splits a response body into ``(event_name, data)`` pairs."""

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        """Take the next bytes of the body; return the complete events in them, in order."""
        ...

    def close(self) -> list[tuple[str, bytes]]:
        """The body ended: return a last complete event; one cut short is dropped (the decoder reports the unfinished stream)."""
        ...


class Codec(Protocol):
    """One wire protocol. See :class:`BaseCodec` for defaults."""

    api: str
    framing: str | Callable[[], Framer]
    supported_options: frozenset[str]

    def build_request(
        self,
        model: Model,
        context: Context,
        options: Options,
        credentials: Credentials,
        *,
        stream: bool = True,
    ) -> Request:
        """The HTTP request for one call: no I/O; ``stream`` says whether the core will stream the response."""
        ...

    def decoder(self, model: Model, options: Options) -> StreamDecoder:
        """A fresh decoder for one streamed response."""
        ...

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        """Decode a whole 2xx body (``complete()`` without streaming) into the final message."""
        ...

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        """Make a non-2xx body readable: the vendor's message and error type."""
        ...

    def tool_call_id(self, id: str) -> str:
        """Map a tool-call id from another provider to one this api accepts (used by handoff)."""
        ...

    # Optional: ``structured_output(model, schema, name) -> Mapping | None``
    # (see BaseCodec.structured_output); the core looks it up with getattr.


_ID_BAD = re.compile(r"[^A-Za-z0-9_-]")


def is_image_codec(codec: object) -> bool:
    """Whether ``codec`` generates images (it takes a prompt, not a conversation)."""
    return hasattr(codec, "build_image_request")


def is_chat_codec(codec: object) -> bool:
    """Whether ``codec`` answers chat calls: it overrides ``build_request`` or
    ``decoder`` (an image- or embeddings-only codec inherits both from
    :class:`BaseCodec`; one not built on it has them or not)."""
    cls = type(codec)
    if not issubclass(cls, BaseCodec):
        return hasattr(cls, "build_request") or hasattr(cls, "decoder")
    return any(getattr(cls, m) is not getattr(BaseCodec, m) for m in ("build_request", "decoder"))


def is_embedding_codec(codec: object) -> bool:
    """Whether ``codec`` embeds texts (it has no conversation to hand off to)."""
    return hasattr(codec, "build_embedding_request")


def normalize_tool_call_id(id: str, *, max_len: int = 64, pattern: re.Pattern[str] = _ID_BAD) -> str:
    """Make ``id`` fit ``[A-Za-z0-9_-]{1,max_len}`` without collisions.

    Ids that already fit are returned unchanged; others get a hash suffix of
    the original, so two distinct ids never map to the same result.
    """
    if id and len(id) <= max_len and not pattern.search(id):
        return id
    import hashlib  # rarely needed, slow to import

    digest = hashlib.sha256(id.encode()).hexdigest()[:12]
    clean = pattern.sub("_", id)[: max_len - 13]
    return f"{clean}_{digest}" if clean else f"call_{digest}"[:max_len]


class BaseCodec:
    """Defaults for a :class:`Codec`: SSE framing, generic error parsing.

    A subclass must declare ``supported_options``, the subset of
    :data:`CODEC_OPTIONS` it honours (there is no default: an option a codec
    silently dropped would be a bug nobody sees); the registry refuses a chat
    codec (one implementing ``build_request`` or ``decoder``) without it. ``stream_only = True`` says the api has no
    non-streamed reply: ``complete()`` then streams and collects, and the
    contract suite does not ask for ``parse_response``.
    """

    api: ClassVar[str] = ""
    framing: ClassVar[str | Callable[[], Framer]] = "sse"
    supported_options: ClassVar[frozenset[str]]
    stream_only: ClassVar[bool] = False

    def build_request(
        self,
        model: Model,
        context: Context,
        options: Options,
        credentials: Credentials,
        *,
        stream: bool = True,
    ) -> Request:
        """The HTTP request for one call (required). Pure: no I/O; ``stream`` says whether the core will stream the response."""
        raise NotImplementedError

    def decoder(self, model: Model, options: Options) -> StreamDecoder:
        """A fresh :class:`StreamDecoder` for one streamed response (required for streaming)."""
        raise NotImplementedError

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        """Decode a whole 2xx body into the final message. Default: not supported, so ``complete()`` streams instead."""
        raise NotImplementedError(f"{type(self).__name__} does not support complete() without streaming")

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        """Make a non-2xx body readable. Default: the ``error.message``/``message`` field of a JSON body, else the text."""
        return generic_error_info(status, body)

    def tool_call_id(self, id: str) -> str:
        """Map a foreign tool-call id to one this api accepts. Default: ``[A-Za-z0-9_-]{1,64}`` without collisions."""
        return normalize_tool_call_id(id)

    def structured_output(self, model: Model, schema: dict[str, Any], name: str) -> Mapping[str, Any] | None:
        """Optional capability used by :func:`aiwire.extract`: the request-body
        fields that make ``model`` answer with JSON matching ``schema`` (they
        are deep-merged into ``Request.json``), or ``None`` when the model has
        no native structured-output mode, in which case a forced tool call is
        used instead. The default is ``None``."""
        return None


def generic_error_info(status: int, body: bytes) -> ErrorInfo:
    """Read ``{"error": {"message", "type"}}`` or similar; fall back to text."""
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        text = body.decode("utf-8", "replace").strip()
        return ErrorInfo(text[:2000] or f"HTTP {status} with an empty body")
    if isinstance(data, list) and data:
        data = data[0]
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("detail") or msgspec.json.encode(err).decode()
            typ = err.get("type") or err.get("status") or err.get("code")
            return ErrorInfo(str(msg), str(typ) if typ is not None else None)
        if isinstance(err, str):
            return ErrorInfo(err, None)
    return ErrorInfo(body.decode("utf-8", "replace")[:2000])


# Bound once: the delta helpers run once per streamed delta.
_TextDelta, _ThinkingDelta, _ToolCallDelta = ev.TextDelta, ev.ThinkingDelta, ev.ToolCallDelta


class _Open:
    __slots__ = ("kind", "partial", "parts", "root")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.partial: PartialJSON | None = None
        self.root: dict[str, Any] | None = None  # a tool call's live arguments, carried by its deltas
        self.parts: list[str] = []
        if kind == "tool":
            # Reading a delta's ``arguments`` parses what arrived since the last
            # read; nothing is parsed per fragment.
            self.partial = partial = PartialJSON(live=True)
            self.root = partial.root
            self.parts = partial.fragments


class StreamDecoder:
    """Base of every decoder: a state machine fed one framed event at a time.

    Subclasses implement :meth:`feed`. The helpers below keep ``message`` (the
    partial :class:`AssistantMessage`) and append events to ``events``, which
    the core drains after each network read. Text is accumulated in parts and
    joined once per block, so long streams stay linear.
    """

    tool_names: Mapping[str, str] | None = None
    """The call's tool names by their lower case, set by the core: a tool call
    named like one of them in another case (a backend that renames tools, as
    Claude Code's does) gets the caller's spelling back."""

    def __init__(self, model: Model, options: Options | None = None) -> None:
        self.model = model
        self.options = options
        self.message = AssistantMessage(api=model.api, provider=model.provider, model=model.id)
        self.events: list[ev.Event] = []
        self.terminated = False
        self._open: dict[int, _Open] = {}

    # -- to implement --------------------------------------------------------

    def feed(self, event: str, data: bytes) -> None:
        """Handle one framed event (SSE ``event:`` name and ``data:`` bytes)."""
        raise NotImplementedError

    def end_of_stream(self) -> None:
        """Called when the body ends. Default: an error unless already done."""
        if not self.terminated:
            self.fail("the stream ended before the provider said the response was complete")

    # -- blocks ----------------------------------------------------------------

    def open_text(self, text: str = "") -> int:
        """Start a text block (with optional first text); emit ``text_start``; return its content index."""
        i = len(self.message.content)
        self.message.content.append(TextContent(text=""))
        self._open[i] = _Open("text")
        self.events.append(ev.TextStart(content_index=i))
        if text:
            self.add_text(i, text)
        return i

    def add_text(self, index: int, delta: str) -> None:
        """Append to open text block ``index`` and emit ``text_delta``."""
        self._open[index].parts.append(delta)
        self.events.append(_TextDelta(content_index=index, delta=delta))

    def open_thinking(self, text: str = "", *, signature: str | None = None, redacted: bool = False) -> int:
        """Start a thinking block (optionally signed or redacted); emit ``thinking_start``; return its index."""
        i = len(self.message.content)
        self.message.content.append(ThinkingContent(thinking="", signature=signature, redacted=redacted))
        self._open[i] = _Open("thinking")
        self.events.append(ev.ThinkingStart(content_index=i))
        if text:
            self.add_thinking(i, text)
        return i

    def add_thinking(self, index: int, delta: str) -> None:
        """Append to open thinking block ``index`` and emit ``thinking_delta``."""
        self._open[index].parts.append(delta)
        self.events.append(_ThinkingDelta(content_index=index, delta=delta))

    def open_tool_call(self, id: str, name: str, *, signature: str | None = None) -> int:
        """Start a tool call; emit ``toolcall_start``; return its content index."""
        if self.tool_names is not None:
            name = self.tool_names.get(name.lower(), name)
        i = len(self.message.content)
        self.message.content.append(ToolCall(id=id, name=name, signature=signature))
        self._open[i] = _Open("tool")
        self.events.append(ev.ToolCallStart(content_index=i, id=id, name=name))
        return i

    def add_tool_arguments(self, index: int, fragment: str) -> None:
        """Append a fragment of a tool call's JSON arguments; emit ``toolcall_delta``
        (its ``arguments`` are parsed when read, not here)."""
        block = self._open[index]
        root = block.root
        if root is None:
            raise ValueError(f"block {index} is not a tool call: its arguments cannot grow")
        block.parts.append(fragment)
        self.events.append(_ToolCallDelta(content_index=index, delta=fragment, arguments=root))

    def settle(self) -> None:
        """Kept for decoders that call it: ``arguments`` are brought up to date
        when read, so there is nothing to do after a network read."""

    def add_block(self, block: ProviderContent | TextContent | ThinkingContent | ToolCall) -> int:
        """Append a block that arrived whole. Text, thinking and tool calls
        get their start, one delta and end events; provider blocks none."""
        if isinstance(block, ProviderContent):
            self.message.content.append(block)
            return len(self.message.content) - 1
        if isinstance(block, TextContent):
            i = self.open_text(block.text)
        elif isinstance(block, ThinkingContent):
            i = self.open_thinking(block.thinking, signature=block.signature, redacted=block.redacted)
        else:
            i = self.open_tool_call(block.id, block.name, signature=block.signature)
            if block.arguments:
                self.add_tool_arguments(i, msgspec.json.encode(block.arguments).decode())
        self.close_block(i)
        return i

    def block(self, index: int) -> AssistantContent:
        """The content block at ``index`` of the message being built."""
        return self.message.content[index]

    def is_open(self, index: int) -> bool:
        """Whether block ``index`` was opened and not yet closed."""
        return index in self._open

    def close_block(self, index: int) -> None:
        """End a block: join its text (or parse its arguments) and emit ``*_end``."""
        state = self._open.pop(index, None)
        if state is None:
            return
        block = self.message.content[index]
        text = "".join(state.parts)
        if isinstance(block, TextContent):
            block.text = text
            self.events.append(ev.TextEnd(content_index=index, content=text))
        elif isinstance(block, ThinkingContent):
            if not block.redacted or text:
                block.thinking = text
            self.events.append(ev.ThinkingEnd(content_index=index, content=block.thinking, redacted=block.redacted))
        elif isinstance(block, ToolCall):
            block.arguments, block.invalid_arguments = parse_arguments(text)
            if block.invalid_arguments is None and state.partial is not None:
                state.partial.close(text)  # the deltas' arguments: one C decode if read, no scan
            self.events.append(ev.ToolCallEnd(content_index=index, tool_call=block))

    def close_all(self) -> None:
        """Close every open block, in content order."""
        for i in sorted(self._open):
            self.close_block(i)

    # -- usage and end -------------------------------------------------------------

    def set_usage(
        self,
        *,
        input: int | None = None,
        output: int | None = None,
        cache_read: int | None = None,
        cache_write: int | None = None,
        reasoning: int | None = None,
    ) -> Usage:
        """Record usage; ``None`` leaves a field as it was. Total and cost follow."""
        u = self.message.usage or Usage()
        if input is not None:
            u.input = input
        if output is not None:
            u.output = output
        if cache_read is not None:
            u.cache_read = cache_read
        if cache_write is not None:
            u.cache_write = cache_write
        if reasoning is not None:
            u.reasoning = reasoning
        u.total = u.input + u.output + u.cache_read + u.cache_write
        u.cost = compute_cost(self.model, u)
        self.message.usage = u
        return u

    def finish(self, stop_reason: Literal["stop", "length", "tool_use"]) -> None:
        """The provider said the turn is complete."""
        if self.terminated:
            return
        self.close_all()
        if stop_reason == "stop" and any(isinstance(b, ToolCall) for b in self.message.content):
            stop_reason = "tool_use"
        self.message.stop_reason = stop_reason
        self.terminated = True
        self.events.append(ev.Done(reason=stop_reason, message=self.message))

    def fail(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        aborted: bool = False,
    ) -> None:
        """End the turn with an error (or abort), keeping the content so far."""
        if self.terminated:
            return
        self.close_all()
        reason: Literal["error", "aborted"] = "aborted" if aborted else "error"
        m = self.message
        m.stop_reason = reason
        m.error_message = message
        m.error_status = status
        m.error_type = error_type
        self.terminated = True
        self.events.append(ev.Error(reason=reason, message=m))

    def drain(self) -> list[ev.Event]:
        """Hand over the events produced so far and start a new list (the core calls it once per network read)."""
        out = self.events
        self.events = []
        return out

    def snapshot(self) -> AssistantMessage:
        """A copy of the partial message with open blocks filled in so far."""
        content: list[AssistantContent] = []
        for i, b in enumerate(self.message.content):
            st = self._open.get(i)
            if st is None:
                content.append(b)
            elif isinstance(b, TextContent):
                content.append(msgspec.structs.replace(b, text="".join(st.parts)))
            elif isinstance(b, ThinkingContent):
                content.append(msgspec.structs.replace(b, thinking="".join(st.parts)))
            elif isinstance(b, ToolCall) and st.partial is not None:
                args = st.partial.value
                content.append(msgspec.structs.replace(b, arguments=args if isinstance(args, dict) else {}))
        return msgspec.structs.replace(self.message, content=content)


_T = TypeVar("_T")


class _Inner(Generic[_T]):
    """An attribute of :class:`WrappedDecoder` that is its inner decoder's."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: WrappedDecoder, owner: type | None = None) -> _T:
        return getattr(obj.inner, self.name)  # type: ignore[no-any-return]

    def __set__(self, obj: WrappedDecoder, value: _T) -> None:
        setattr(obj.inner, self.name, value)


class WrappedDecoder(StreamDecoder):
    """A decoder that hands its events to another one, for codecs that wrap
    another api's codec (an envelope around a known protocol).

    Override :meth:`feed` to change what reaches the inner decoder, and call
    ``self.inner.feed(...)``; the default passes events through unchanged::

        class UnwrapDecoder(WrappedDecoder):
            def feed(self, event: str, data: bytes) -> None:
                self.inner.feed(event, unwrap(data))

    The wrapper and ``inner`` share one state: ``message``, ``events``,
    ``terminated`` and the open blocks are the inner decoder's, so every
    helper (``fail``, ``finish``, ``add_text``...) works on either object and
    the core drains the same event list. ``end_of_stream`` defaults to the
    inner decoder's.
    """

    model = _Inner[Model]()
    options = _Inner["Options | None"]()
    message = _Inner[AssistantMessage]()
    events = _Inner["list[ev.Event]"]()
    terminated = _Inner[bool]()
    tool_names = _Inner["Mapping[str, str] | None"]()
    _open = _Inner["dict[int, _Open]"]()

    def __init__(self, inner: StreamDecoder) -> None:  # no super().__init__: the state is inner's
        self.inner = inner

    def feed(self, event: str, data: bytes) -> None:
        """Pass one framed event to the inner decoder (override to transform it first)."""
        self.inner.feed(event, data)

    def end_of_stream(self) -> None:
        """The body ended: delegate to the inner decoder."""
        self.inner.end_of_stream()

    def finish(self, stop_reason: Literal["stop", "length", "tool_use"]) -> None:
        """The provider said the turn is complete: delegate to the inner decoder."""
        self.inner.finish(stop_reason)

    def fail(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        aborted: bool = False,
    ) -> None:
        """End the turn with an error or abort: delegate to the inner decoder."""
        self.inner.fail(message, status=status, error_type=error_type, aborted=aborted)

    def drain(self) -> list[ev.Event]:
        """The inner decoder's events so far."""
        return self.inner.drain()

    def snapshot(self) -> AssistantMessage:
        """The inner decoder's partial message."""
        return self.inner.snapshot()


# -- image generation -----------------------------------------------------------


class ImageOptions(msgspec.Struct, kw_only=True):
    """Options of one image generation that a codec maps onto its wire.

    ``size`` is ``"WIDTHxHEIGHT"`` (or a vendor word such as ``auto``),
    ``count`` the number of images, ``quality`` a vendor level (``low``,
    ``medium``, ``high``, ``auto``...), ``output_format`` the image encoding,
    ``background`` ``transparent``, ``opaque`` or ``auto``. ``provider_options``
    is merged into the request body by the codec, last. ``None`` leaves the
    provider's default.
    """

    size: str | None = None
    count: Annotated[int, msgspec.Meta(ge=1, le=16)] | None = None
    quality: str | None = None
    output_format: Literal["png", "jpeg", "webp"] | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    seed: int | None = None
    provider_options: dict[str, Any] | None = None


IMAGE_OPTIONS = frozenset(ImageOptions.__struct_fields__)
"""Every image option; an :class:`ImageCodec` declares the subset it supports."""


class ImageCodec(Protocol):
    """The optional image-generation capability of a codec.

    A codec that can generate images declares ``image_options`` (the
    :data:`IMAGE_OPTIONS` it maps; the core rejects any other that is set,
    before a request) and implements the two methods below. Like chat, it does
    no I/O: the core owns credentials, HTTP, retries, cancellation and hooks.
    A model reaches it through ``model.compat["image_api"]`` when set (a chat
    model whose images come from another wire protocol), else ``model.api``.
    """

    api: str
    image_options: frozenset[str]

    def build_image_request(
        self, model: Model, context: Context, options: ImageOptions, credentials: Credentials
    ) -> Request:
        """The request that generates images for ``context`` (see :func:`image_prompt`).
        May raise :class:`~aiwire.errors.BadOptionsError` for values the wire cannot express."""
        ...

    def parse_image_response(self, model: Model, options: ImageOptions, body: bytes) -> ImageResult:
        """Decode a 2xx response body. A refusal or safety block is a result with
        ``stop_reason="error"`` and the provider's reason, not an exception."""
        ...

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        """Make a non-2xx body readable: the vendor's message and error type."""
        ...


def image_prompt(context: Context) -> tuple[str, list[ImageContent]]:
    """The prompt text of a context (system prompt, then user texts, joined by
    blank lines) and the images of its user messages, in order."""
    texts = [context.system_prompt] if context.system_prompt else []
    images: list[ImageContent] = []
    for msg in context.messages:
        if not isinstance(msg, UserMessage):
            continue
        if isinstance(msg.content, str):
            texts.append(msg.content)
            continue
        for block in msg.content:
            if isinstance(block, TextContent):
                texts.append(block.text)
            else:
                images.append(block)
    return "\n\n".join(t for t in texts if t.strip()), images


def make_usage(
    model: Model,
    *,
    input: int = 0,
    output: int = 0,
    cache_read: int = 0,
    cache_write: int = 0,
    reasoning: int | None = None,
    cost: float | None = None,
) -> Usage:
    """A :class:`Usage` with total and cost filled in from ``model.cost``.

    ``cost`` is the provider's own total in USD, when it reports one; it then
    replaces the computed total (the split stays computed)."""
    u = Usage(input=input, output=output, cache_read=cache_read, cache_write=cache_write, reasoning=reasoning)
    u.total = input + output + cache_read + cache_write
    u.cost = compute_cost(model, u)
    if cost is not None:
        u.cost.total = cost
    return u


# -- embeddings -----------------------------------------------------------------

InputType = Literal["query", "document", "classification", "clustering", "similarity"]
"""What an embedded text is for, where the api asks: a search ``query``, a
``document`` to be found, or text to ``classification``, ``clustering`` or
``similarity`` tasks. Each codec maps it onto its own word (Gemini
``taskType``, Cohere ``input_type``...)."""


class EmbeddingOptions(msgspec.Struct, kw_only=True):
    """Options of one embedding call that a codec maps onto its wire.

    ``dimensions`` asks for shorter vectors (models that support it);
    ``input_type`` says what the texts are for (see :data:`InputType`);
    ``truncate`` lets the provider cut inputs that are over the model's limit
    (where it can), instead of refusing them. ``provider_options`` is merged
    into the request body by the codec, last. ``None`` leaves the provider's
    default.
    """

    dimensions: Annotated[int, msgspec.Meta(ge=1)] | None = None
    input_type: InputType | None = None
    truncate: bool | None = None
    provider_options: dict[str, Any] | None = None


EMBEDDING_OPTIONS = frozenset(EmbeddingOptions.__struct_fields__)
"""Every embedding option; an :class:`EmbeddingCodec` declares the subset it supports."""


class EmbeddingBatch(msgspec.Struct, kw_only=True):
    """What a codec decodes from one embeddings response: one vector per input,
    in input order, as ``array('f')`` (see :func:`vector_from_floats`,
    :func:`vector_from_base64`), and the usage when the provider reports it."""

    vectors: list[Any]
    usage: Usage | None = None
    id: str | None = None
    provider_data: dict[str, Any] | None = None


class EmbeddingCodec(Protocol):
    """The optional embeddings capability of a codec.

    A codec that embeds declares ``embedding_options`` (the
    :data:`EMBEDDING_OPTIONS` it maps; the core refuses any other that is
    set, before a request) and ``max_batch`` (the most inputs one request may
    carry; a model narrows it with ``compat["max_batch"]``), optionally
    ``max_batch_tokens`` (the most tokens one request may carry, summed over
    its inputs; ``compat["max_batch_tokens"]``), and implements the two
    methods below. The core splits the inputs into batches within those
    limits and sends one request per batch. A model reaches it through
    ``model.compat["embedding_api"]`` when set, else ``model.api``.
    """

    api: str
    embedding_options: frozenset[str]
    max_batch: int

    def build_embedding_request(
        self, model: Model, inputs: list[str], options: EmbeddingOptions, credentials: Credentials
    ) -> Request:
        """The request that embeds ``inputs`` (one batch, never empty). May
        raise :class:`~aiwire.errors.BadOptionsError` for values the wire cannot express."""
        ...

    def parse_embedding_response(
        self, model: Model, options: EmbeddingOptions, body: bytes, count: int
    ) -> EmbeddingBatch:
        """Decode a 2xx response body for ``count`` inputs into one vector per input, in order."""
        ...

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        """The vendor's error body as :class:`ErrorInfo` (as for chat)."""
        ...


_BIG_ENDIAN = sys.byteorder == "big"


def vector_from_floats(values: Iterable[float]) -> array[float]:
    """A vector (``array('f')``, float32) from JSON numbers."""
    return array("f", values)


def vector_from_base64(data: str | bytes) -> array[float]:
    """A vector from base64 little-endian float32 (OpenAI's and Voyage's
    ``encoding_format: "base64"``), without a Python float per value."""
    raw = binascii.a2b_base64(data)
    if len(raw) % 4:
        raise ValueError(f"a base64 float32 vector must be a multiple of 4 bytes, not {len(raw)}")
    vec = array("f")
    vec.frombytes(raw)
    if _BIG_ENDIAN:
        vec.byteswap()
    return vec
