"""The tool protocol, a cancellation token, and tools made from functions."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar, runtime_checkable

import msgspec

from aiwire._typeschema import TypeSchemaError, function_shape
from aiwire.agent._types import AgentToolResult, ToolExecution
from aiwire.errors import InvalidToolError
from aiwire.tools import ToolArgumentsError
from aiwire.types import TextContent, Tool

__all__ = ["AgentTool", "CancelToken", "FunctionTool", "UpdateCallback"]

T = TypeVar("T")

UpdateCallback = Callable[[AgentToolResult], None]
"""Called by a running tool with partial results (progress); each call
becomes a ``tool_execution_update`` event."""


async def maybe_await(value: T | Awaitable[T]) -> T:
    """The value, awaited first when a hook returned an awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


class CancelToken:
    """Set once when a run is aborted. Tools poll :attr:`cancelled`, await
    :meth:`wait`, or register a callback; async tools are also cancelled
    through their task, so most never need to look at it."""

    __slots__ = ("_callbacks", "_waiters", "reason")

    def __init__(self) -> None:
        self.reason: str | None = None
        self._callbacks: list[Callable[[], Any]] = []
        self._waiters: list[asyncio.Future[None]] = []

    @property
    def cancelled(self) -> bool:
        return self.reason is not None

    def cancel(self, reason: str = "aborted") -> None:
        """Cancel (idempotent) and run the registered callbacks, newest first."""
        if self.reason is not None:
            return
        self.reason = reason
        for cb in reversed(self._callbacks):
            cb()
        self._callbacks.clear()
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)

    def on_cancel(self, callback: Callable[[], Any]) -> Callable[[], None]:
        """Run ``callback`` on cancel (at once if already cancelled); returns
        a function that unregisters it."""
        if self.reason is not None:
            callback()
            return lambda: None
        self._callbacks.append(callback)

        def remove() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return remove

    async def wait(self) -> None:
        """Return once cancelled."""
        if self.reason is not None:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        finally:
            self._waiters.remove(fut)


@runtime_checkable
class AgentTool(Protocol):
    """A tool the agent can run.

    Required: ``definition`` (what the model sees), ``label`` (for people)
    and ``execute``. Optional attributes, read when present:

    - ``execution_mode``: ``"sequential"`` makes calls to this tool run alone,
      after the calls before it and before the calls after it.
    - ``prepare_arguments(args) -> args``: repair raw arguments (old names,
      strings for numbers) before they are validated against the schema.

    ``execute`` raises to report a failure: the model then sees the error as
    the tool's result. It should not encode failures in ``content``.
    """

    @property
    def definition(self) -> Tool: ...

    @property
    def label(self) -> str: ...

    async def execute(
        self, call_id: str, args: dict[str, Any], cancel: CancelToken, on_update: UpdateCallback
    ) -> AgentToolResult:
        """Run the tool for one call; honour ``cancel`` and report progress through ``on_update``."""
        ...


class FunctionTool:
    """An :class:`AgentTool` from a plain function called as ``fn(**args)``.

    Without ``parameters``, the JSON Schema comes from the function's type
    hints (any type msgspec or an imported Pydantic can describe: dataclasses,
    TypedDicts, Structs, Pydantic models, ``Literal``, ``Annotated``...), the
    description from its docstring (the summary; parameter descriptions from
    a Google, NumPy or reST parameter section), and the arguments are
    converted to those types by msgspec (or Pydantic) before the call. A
    parameter without a type hint is refused with
    :class:`~aiwire.errors.InvalidToolError`.

    The function may be sync (it then runs in a worker thread) or async. It
    returns a string, a list of content blocks, an :class:`AgentToolResult`,
    or any other JSON-encodable value (sent as JSON text). It receives
    ``cancel`` and ``on_update`` too if its signature names them.
    """

    __slots__ = ("_accepts", "_convert", "definition", "execution_mode", "fn", "label", "prepare_arguments")

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        parameters: dict[str, Any] | type | None = None,
        label: str | None = None,
        execution_mode: ToolExecution | None = None,
        prepare_arguments: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        if not callable(fn):
            raise InvalidToolError(f"FunctionTool needs a function, not {type(fn).__name__}")
        self.fn = fn
        tool_name: str = name or getattr(fn, "__name__", None) or type(fn).__name__
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            raise InvalidToolError(
                f"FunctionTool cannot read the signature of {tool_name}; wrap it in a def with typed parameters"
            ) from None
        self._accepts = frozenset(n for n in ("cancel", "on_update") if n in params)
        self._convert: Callable[[Any], Any] | None = None
        if parameters is None:
            try:
                shape = function_shape(fn, skip=self._accepts)
            except TypeSchemaError as exc:
                raise InvalidToolError(f"tool {tool_name!r}: {exc}") from None
            schema: Any = shape.schema
            doc = shape.description
            self._convert = shape.validate
        else:
            schema = parameters
            doc = inspect.getdoc(fn) or ""
        self.definition = Tool(
            name=tool_name,
            description=description if description is not None else doc,
            parameters=schema,
        )
        self.label = label or tool_name.replace("_", " ")
        self.execution_mode = execution_mode
        self.prepare_arguments = prepare_arguments

    async def execute(
        self, call_id: str, args: dict[str, Any], cancel: CancelToken, on_update: UpdateCallback
    ) -> AgentToolResult:
        """Call the wrapped function with the converted arguments (and ``cancel``/``on_update`` if it takes them)."""
        if self._convert is not None:
            try:
                kwargs = self._convert(args)
            except TypeSchemaError as exc:
                raise ToolArgumentsError(self.definition.name, [("arguments", str(exc))], args) from None
        else:
            kwargs = dict(args)
        if "cancel" in self._accepts:
            kwargs["cancel"] = cancel
        if "on_update" in self._accepts:
            kwargs["on_update"] = on_update
        if inspect.iscoroutinefunction(self.fn):
            value = await self.fn(**kwargs)
        else:
            value = await asyncio.to_thread(self.fn, **kwargs)
        return as_result(value)

    def __repr__(self) -> str:
        return f"FunctionTool({self.definition.name!r})"


def as_tools(tools: Iterable[AgentTool | Callable[..., Any]]) -> list[AgentTool]:
    """The tools, with plain functions made into :class:`FunctionTool`."""
    return [t if isinstance(t, AgentTool) else FunctionTool(t) for t in tools]


def as_result(value: Any) -> AgentToolResult:
    """Accept what tools commonly return; anything else is a tool bug."""
    if isinstance(value, AgentToolResult):
        return value
    if isinstance(value, str):
        return AgentToolResult(content=[TextContent(text=value)])
    if isinstance(value, list) and all(hasattr(b, "type") for b in value):
        return AgentToolResult(content=value)
    try:
        text = msgspec.json.encode(value, enc_hook=_encode_other).decode()
    except (TypeError, ValueError, OverflowError):
        raise TypeError(
            f"a tool returned {type(value).__name__}; return a str, content blocks, an AgentToolResult "
            "or a JSON-encodable value"
        ) from None
    return AgentToolResult(content=[TextContent(text=text)])


def _encode_other(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)  # a Pydantic model
    if callable(dump):
        return dump(mode="json")
    raise TypeError(type(value).__name__)
