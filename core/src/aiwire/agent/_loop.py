"""The agent loop: model turn, tools, repeat; steering and follow-ups.

A run ends when the model answers without tool calls and no message is
queued, when a turn fails or is aborted, when every tool result of a batch
asks to terminate, or when ``should_stop_after_turn`` says so. Failures never
raise: a setup error, a failing hook or an abort becomes an assistant message
with ``stop_reason`` error or aborted, which ends the run. So a transcript
always ends with an assistant message or tool results, and the next prompt
works.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from aiwire import events as ev
from aiwire._wire.exchange import AgentRunContext, current_parent
from aiwire.agent._events import (
    AgentEnd,
    AgentEvent,
    AgentStart,
    MessageEnd,
    MessageStart,
    MessageUpdate,
    TurnEnd,
    TurnStart,
)
from aiwire.agent._llm import default_convert_to_llm
from aiwire.agent._tool import CancelToken, maybe_await
from aiwire.agent._types import (
    AfterToolCallContext,
    AgentContext,
    AgentError,
    AgentMessage,
    NextTurn,
    ToolCallContext,
    ToolExecution,
    TurnContext,
)
from aiwire.types import AssistantMessage, Context, Message, Model, ReasoningLevel, ToolCall, ToolResultMessage

if TYPE_CHECKING:
    from aiwire.agent._execute import Emit, Hooks

__all__ = ["AgentLoopConfig", "check_continuable", "run_agent_loop"]

log = logging.getLogger("aiwire")


class AgentLoopConfig(msgspec.Struct):
    """How the loop calls the model and runs tools. Every hook may be a plain
    or an async function.

    - ``convert_to_llm(messages) -> list[Message]``: custom messages to model
      messages (default: drop custom messages).
    - ``transform_context(messages, cancel) -> messages``: prune, compact or
      inject before each model call; the transcript itself is not changed.
    - ``get_api_key(provider) -> str | None``: a fresh key per call, for
      tokens that expire during long tool runs.
    - ``get_steering_messages()`` / ``get_follow_up_messages()``: queued user
      messages (see :class:`~aiwire.agent.Agent` for the queues).
    - ``before_tool_call``, ``after_tool_call``, ``prepare_next_turn``,
      ``should_stop_after_turn``: see their context types.
    - ``stream_options``: passed to :func:`aiwire.stream` (``max_tokens``,
      ``session_id``...); ``stream`` replaces :func:`aiwire.stream` itself.
    """

    model: Model
    reasoning: ReasoningLevel | None = None
    stream_options: dict[str, Any] = msgspec.field(default_factory=dict)
    tool_execution: ToolExecution = "parallel"
    convert_to_llm: Callable[[list[AgentMessage]], Any] = default_convert_to_llm
    transform_context: Callable[[list[AgentMessage], CancelToken], Any] | None = None
    get_api_key: Callable[[str], Any] | None = None
    get_steering_messages: Callable[[], Any] | None = None
    get_follow_up_messages: Callable[[], Any] | None = None
    before_tool_call: Callable[[ToolCallContext], Any] | None = None
    after_tool_call: Callable[[AfterToolCallContext], Any] | None = None
    prepare_next_turn: Callable[[TurnContext], Any] | None = None
    should_stop_after_turn: Callable[[TurnContext], Any] | None = None
    stream: Callable[..., Any] | None = None


def _failed(model: Model, text: str, *, aborted: bool = False) -> AssistantMessage:
    return AssistantMessage(
        api=model.api,
        provider=model.provider,
        model=model.id,
        stop_reason="aborted" if aborted else "error",
        error_message=text,
    )


def _options(config: AgentLoopConfig) -> dict[str, Any]:
    """Stream options, leaving out the agent-level ones the model's api
    cannot take (so an agent setting never turns into a setup error)."""
    from aiwire._plugins.registry import get_registry

    model = config.model
    options = dict(config.stream_options)
    try:
        supported: frozenset[str] = get_registry().codec(model.api).supported_options
    except Exception:
        supported = frozenset()  # the stream call reports the unknown api itself
    if config.reasoning is not None and model.reasoning and "reasoning" in supported:
        options.setdefault("reasoning", config.reasoning)
    return options


class _Run:
    """One invocation of the loop."""

    def __init__(
        self,
        context: AgentContext,
        config: AgentLoopConfig,
        emit: Emit,
        cancel: CancelToken,
        on_stream: Callable[[Any], None] | None = None,
    ) -> None:
        self.context = context
        self.config = config
        self.emit = emit
        self.cancel = cancel
        self.on_stream = on_stream
        self.new_messages: list[AgentMessage] = []
        self.info: Any = None  # the AgentRunContext the plugin hooks see, made in run()
        self.ended = False

    async def add(self, message: AgentMessage) -> None:
        """A whole message (prompt, steering, follow-up, tool result)."""
        self.context.messages.append(message)
        self.new_messages.append(message)
        await self.emit(MessageStart(message=message))
        await self.emit(MessageEnd(message=message))

    async def _llm_context(self) -> Context:
        messages: list[AgentMessage] = list(self.context.messages)
        if self.config.transform_context is not None:
            messages = list(await maybe_await(self.config.transform_context(messages, self.cancel)))
        llm: Sequence[Message] = await maybe_await(self.config.convert_to_llm(messages))
        tools = [t.definition for t in self.context.tools]
        return Context(system_prompt=self.context.system_prompt or None, messages=list(llm), tools=tools)

    async def assistant_turn(self) -> AssistantMessage:
        """Stream one assistant message; it is in the transcript on return."""
        cfg = self.config
        model = cfg.model
        stream: Any = None
        try:
            if not self.cancel.cancelled:
                llm_context = await self._llm_context()
                options = _options(cfg)
                if cfg.get_api_key is not None:
                    key = await maybe_await(cfg.get_api_key(model.provider))
                    if key:
                        options["api_key"] = key
                if not self.cancel.cancelled:
                    if cfg.stream is None:
                        from aiwire._api.calls import stream as stream_fn
                    else:
                        stream_fn = cfg.stream
                    # The call's hooks see this run as their parent (call.parent_id).
                    token = current_parent.set(self.info.run_id) if self.info is not None else None
                    try:
                        stream = stream_fn(model, llm_context, **options)
                    finally:
                        if token is not None:
                            current_parent.reset(token)
        except Exception as exc:
            return await self._end_turn(_failed(model, f"{type(exc).__name__}: {exc}"))
        if stream is None:
            return await self._end_turn(_failed(model, "aborted before the request was sent", aborted=True))
        return await self._consume(stream)

    async def _consume(self, stream: Any) -> AssistantMessage:
        started = False
        remove = self.cancel.on_cancel(stream.abort)
        if self.on_stream is not None:
            self.on_stream(stream)
        try:
            events = stream.__aiter__()
            async with contextlib.aclosing(events):
                async for event in events:
                    if isinstance(event, ev.Start):
                        started = True
                        await self.emit(MessageStart(message=event.message))
                    elif not isinstance(event, (ev.Done, ev.Error)):
                        await self.emit(MessageUpdate(event=event))
                    if self.cancel.cancelled:
                        # The stream may be between reads, where abort() cannot
                        # interrupt it; closing it ends the turn as aborted.
                        break
        finally:
            remove()
            if self.on_stream is not None:
                self.on_stream(None)
        final: AssistantMessage = stream.message
        if not started:
            await self.emit(MessageStart(message=final))
        return await self._end_turn(final, started=True)

    async def _end_turn(self, message: AssistantMessage, *, started: bool = False) -> AssistantMessage:
        self.context.messages.append(message)
        self.new_messages.append(message)
        if not started:
            await self.emit(MessageStart(message=message))
        await self.emit(MessageEnd(message=message))
        return message

    async def poll(self, getter: Callable[[], Any] | None) -> list[AgentMessage]:
        if getter is None:
            return []
        return list(await maybe_await(getter()) or ())

    async def between_turns(self, turn: TurnContext) -> bool:
        """Run the between-turn hooks; False when the run must stop."""
        cfg = self.config
        if cfg.should_stop_after_turn is not None and await maybe_await(cfg.should_stop_after_turn(turn)):
            return False
        if cfg.prepare_next_turn is not None:
            nxt = await maybe_await(cfg.prepare_next_turn(turn))
            if isinstance(nxt, NextTurn):
                if nxt.model is not None:
                    cfg.model = nxt.model
                if nxt.reasoning is not None:
                    cfg.reasoning = nxt.reasoning
                if nxt.tools is not None:
                    self.context.tools = list(nxt.tools)
        return True

    def _notify(self, hook: str, **kwargs: Any) -> None:
        from aiwire._plugins.registry import get_registry

        try:
            get_registry().notify(hook, run=self.info, **kwargs)
        except Exception:  # a registry that cannot load is reported by the call itself
            log.debug("agent hook %s not run", hook, exc_info=True)

    def _observe_tool(self, call: ToolCall, result: ToolResultMessage | None) -> None:
        if result is None:
            self._notify("on_tool_call_start", tool_call=call)
        else:
            self._notify("on_tool_call_end", tool_call=call, result=result)

    async def run(self, prompts: list[AgentMessage]) -> list[AgentMessage]:
        try:
            return await self._run(prompts)
        except BaseException:  # cancelled from outside: observers still see the run end
            if self.info is not None and not self.ended:
                self._notify("on_agent_end", messages=list(self.new_messages))
            raise

    async def _run(self, prompts: list[AgentMessage]) -> list[AgentMessage]:
        cfg = self.config
        self.info = AgentRunContext(
            uuid.uuid4().hex[:16],
            cfg.model,
            system_prompt=self.context.system_prompt or "",
            tools=tuple(t.definition.name for t in self.context.tools),
            started_at=time.time(),
        )
        self._notify("on_agent_start")
        await self.emit(AgentStart())
        await self.emit(TurnStart())
        for p in prompts:
            await self.add(p)
        hooks: Hooks | None = None
        pending = await self._poll_steering()
        first = True
        while True:
            more_tools = True
            while more_tools or pending:
                if not first:
                    await self.emit(TurnStart())
                first = False
                for m in pending:
                    await self.add(m)
                pending = []
                message = await self.assistant_turn()
                results: list[ToolResultMessage] = []
                if message.stop_reason in ("error", "aborted"):
                    await self.emit(TurnEnd(message=message, tool_results=results))
                    return await self._finish()
                more_tools = bool(message.tool_calls)
                terminate = False
                if more_tools:
                    # Imported by the first turn that calls tools: a chat's first request leaves sooner.
                    from aiwire.agent._execute import Hooks, execute_tool_calls

                    if hooks is None:
                        hooks = Hooks(
                            cfg.tool_execution,
                            cfg.before_tool_call,
                            cfg.after_tool_call,
                            self._poll_steering,
                            self._observe_tool,
                        )
                    outcome = await execute_tool_calls(message, self.context, hooks, self.cancel, self.emit)
                    for r in outcome.results:
                        await self.add(r)
                    results, pending, terminate = outcome.results, outcome.steering, outcome.terminate
                await self.emit(TurnEnd(message=message, tool_results=results))
                if terminate and not self.cancel.cancelled:
                    return await self._finish()
                turn = TurnContext(message, results, self.context, self.new_messages)
                try:
                    go_on = await self.between_turns(turn)
                except Exception as exc:
                    await self.emit(TurnStart())
                    failed = await self._end_turn(_failed(cfg.model, f"a between-turn hook failed: {exc!r}"))
                    await self.emit(TurnEnd(message=failed, tool_results=[]))
                    return await self._finish()
                if not go_on:
                    return await self._finish()
                if not pending:
                    pending = await self._poll_steering()
            pending = await self.poll(cfg.get_follow_up_messages)
            if not pending:
                return await self._finish()

    async def _poll_steering(self) -> list[AgentMessage]:
        return await self.poll(self.config.get_steering_messages)

    async def _finish(self) -> list[AgentMessage]:
        self.ended = True
        self._notify("on_agent_end", messages=list(self.new_messages))
        await self.emit(AgentEnd(messages=list(self.new_messages)))
        return self.new_messages


async def _discard(event: AgentEvent) -> None:
    return None


async def run_agent_loop(
    prompts: Sequence[AgentMessage],
    context: AgentContext,
    config: AgentLoopConfig,
    emit: Callable[[AgentEvent], Awaitable[None]] | None = None,
    cancel: CancelToken | None = None,
    *,
    on_stream: Callable[[Any], None] | None = None,
) -> list[AgentMessage]:
    """Add ``prompts`` to ``context`` and run until the agent stops; returns
    the messages this run added (prompts included). ``emit`` (async) sees
    each event; ``cancel`` aborts the run when cancelled; ``on_stream`` is
    told each assistant turn's stream while it is read (its ``partial`` is
    the message so far), then ``None``."""
    run = _Run(context, config, emit or _discard, cancel or CancelToken(), on_stream)
    return await run.run(list(prompts))


def check_continuable(context: AgentContext) -> None:
    if not context.messages:
        raise AgentError("nothing to continue: the transcript is empty; send a prompt first")
    last = context.messages[-1]
    if isinstance(last, AssistantMessage):
        raise AgentError(
            "cannot continue: the last message is the assistant's, so the model would answer itself. "
            "Send a prompt, or remove the last message (for example a failed turn) before continuing"
        )
