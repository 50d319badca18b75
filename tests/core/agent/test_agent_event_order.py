"""Property test: whatever the model, tools, queues and aborts do, the event
stream keeps its shape and agrees with the transcript."""

from __future__ import annotations

import asyncio
from typing import Any

from agent_helpers import tool_of
from hypothesis import example, given, settings
from hypothesis import strategies as st

import aiwire
from aiwire.agent import (
    Agent,
    AgentEnd,
    AgentEvent,
    AgentMessage,
    AgentStart,
    AgentToolResult,
    FunctionTool,
    MessageEnd,
    MessageStart,
    MessageUpdate,
    ToolExecutionEnd,
    ToolExecutionStart,
    ToolExecutionUpdate,
    TurnEnd,
    TurnStart,
)
from aiwire.testing import FauxProvider, text, tool_call

NAMES = ["ok", "fail", "slow", "steer", "progress", "missing", "exclusive"]

calls = st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from([{"n": 1}, {"n": "x"}, {}])), min_size=0, max_size=3)
replies = st.lists(st.tuples(st.booleans(), calls), min_size=1, max_size=4)


def make_tools(agent: Agent) -> list[FunctionTool]:
    params = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}

    async def ok(n: int) -> str:
        return f"ok {n}"

    async def fail(n: int) -> str:
        raise RuntimeError("tool failed")

    async def slow(n: int) -> str:
        for _ in range(3):
            await asyncio.sleep(0)
        return "slow"

    async def steer(n: int) -> str:
        agent.steer("change of plan")
        return "steered"

    async def progress(n: int, on_update: Any) -> str:
        on_update(AgentToolResult(content=[aiwire.TextContent(text="half")]))
        await asyncio.sleep(0)
        on_update(AgentToolResult(content=[aiwire.TextContent(text="almost")]))
        return "done"

    tools = [tool_of(f, parameters=params) for f in (ok, fail, slow, steer, progress)]
    tools.append(FunctionTool(ok, name="exclusive", parameters=params, execution_mode="sequential"))
    return tools


def check(events: list[AgentEvent], new: list[AgentMessage], transcript: list[AgentMessage]) -> None:
    assert isinstance(events[0], AgentStart) and isinstance(events[-1], AgentEnd)
    assert sum(isinstance(e, (AgentStart, AgentEnd)) for e in events) == 2
    ended = [e.message for e in events if isinstance(e, MessageEnd)]
    end = events[-1]
    assert isinstance(end, AgentEnd)
    assert end.messages == new == ended == transcript

    in_turn = False
    open_message: Any = None
    running: dict[str, int] = {}
    turn_assistant: Any = None
    turn_results: list[Any] = []
    for e in events[1:-1]:
        if isinstance(e, TurnStart):
            assert not in_turn
            in_turn, turn_assistant, turn_results = True, None, []
            continue
        assert in_turn, f"{type(e).__name__} outside a turn"
        if isinstance(e, TurnEnd):
            assert open_message is None and not running
            assert e.message is turn_assistant
            assert e.tool_results == turn_results
            if e.message.stop_reason == "tool_use":
                assert [r.tool_call_id for r in e.tool_results] == [c.id for c in e.message.tool_calls]
            else:
                assert e.tool_results == []
            in_turn = False
        elif isinstance(e, MessageStart):
            assert open_message is None and not running
            open_message = e.message
        elif isinstance(e, MessageUpdate):
            assert isinstance(open_message, aiwire.AssistantMessage)
        elif isinstance(e, MessageEnd):
            assert open_message is not None
            if isinstance(e.message, aiwire.AssistantMessage):
                assert turn_assistant is None
                turn_assistant = e.message
            elif isinstance(e.message, aiwire.ToolResultMessage):
                turn_results.append(e.message)
            open_message = None
        elif isinstance(e, ToolExecutionStart):
            assert open_message is None and e.tool_call_id not in running
            assert turn_assistant is not None and not turn_results
            running[e.tool_call_id] = 1
        elif isinstance(e, ToolExecutionUpdate):
            assert e.tool_call_id in running
        elif isinstance(e, ToolExecutionEnd):
            assert running.pop(e.tool_call_id) == 1
    assert not in_turn

    # the transcript is always valid to send again
    for i, m in enumerate(transcript):
        if isinstance(m, aiwire.AssistantMessage) and m.stop_reason == "tool_use":
            following = transcript[i + 1 : i + 1 + len(m.tool_calls)]
            assert [r.tool_call_id for r in following] == [c.id for c in m.tool_calls]  # type: ignore[union-attr]
        if isinstance(m, aiwire.AssistantMessage) and m.stop_reason in ("error", "aborted"):
            assert i == len(transcript) - 1


@settings(max_examples=60, deadline=None)
# Found by this test (it hung): an abort while the second segment's tool runs.
@example(
    script=[(False, [("exclusive", {}), ("progress", {"n": 1}), ("steer", {})]), (False, [("slow", {"n": 1})])],
    mode="parallel",
    follow_ups=1,
    abort_at=22,
)
@given(
    script=replies,
    mode=st.sampled_from(["parallel", "sequential"]),
    follow_ups=st.integers(0, 2),
    abort_at=st.none() | st.integers(1, 60),
)
def test_event_order_invariants(
    script: list[tuple[bool, list[tuple[str, dict[str, Any]]]]],
    mode: str,
    follow_ups: int,
    abort_at: int | None,
) -> None:
    async def scenario() -> None:
        with FauxProvider("prop") as faux:
            for with_text, tool_calls in script:
                blocks: list[Any] = [text("thinking out loud")] if with_text or not tool_calls else []
                blocks += [tool_call(name, args) for name, args in tool_calls]
                faux.reply(*blocks, chunk_size=5)
            agent = Agent(faux.model, tool_execution=mode)  # type: ignore[arg-type]
            agent.set_tools(make_tools(agent))
            events: list[AgentEvent] = []

            def record(event: AgentEvent) -> None:
                events.append(event)
                if abort_at is not None and len(events) == abort_at:
                    agent.abort()

            agent.subscribe(record)
            for i in range(follow_ups):
                agent.follow_up(f"and then {i}")
            # Bounded: a run that never ends fails here instead of hanging the suite.
            new = await asyncio.wait_for(agent.prompt("start"), 30)
            check(events, new, agent.state.messages)
            assert not agent.state.is_running and not agent.state.pending_tool_calls

    asyncio.run(scenario())


async def test_the_checker_rejects_a_broken_order() -> None:
    with FauxProvider("prop") as faux:
        faux.reply(tool_call("ok", {"n": 1}))
        faux.reply(text("done"))
        agent = Agent(faux.model)
        agent.set_tools(make_tools(agent))
        events: list[AgentEvent] = []
        agent.subscribe(events.append)
        new = await agent.prompt("start")
        check(events, new, agent.state.messages)
        broken = list(events)
        i = next(n for n, e in enumerate(broken) if isinstance(e, ToolExecutionEnd))
        broken[i], broken[i + 1] = broken[i + 1], broken[i]  # a result message before its execution ended
        try:
            check(broken, new, agent.state.messages)
        except AssertionError:
            return
        raise AssertionError("the checker accepted a broken event order")
