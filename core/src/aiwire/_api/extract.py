"""Typed structured output: ``aiwire.extract(model, context, Type)``.

``Type`` is a Pydantic model, a dataclass, a TypedDict, a ``msgspec.Struct``
(or any object type msgspec or an imported Pydantic can describe), or a JSON
Schema dict; the answer is validated by that type's own library. The model is asked for output matching the schema with the
codec's native mode where it declares one (``codec.structured_output``),
otherwise with a forced call of a tool whose parameters are the schema. The
answer is decoded and validated; on a failure the error is sent back to the
model and it tries again, up to ``retries`` times, after which
:class:`ExtractError` lists every attempt's error.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from typing import Any, Generic, Literal, TypeVar, overload

import msgspec

from aiwire._engine.call import as_context, check_schema, make_options
from aiwire._typeschema import Shape, TypeSchemaError, shape_of
from aiwire._wire.codec import Request
from aiwire._wire.partial_json import PartialJSON
from aiwire.errors import AiwireError, BadOptionsError, InvalidInputError, SchemaError
from aiwire.tools import check_value
from aiwire.types import AssistantMessage, Context, Model, TextContent, Tool, ToolResultMessage, UserMessage

__all__ = [
    "ExtractError",
    "ExtractStream",
    "SyncExtractStream",
    "extract",
    "extract_stream",
    "extract_stream_sync",
    "extract_sync",
]

T = TypeVar("T")
Mode = Literal["auto", "native", "tool"]


class ExtractError(AiwireError, ValueError):
    """The model's answers never matched the type. ``errors`` holds one line
    per attempt; ``message`` is the last assistant message."""

    def __init__(self, errors: list[str], message: AssistantMessage | None) -> None:
        self.errors = errors
        self.message = message
        lines = "\n".join(f"  attempt {n}: {e}" for n, e in enumerate(errors, 1))
        super().__init__(f"no valid structured output after {len(errors)} attempt(s):\n{lines}")


class _Target:
    """The schema to ask for and how to decode an answer into the type."""

    __slots__ = ("description", "name", "schema", "shape", "type")

    def __init__(self, type: Any) -> None:
        self.type = type
        self.shape: Shape | None = None
        if isinstance(type, Mapping):
            try:
                msgspec.json.encode(type)
            except (TypeError, ValueError, OverflowError) as exc:
                raise InvalidInputError(f"extract: the JSON Schema cannot be sent as JSON ({exc})") from None
            schema = dict(type)
            title = str(schema.get("title") or "result")
            check_schema(f"{title} (extract)", schema)
            self.description = str(schema.get("description") or "")
        else:
            try:
                self.shape = shape_of(type)
            except TypeSchemaError as exc:
                raise InvalidInputError(f"extract: {exc}") from None
            schema = dict(self.shape.schema)
            title = self.shape.name
            self.description = self.shape.description
        if schema.get("type", "object") != "object":
            raise InvalidInputError(
                f"extract needs an object schema at the top, got type {schema.get('type')!r}; "
                "wrap the value in a model, dataclass, TypedDict or Struct with one field"
            )
        schema.setdefault("type", "object")
        self.schema = schema
        self.name = re.sub(r"[^A-Za-z0-9_-]", "_", title)[:64] or "result"
        if not self.description:
            self.description = f"Give the answer as {self.name}."

    def decode(self, value: Any) -> Any:
        """The decoded value, or raise ValueError with a readable reason."""
        if self.shape is None:
            out, problems, _ = check_value(self.schema, value)
            if problems:
                raise ValueError("; ".join(f"{p}: {why}" for p, why in problems))
            return out
        try:
            return self.shape.validate(value)
        except TypeSchemaError as exc:
            raise ValueError(str(exc)) from None


def _merge(into: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(into)
    for k, v in patch.items():
        out[k] = _merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), dict) else v
    return out


class _Plan:
    """One extraction: the context grows with each failed attempt's feedback."""

    def __init__(
        self, client: Any, model: Model | str, context: Any, type: Any, options: dict[str, Any], mode: Mode = "auto"
    ) -> None:
        if mode not in ("auto", "native", "tool"):
            raise BadOptionsError(f"extract mode must be 'auto', 'native' or 'tool', not {mode!r}")
        make_options(options)  # bad options raise here, before any hook is wrapped
        self.model = client._model(model)
        self.target = _Target(type)
        base = as_context(context)
        codec = client.registry.codec(self.model.api)
        fmt = getattr(codec, "structured_output", None) if mode != "tool" else None
        try:
            patch = fmt(self.model, self.target.schema, self.target.name) if fmt is not None else None
        except SchemaError:
            if mode == "native":
                raise
            patch = None  # the schema does not fit the native mode: a forced tool call takes more
        if mode == "native" and patch is None:
            raise BadOptionsError(
                f"{self.model.ref} has no native structured-output mode (api {self.model.api}); "
                "use mode='auto' or mode='tool'"
            )
        self.native = patch is not None
        self.options = dict(options)
        if self.native:
            assert patch is not None
            user_hook = options.get("on_payload")

            def on_payload(model: Model, request: Request) -> Request | None:
                if isinstance(request.json, dict):
                    request.json = _merge(request.json, patch)
                return user_hook(model, request) if user_hook is not None else None

            self.options["on_payload"] = on_payload
            self.context = Context(system_prompt=base.system_prompt, messages=list(base.messages), tools=base.tools)
        else:
            tool = Tool(name=self.target.name, description=self.target.description, parameters=self.target.schema)
            tools = [t for t in base.tools if t.name != tool.name] + [tool]
            self.context = Context(system_prompt=base.system_prompt, messages=list(base.messages), tools=tools)
            self.options["tool_choice"] = tool.name
        self.errors: list[str] = []

    def read(self, msg: AssistantMessage) -> tuple[bool, Any]:
        """``(True, value)``, or ``(False, None)`` after queueing feedback."""
        msg.raise_for_error()
        call = None
        try:
            if self.native:
                raw: Any = msgspec.json.decode(_unfence(msg.text) or "null")
            else:
                call = next((c for c in msg.tool_calls if c.name == self.target.name), None)
                if call is None:
                    raise ValueError(f"the model did not call {self.target.name}")
                if call.invalid_arguments is not None:
                    raise ValueError(f"the arguments were not a JSON object: {call.invalid_arguments[:200]}")
                raw = call.arguments
            return True, self.target.decode(raw)
        except (ValueError, msgspec.DecodeError) as exc:
            error = str(exc)
        self.errors.append(error)
        fix = f"That answer does not match the required schema: {error}. Answer again, matching the schema exactly."
        self.context.messages.append(msg)
        if call is not None:
            self.context.messages.append(
                ToolResultMessage(
                    tool_call_id=call.id, tool_name=call.name, content=[TextContent(text=fix)], is_error=True
                )
            )
        else:
            self.context.messages.append(UserMessage(content=fix))
        return False, None


def _unfence(text: str) -> str:
    """The JSON of a native answer, without a Markdown code fence around it."""
    text = text.strip()
    m = _FENCE.fullmatch(text)
    return m.group(1).strip() if m else text


_FENCE = re.compile(r"```(?:json)?\s*(.*?)\s*```", re.S)


async def run_extract(
    client: Any, model: Model | str, context: Any, type: Any, retries: int, options: Any, mode: Mode = "auto"
) -> Any:
    plan = _Plan(client, model, context, type, dict(options), mode)
    msg = None
    for _ in range(retries + 1):
        msg = await client.stream(plan.model, plan.context, **plan.options).result()
        ok, value = plan.read(msg)
        if ok:
            return value
    raise ExtractError(plan.errors, msg)


def run_extract_sync(
    client: Any, model: Model | str, context: Any, type: Any, retries: int, options: Any, mode: Mode = "auto"
) -> Any:
    plan = _Plan(client, model, context, type, dict(options), mode)
    msg = None
    stream = client.stream  # a blocking client
    for _ in range(retries + 1):
        msg = stream(plan.model, plan.context, **plan.options).result()
        ok, value = plan.read(msg)
        if ok:
            return value
    raise ExtractError(plan.errors, msg)


class _Partials:
    """Best-effort partial values of one attempt, from its events."""

    __slots__ = ("native", "parser")

    def __init__(self, native: bool) -> None:
        self.native = native
        self.parser = PartialJSON() if native else None

    def feed(self, event: Any) -> dict[str, Any] | None:
        if self.parser is not None and event.type == "text_delta":
            value = self.parser.feed(event.delta)
            return value if isinstance(value, dict) and value else None
        if not self.native and event.type == "toolcall_delta" and isinstance(event.arguments, dict):
            return event.arguments or None
        return None


class ExtractStream(Generic[T]):
    """Partial values of an extraction as they arrive, then the result.

    ::

        stream = aiwire.extract_stream(model, "Describe Oslo", City)
        async for partial in stream:  # a dict with the fields received so far
            show(partial)
        city = await stream.result()  # a validated City

    Each partial is a live dict (the same object, filled in as the answer
    streams; copy it to keep it): required fields may still be missing, so
    it is not yet an instance of the type. A retried attempt starts again
    from an empty dict. ``result()`` (or awaiting the stream) runs it to the
    end if nobody iterates it.
    """

    def __init__(
        self, client: Any, model: Model | str, context: Any, type: Any, retries: int, options: Any, mode: Mode
    ):
        self._client = client
        self._plan = _Plan(client, model, context, type, dict(options), mode)
        self._retries = retries
        self._started = False
        self._done = False
        self._value: Any = None

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        if self._started:
            raise RuntimeError("an ExtractStream can be iterated only once; await .result() for the value")
        self._started = True
        return self._run()

    async def _run(self) -> AsyncIterator[dict[str, Any]]:
        plan = self._plan
        msg = None
        for _ in range(self._retries + 1):
            partials = _Partials(plan.native)
            async with self._client.stream(plan.model, plan.context, **plan.options) as turn:
                async for event in turn:
                    value = partials.feed(event)
                    if value is not None:
                        yield value
                msg = await turn.result()
            ok, result = plan.read(msg)
            if ok:
                self._value, self._done = result, True
                return
        raise ExtractError(plan.errors, msg)

    async def result(self) -> T:
        """The validated value (raises like :func:`extract`)."""
        if not self._started:
            async for _ in self:
                pass
        if not self._done:
            raise RuntimeError("the extraction is still being iterated elsewhere; await it after the loop ends")
        return self._value  # type: ignore[no-any-return]

    def __await__(self) -> Generator[Any, None, T]:
        return self.result().__await__()


class SyncExtractStream(Generic[T]):
    """Blocking twin of :class:`ExtractStream`: iterate it, then ``result()``."""

    def __init__(
        self, client: Any, model: Model | str, context: Any, type: Any, retries: int, options: Any, mode: Mode
    ):
        self._client = client
        self._plan = _Plan(client, model, context, type, dict(options), mode)
        self._retries = retries
        self._started = False
        self._done = False
        self._value: Any = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        if self._started:
            raise RuntimeError("a SyncExtractStream can be iterated only once; call .result() for the value")
        self._started = True
        return self._run()

    def _run(self) -> Iterator[dict[str, Any]]:
        plan = self._plan
        msg = None
        for _ in range(self._retries + 1):
            partials = _Partials(plan.native)
            with self._client.stream(plan.model, plan.context, **plan.options) as turn:
                for event in turn:
                    value = partials.feed(event)
                    if value is not None:
                        yield value
                msg = turn.result()
            ok, result = plan.read(msg)
            if ok:
                self._value, self._done = result, True
                return
        raise ExtractError(plan.errors, msg)

    def result(self) -> T:
        """The validated value (raises like :func:`extract_sync`)."""
        if not self._started:
            for _ in self:
                pass
        if not self._done:
            raise RuntimeError("the extraction is still being iterated elsewhere; call result() after the loop")
        return self._value  # type: ignore[no-any-return]


@overload
async def extract(
    model: Model | str, context: Any, type: type[T], *, retries: int = 2, mode: Mode = "auto", **options: Any
) -> T: ...
@overload
async def extract(
    model: Model | str, context: Any, type: Mapping[str, Any], *, retries: int = 2, mode: Mode = "auto", **options: Any
) -> Any: ...
async def extract(
    model: Model | str, context: Any, type: Any, *, retries: int = 2, mode: Mode = "auto", **options: Any
) -> Any:
    """Ask ``model`` for an answer of ``type`` and return it, validated.

    ``type`` is a Pydantic model, dataclass, TypedDict, msgspec Struct or a
    JSON Schema dict (the result is then a dict). ``mode`` picks how:
    ``"auto"`` (the codec's native structured output where it has one, else
    a forced tool call), ``"native"`` or ``"tool"``. ``retries`` bounds how
    often a non-matching answer is fed back (default 2); a failed turn raises
    :class:`~aiwire.errors.ProviderError`, running out of retries
    :class:`ExtractError`. Other keyword arguments are call options.
    """
    from aiwire._api.client import default_client

    return await run_extract(default_client(), model, context, type, retries, options, mode)


def extract_sync(
    model: Model | str, context: Any, type: Any, *, retries: int = 2, mode: Mode = "auto", **options: Any
) -> Any:
    """Blocking twin of :func:`extract`."""
    from aiwire._api.client import default_client

    return run_extract_sync(default_client().blocking, model, context, type, retries, options, mode)


def extract_stream(
    model: Model | str, context: Any, type: Any, *, retries: int = 2, mode: Mode = "auto", **options: Any
) -> ExtractStream[Any]:
    """Like :func:`extract`, streaming partial values: see :class:`ExtractStream`."""
    from aiwire._api.client import default_client

    return ExtractStream(default_client(), model, context, type, retries, options, mode)


def extract_stream_sync(
    model: Model | str, context: Any, type: Any, *, retries: int = 2, mode: Mode = "auto", **options: Any
) -> SyncExtractStream[Any]:
    """Blocking twin of :func:`extract_stream`."""
    from aiwire._api.client import default_client

    return SyncExtractStream(default_client().blocking, model, context, type, retries, options, mode)
