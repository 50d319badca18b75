"""Debug logging, call ids, timings, User-Agent and the observer hooks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest

import aiwire
from aiwire._engine.observe import TRACE
from aiwire.agent import Agent, FunctionTool
from aiwire.plugin import hookimpl
from aiwire.testing import FauxProvider, error, text, tool_call, use_plugin

SECRET = "sk-observe-Secret9876"


class Observer:
    """An in-process plugin noting every observer hook it gets."""

    AIWIRE_PLUGIN_API = 2

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    @hookimpl
    def on_call_start(self, call: Any) -> None:
        self.seen.append(("call_start", call))

    @hookimpl
    def on_response(self, response: Any, call: Any) -> None:
        self.seen.append(("response", call))

    @hookimpl
    def on_message_end(self, message: Any, call: Any) -> None:
        self.seen.append(("message_end", (message, call)))

    @hookimpl
    def on_agent_start(self, run: Any) -> None:
        self.seen.append(("agent_start", run))

    @hookimpl
    def on_agent_end(self, run: Any, messages: Any) -> None:
        self.seen.append(("agent_end", (run, messages)))

    @hookimpl
    def on_tool_call_start(self, run: Any, tool_call: Any) -> None:
        self.seen.append(("tool_start", (run, tool_call)))

    @hookimpl
    def on_tool_call_end(self, run: Any, tool_call: Any, result: Any) -> None:
        self.seen.append(("tool_end", (run, tool_call, result)))

    def of(self, kind: str) -> list[Any]:
        return [v for k, v in self.seen if k == kind]


@pytest.fixture
def observer() -> Any:
    obs = Observer()
    with use_plugin(obs, "test-observer"):
        yield obs


def _http_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "aiwire.http"]


def test_debug_logs_each_request_and_response_with_the_call_id(
    faux: FauxProvider, observer: Observer, caplog: pytest.LogCaptureFixture
) -> None:
    faux.reply(text("Hello"))
    with caplog.at_level(logging.DEBUG, logger="aiwire"):
        msg = aiwire.complete_sync(faux.model, "hi", api_key=SECRET)
    assert msg.text == "Hello"
    [start] = observer.of("call_start")
    call_id = start.call_id
    assert call_id and all(c.call_id == call_id for c in observer.of("response"))
    lines = [r.getMessage() for r in _http_records(caplog)]
    assert len(lines) == 3, lines  # request, response, end: nothing per event
    assert lines[0].startswith(f"call {call_id}: POST http://faux.aiwire.invalid/stream (complete faux/faux-1")
    assert f"call {call_id}: HTTP 200 in " in lines[1]
    assert f"call {call_id}: ended stop after " in lines[2] and "in / " in lines[2]
    assert all(getattr(r, "aiwire_call_id", None) == call_id for r in _http_records(caplog))
    assert not any("request body" in line for line in lines)  # bodies only at trace level


def test_trace_logs_headers_and_bodies_redacted(faux: FauxProvider, caplog: pytest.LogCaptureFixture) -> None:
    faux.reply(text(f"the key is {SECRET}"))  # a server that echoes the key
    with caplog.at_level(TRACE, logger="aiwire"):
        aiwire.complete_sync(faux.model, f"remember {SECRET}", api_key=SECRET, headers={"x-custom": SECRET})
    text_ = "\n".join(r.getMessage() for r in caplog.records)
    assert "request body:" in text_ and "response body:" in text_ and "request headers:" in text_
    assert "authorization: ***" in text_ and "remember ***" in text_
    assert SECRET not in text_ and "Secret9876" not in text_


def test_retries_are_logged_with_the_call_id(faux: FauxProvider, caplog: pytest.LogCaptureFixture) -> None:
    faux.reply(error("busy", status=503))
    faux.reply(text("ok"))
    with caplog.at_level(logging.DEBUG, logger="aiwire"):
        msg = aiwire.complete_sync(faux.model, "hi", max_retry_delay=0.01)
    assert msg.text == "ok"
    retry = next(r for r in caplog.records if "retrying" in r.getMessage())
    call_id = retry.aiwire_call_id  # type: ignore[attr-defined]
    sends = [r for r in _http_records(caplog) if r.getMessage().startswith(f"call {call_id}: POST")]
    assert [r.aiwire_attempt for r in sends] == [0, 1]  # type: ignore[attr-defined]
    assert any(f"call {call_id}: HTTP 503" in r.getMessage() for r in _http_records(caplog))


def test_logging_is_off_by_default_and_costs_nothing_per_event(
    faux: FauxProvider, caplog: pytest.LogCaptureFixture
) -> None:
    faux.reply(text("x" * 4000), chunk_size=1)  # 4000 deltas
    with caplog.at_level(logging.WARNING, logger="aiwire"):
        aiwire.complete_sync(faux.model, "hi")
    assert not _http_records(caplog)
    faux.reply(text("x" * 4000), chunk_size=1)
    with caplog.at_level(TRACE, logger="aiwire"), aiwire.stream_sync(faux.model, "hi") as s:
        events = list(s)
    assert len(events) > 4000
    # request, its headers and body; response, its headers; the end: a stream's body is never logged per event
    assert len(_http_records(caplog)) == 6


def test_stream_timings_reach_the_hooks(faux: FauxProvider, observer: Observer) -> None:
    faux.reply(text("Hello there"), chunk_size=2, delay=0.01)
    with aiwire.stream_sync(faux.model, "hi") as s:
        list(s)
    [(message, call)] = observer.of("message_end")
    assert call.kind == "stream" and call.parent_id == ""
    assert call.first_chunk_at is not None and call.started_at <= call.first_chunk_at
    assert message.stop_reason == "stop"


def test_aiwire_log_env_turns_on_debug_logging_to_stderr() -> None:
    code = "import aiwire; m = aiwire.complete_sync('demo/aiwire-demo', 'hi'); print(m.stop_reason)"
    env = {**os.environ, "AIWIRE_LOG": "debug"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "aiwire.http DEBUG call " in out.stderr and "HTTP 200 in" in out.stderr and "ended stop" in out.stderr
    quiet = subprocess.run(
        [sys.executable, "-c", code],
        env={k: v for k, v in os.environ.items() if k != "AIWIRE_LOG"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "aiwire.http" not in quiet.stderr


def test_user_agent_names_aiwire_and_the_plugin_unless_the_user_sets_one(faux: FauxProvider) -> None:
    faux.reply(text("a"))
    faux.reply(text("b"))
    aiwire.complete_sync(faux.model, "hi")
    aiwire.complete_sync(faux.model, "hi", headers={"User-Agent": "my-app/1.0"})
    assert faux.requests[0]["headers"]["user-agent"] == f"aiwire/{aiwire.__version__}"
    assert faux.requests[1]["headers"]["user-agent"] == "my-app/1.0"

    sent: list[httpx.Request] = []

    def openai(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(400, json={"error": {"message": "no"}})

    model = aiwire.custom_model("gpt-x", api="openai-completions", base_url="http://openai.invalid/v1")
    aiwire.complete_sync(model, "hi", api_key="k" * 10, transport=httpx.MockTransport(openai), max_retries=0)
    from importlib.metadata import version

    assert sent[0].headers["user-agent"] == f"aiwire/{aiwire.__version__} aiwire-openai/{version('aiwire-openai')}"


async def test_agent_hooks_link_turns_and_tool_calls_to_the_run(faux: FauxProvider, observer: Observer) -> None:
    async def add(a: int, b: int) -> str:
        return str(a + b)

    params = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}}
    faux.reply(tool_call("add", {"a": 2, "b": 3}, id="t1"))
    faux.reply(text("5"))
    agent = Agent(faux.model, tools=[FunctionTool(add, name="add", parameters=params)])
    await agent.prompt("2+3?")
    [run] = observer.of("agent_start")
    [(end_run, messages)] = observer.of("agent_end")
    assert end_run is run and run.tools == ("add",) and len(messages) == 4
    calls = [c for _, c in observer.of("message_end")]
    assert len(calls) == 2 and all(c.parent_id == run.run_id for c in calls)
    [(r1, started)] = observer.of("tool_start")
    [(r2, ended, result)] = observer.of("tool_end")
    assert r1 is run and r2 is run and started.id == ended.id == "t1"
    assert result.tool_call_id == "t1" and not result.is_error and result.content[0].text == "5"
    names = [k for k, _ in observer.seen if k != "response"]
    assert names == [
        "agent_start",
        "call_start",
        "message_end",
        "tool_start",
        "tool_end",
        "call_start",
        "message_end",
        "agent_end",
    ]
