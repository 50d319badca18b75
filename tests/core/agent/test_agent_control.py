"""Abort, continue, reset, queues, custom messages and context hooks."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from agent_helpers import NUMBER_PARAMS, Recorder, add_tool, result_texts, roles, sent, tool_of

import aiwire
from aiwire.agent import (
    Agent,
    AgentError,
    AgentMessage,
    CancelToken,
    CustomMessage,
    FunctionTool,
    MessageUpdate,
    ToolExecutionEnd,
    ToolExecutionStart,
    default_convert_to_llm,
)
from aiwire.testing import FauxProvider, error, text, tool_call


def last(agent: Agent) -> Any:
    return agent.state.messages[-1]


async def test_abort_from_a_listener_during_streaming(faux: FauxProvider, recorder: Recorder) -> None:
    faux.reply(text("a long answer that streams slowly " * 5), chunk_size=4, delay=0.002)
    agent = Agent(faux.model)
    agent.subscribe(recorder)

    def stop_on_first_delta(event: object) -> None:
        if isinstance(event, MessageUpdate) and isinstance(event.event, aiwire.events.TextDelta):
            agent.abort()
            unsubscribe()

    unsubscribe = agent.subscribe(stop_on_first_delta)
    await agent.prompt("talk")
    aborted = last(agent)
    assert aborted.stop_reason == "aborted"
    assert agent.state.error
    assert len(aborted.text) < 40
    assert recorder.types[-3:] == ["MessageEnd", "TurnEnd", "AgentEnd"]

    faux.reply(text("fresh start"))
    await agent.prompt("again")
    assert roles(sent(faux)) == ["user", "user"]  # the aborted turn is not sent
    assert last(agent).text == "fresh start" and agent.state.error is None


async def test_abort_while_the_stream_waits_for_bytes(faux: FauxProvider) -> None:
    # abort() scheduled right after the first delta runs while the stream awaits
    # the next (delayed) chunk, so it is the transport read that gets cancelled.
    faux.reply(text("x" * 200), chunk_size=1, delay=0.05)
    agent = Agent(faux.model)
    loop = asyncio.get_running_loop()
    updates = 0

    def on_event(event: object) -> None:
        nonlocal updates
        if isinstance(event, MessageUpdate):
            updates += 1
            if updates == 1:
                loop.call_soon(agent.abort)

    agent.subscribe(on_event)
    started = loop.time()
    await agent.prompt("talk")
    assert last(agent).stop_reason == "aborted"
    assert loop.time() - started < 2  # 200 chunks x 50 ms would take 10 s
    assert updates <= 3


async def test_abort_during_tool_execution_then_new_prompt(faux: FauxProvider, recorder: Recorder) -> None:
    cancelled: list[str] = []

    async def hang(a: int, b: int) -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append("hang")
            raise
        return "never"

    faux.reply(tool_call("hang", {"a": 1, "b": 2}, id="h"), tool_call("add", {"a": 1, "b": 2}, id="a"))
    agent = Agent(faux.model, tools=[FunctionTool(hang, parameters=NUMBER_PARAMS), add_tool()])
    agent.subscribe(recorder)

    def abort_when_running(event: object) -> None:
        if isinstance(event, ToolExecutionEnd) and event.tool_call_id == "a":
            asyncio.get_running_loop().call_soon(agent.abort)

    agent.subscribe(abort_when_running)
    await agent.prompt("go")
    assert cancelled == ["hang"]
    kinds = [type(m).__name__ for m in agent.state.messages]
    assert kinds == ["UserMessage", "AssistantMessage", "ToolResultMessage", "ToolResultMessage", "AssistantMessage"]
    hang_result = agent.state.messages[2]
    assert hang_result.is_error and hang_result.content[0].text.startswith("Aborted")  # type: ignore[union-attr]
    assert last(agent).stop_reason == "aborted"
    assert len(faux.requests) == 1  # no model call after the abort
    assert not agent.state.pending_tool_calls
    assert len(recorder.of(ToolExecutionStart)) == len(recorder.of(ToolExecutionEnd)) == 2

    faux.reply(text("ok"))
    await agent.prompt("never mind")
    assert roles(sent(faux)) == ["user", "assistant", "tool_result", "tool_result", "user"]


async def test_abort_reaches_tools_running_in_threads(faux: FauxProvider) -> None:
    # A thread cannot be cancelled; a sync tool sees the abort through its token.
    import threading
    import time

    stopped = threading.Event()
    loop = asyncio.get_running_loop()

    def watch(cancel: CancelToken) -> str:
        loop.call_soon_threadsafe(agent.abort)  # as if the user pressed escape now
        deadline = time.monotonic() + 5
        while not cancel.cancelled and time.monotonic() < deadline:
            time.sleep(0.001)
        if cancel.cancelled:
            stopped.set()
        return "stopped"

    faux.reply(tool_call("watch"))
    agent = Agent(faux.model, tools=[tool_of(watch)])
    await agent.prompt("go")
    assert await asyncio.to_thread(stopped.wait, 5)
    result = agent.state.messages[2]
    assert result.is_error and result.content[0].text.startswith("Aborted")  # type: ignore[union-attr]
    assert last(agent).stop_reason == "aborted"


async def test_cancel_token() -> None:
    token = CancelToken()
    calls: list[str] = []
    remove = token.on_cancel(lambda: calls.append("a"))
    token.on_cancel(lambda: calls.append("b"))
    remove()
    waiter = asyncio.ensure_future(token.wait())
    await asyncio.sleep(0)
    assert not waiter.done()
    token.cancel("user pressed escape")
    token.cancel("again")
    await waiter
    assert calls == ["b"] and token.cancelled and token.reason == "user pressed escape"
    token.on_cancel(lambda: calls.append("late"))
    assert calls == ["b", "late"]
    await token.wait()


async def test_abort_before_any_request(faux: FauxProvider) -> None:
    agent = Agent(faux.model)

    def transform(messages: list[AgentMessage], cancel: CancelToken) -> list[AgentMessage]:
        agent.abort()
        return messages

    agent.transform_context = transform
    await agent.prompt("x")
    assert last(agent).stop_reason == "aborted"
    assert not faux.requests


async def test_abort_when_idle_is_a_no_op(faux: FauxProvider) -> None:
    agent = Agent(faux.model)
    agent.abort()
    faux.reply(text("hi"))
    await agent.prompt("x")
    assert last(agent).text == "hi"


async def test_continue_after_an_error(faux: FauxProvider) -> None:
    faux.reply(error("overloaded", error_type="overloaded_error"))
    agent = Agent(faux.model)
    await agent.prompt("hello")
    assert last(agent).stop_reason == "error"
    with pytest.raises(AgentError, match="last message is the assistant's"):
        await agent.continue_run()
    # the application drops the failed turn and retries
    agent.set_messages(agent.state.messages[:-1])
    faux.reply(text("hi there"))
    await agent.continue_run()
    assert roles(sent(faux)) == ["user"]
    assert [type(m).__name__ for m in agent.state.messages] == ["UserMessage", "AssistantMessage"]
    assert last(agent).text == "hi there" and agent.state.error is None


async def test_prompt_after_an_error_skips_the_failed_turn(faux: FauxProvider) -> None:
    faux.reply(error("boom"))
    faux.reply(text("fine now"))
    agent = Agent(faux.model)
    await agent.prompt("a")
    await agent.prompt("b")
    assert roles(sent(faux)) == ["user", "user"]


async def test_continue_refuses_an_empty_transcript(faux: FauxProvider) -> None:
    with pytest.raises(AgentError, match="empty"):
        await Agent(faux.model).continue_run()


async def test_continue_after_assistant_uses_queued_messages(faux: FauxProvider) -> None:
    faux.reply(text("one"))
    faux.reply(text("two"))
    agent = Agent(faux.model)
    await agent.prompt("first")
    agent.follow_up("next")
    await agent.continue_run()
    assert roles(sent(faux)) == ["user", "assistant", "user"]
    assert last(agent).text == "two"


async def test_continue_from_a_custom_message(faux: FauxProvider) -> None:
    faux.reply(text("noted"))

    def convert(messages: list[AgentMessage]) -> list[aiwire.Message]:
        out: list[aiwire.Message] = []
        for m in messages:
            if isinstance(m, CustomMessage):
                if m.kind == "note":
                    out.append(aiwire.UserMessage(content=f"[note] {m.text}"))
            else:
                out.append(m)
        return out

    agent = Agent(faux.model, convert_to_llm=convert)
    agent.set_messages([CustomMessage(kind="ui-marker", data={"x": 1}), CustomMessage(kind="note", text="be brief")])
    await agent.continue_run()
    assert sent(faux) == [{"role": "user", "content": "[note] be brief", "timestamp": sent(faux)[0]["timestamp"]}]


async def test_custom_messages_survive_serialization_and_are_filtered(faux: FauxProvider) -> None:
    faux.reply(text("hi"))
    agent = Agent(faux.model, messages=[CustomMessage(kind="session", data={"started": 1})])
    await agent.prompt("hello")
    assert roles(sent(faux)) == ["user"]
    data = aiwire.dumps(agent.state.messages)
    restored = aiwire.loads(data, list[AgentMessage])
    assert restored == agent.state.messages
    assert isinstance(restored[0], CustomMessage) and restored[0].data == {"started": 1}
    assert default_convert_to_llm(restored) == restored[1:]


async def test_transform_context_prunes_per_call_only(faux: FauxProvider) -> None:
    faux.reply(text("1"))
    faux.reply(tool_call("add", {"a": 1, "b": 1}))
    faux.reply(text("2"))
    calls: list[int] = []

    async def keep_last_three(messages: list[AgentMessage], cancel: CancelToken) -> list[AgentMessage]:
        calls.append(len(messages))
        return messages[-3:]

    agent = Agent(faux.model, tools=[add_tool()], transform_context=keep_last_three)
    await agent.prompt("a")
    await agent.prompt("b")
    assert calls == [1, 3, 5]
    assert roles(sent(faux)) == ["user", "assistant", "tool_result"]
    assert len(agent.state.messages) == 6


async def test_pruning_a_tool_call_keeps_its_result_as_text(faux: FauxProvider) -> None:
    # The core's handoff turns a result whose call is gone into user text.
    faux.reply(tool_call("add", {"a": 1, "b": 1}, id="c1"))
    faux.reply(text("done"))

    def drop_calls(messages: list[AgentMessage], cancel: CancelToken) -> list[AgentMessage]:
        return [m for m in messages if not (isinstance(m, aiwire.AssistantMessage) and m.tool_calls)]

    agent = Agent(faux.model, tools=[add_tool()], transform_context=drop_calls)
    await agent.prompt("go")
    assert last(agent).text == "done"
    second = sent(faux)
    assert roles(second) == ["user", "user"]
    assert [c["text"] for c in second[1]["content"]] == ["[result of tool add (call c1)]", "2"]


async def test_pruning_a_tool_result_answers_the_call(faux: FauxProvider) -> None:
    # ...and a call left without its result gets a synthetic error result.
    faux.reply(tool_call("add", {"a": 1, "b": 1}, id="c1"))
    faux.reply(text("done"))

    def drop_results(messages: list[AgentMessage], cancel: CancelToken) -> list[AgentMessage]:
        return [m for m in messages if not isinstance(m, aiwire.ToolResultMessage)]

    agent = Agent(faux.model, tools=[add_tool()], transform_context=drop_results)
    await agent.prompt("go")
    second = sent(faux)
    assert roles(second) == ["user", "assistant", "tool_result"]
    assert second[2]["is_error"] is True and second[2]["tool_call_id"] == "c1"
    assert result_texts(second) == ["No result provided"]
    assert [type(m).__name__ for m in agent.state.messages][-2:] == ["ToolResultMessage", "AssistantMessage"]


async def test_transform_context_failure_ends_the_run(faux: FauxProvider) -> None:
    def broken(messages: list[AgentMessage], cancel: CancelToken) -> list[AgentMessage]:
        raise KeyError("summary")

    agent = Agent(faux.model, transform_context=broken)
    await agent.prompt("x")
    assert last(agent).stop_reason == "error" and "KeyError" in last(agent).error_message
    assert not faux.requests


async def test_prompt_while_running_is_refused(faux: FauxProvider) -> None:
    faux.reply(text("slow " * 20), chunk_size=2, delay=0.002)
    agent = Agent(faux.model)
    task = asyncio.ensure_future(agent.prompt("first"))
    for _ in range(200):
        if agent.state.is_running:
            break
        await asyncio.sleep(0)
    with pytest.raises(AgentError, match="already running"):
        await agent.prompt("second")
    with pytest.raises(AgentError):
        agent.reset()
    with pytest.raises(AgentError):
        agent.set_messages([])
    await agent.wait_for_idle()
    assert not agent.state.is_running and task.done()
    await task


async def test_wait_for_idle_waits_for_slow_listeners(faux: FauxProvider) -> None:
    faux.reply(text("hi"))
    agent = Agent(faux.model)
    finished: list[str] = []

    async def slow_listener(event: object) -> None:
        if type(event).__name__ == "AgentEnd":
            await asyncio.sleep(0.01)
            finished.append("end handled")

    agent.subscribe(slow_listener)
    task = asyncio.ensure_future(agent.prompt("x"))
    await asyncio.sleep(0)
    await agent.wait_for_idle()
    assert finished == ["end handled"]
    await task
    await agent.wait_for_idle()  # idle: returns at once


async def test_reset_and_setters(faux: FauxProvider) -> None:
    faux.reply(text("hi"))
    agent = Agent(faux.model, system_prompt="old")
    agent.follow_up("queued")
    agent.reset()
    assert not agent.has_queued_messages and agent.state.messages == []
    agent.set_system_prompt("new")
    agent.set_tools([add_tool()])
    await agent.prompt("x")
    body = faux.requests[0]["json"]["context"]
    assert body["system_prompt"] == "new" and [t["name"] for t in body["tools"]] == ["add"]


async def test_prompt_with_images_and_messages(faux: FauxProvider) -> None:
    faux.reply(text("a red dot"))
    faux.reply(text("ok"))
    agent = Agent(faux.model)
    await agent.prompt("what is this?", images=[aiwire.ImageContent(data="aGk=", mime_type="image/png")])
    first = sent(faux)[0]["content"]
    assert [c["type"] for c in first] == ["text", "image"]
    await agent.prompt([aiwire.UserMessage(content="one"), aiwire.UserMessage(content="two")])
    assert [m["content"] for m in sent(faux)[-2:]] == ["one", "two"]
    with pytest.raises(AgentError, match="images"):
        await agent.prompt(
            aiwire.UserMessage(content="x"), images=[aiwire.ImageContent(data="", mime_type="image/png")]
        )


async def test_model_by_reference() -> None:
    agent = Agent("demo/aiwire-demo")
    assert agent.state.model.provider == "demo"
    agent.set_model("demo/aiwire-demo")
    await agent.prompt("hello")
    assert last(agent).provider == "demo"
    assert result_texts([]) == []
