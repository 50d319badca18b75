"""Model turns and tool use through the Agent, with the faux provider."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from agent_helpers import Recorder, add_tool, result_texts, roles, sent, tool_of

import aiwire
from aiwire.agent import (
    Agent,
    AgentContext,
    AgentLoopConfig,
    AgentToolResult,
    MessageEnd,
    MessageUpdate,
    NextTurn,
    ToolExecutionEnd,
    ToolExecutionUpdate,
    TurnContext,
    TurnEnd,
    agent_loop,
    run_agent_loop,
)
from aiwire.testing import FauxProvider, text, thinking, tool_call


async def test_single_tool_turn(faux: FauxProvider, recorder: Recorder) -> None:
    log: list[str] = []
    faux.reply(thinking("use the tool"), tool_call("add", {"a": 2, "b": 3}, id="c1"))
    faux.reply(text("2 + 3 = 5"))
    agent = Agent(faux.model, system_prompt="be exact", tools=[add_tool(log)])
    agent.subscribe(recorder)

    new = await agent.prompt("what is 2 + 3?")

    assert log == ["add(2,3)"]
    assert [type(m).__name__ for m in new] == [
        "UserMessage",
        "AssistantMessage",
        "ToolResultMessage",
        "AssistantMessage",
    ]
    assert agent.state.messages == new
    assert recorder.without_updates() == [
        "AgentStart",
        "TurnStart",
        "MessageStart",
        "MessageEnd",
        "MessageStart",
        "MessageEnd",
        "ToolExecutionStart",
        "ToolExecutionEnd",
        "MessageStart",
        "MessageEnd",
        "TurnEnd",
        "TurnStart",
        "MessageStart",
        "MessageEnd",
        "TurnEnd",
        "AgentEnd",
    ]
    assert any(isinstance(e.event, aiwire.events.ToolCallEnd) for e in recorder.of(MessageUpdate))
    second = sent(faux)
    assert roles(second) == ["user", "assistant", "tool_result"]
    assert result_texts(second) == ["5"]
    assert faux.requests[0]["json"]["context"]["system_prompt"] == "be exact"
    assert faux.requests[0]["json"]["context"]["tools"][0]["name"] == "add"
    end = recorder.of(TurnEnd)[0]
    assert end.message.tool_calls[0].id == "c1" and end.tool_results[0].tool_call_id == "c1"
    assert not agent.state.is_running and agent.state.error is None


async def test_multi_turn_keeps_history(faux: FauxProvider) -> None:
    faux.reply(text("hello"))
    faux.reply(tool_call("add", {"a": 1, "b": 1}))
    faux.reply(tool_call("add", {"a": 2, "b": 2}))
    faux.reply(text("done"))
    agent = Agent(faux.model, tools=[add_tool()])
    await agent.prompt("hi")
    await agent.prompt("add twice")
    assert roles(sent(faux)) == ["user", "assistant", "user", "assistant", "tool_result", "assistant", "tool_result"]
    assert result_texts(sent(faux)) == ["2", "4"]
    assert len(agent.state.messages) == 8


async def test_tool_progress_updates_and_details(faux: FauxProvider, recorder: Recorder) -> None:
    async def count(n: int, on_update: object) -> AgentToolResult:
        for i in range(n):
            on_update(AgentToolResult(content=[aiwire.TextContent(text=f"{i}")]))  # type: ignore[operator]
        return AgentToolResult(content=[aiwire.TextContent(text="counted")], details={"n": n})

    tool = tool_of(
        count,
        parameters={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
    )
    faux.reply(tool_call("count", {"n": 3}))
    faux.reply(text("ok"))
    agent = Agent(faux.model, tools=[tool])
    agent.subscribe(recorder)
    await agent.prompt("count")
    updates = recorder.of(ToolExecutionUpdate)
    assert [u.partial_result.content[0].text for u in updates] == ["0", "1", "2"]
    end = recorder.of(ToolExecutionEnd)[0]
    assert end.result.details == {"n": 3} and not end.is_error
    result = agent.state.messages[2]
    assert isinstance(result, aiwire.ToolResultMessage) and result.details == {"n": 3}


async def test_tool_exception_becomes_error_result(faux: FauxProvider, recorder: Recorder) -> None:
    def broken() -> str:
        raise RuntimeError("disk on fire")

    faux.reply(tool_call("broken"))
    faux.reply(text("sorry"))
    agent = Agent(faux.model, tools=[tool_of(broken)])
    agent.subscribe(recorder)
    await agent.prompt("go")
    end = recorder.of(ToolExecutionEnd)[0]
    assert end.is_error
    assert result_texts(sent(faux)) == ["RuntimeError: disk on fire"]
    assert sent(faux)[-1]["is_error"] is True
    assert agent.state.messages[-1].text == "sorry"  # type: ignore[union-attr]


async def test_tool_returning_garbage_is_an_error_result(faux: FauxProvider) -> None:
    async def weird() -> object:
        return object()

    faux.reply(tool_call("weird"))
    faux.reply(text("hm"))
    agent = Agent(faux.model, tools=[tool_of(weird)])
    await agent.prompt("go")
    assert "return a str, content blocks, an AgentToolResult or a JSON-encodable value" in result_texts(sent(faux))[0]


async def test_tool_returning_a_json_value_sends_it_as_json(faux: FauxProvider) -> None:
    async def numbers() -> dict[str, int]:
        return {"n": 42}

    faux.reply(tool_call("numbers"))
    faux.reply(text("ok"))
    await Agent(faux.model, tools=[numbers]).prompt("go")
    assert result_texts(sent(faux))[0] == '{"n":42}'


async def test_terminate_stops_after_batch(faux: FauxProvider) -> None:
    async def finish(answer: str) -> AgentToolResult:
        return AgentToolResult(content=[aiwire.TextContent(text="submitted")], terminate=True)

    tool = tool_of(
        finish, parameters={"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    )
    faux.reply(tool_call("finish", {"answer": "42"}))
    agent = Agent(faux.model, tools=[tool])
    new = await agent.prompt("answer")
    assert len(faux.requests) == 1
    assert isinstance(new[-1], aiwire.ToolResultMessage)


async def test_terminate_needs_every_result(faux: FauxProvider) -> None:
    async def finish() -> AgentToolResult:
        return AgentToolResult(content=[aiwire.TextContent(text="submitted")], terminate=True)

    faux.reply(tool_call("finish"), tool_call("add", {"a": 1, "b": 2}))
    faux.reply(text("both ran"))
    agent = Agent(faux.model, tools=[tool_of(finish), add_tool()])
    await agent.prompt("go")
    assert len(faux.requests) == 2


async def test_should_stop_after_turn_then_continue(faux: FauxProvider) -> None:
    faux.reply(tool_call("add", {"a": 1, "b": 2}))
    faux.reply(text("3"))
    turns: list[TurnContext] = []

    def stop(turn: TurnContext) -> bool:
        turns.append(turn)
        return len(turns) == 1

    agent = Agent(faux.model, tools=[add_tool()], should_stop_after_turn=stop)
    await agent.prompt("go")
    assert isinstance(agent.state.messages[-1], aiwire.ToolResultMessage)
    assert len(faux.requests) == 1
    await agent.continue_run()
    assert agent.state.messages[-1].text == "3"  # type: ignore[union-attr]
    assert turns[0].tool_results[0].content[0].text == "3"  # type: ignore[union-attr]


async def test_get_api_key_is_asked_per_call(faux: FauxProvider) -> None:
    keys = iter(["k-1", "k-2"])
    asked: list[str] = []

    async def get_key(provider: str) -> str:
        asked.append(provider)
        return next(keys)

    faux.reply(tool_call("add", {"a": 1, "b": 2}))
    faux.reply(text("3"))
    agent = Agent(faux.model, tools=[add_tool()], get_api_key=get_key)
    await agent.prompt("go")
    assert asked == ["faux", "faux"]
    assert [r["headers"]["authorization"] for r in faux.requests] == ["Bearer k-1", "Bearer k-2"]


async def test_reasoning_and_session_are_sent(faux: FauxProvider) -> None:
    faux.reply(text("a"))
    faux.reply(text("b"))
    agent = Agent(faux.model, reasoning="high", session_id="s-1", stream_options={"max_tokens": 100})
    await agent.prompt("x")
    agent.set_reasoning("low")
    agent.set_session_id("s-2")
    await agent.prompt("y")
    first, second = (r["json"]["options"] for r in faux.requests)
    assert first == {"reasoning": "high", "session_id": "s-1", "max_tokens": 100, "cache_retention": "short"}
    assert second["reasoning"] == "low" and second["session_id"] == "s-2"


async def test_reasoning_not_sent_to_a_non_reasoning_model() -> None:
    with FauxProvider("plain", reasoning=False) as plain:
        plain.reply(text("ok"))
        agent = Agent(plain.model, reasoning="high")
        await agent.prompt("x")
        assert "reasoning" not in plain.requests[0]["json"]["options"]


async def test_setup_error_becomes_an_error_turn(faux: FauxProvider, recorder: Recorder) -> None:
    bad = tool_of(lambda: "x", name="not a valid name!")
    agent = Agent(faux.model, tools=[bad])
    agent.subscribe(recorder)
    await agent.prompt("go")
    last = agent.state.messages[-1]
    assert isinstance(last, aiwire.AssistantMessage) and last.stop_reason == "error"
    assert "InvalidToolError" in (last.error_message or "")
    assert agent.state.error == last.error_message
    assert recorder.types[-2:] == ["TurnEnd", "AgentEnd"]
    assert not faux.requests


async def test_provider_error_ends_run(faux: FauxProvider) -> None:
    from aiwire.testing import error

    faux.reply(error("overloaded", error_type="overloaded_error"))
    agent = Agent(faux.model)
    await agent.prompt("x")
    last = agent.state.messages[-1]
    assert isinstance(last, aiwire.AssistantMessage) and last.stop_reason == "error"
    assert agent.state.error and "overloaded" in agent.state.error


async def test_streaming_message_snapshot(faux: FauxProvider) -> None:
    faux.reply(text("hello world, streaming"), tool_call("add", {"a": 1, "b": 2}), chunk_size=3)
    faux.reply(text("ok"))
    agent = Agent(faux.model, tools=[add_tool()])
    seen: list[str] = []
    args: list[object] = []

    def watch(event: object) -> None:
        if isinstance(event, MessageUpdate):
            snap = agent.state.streaming_message
            assert snap is not None
            seen.append(snap.text)
            if snap.tool_calls:
                args.append(snap.tool_calls[0].arguments)

    agent.subscribe(watch)
    await agent.prompt("x")
    assert "hel" in seen and "hello world, streaming" in seen
    assert seen.index("hel") < seen.index("hello world, streaming")
    assert args[-1] == {"a": 1, "b": 2}
    assert agent.state.streaming_message is None


async def test_listener_errors_are_logged_not_fatal(faux: FauxProvider, caplog: pytest.LogCaptureFixture) -> None:
    faux.reply(text("fine"))
    agent = Agent(faux.model)
    order: list[str] = []

    def bad(event: object) -> None:
        raise ValueError("listener bug")

    async def good(event: object) -> None:
        await asyncio.sleep(0)
        order.append(type(event).__name__)

    agent.subscribe(bad)
    unsubscribe = agent.subscribe(good)
    await agent.prompt("x")
    assert order[-1] == "AgentEnd"
    assert "listener failed" in caplog.text
    unsubscribe()
    faux.reply(text("again"))
    count = len(order)
    await agent.prompt("y")
    assert len(order) == count


async def test_prepare_next_turn_switches_model_mid_run(faux: FauxProvider) -> None:
    with FauxProvider("other", model_id="other-1") as other:
        faux.reply(tool_call("add", {"a": 20, "b": 22}))
        other.reply(text("the answer is 42"))

        def next_turn(turn: TurnContext) -> NextTurn:
            return NextTurn(model=other.model, reasoning="low")

        agent = Agent(faux.model, tools=[add_tool()], prepare_next_turn=next_turn)
        await agent.prompt("add")
        assert roles(sent(other)) == ["user", "assistant", "tool_result"]
        assert other.requests[0]["json"]["options"]["reasoning"] == "low"
        assert agent.state.model == other.model
        last = agent.state.messages[-1]
        assert isinstance(last, aiwire.AssistantMessage) and last.provider == "other"


async def test_provider_switch_between_prompts() -> None:
    with FauxProvider("a") as a, FauxProvider("b") as b:
        a.reply(thinking("signed", signature="sig-a"), tool_call("add", {"a": 1, "b": 2}))
        a.reply(text("3"))
        b.reply(text("you asked to add 1 and 2; it was 3"))
        agent = Agent(a.model, tools=[add_tool()])
        await agent.prompt("add 1 and 2")
        agent.set_model(b.model)
        await agent.prompt("what did I ask?")
        assert roles(sent(b)) == ["user", "assistant", "tool_result", "assistant", "user"]
        assert agent.state.messages[-1].provider == "b"  # type: ignore[union-attr]
        assert agent.state.messages[-1].text.startswith("you asked")  # type: ignore[union-attr]


async def test_agent_loop_iterates_events(faux: FauxProvider) -> None:
    faux.reply(tool_call("add", {"a": 1, "b": 2}))
    faux.reply(text("3"))
    context = AgentContext(tools=[add_tool()])
    config = AgentLoopConfig(model=faux.model)
    run = agent_loop([aiwire.UserMessage(content="go")], context, config)
    types = [e.type async for e in run]
    assert types[0] == "agent_start" and types[-1] == "agent_end"
    assert "tool_execution_end" in types
    new = await run
    assert len(new) == 4 and context.messages == new
    for event_type in types:
        assert isinstance(event_type, str)


async def test_agent_loop_early_break_aborts(faux: FauxProvider) -> None:
    faux.reply(text("a long answer " * 20), chunk_size=2, delay=0.01)
    context = AgentContext()
    run = agent_loop([aiwire.UserMessage(content="go")], context, AgentLoopConfig(model=faux.model))
    async for event in run:
        if isinstance(event, MessageUpdate):
            break
    new = await run
    last = new[-1]
    assert isinstance(last, aiwire.AssistantMessage) and last.stop_reason == "aborted"
    assert context.messages[-1] is last


async def test_run_agent_loop_awaitable_with_emit(faux: FauxProvider) -> None:
    faux.reply(text("hi"))
    seen: list[str] = []

    async def emit(event: object) -> None:
        seen.append(type(event).__name__)

    context = AgentContext(system_prompt="s")
    new = await run_agent_loop([aiwire.UserMessage(content="x")], context, AgentLoopConfig(model=faux.model), emit)
    assert [type(m).__name__ for m in new] == ["UserMessage", "AssistantMessage"]
    assert seen[0] == "AgentStart" and seen[-1] == "AgentEnd"


async def test_events_encode_as_json(faux: FauxProvider, recorder: Recorder) -> None:
    faux.reply(tool_call("add", {"a": 1, "b": 2}))
    faux.reply(text("3"))
    agent = Agent(faux.model, tools=[add_tool()])
    agent.subscribe(recorder)
    await agent.prompt("x")
    for event in recorder.events:
        data = msgspec.json.decode(aiwire.dumps(event))
        assert data["type"] == type(event).__struct_config__.tag  # type: ignore[attr-defined]
    ends = [e for e in recorder.of(MessageEnd)]
    assert len(ends) == 4
