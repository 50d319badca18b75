"""aiwire-otel: spans and metrics per the OpenTelemetry GenAI semantic
conventions, checked with the SDK's in-memory exporter and metric reader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import aiwire
import aiwire_otel
from aiwire.agent import Agent, FunctionTool
from aiwire.testing import FauxProvider, error, image, text, tool_call, use_plugin

PARAMS = {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}
CONTENT_KEYS = {
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
}


class Telemetry:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, prefix: str) -> list[ReadableSpan]:
        return [s for s in self.spans() if s.name.startswith(prefix)]

    def points(self, metric: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        out = []
        for rm in data.resource_metrics if data else []:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name == metric:
                        out += list(m.data.data_points)
        return out


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    t = Telemetry()
    aiwire_otel.configure(tracer_provider=t.tracer_provider, meter_provider=t.meter_provider, capture_content=False)
    with use_plugin(aiwire_otel, "otel-test") if "otel" not in _installed() else use_plugin():
        yield t
    aiwire_otel.configure()
    t.tracer_provider.shutdown()
    t.meter_provider.shutdown()


def _installed() -> set[str]:
    return {p.name for p in aiwire.plugins() if p.status == "ok"}


def _adder() -> FunctionTool:
    async def add(a: int, b: int) -> str:
        return str(a + b)

    return FunctionTool(add, name="add", description="Add two integers.", parameters=PARAMS)


async def test_a_streamed_tool_using_agent_run_matches_the_genai_conventions(
    faux: FauxProvider, otel: Telemetry
) -> None:
    faux.reply(text("Let me add."), tool_call("add", {"a": 2, "b": 3}, id="call_1"), chunk_size=3, delay=0.005)
    faux.reply(text("2 + 3 = 5"), chunk_size=3, delay=0.005)
    agent = Agent(faux.model, tools=[_adder()], system_prompt="You add numbers.")
    await agent.prompt("What is 2+3?")

    [run] = otel.named("invoke_agent")
    chats = sorted(otel.named("chat "), key=lambda s: s.start_time or 0)
    [tool] = otel.named("execute_tool ")
    assert len(otel.spans()) == 4

    # One trace: the turns and the tool call are children of the agent run.
    assert run.parent is None and run.kind == SpanKind.INTERNAL
    for child in [*chats, tool]:
        assert child.parent is not None and child.parent.span_id == run.context.span_id
        assert child.context.trace_id == run.context.trace_id
    assert run.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert run.attributes["gen_ai.provider.name"] == "faux"
    assert run.attributes["gen_ai.request.model"] == "faux-1"
    assert run.attributes["gen_ai.response.finish_reasons"] == ("stop",)

    # Inference spans: "{gen_ai.operation.name} {gen_ai.request.model}", kind CLIENT.
    assert [s.name for s in chats] == ["chat faux-1", "chat faux-1"]
    for span, reason in zip(chats, ["tool_call", "stop"], strict=True):
        a = span.attributes
        assert span.kind == SpanKind.CLIENT and span.status.status_code == StatusCode.UNSET
        assert a["gen_ai.operation.name"] == "chat"
        assert a["gen_ai.provider.name"] == "faux"
        assert a["gen_ai.request.model"] == "faux-1"
        assert a["gen_ai.response.model"] == "faux-1"
        assert a["gen_ai.response.finish_reasons"] == (reason,)
        assert a["gen_ai.output.type"] == "text"
        assert isinstance(a["gen_ai.usage.input_tokens"], int) and a["gen_ai.usage.output_tokens"] > 0
        assert 0 <= a["gen_ai.response.time_to_first_chunk"] < (span.end_time - span.start_time) / 1e9
        assert a["server.address"] == "faux.aiwire.invalid" and a["server.port"] == 80
        assert len(a["aiwire.call_id"]) == 16
        assert not CONTENT_KEYS & set(a)  # content only when opted in
    assert run.attributes["gen_ai.usage.output_tokens"] == sum(
        s.attributes["gen_ai.usage.output_tokens"] for s in chats
    )

    # The tool span: "execute_tool {gen_ai.tool.name}", kind INTERNAL, between the two turns.
    assert tool.name == "execute_tool add" and tool.kind == SpanKind.INTERNAL
    assert dict(tool.attributes) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "add",
        "gen_ai.tool.call.id": "call_1",
        "gen_ai.tool.type": "function",
    }
    assert chats[0].end_time <= tool.start_time and tool.end_time <= chats[1].start_time

    # Metrics: token usage by type, durations and time to first chunk, per call.
    usage = otel.points("gen_ai.client.token.usage")
    assert {p.attributes["gen_ai.token.type"] for p in usage} == {"input", "output"}
    assert all(p.attributes["gen_ai.operation.name"] == "chat" for p in usage)
    assert sum(p.count for p in otel.points("gen_ai.client.operation.duration")) == 2
    assert sum(p.count for p in otel.points("gen_ai.client.operation.time_to_first_chunk")) == 2


async def test_content_is_recorded_only_when_opted_in(faux: FauxProvider, otel: Telemetry) -> None:
    aiwire_otel.configure(
        tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider, capture_content=True
    )
    faux.reply(tool_call("add", {"a": 1, "b": 1}, id="c1"))
    faux.reply(text("two"))
    await Agent(faux.model, tools=[_adder()], system_prompt="Be brief.").prompt("1+1?")
    first, second = sorted(otel.named("chat "), key=lambda s: s.start_time or 0)
    assert json.loads(first.attributes["gen_ai.input.messages"]) == [
        {"role": "user", "parts": [{"type": "text", "content": "1+1?"}]}
    ]
    assert json.loads(first.attributes["gen_ai.system_instructions"]) == [{"type": "text", "content": "Be brief."}]
    assert json.loads(first.attributes["gen_ai.tool.definitions"])[0]["name"] == "add"
    out = json.loads(first.attributes["gen_ai.output.messages"])
    assert out == [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "c1", "name": "add", "arguments": {"a": 1, "b": 1}}],
            "finish_reason": "tool_call",
        }
    ]
    assert json.loads(second.attributes["gen_ai.input.messages"])[-1] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "c1", "response": "2"}],
    }
    [tool] = otel.named("execute_tool ")
    assert json.loads(tool.attributes["gen_ai.tool.call.arguments"]) == {"a": 1, "b": 1}
    assert tool.attributes["gen_ai.tool.call.result"] == "2"


def test_complete_and_errors(faux: FauxProvider, otel: Telemetry) -> None:
    faux.reply(text("hi"))
    faux.reply(error("slow down", status=429, error_type="rate_limit_error"))
    aiwire.complete_sync(faux.model, "hi", max_tokens=50, temperature=0.5)
    aiwire.complete_sync(faux.model, "hi", max_retries=0)
    ok, failed = sorted(otel.named("chat "), key=lambda s: s.start_time or 0)
    assert ok.attributes["gen_ai.request.max_tokens"] == 50 and ok.attributes["gen_ai.request.temperature"] == 0.5
    assert "gen_ai.response.time_to_first_chunk" not in ok.attributes  # not streamed
    assert failed.status.status_code == StatusCode.ERROR and failed.attributes["error.type"] == "rate_limit_error"
    assert "slow down" in (failed.status.description or "")
    assert otel.points("gen_ai.client.operation.time_to_first_chunk") == []
    errors = [p for p in otel.points("gen_ai.client.operation.duration") if "error.type" in p.attributes]
    assert [p.attributes["error.type"] for p in errors] == ["rate_limit_error"]


def test_image_generation_is_a_generate_content_span(otel: Telemetry) -> None:
    with FauxProvider("faux-img", output=("text", "image")) as faux:
        faux.reply(image())
        result = aiwire.generate_images_sync(faux.model, "a red circle")
    assert result.stop_reason == "stop"
    [span] = otel.named("generate_content ")
    assert span.name == "generate_content faux-1"
    assert span.attributes["gen_ai.operation.name"] == "generate_content"
    assert span.attributes["gen_ai.output.type"] == "image"
    assert span.attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_a_failing_tool_marks_its_span(faux: FauxProvider, otel: Telemetry) -> None:
    async def boom(a: int, b: int) -> str:
        raise ValueError("no adding today")

    import asyncio

    faux.reply(tool_call("add", {"a": 1, "b": 2}, id="x"))
    faux.reply(text("sorry"))
    asyncio.run(Agent(faux.model, tools=[FunctionTool(boom, name="add", parameters=PARAMS)]).prompt("go"))
    [tool] = otel.named("execute_tool ")
    assert tool.status.status_code == StatusCode.ERROR and tool.attributes["error.type"] == "tool_error"
    assert "no adding today" in (tool.status.description or "")


async def test_an_aborted_run_ends_every_span(faux: FauxProvider, otel: Telemetry) -> None:
    import asyncio

    started = asyncio.Event()

    async def slow(a: int, b: int) -> str:
        started.set()
        await asyncio.sleep(30)
        return "late"

    faux.reply(tool_call("add", {"a": 1, "b": 2}, id="w"))
    agent = Agent(faux.model, tools=[FunctionTool(slow, name="add", parameters=PARAMS)])
    task = asyncio.ensure_future(agent.prompt("go"))
    await asyncio.wait_for(started.wait(), 5)
    agent.abort()
    await asyncio.wait_for(task, 5)
    assert sorted(s.name for s in otel.spans()) == ["chat faux-1", "execute_tool add", "invoke_agent"]
    [tool] = otel.named("execute_tool ")
    assert tool.status.status_code == StatusCode.ERROR
    inst = aiwire_otel._state["instrumentation"]
    assert not inst.calls and not inst.runs and not inst.tools


def test_calls_never_run_do_not_pile_up(faux: FauxProvider, otel: Telemetry, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiwire_otel import _instrument

    monkeypatch.setattr(_instrument, "MAX_OPEN", 2)
    streams = [aiwire.stream_sync(faux.model, "hi") for _ in range(3)]  # prepared, never iterated
    inst = aiwire_otel._state["instrumentation"]
    assert len(inst.calls) == 2
    [stale] = otel.spans()
    assert stale.status.status_code == StatusCode.ERROR and "never run" in (stale.status.description or "")
    assert len(streams) == 3  # nothing was sent: there is nothing to close
