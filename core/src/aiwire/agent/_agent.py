"""The stateful :class:`Agent`: a transcript, queues and subscribers around the loop."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Literal

from aiwire.agent._events import (
    AgentEnd,
    AgentEvent,
    MessageEnd,
    ToolExecutionEnd,
    ToolExecutionStart,
)
from aiwire.agent._llm import default_convert_to_llm
from aiwire.agent._loop import AgentLoopConfig, check_continuable, run_agent_loop
from aiwire.agent._tool import AgentTool, CancelToken, as_tools, maybe_await
from aiwire.agent._types import (
    AgentContext,
    AgentError,
    AgentMessage,
    CustomMessage,
    NextTurn,
    ToolExecution,
    TurnContext,
)
from aiwire.types import (
    AssistantMessage,
    ImageContent,
    Model,
    ReasoningLevel,
    TextContent,
    ToolResultMessage,
    UserContent,
    UserMessage,
)

__all__ = ["Agent", "AgentState", "QueueMode"]

log = logging.getLogger("aiwire.agent")

QueueMode = Literal["one-at-a-time", "all"]
"""How many queued messages are taken when the loop asks: the oldest one, or all."""

Listener = Callable[[AgentEvent], Awaitable[None] | None]


class AgentState:
    """What an :class:`Agent` holds. Change it through the agent's setters;
    read it any time, also from subscribers (it is updated before they run)."""

    __slots__ = (
        "_stream",
        "error",
        "is_running",
        "messages",
        "model",
        "pending_tool_calls",
        "reasoning",
        "system_prompt",
        "tools",
    )

    def __init__(
        self,
        model: Model,
        system_prompt: str | None,
        reasoning: ReasoningLevel | None,
        tools: list[AgentTool],
        messages: list[AgentMessage],
    ) -> None:
        self.model = model
        self.system_prompt = system_prompt
        self.reasoning = reasoning
        self.tools = tools
        self.messages = messages
        self.is_running = False
        self.pending_tool_calls: set[str] = set()
        self.error: str | None = None
        self._stream: Any = None

    @property
    def streaming_message(self) -> AssistantMessage | None:
        """A snapshot of the assistant message being streamed, else ``None``
        (the stream's own partial message, not a copy rebuilt from events)."""
        s = self._stream
        return None if s is None else s.partial


class Agent:
    """A conversation with tools: prompt it, watch its events, steer it.

    ::

        agent = Agent("anthropic/claude-sonnet-4-5", system_prompt="Be brief.", tools=[calculate])
        agent.subscribe(print)
        await agent.prompt("what is 6 times 7?")

    Hooks are described on :class:`AgentLoopConfig`. One run at a time:
    :meth:`prompt` while running raises; queue with :meth:`steer` (seen
    after the current tool batch) or :meth:`follow_up` (seen when the agent
    would otherwise stop) instead.
    """

    def __init__(
        self,
        model: Model | str,
        *,
        system_prompt: str | None = None,
        tools: Iterable[AgentTool | Callable[..., Any]] = (),
        messages: Iterable[AgentMessage] = (),
        reasoning: ReasoningLevel | None = None,
        tool_execution: ToolExecution = "parallel",
        steering_mode: QueueMode = "one-at-a-time",
        follow_up_mode: QueueMode = "one-at-a-time",
        session_id: str | None = None,
        stream_options: dict[str, Any] | None = None,
        convert_to_llm: Callable[[list[AgentMessage]], Any] = default_convert_to_llm,
        transform_context: Callable[[list[AgentMessage], CancelToken], Any] | None = None,
        get_api_key: Callable[[str], Any] | None = None,
        before_tool_call: Callable[..., Any] | None = None,
        after_tool_call: Callable[..., Any] | None = None,
        prepare_next_turn: Callable[[TurnContext], Any] | None = None,
        should_stop_after_turn: Callable[[TurnContext], Any] | None = None,
        stream: Callable[..., Any] | None = None,
    ) -> None:
        self.state = AgentState(_model(model), system_prompt, reasoning, as_tools(tools), list(messages))
        self.tool_execution = tool_execution
        self.steering_mode = steering_mode
        self.follow_up_mode = follow_up_mode
        self.session_id = session_id
        self.stream_options = dict(stream_options or {})
        self.convert_to_llm = convert_to_llm
        self.transform_context = transform_context
        self.get_api_key = get_api_key
        self.before_tool_call = before_tool_call
        self.after_tool_call = after_tool_call
        self.prepare_next_turn = prepare_next_turn
        self.should_stop_after_turn = should_stop_after_turn
        self.stream = stream
        self._listeners: list[Listener] = []
        self._steering: deque[AgentMessage] = deque()
        self._follow_ups: deque[AgentMessage] = deque()
        self._cancel: CancelToken | None = None
        self._idle: asyncio.Future[None] | None = None

    # -- observing -------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event)`` (plain or async) for every event, awaited
        in registration order. A listener that raises is logged and skipped.
        Returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _on_stream(self, stream: Any) -> None:
        self.state._stream = stream

    async def _emit(self, event: AgentEvent) -> None:
        self._apply(event)
        for listener in list(self._listeners):
            await _notify(listener, event)

    def _apply(self, event: AgentEvent) -> None:
        st = self.state
        if isinstance(event, MessageEnd):
            m = event.message
            st.messages.append(m)
            if isinstance(m, AssistantMessage):
                st._stream = None
                if m.stop_reason in ("error", "aborted"):
                    st.error = m.error_message or m.stop_reason
        elif isinstance(event, ToolExecutionStart):
            st.pending_tool_calls.add(event.tool_call_id)
        elif isinstance(event, ToolExecutionEnd):
            st.pending_tool_calls.discard(event.tool_call_id)
        elif isinstance(event, AgentEnd):
            st._stream = None

    # -- running ---------------------------------------------------------------

    async def prompt(
        self, input: str | AgentMessage | Sequence[AgentMessage], images: Sequence[ImageContent] = ()
    ) -> list[AgentMessage]:
        """Send a prompt (text, optionally with images, or ready messages) and
        run until the agent stops. Returns the messages the run added."""
        prompts: list[AgentMessage]
        if isinstance(input, str):
            content: str | list[UserContent] = [TextContent(text=input), *images] if images else input
            prompts = [UserMessage(content=content)]
        elif images:
            raise AgentError("images= goes with a text prompt; put ImageContent in your UserMessage instead")
        elif isinstance(input, (UserMessage, AssistantMessage, ToolResultMessage, CustomMessage)):
            prompts = [input]
        else:
            prompts = list(input)
        return await self._run(prompts)

    async def continue_run(self) -> list[AgentMessage]:
        """Run from the transcript as it is: after tool results, after a
        custom message, or once a failed turn was removed. When the last
        message is the assistant's, queued steering or follow-up messages are
        sent instead; without any, :class:`AgentError` says why not."""
        self._check_idle()
        messages = self.state.messages
        if messages and isinstance(messages[-1], AssistantMessage):
            queued = self._take(self._steering, self.steering_mode) or self._take(self._follow_ups, self.follow_up_mode)
            if queued:
                return await self._run(queued)
        check_continuable(AgentContext(messages=messages))
        return await self._run([])

    def _check_idle(self) -> None:
        if self.state.is_running:
            raise AgentError(
                "the agent is already running; queue with steer() or follow_up(), or await wait_for_idle() first"
            )

    async def _run(self, prompts: list[AgentMessage]) -> list[AgentMessage]:
        self._check_idle()
        st = self.state
        st.is_running = True
        st.error = None
        self._cancel = cancel = CancelToken()
        self._idle = idle = asyncio.get_running_loop().create_future()
        context = AgentContext(st.system_prompt, list(st.messages), list(st.tools))
        try:
            return await run_agent_loop(prompts, context, self._config(), self._emit, cancel, on_stream=self._on_stream)
        finally:
            st.is_running = False
            st._stream = None
            st.pending_tool_calls.clear()
            self._cancel = None
            self._idle = None
            idle.set_result(None)

    def _config(self) -> AgentLoopConfig:
        options = dict(self.stream_options)
        if self.session_id:
            options["session_id"] = self.session_id
        st = self.state
        return AgentLoopConfig(
            model=st.model,
            reasoning=st.reasoning,
            stream_options=options,
            tool_execution=self.tool_execution,
            convert_to_llm=self.convert_to_llm,
            transform_context=self.transform_context,
            get_api_key=self.get_api_key,
            get_steering_messages=lambda: self._take(self._steering, self.steering_mode),
            get_follow_up_messages=lambda: self._take(self._follow_ups, self.follow_up_mode),
            before_tool_call=self.before_tool_call,
            after_tool_call=self.after_tool_call,
            prepare_next_turn=self._prepare_next_turn,
            should_stop_after_turn=self.should_stop_after_turn,
            stream=self.stream,
        )

    async def _prepare_next_turn(self, turn: TurnContext) -> NextTurn:
        # Setters called during a run take effect from the next turn on; the
        # application's hook may change them once more.
        st = self.state
        if self.prepare_next_turn is not None:
            nxt = await maybe_await(self.prepare_next_turn(turn))
            if isinstance(nxt, NextTurn):
                st.model = nxt.model or st.model
                st.reasoning = nxt.reasoning or st.reasoning
                st.tools = list(nxt.tools) if nxt.tools is not None else st.tools
        return NextTurn(model=st.model, reasoning=st.reasoning, tools=st.tools)

    @staticmethod
    def _take(queue: deque[AgentMessage], mode: QueueMode) -> list[AgentMessage]:
        if not queue:
            return []
        if mode == "all":
            out = list(queue)
            queue.clear()
            return out
        return [queue.popleft()]

    def abort(self) -> None:
        """Stop the run: the model stream and running tools are cancelled, the
        turn ends as aborted and the transcript stays ready for a new prompt."""
        if self._cancel is not None:
            self._cancel.cancel()

    async def wait_for_idle(self) -> None:
        """Return once no run is active and its subscribers have settled."""
        if self._idle is not None:
            await asyncio.shield(self._idle)

    # -- queues ------------------------------------------------------------------

    def steer(self, message: str | AgentMessage) -> None:
        """Queue a message for the running agent, delivered after the current
        tool batch; tool calls of that batch not yet run are skipped."""
        self._steering.append(_as_message(message))

    def follow_up(self, message: str | AgentMessage) -> None:
        """Queue a message delivered when the agent would otherwise stop."""
        self._follow_ups.append(_as_message(message))

    def clear_queues(self) -> None:
        """Drop queued steering and follow-up messages."""
        self._steering.clear()
        self._follow_ups.clear()

    @property
    def has_queued_messages(self) -> bool:
        return bool(self._steering or self._follow_ups)

    # -- setters -------------------------------------------------------------------

    def set_model(self, model: Model | str) -> None:
        """Use ``model`` from the next turn on (another provider is fine: the
        transcript is converted for it)."""
        self.state.model = _model(model)

    def set_reasoning(self, level: ReasoningLevel | None) -> None:
        """Use this reasoning level (``None``: the model's default) from the next turn on."""
        self.state.reasoning = level

    def set_tools(self, tools: Iterable[AgentTool | Callable[..., Any]]) -> None:
        """Offer these tools (plain typed functions are wrapped) from the next turn on."""
        self.state.tools = as_tools(tools)

    def set_system_prompt(self, system_prompt: str | None) -> None:
        """Use this system prompt from the next turn on."""
        self.state.system_prompt = system_prompt

    def set_messages(self, messages: Iterable[AgentMessage]) -> None:
        """Replace the transcript (a copy is kept). Not while running."""
        self._check_idle()
        self.state.messages = list(messages)

    def set_session_id(self, session_id: str | None) -> None:
        """Providers that cache by session see this id from the next call on."""
        self.session_id = session_id

    def reset(self) -> None:
        """Forget the transcript, queues and last error. Not while running."""
        self._check_idle()
        self.state.messages = []
        self.state.error = None
        self.clear_queues()


async def _notify(listener: Listener, event: AgentEvent) -> None:
    # A broken listener must not leave the run (and its transcript) half done.
    try:
        result = listener(event)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("an agent event listener failed on %s", type(event).__name__)


def _model(model: Model | str) -> Model:
    if isinstance(model, Model):
        return model
    from aiwire._api.models import get_model

    return get_model(model)


def _as_message(message: str | AgentMessage) -> AgentMessage:
    return UserMessage(content=message) if isinstance(message, str) else message
