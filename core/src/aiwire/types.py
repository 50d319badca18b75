"""The data model: messages, content blocks, tools, usage and models.

Everything here is a msgspec Struct that round-trips through ``msgspec.json``
unchanged, so a whole :class:`Context` can be saved and restored::

    data = aiwire.dumps(context)
    context = aiwire.loads(data, Context)

Messages are tagged by ``role`` and content blocks by ``type``; that is what
lets a mixed list decode back into the right classes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import msgspec

if TYPE_CHECKING:
    from aiwire.errors import ProviderError

__all__ = [
    "AssistantContent",
    "AssistantMessage",
    "Context",
    "Cost",
    "EmbeddingResult",
    "ImageContent",
    "ImageResult",
    "ImageStopReason",
    "Message",
    "Model",
    "ModelCost",
    "ProviderContent",
    "ReasoningLevel",
    "StopReason",
    "TextContent",
    "ThinkingContent",
    "Tool",
    "ToolCall",
    "ToolResultMessage",
    "Usage",
    "UserContent",
    "UserMessage",
    "dumps",
    "loads",
]

StopReason = Literal["stop", "length", "tool_use", "error", "aborted"]
"""Why an assistant turn ended. ``error`` and ``aborted`` turns are partial."""

ReasoningLevel = Literal["off", "minimal", "low", "medium", "high", "xhigh"]
"""Provider-neutral thinking effort; each codec maps it onto its own wire."""


def _now_ms() -> int:
    return int(time.time() * 1000)


class _Base(msgspec.Struct, kw_only=True, omit_defaults=True):
    pass


# -- cheap constructor checks ---------------------------------------------------
# Only the types users build by hand check themselves (a few isinstance calls);
# the blocks decoders build per stream (TextContent, ToolCall...) do not, and
# the whole context is checked once when a call is set up.


def _bad(where: str, expected: str, value: Any, fix: str) -> Exception:
    from aiwire.errors import InvalidInputError

    return InvalidInputError(f"{where} must be {expected}, not {type(value).__name__}; {fix}")


def _check_str(owner: str, name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise _bad(f"{owner}.{name}", "a str", value, f"pass {name}=str(...)")


def _check_blocks(owner: str, blocks: Any, *, allow_str: bool) -> None:
    if isinstance(blocks, list):
        for n, block in enumerate(blocks):
            if not isinstance(block, (TextContent, ImageContent)):
                raise _bad(
                    f"{owner}.content[{n}]",
                    "a TextContent or ImageContent",
                    block,
                    "wrap text as TextContent(text=...)",
                )
        return
    if allow_str and isinstance(blocks, str):
        return
    expected = "a str or a list of TextContent/ImageContent" if allow_str else "a list of TextContent/ImageContent"
    fix = "write content=[TextContent(text=...)]" if not allow_str else "pass the text as a str"
    raise _bad(f"{owner}.content", expected, blocks, fix)


# -- content blocks -----------------------------------------------------------


class TextContent(_Base, tag_field="type", tag="text"):
    """Plain text. ``signature`` is opaque provider data echoed back verbatim."""

    type: ClassVar[str] = "text"

    text: str
    signature: str | None = None
    citations: list[dict[str, Any]] | None = None


class ThinkingContent(_Base, tag_field="type", tag="thinking"):
    """Model reasoning.

    ``signature`` is opaque provider data (Anthropic's signature, the whole
    OpenAI reasoning item, Gemini's thought signature) that is only sent back
    to the exact provider, api and model that produced it. ``redacted`` marks
    reasoning the provider encrypted; its text is a placeholder.
    """

    type: ClassVar[str] = "thinking"

    thinking: str
    signature: str | None = None
    redacted: bool = False


class ImageContent(_Base, tag_field="type", tag="image"):
    """An image as base64 ``data`` with its ``mime_type`` (``image/png``...)."""

    type: ClassVar[str] = "image"

    data: str
    mime_type: str


class ToolCall(_Base, tag_field="type", tag="tool_call"):
    """A call the model asked for.

    ``arguments`` is the strictly parsed JSON object. When the model produced
    arguments that are not a JSON object, ``arguments`` is empty and the raw
    text is kept in ``invalid_arguments`` so nothing is lost.
    ``signature`` is opaque provider data tied to this call (Gemini).
    """

    type: ClassVar[str] = "tool_call"

    id: str
    name: str
    arguments: dict[str, Any] = msgspec.field(default_factory=dict)
    invalid_arguments: str | None = None
    signature: str | None = None


class ProviderContent(_Base, tag_field="type", tag="provider"):
    """A block only one api understands (server tool use and its results...).

    Kept so nothing is lost: the codec of ``api`` sends ``data`` back
    verbatim; other apis send ``text`` (when set) as plain text or drop it.
    """

    type: ClassVar[str] = "provider"

    api: str
    kind: str
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    text: str | None = None


UserContent = TextContent | ImageContent
AssistantContent = TextContent | ThinkingContent | ToolCall | ProviderContent

# -- usage --------------------------------------------------------------------


class Cost(_Base):
    """Cost in USD, split like :class:`Usage`."""

    input: float = 0.0
    output: float = 0.0
    cache_read: float = 0.0
    cache_write: float = 0.0
    total: float = 0.0


class Usage(_Base):
    """Token counts for one assistant turn.

    ``input`` excludes cache reads and writes; ``output`` includes reasoning
    tokens; ``total`` is the sum of the four. ``reasoning`` is the part of
    ``output`` spent thinking, where the provider says so.
    """

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    total: int = 0
    reasoning: int | None = None
    cost: Cost = msgspec.field(default_factory=Cost)


# -- messages -----------------------------------------------------------------


class UserMessage(_Base, tag_field="role", tag="user"):
    """What the user said: a string or a list of text and image blocks."""

    role: ClassVar[str] = "user"

    content: str | list[UserContent]
    timestamp: int = msgspec.field(default_factory=_now_ms)

    def __post_init__(self) -> None:
        if not isinstance(self.content, str):
            _check_blocks("UserMessage", self.content, allow_str=True)


class AssistantMessage(_Base, tag_field="role", tag="assistant"):
    """One model turn, complete or partial.

    ``usage`` is ``None`` when the provider reported no usage (never zeros
    passed off as real). ``error_message`` is set when ``stop_reason`` is
    ``error`` or ``aborted``; the content received before that is kept.
    """

    role: ClassVar[str] = "assistant"

    content: list[AssistantContent] = msgspec.field(default_factory=list)
    api: str = ""
    provider: str = ""
    model: str = ""
    id: str | None = None
    usage: Usage | None = None
    stop_reason: StopReason = "stop"
    error_message: str | None = None
    error_status: int | None = None
    error_type: str | None = None
    provider_data: dict[str, Any] | None = None
    timestamp: int = msgspec.field(default_factory=_now_ms)

    @property
    def text(self) -> str:
        """The text blocks joined, without thinking or tool calls."""
        return "".join(b.text for b in self.content if isinstance(b, TextContent))

    @property
    def thinking(self) -> str:
        """The thinking blocks joined with blank lines."""
        return "\n\n".join(b.thinking for b in self.content if isinstance(b, ThinkingContent))

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls, in order."""
        return [b for b in self.content if isinstance(b, ToolCall)]

    def raise_for_error(self) -> AssistantMessage:
        """Raise :meth:`exception` if the turn failed; else return the message."""
        exc = self.exception()
        if exc is not None:
            raise exc
        return self

    def exception(self) -> ProviderError | None:
        """The :class:`~aiwire.errors.ProviderError` subclass for a failed turn
        (``RateLimitError``, ``ContextOverflowError``...), or ``None``."""
        if self.stop_reason not in ("error", "aborted"):
            return None
        from aiwire.classify import provider_error

        return provider_error(self)


ImageStopReason = Literal["stop", "error", "aborted"]
"""Why an image generation ended; ``error`` and ``aborted`` results carry ``error_message``."""


class ImageResult(_Base):
    """The outcome of one image generation (:func:`aiwire.generate_images`).

    ``images`` are the generated images, ``text`` whatever text the model
    returned beside them. ``usage`` is ``None`` when the provider reported
    none. A provider refusal or safety block is ``stop_reason`` error with the
    provider's reason in ``error_message``; images received before it are kept.
    ``provider_data`` holds vendor extras (revised prompts, finish reasons).
    """

    images: list[ImageContent] = msgspec.field(default_factory=list)
    text: str = ""
    api: str = ""
    provider: str = ""
    model: str = ""
    id: str | None = None
    usage: Usage | None = None
    stop_reason: ImageStopReason = "stop"
    error_message: str | None = None
    error_status: int | None = None
    error_type: str | None = None
    provider_data: dict[str, Any] | None = None
    timestamp: int = msgspec.field(default_factory=_now_ms)

    def raise_for_error(self) -> ImageResult:
        """Raise :meth:`exception` if the generation failed; else return the result."""
        exc = self.exception()
        if exc is not None:
            raise exc
        return self

    def exception(self) -> ProviderError | None:
        """The :class:`~aiwire.errors.ProviderError` subclass for a failed
        generation, or ``None``."""
        if self.stop_reason == "stop":
            return None
        from aiwire.classify import provider_error

        return provider_error(self)


class EmbeddingResult(_Base):
    """The outcome of one :func:`aiwire.embed` call: one vector per input, in input order.

    Each vector is an ``array('f')`` (float32) by default, ``bytes``
    (little-endian float32) with ``vector_format="bytes"``, or a list of
    floats with ``vector_format="list"`` (the only form that round-trips
    through ``msgspec.json``). ``dimensions`` is the length of each vector.
    ``usage`` sums every request's usage (``None`` when the provider reported
    none); ``requests`` is how many requests the inputs took. A failed call
    has ``stop_reason`` error and no vectors.
    """

    vectors: list[Any] = msgspec.field(default_factory=list)
    dimensions: int = 0
    api: str = ""
    provider: str = ""
    model: str = ""
    usage: Usage | None = None
    requests: int = 0
    stop_reason: ImageStopReason = "stop"
    error_message: str | None = None
    error_status: int | None = None
    error_type: str | None = None
    provider_data: dict[str, Any] | None = None
    timestamp: int = msgspec.field(default_factory=_now_ms)

    def __len__(self) -> int:
        return len(self.vectors)

    def to_bytes(self) -> bytes:
        """Every vector as one little-endian float32 buffer (rows in input order),
        for ``numpy.frombuffer(result.to_bytes(), "<f4").reshape(len(result), -1)``."""
        import sys
        from array import array

        out = array("f")
        for v in self.vectors:
            if isinstance(v, (bytes, bytearray, memoryview)):
                out.frombytes(bytes(v))
            else:
                out.extend(v)
        if sys.byteorder == "big":
            if any(isinstance(v, (bytes, bytearray, memoryview)) for v in self.vectors[:1]):
                return bytes(out)  # the bytes were little-endian already
            out.byteswap()
        return out.tobytes()

    def raise_for_error(self) -> EmbeddingResult:
        """Raise :class:`~aiwire.errors.ProviderError` if the call failed."""
        if self.stop_reason != "stop":
            from aiwire.errors import ProviderError

            raise ProviderError(self)
        return self


class ToolResultMessage(_Base, tag_field="role", tag="tool_result"):
    """The result of running a tool, answering the call with ``tool_call_id``."""

    role: ClassVar[str] = "tool_result"

    tool_call_id: str
    tool_name: str
    content: list[UserContent] = msgspec.field(default_factory=list)
    is_error: bool = False
    details: Any = None
    timestamp: int = msgspec.field(default_factory=_now_ms)

    def __post_init__(self) -> None:
        _check_str("ToolResultMessage", "tool_call_id", self.tool_call_id)
        _check_str("ToolResultMessage", "tool_name", self.tool_name)
        _check_blocks("ToolResultMessage", self.content, allow_str=False)


Message = UserMessage | AssistantMessage | ToolResultMessage
"""Any conversation message: user, assistant or tool result."""

# -- tools and context ---------------------------------------------------------


class Tool(_Base):
    """A function the model may call; ``parameters`` is a JSON Schema object."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = msgspec.field(default_factory=lambda: {"type": "object", "properties": {}})

    def __post_init__(self) -> None:
        _check_str("Tool", "name", self.name)
        _check_str("Tool", "description", self.description)
        if not isinstance(self.parameters, dict):
            self._from_type()

    def _from_type(self) -> None:
        # A Pydantic model, dataclass, TypedDict or Struct stands for its JSON Schema.
        from aiwire._typeschema import TypeSchemaError, is_schema_type, shape_of

        if not is_schema_type(self.parameters):
            raise _bad(
                "Tool.parameters",
                "a JSON Schema object (a dict) or a Pydantic model, dataclass, TypedDict or msgspec Struct class",
                self.parameters,
                "for a function use aiwire.agent.FunctionTool(fn)",
            )
        try:
            shape = shape_of(self.parameters)
        except TypeSchemaError as exc:
            from aiwire.errors import InvalidToolError

            raise InvalidToolError(f"tool {self.name!r}: {exc}") from None
        if shape.schema.get("type") != "object":
            from aiwire.errors import InvalidToolError

            raise InvalidToolError(f"tool {self.name!r}: parameters must describe an object, not {shape.name}")
        shape.schema.pop("title", None)
        self.parameters = shape.schema
        if not self.description:
            self.description = shape.description


class Context(_Base):
    """Everything sent to a model: system prompt, history and tools."""

    system_prompt: str | None = None
    messages: list[Message] = msgspec.field(default_factory=list)
    tools: list[Tool] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.system_prompt is not None and not isinstance(self.system_prompt, str):
            raise _bad("Context.system_prompt", "a str or None", self.system_prompt, "pass the prompt as a str")
        if not isinstance(self.messages, list):
            raise _bad("Context.messages", "a list of messages", self.messages, "write messages=[UserMessage(...)]")
        for n, msg in enumerate(self.messages):
            if not isinstance(msg, (UserMessage, AssistantMessage, ToolResultMessage)):
                raise _bad(
                    f"Context.messages[{n}]",
                    "a UserMessage, AssistantMessage or ToolResultMessage",
                    msg,
                    "wrap a prompt as UserMessage(content=...)",
                )
        if not isinstance(self.tools, list):
            raise _bad("Context.tools", "a list of Tool", self.tools, "write tools=[Tool(...)]")
        for n, tool in enumerate(self.tools):
            if not isinstance(tool, Tool):
                raise _bad(f"Context.tools[{n}]", "a Tool", tool, "write Tool(name=..., parameters={...})")


# -- models -------------------------------------------------------------------


class ModelCost(msgspec.Struct, kw_only=True, omit_defaults=True, frozen=True):
    """Prices in USD per million tokens."""

    input: float = 0.0
    output: float = 0.0
    cache_read: float = 0.0
    cache_write: float = 0.0


class Model(msgspec.Struct, kw_only=True, omit_defaults=True, frozen=True):
    """A model on a provider, and everything needed to call it.

    ``api`` names the wire protocol (the codec), ``provider`` the host.
    ``compat`` holds codec-specific switches (documented by each plugin).
    Models not in any catalog are built with :func:`aiwire.custom_model`.
    """

    id: str
    provider: str
    api: str
    base_url: str
    name: str = ""
    reasoning: bool = False
    input: tuple[str, ...] = ("text",)
    output: tuple[str, ...] = ("text",)
    cost: ModelCost = ModelCost()
    context_window: int = 0
    max_tokens: int = 0
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    compat: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def ref(self) -> str:
        """``provider/model-id``, as the CLI writes it."""
        return f"{self.provider}/{self.id}"

    def __rich_repr__(self) -> Any:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            yield name, sorted(value) if name == "headers" else value  # values may be credentials: names only

    def __repr__(self) -> str:
        return f"Model({', '.join(f'{name}={value!r}' for name, value in self.__rich_repr__())})"


_encoder = msgspec.json.Encoder()


def dumps(obj: Any) -> bytes:
    """Encode any aiwire type (or a structure of them) as JSON bytes."""
    return _encoder.encode(obj)


def loads(data: bytes | str, type: Any) -> Any:
    """Decode JSON into ``type`` (for example ``Context`` or ``list[Message]``).

    Raises :class:`aiwire.errors.DecodeError` naming the bad path.
    """
    try:
        return msgspec.json.decode(data, type=type)
    except msgspec.ValidationError as exc:
        from aiwire.errors import DecodeError

        name = getattr(type, "__name__", str(type))
        raise DecodeError(
            f"could not load {name}: {exc}. Check that the data was written by "
            "aiwire.dumps() from a compatible version."
        ) from None
    except msgspec.DecodeError as exc:
        from aiwire.errors import DecodeError

        raise DecodeError(f"not valid JSON: {exc}") from None
