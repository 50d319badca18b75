"""Tool execution: modes, ordering, checks, hooks, steering and follow-ups."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from agent_helpers import NUMBER_PARAMS, Recorder, add_tool, result_texts, roles, sent, tool_of

import aiwire
from aiwire.agent import (
    AfterToolCallContext,
    AfterToolCallResult,
    Agent,
    AgentContext,
    BeforeToolCallResult,
    CancelToken,
    FunctionTool,
    ToolCallContext,
    ToolExecutionEnd,
    ToolExecutionStart,
)
from aiwire.agent._execute import Hooks, execute_tool_calls
from aiwire.testing import FauxProvider, text, tool_call

WAIT_PARAMS = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


def ordered_tools(log: list[str]) -> tuple[FunctionTool, FunctionTool]:
    """``slow`` finishes after ``fast`` when both run at once."""

    async def slow(name: str) -> str:
        log.append(f"start {name}")
        for _ in range(5):
            await asyncio.sleep(0)
        log.append(f"end {name}")
        return f"slow {name}"

    async def fast(name: str) -> str:
        log.append(f"start {name}")
        log.append(f"end {name}")
        return f"fast {name}"

    return tool_of(slow, parameters=WAIT_PARAMS), tool_of(fast, parameters=WAIT_PARAMS)


async def test_parallel_runs_concurrently_and_keeps_assistant_order(faux: FauxProvider, recorder: Recorder) -> None:
    log: list[str] = []
    slow, fast = ordered_tools(log)
    faux.reply(tool_call("slow", {"name": "1"}, id="s"), tool_call("fast", {"name": "2"}, id="f"))
    faux.reply(text("done"))
    agent = Agent(faux.model, tools=[slow, fast])
    agent.subscribe(recorder)
    await agent.prompt("go")
    assert log == ["start 1", "start 2", "end 2", "end 1"]
    # ends in completion order, results in the assistant's order
    assert [e.tool_call_id for e in recorder.of(ToolExecutionEnd)] == ["f", "s"]
    assert result_texts(sent(faux)) == ["slow 1", "fast 2"]
    assert [e.tool_call_id for e in recorder.of(ToolExecutionStart)] == ["s", "f"]


async def test_parallel_tools_really_overlap(faux: FauxProvider) -> None:
    # Each tool waits for the other to have started: only concurrent execution finishes.
    started = {"a": asyncio.Event(), "b": asyncio.Event()}

    async def meet(name: str) -> str:
        started[name].set()
        await asyncio.wait_for(started["b" if name == "a" else "a"].wait(), 2)
        return f"met {name}"

    faux.reply(tool_call("meet", {"name": "a"}), tool_call("meet", {"name": "b"}))
    faux.reply(text("ok"))
    await Agent(faux.model, tools=[tool_of(meet, parameters=WAIT_PARAMS)]).prompt("go")
    assert result_texts(sent(faux)) == ["met a", "met b"]


async def test_abort_in_a_later_segment_ends_every_call(faux: FauxProvider, recorder: Recorder) -> None:
    # A sequential tool makes the batch two segments. An abort while the second
    # segment's tool runs must still end that call; it once hung the run, because
    # the first segment's normal exit had marked the batch as closing.
    started = asyncio.Event()

    async def first() -> str:
        return "first"

    async def waits() -> str:
        started.set()
        await asyncio.sleep(30)
        return "never"

    exclusive = FunctionTool(first, name="exclusive", parameters={"type": "object"}, execution_mode="sequential")
    faux.reply(tool_call("exclusive", {}, id="a"), tool_call("waits", {}, id="b"))
    agent = Agent(faux.model, tools=[exclusive, tool_of(waits)])
    agent.subscribe(recorder)
    run = asyncio.ensure_future(agent.prompt("go"))
    await asyncio.wait_for(started.wait(), 5)
    agent.abort()
    await asyncio.wait_for(run, 5)
    ends = {e.tool_call_id: e for e in recorder.of(ToolExecutionEnd)}
    assert set(ends) == {"a", "b"}
    assert not ends["a"].is_error
    assert ends["b"].is_error and ends["b"].result.content[0].text.startswith("Aborted")
    assert not agent.state.is_running


async def test_sequential_mode(faux: FauxProvider, recorder: Recorder) -> None:
    log: list[str] = []
    slow, fast = ordered_tools(log)
    faux.reply(tool_call("slow", {"name": "1"}), tool_call("fast", {"name": "2"}))
    faux.reply(text("done"))
    agent = Agent(faux.model, tools=[slow, fast], tool_execution="sequential")
    agent.subscribe(recorder)
    await agent.prompt("go")
    assert log == ["start 1", "end 1", "start 2", "end 2"]
    tool_events = [t for t in recorder.types if t.startswith("ToolExecution")]
    assert tool_events == ["ToolExecutionStart", "ToolExecutionEnd"] * 2


async def test_sequential_tool_is_a_barrier_in_parallel_mode(faux: FauxProvider) -> None:
    log: list[str] = []
    slow, fast = ordered_tools(log)
    exclusive = FunctionTool(slow.fn, name="exclusive", parameters=WAIT_PARAMS, execution_mode="sequential")
    faux.reply(
        tool_call("slow", {"name": "1"}),
        tool_call("fast", {"name": "2"}),
        tool_call("exclusive", {"name": "3"}),
        tool_call("fast", {"name": "4"}),
    )
    faux.reply(text("done"))
    await Agent(faux.model, tools=[slow, fast, exclusive]).prompt("go")
    assert log == ["start 1", "start 2", "end 2", "end 1", "start 3", "end 3", "start 4", "end 4"]
    assert result_texts(sent(faux)) == ["slow 1", "fast 2", "slow 3", "fast 4"]


async def test_blocked_call_reason_reaches_the_model(faux: FauxProvider) -> None:
    log: list[str] = []
    seen: list[ToolCallContext] = []

    def before(ctx: ToolCallContext) -> BeforeToolCallResult | None:
        seen.append(ctx)
        if ctx.args["a"] < 0:
            return BeforeToolCallResult(block=True, reason="negative numbers are not allowed here")
        return None

    faux.reply(tool_call("add", {"a": -1, "b": 2}), tool_call("add", {"a": 1, "b": 2}))
    faux.reply(text("ok"))
    await Agent(faux.model, tools=[add_tool(log)], before_tool_call=before).prompt("go")
    assert log == ["add(1,2)"]
    assert result_texts(sent(faux)) == ["negative numbers are not allowed here", "3"]
    assert [m.get("is_error", False) for m in sent(faux) if m["role"] == "tool_result"] == [True, False]
    assert seen[0].assistant_message.tool_calls[0] is seen[0].tool_call
    assert isinstance(seen[0].context, AgentContext)


async def test_before_hook_failure_blocks_the_call(faux: FauxProvider) -> None:
    log: list[str] = []

    async def before(ctx: ToolCallContext) -> None:
        raise PermissionError("policy service down")

    faux.reply(tool_call("add", {"a": 1, "b": 2}))
    faux.reply(text("ok"))
    await Agent(faux.model, tools=[add_tool(log)], before_tool_call=before).prompt("go")
    assert log == []
    assert "PermissionError: policy service down" in result_texts(sent(faux))[0]


async def test_after_hook_overrides_fields(faux: FauxProvider, recorder: Recorder) -> None:
    async def after(ctx: AfterToolCallContext) -> AfterToolCallResult | None:
        assert ctx.result.content[0].text == "3" and not ctx.is_error  # type: ignore[union-attr]
        return AfterToolCallResult(
            content=[aiwire.TextContent(text="3 (checked)")], details={"audit": True}, is_error=True
        )

    faux.reply(tool_call("add", {"a": 1, "b": 2}))
    faux.reply(text("ok"))
    agent = Agent(faux.model, tools=[add_tool()], after_tool_call=after)
    agent.subscribe(recorder)
    await agent.prompt("go")
    end = recorder.of(ToolExecutionEnd)[0]
    assert end.is_error and end.result.details == {"audit": True}
    msg = sent(faux)[-1]
    assert msg["content"][0]["text"] == "3 (checked)" and msg["is_error"] is True and msg["details"] == {"audit": True}


async def test_after_hook_none_keeps_result_and_sees_errors(faux: FauxProvider) -> None:
    seen: list[bool] = []

    def boom() -> str:
        raise ValueError("x")

    def after(ctx: AfterToolCallContext) -> None:
        seen.append(ctx.is_error)

    faux.reply(tool_call("boom"), tool_call("add", {"a": 1, "b": 1}))
    faux.reply(text("ok"))
    await Agent(faux.model, tools=[tool_of(boom), add_tool()], after_tool_call=after).prompt("go")
    assert sorted(seen) == [False, True]
    assert result_texts(sent(faux)) == ["ValueError: x", "2"]


async def test_validation_failures_reach_the_model(faux: FauxProvider) -> None:
    log: list[str] = []
    faux.reply(
        tool_call("add", {"a": 1}),
        tool_call("add", {"a": "one", "b": 2}),
        tool_call("add", {"a": True, "b": 2.5}),
        tool_call("nope", {}),
    )
    faux.reply(text("ok"))
    await Agent(faux.model, tools=[add_tool(log)]).prompt("go")
    assert log == []
    texts = result_texts(sent(faux))
    assert texts[0].startswith("invalid arguments for tool 'add':\n  - arguments.b: is required but missing")
    assert '  - arguments.a: expected integer (received "one")' in texts[1]
    assert "  - arguments.a: expected integer (received true)" in texts[2]
    assert "  - arguments.b: expected integer (received 2.5)" in texts[2]  # every failing path is listed
    assert texts[2].endswith('received arguments: {"a":true,"b":2.5}')
    assert "  - tool: no tool is named 'nope' (tools: add)" in texts[3]


async def test_coerced_arguments_are_used_and_logged(faux: FauxProvider, caplog: pytest.LogCaptureFixture) -> None:
    log: list[str] = []
    seen: list[dict[str, Any]] = []
    faux.reply(tool_call("add", {"a": "4", "b": 5}, id="c1"))
    faux.reply(text("ok"))
    agent = Agent(faux.model, tools=[add_tool(log)], before_tool_call=lambda ctx: seen.append(ctx.args))
    with caplog.at_level(logging.INFO, logger="aiwire.agent"):
        await agent.prompt("go")
    assert log == ["add(4,5)"] and seen == [{"a": 4, "b": 5}]
    assert result_texts(sent(faux)) == ["9"]
    [record] = [r for r in caplog.records if "coerced" in r.getMessage()]
    assert record.getMessage() == 'tool call add (c1) arguments coerced: arguments.a: read the string "4" as integer 4'


async def test_prepare_arguments_runs_before_validation(faux: FauxProvider) -> None:
    log: list[str] = []

    def legacy(args: dict[str, Any]) -> dict[str, Any]:
        if "x" in args:
            args["a"] = int(args.pop("x"))
        return args

    faux.reply(tool_call("add", {"x": "4", "b": 5}))
    faux.reply(text("ok"))
    await Agent(faux.model, tools=[add_tool(log, prepare_arguments=legacy)]).prompt("go")
    assert log == ["add(4,5)"]


async def test_invalid_json_arguments() -> None:
    call = aiwire.ToolCall(id="c", name="add", invalid_arguments='{"a": 1,')
    message = aiwire.AssistantMessage(content=[call], stop_reason="tool_use")
    ends: list[Any] = []

    async def emit(event: Any) -> None:
        ends.append(event)

    async def no_steering() -> list[Any]:
        return []

    outcome = await execute_tool_calls(
        message, AgentContext(tools=[add_tool()]), Hooks("parallel", None, None, no_steering), CancelToken(), emit
    )
    result = outcome.results[0]
    assert result.is_error and "arguments: are not a JSON object" in result.content[0].text  # type: ignore[union-attr]
    assert [type(e).__name__ for e in ends] == ["ToolExecutionStart", "ToolExecutionEnd"]


async def test_sync_function_tool_runs_in_a_thread(faux: FauxProvider) -> None:
    import threading

    where: list[str] = []

    def whoami() -> str:
        where.append(threading.current_thread().name)
        return "ok"

    faux.reply(tool_call("whoami"))
    faux.reply(text("ok"))
    await Agent(faux.model, tools=[tool_of(whoami)]).prompt("go")
    assert where and where[0] != threading.main_thread().name


async def test_steering_skips_the_rest_of_the_batch(faux: FauxProvider, recorder: Recorder) -> None:
    log: list[str] = []
    agent = Agent(faux.model, tool_execution="sequential")

    async def first(a: int, b: int) -> str:
        log.append("first")
        agent.steer("stop, use 10 instead")
        return "ran"

    agent.set_tools([FunctionTool(first, parameters=NUMBER_PARAMS), add_tool(log)])
    faux.reply(tool_call("first", {"a": 1, "b": 2}), tool_call("add", {"a": 1, "b": 2}))
    faux.reply(text("ok, 10"))
    agent.subscribe(recorder)
    await agent.prompt("go")
    assert log == ["first"]
    messages = sent(faux)
    assert roles(messages) == ["user", "assistant", "tool_result", "tool_result", "user"]
    assert messages[-1]["content"] == "stop, use 10 instead"
    assert result_texts(messages)[1].startswith("Skipped: the user sent a new message")
    assert len(recorder.of(ToolExecutionStart)) == len(recorder.of(ToolExecutionEnd)) == 2


async def test_steering_while_streaming_runs_another_turn(faux: FauxProvider) -> None:
    faux.reply(text("first answer"), delay=0.001)
    faux.reply(text("second answer"))
    agent = Agent(faux.model)
    steered = False

    def on_event(event: object) -> None:
        nonlocal steered
        if not steered and type(event).__name__ == "MessageUpdate":
            steered = True
            agent.steer("also this")

    agent.subscribe(on_event)
    await agent.prompt("go")
    assert roles(sent(faux)) == ["user", "assistant", "user"]
    assert agent.state.messages[-1].text == "second answer"  # type: ignore[union-attr]


async def test_follow_ups_one_at_a_time_and_all(faux: FauxProvider) -> None:
    for reply in ("a", "b", "c"):
        faux.reply(text(reply))
    agent = Agent(faux.model)
    agent.follow_up("later 1")
    agent.follow_up("later 2")
    assert agent.has_queued_messages
    await agent.prompt("now")
    assert len(faux.requests) == 3
    assert roles(sent(faux)) == ["user", "assistant", "user", "assistant", "user"]
    assert not agent.has_queued_messages

    faux.reply(text("d"))
    faux.reply(text("e"))
    agent.follow_up_mode = "all"
    agent.follow_up("later 3")
    agent.follow_up("later 4")
    await agent.prompt("again")
    assert len(faux.requests) == 5
    assert [m["content"] for m in sent(faux)[-2:]] == ["later 3", "later 4"]


async def test_steering_all_mode_delivers_together(faux: FauxProvider) -> None:
    agent = Agent(faux.model, steering_mode="all")

    async def ask(a: int, b: int) -> str:
        agent.steer("one")
        agent.steer("two")
        return "asked"

    agent.set_tools([FunctionTool(ask, parameters=NUMBER_PARAMS)])
    faux.reply(tool_call("ask", {"a": 1, "b": 1}))
    faux.reply(text("ok"))
    await agent.prompt("go")
    assert [m["content"] for m in sent(faux)[-2:]] == ["one", "two"]
    assert len(faux.requests) == 2
