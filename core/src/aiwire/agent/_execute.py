"""Running one assistant message's tool calls.

Calls are cut into segments: in parallel mode consecutive calls share a
segment, and a call to a ``sequential`` tool gets one of its own; in
sequential mode every call does. A segment's calls are checked in order
(lookup, ``prepare_arguments``, validation, ``before_tool_call``), then run
concurrently. Between segments the steering queue is polled; if the user said
something, the calls not yet run get a "skipped" result instead.

Tool tasks never emit directly: they put events on a queue that this module
drains in order, so subscribers see one event at a time and progress updates
stay ordered per tool.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from aiwire.agent._events import AgentEvent, ToolExecutionEnd, ToolExecutionStart, ToolExecutionUpdate
from aiwire.agent._tool import AgentTool, CancelToken, as_result, maybe_await
from aiwire.agent._types import (
    AfterToolCallContext,
    AfterToolCallResult,
    AgentContext,
    AgentMessage,
    AgentToolResult,
    BeforeToolCallResult,
    ToolCallContext,
    ToolExecution,
)
from aiwire.tools import ToolArgumentsError, validate_tool_call
from aiwire.types import AssistantMessage, TextContent, ToolCall, ToolResultMessage

__all__ = ["BatchOutcome", "Hooks", "execute_tool_calls"]

log = logging.getLogger("aiwire.agent")

Emit = Callable[[AgentEvent], Awaitable[None]]

SKIPPED = "Skipped: the user sent a new message before this tool call ran."
ABORTED = "Aborted: the run was cancelled before this tool call finished."


def _text_result(text: str) -> AgentToolResult:
    return AgentToolResult(content=[TextContent(text=text)])


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Hooks(msgspec.Struct):
    """The parts of the loop's configuration that tool execution needs."""

    mode: ToolExecution
    before: Callable[[ToolCallContext], Any] | None
    after: Callable[[AfterToolCallContext], Any] | None
    poll_steering: Callable[[], Awaitable[list[AgentMessage]]]
    # Told each call's start (result None) and end: the on_tool_call_* plugin hooks.
    observe: Callable[[ToolCall, ToolResultMessage | None], None] | None = None


class BatchOutcome(msgspec.Struct):
    results: list[ToolResultMessage]
    steering: list[AgentMessage]
    terminate: bool


class _Prepared(msgspec.Struct):
    call: ToolCall
    tool: AgentTool | None
    args: dict[str, Any]
    result: AgentToolResult | None = None  # set when the call is settled without running
    is_error: bool = False


class _Batch:
    __slots__ = ("cancel", "closing", "context", "definitions", "emit", "hooks", "message", "queue", "tools")

    def __init__(
        self, message: AssistantMessage, context: AgentContext, hooks: Hooks, cancel: CancelToken, emit: Emit
    ) -> None:
        self.message = message
        self.context = context
        self.hooks = hooks
        self.cancel = cancel
        self.emit = emit
        self.tools = {t.definition.name: t for t in context.tools}
        self.definitions = [t.definition for t in self.tools.values()]
        self.queue: asyncio.Queue[AgentEvent] = asyncio.Queue()
        self.closing = False

    def segments(self, calls: list[ToolCall]) -> list[list[ToolCall]]:
        out: list[list[ToolCall]] = []
        joinable = False
        for call in calls:
            tool = self.tools.get(call.name)
            alone = self.hooks.mode == "sequential" or getattr(tool, "execution_mode", None) == "sequential"
            if joinable and not alone:
                out[-1].append(call)
            else:
                out.append([call])
            joinable = not alone
        return out

    async def prepare(self, call: ToolCall) -> _Prepared:
        tool = self.tools.get(call.name)
        p = _Prepared(call, tool, call.arguments)
        checked_call = call
        prep = getattr(tool, "prepare_arguments", None)
        if prep is not None and call.invalid_arguments is None:
            try:
                checked_call = msgspec.structs.replace(call, arguments=prep(dict(call.arguments)))
            except Exception as exc:
                return self._settle(p, f"Could not prepare the arguments for {call.name}: {_describe(exc)}")
        # An unknown tool and arguments that were not JSON are refused here too,
        # with the core's wording, so the model always gets one kind of error.
        try:
            checked = validate_tool_call(self.definitions, checked_call)
        except ToolArgumentsError as exc:
            return self._settle(p, str(exc))
        p.args = checked.arguments
        if checked.coercions:
            log.info("tool call %s (%s) arguments coerced: %s", call.name, call.id, "; ".join(checked.coercions))
        if self.hooks.before is not None:
            try:
                verdict = await maybe_await(
                    self.hooks.before(ToolCallContext(self.message, call, p.args, self.context))
                )
            except Exception as exc:
                return self._settle(p, f"The call was refused because a check failed: {_describe(exc)}")
            if isinstance(verdict, BeforeToolCallResult) and verdict.block:
                return self._settle(p, verdict.reason or f"The call to {call.name} was blocked.")
        return p

    def _observe(self, p: _Prepared, *, ended: bool) -> None:
        if self.hooks.observe is not None:
            self.hooks.observe(p.call, _message(p) if ended else None)

    @staticmethod
    def _settle(p: _Prepared, error: str) -> _Prepared:
        p.result = _text_result(error)
        p.is_error = True
        return p

    async def _end_now(self, p: _Prepared, error: str | None = None) -> None:
        """Emit the end of a call settled without running (``error`` settles it)."""
        if error is not None:
            self._settle(p, error)
        assert p.result is not None
        self._observe(p, ended=True)
        await self.emit(ToolExecutionEnd(p.call.id, p.call.name, p.result, p.is_error))

    async def run(self, p: _Prepared) -> None:
        """Execute one prepared call and queue its end event; never raises."""
        assert p.tool is not None
        call = p.call
        finished = False

        def on_update(partial: AgentToolResult) -> None:
            if not finished:
                self.queue.put_nowait(ToolExecutionUpdate(call.id, call.name, p.args, partial))

        result, is_error = await self._execute(p, on_update)
        finished = True
        if self.hooks.after is not None:
            result, is_error = await self._after(p, result, is_error)
        p.result, p.is_error = result, is_error
        self._observe(p, ended=True)
        self.queue.put_nowait(ToolExecutionEnd(call.id, call.name, result, is_error))

    async def _execute(
        self, p: _Prepared, on_update: Callable[[AgentToolResult], None]
    ) -> tuple[AgentToolResult, bool]:
        # The tool runs in a task of its own so that an abort cancels the tool
        # and not this wrapper, which must always report the call's end.
        assert p.tool is not None
        if self.cancel.cancelled:
            return _text_result(ABORTED), True
        inner = asyncio.ensure_future(p.tool.execute(p.call.id, p.args, self.cancel, on_update))
        remove = self.cancel.on_cancel(inner.cancel)
        try:
            return as_result(await inner), False
        except asyncio.CancelledError:
            if self.closing:
                inner.cancel()
                raise
            if self.cancel.cancelled:
                return _text_result(ABORTED), True
            return _text_result("CancelledError: the tool cancelled itself"), True
        except Exception as exc:
            return _text_result(_describe(exc)), True
        finally:
            remove()

    async def _after(self, p: _Prepared, result: AgentToolResult, is_error: bool) -> tuple[AgentToolResult, bool]:
        assert self.hooks.after is not None
        ctx = AfterToolCallContext(self.message, p.call, p.args, self.context, result, is_error)
        try:
            change = await maybe_await(self.hooks.after(ctx))
        except Exception as exc:
            return _text_result(f"The result was withheld because a check failed: {_describe(exc)}"), True
        if not isinstance(change, AfterToolCallResult):
            return result, is_error
        updates: dict[str, Any] = {}
        if change.content is not None:
            updates["content"] = change.content
        if change.details is not msgspec.UNSET:
            updates["details"] = change.details
        if change.terminate is not None:
            updates["terminate"] = change.terminate
        if updates:
            result = msgspec.structs.replace(result, **updates)
        return result, is_error if change.is_error is None else change.is_error

    async def segment(self, calls: list[ToolCall]) -> list[_Prepared]:
        prepared: list[_Prepared] = []
        for call in calls:
            await self.emit(ToolExecutionStart(call.id, call.name, call.arguments))
            if self.hooks.observe is not None:
                self.hooks.observe(call, None)
            p = await self.prepare(call)
            prepared.append(p)
            if p.result is not None:
                await self._end_now(p)
        runnable = [p for p in prepared if p.result is None]
        if self.cancel.cancelled:
            for p in runnable:
                await self._end_now(p, ABORTED)
            return prepared
        tasks = [asyncio.ensure_future(self.run(p)) for p in runnable]
        try:
            pending = len(tasks)
            while pending:
                event = await self.queue.get()
                if isinstance(event, ToolExecutionEnd):
                    pending -= 1
                await self.emit(event)
        except BaseException:
            # The loop itself is being cancelled (or a subscriber raised): stop the
            # tools without their end events. Not on a normal exit, or an abort in a
            # later segment would find the batch closing and lose a call's end.
            self.closing = True
            for t in tasks:
                t.cancel()
            raise
        return prepared


def _message(p: _Prepared) -> ToolResultMessage:
    assert p.result is not None
    r = p.result
    return ToolResultMessage(
        tool_call_id=p.call.id, tool_name=p.call.name, content=r.content, is_error=p.is_error, details=r.details
    )


async def execute_tool_calls(
    message: AssistantMessage, context: AgentContext, hooks: Hooks, cancel: CancelToken, emit: Emit
) -> BatchOutcome:
    """Run the tool calls of ``message``; results come back in call order."""
    batch = _Batch(message, context, hooks, cancel, emit)
    segments = batch.segments(message.tool_calls)
    done: list[_Prepared] = []
    steering: list[AgentMessage] = []
    for n, seg in enumerate(segments):
        done.extend(await batch.segment(seg))
        if n + 1 < len(segments) and not cancel.cancelled:
            steering = await hooks.poll_steering()
            if steering:
                for rest in segments[n + 1 :]:
                    for call in rest:
                        p = _Prepared(call, None, call.arguments)
                        await emit(ToolExecutionStart(call.id, call.name, call.arguments))
                        if hooks.observe is not None:
                            hooks.observe(call, None)
                        await batch._end_now(p, SKIPPED)
                        done.append(p)
                break
    terminate = bool(done) and all(p.result is not None and p.result.terminate for p in done)
    return BatchOutcome([_message(p) for p in done], steering, terminate)
