"""Spans and metrics per the OpenTelemetry GenAI semantic conventions.

- a call (``stream``, ``complete``): a CLIENT span ``chat {model}``;
  an image generation: ``generate_content {model}`` with
  ``gen_ai.output.type`` ``image``;
- an agent run: an INTERNAL span ``invoke_agent``, parent of its turns'
  call spans and of one INTERNAL ``execute_tool {tool}`` span per tool call;
- histograms ``gen_ai.client.token.usage`` ({token}, by ``gen_ai.token.type``),
  ``gen_ai.client.operation.duration`` (s) and, for streams,
  ``gen_ai.client.operation.time_to_first_chunk`` (s).

Content (``gen_ai.system_instructions``, ``gen_ai.input.messages``,
``gen_ai.output.messages``, ``gen_ai.tool.definitions``,
``gen_ai.tool.call.arguments`` / ``result``) only when opted in.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import metrics, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from aiwire.plugin import AgentRunContext, RequestContext
from aiwire.types import (
    AssistantMessage,
    Context,
    ImageResult,
    Message,
    TextContent,
    ThinkingContent,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)

__all__ = ["PROVIDER_NAMES", "Instrumentation"]

SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"
CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

# aiwire provider ids whose well-known gen_ai.provider.name differs; others are used as they are.
PROVIDER_NAMES = {
    "google": "gcp.gemini",
    "google-gemini-cli": "gcp.gemini",
    "google-vertex": "gcp.vertex_ai",
    "amazon-bedrock": "aws.bedrock",
    "azure-openai-responses": "azure.ai.openai",
    "mistral": "mistral_ai",
    "xai": "x_ai",
    "openai-codex": "openai",
    "github-copilot": "github_copilot",
}
FINISH_REASONS = {"tool_use": "tool_call"}
MAX_OPEN = 10_000  # open call spans kept at most
TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]
SECOND_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


def _version() -> str:
    """This distribution's version, from aiwire's plugin rows (reading the
    distribution's metadata costs several milliseconds on the first call)."""
    import aiwire

    for row in aiwire.plugins():
        if row.distribution == "aiwire-otel" and row.version:
            return row.version
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aiwire-otel")
    except PackageNotFoundError:  # a source checkout
        return "0"


class Instrumentation:
    """Holds the open spans by call id, run id and tool call id."""

    def __init__(
        self, *, tracer_provider: Any = None, meter_provider: Any = None, capture_content: bool | None = None
    ) -> None:
        ver = _version()
        self.tracer = trace.get_tracer("aiwire_otel", ver, tracer_provider=tracer_provider, schema_url=SCHEMA_URL)
        meter = metrics.get_meter("aiwire_otel", ver, meter_provider=meter_provider, schema_url=SCHEMA_URL)
        self.content = _env_true(CONTENT_ENV) if capture_content is None else capture_content
        self.token_usage = _histogram(
            meter, "gen_ai.client.token.usage", "{token}", "Number of input and output tokens used", TOKEN_BUCKETS
        )
        self.duration = _histogram(
            meter, "gen_ai.client.operation.duration", "s", "GenAI operation duration", SECOND_BUCKETS
        )
        self.first_chunk = _histogram(
            meter,
            "gen_ai.client.operation.time_to_first_chunk",
            "s",
            "Time to receive the first chunk of a streamed response",
            SECOND_BUCKETS,
        )
        self.calls: dict[str, tuple[Any, dict[str, Any]]] = {}
        self.runs: dict[str, Any] = {}
        self.tools: dict[tuple[str, str], Any] = {}

    # -- calls --------------------------------------------------------------------

    def call_start(self, model: Any, call: RequestContext) -> None:
        images = call.kind == "images"
        op = "generate_content" if images else "chat"
        common: dict[str, Any] = {
            "gen_ai.operation.name": op,
            "gen_ai.provider.name": PROVIDER_NAMES.get(model.provider, model.provider),
            "gen_ai.request.model": model.id,
        }
        url = urlsplit(call.request.url)
        if url.hostname:
            common["server.address"] = url.hostname
            common["server.port"] = url.port or (443 if url.scheme == "https" else 80)
        attrs = dict(common)
        attrs["gen_ai.output.type"] = "image" if images else "text"
        attrs["aiwire.call_id"] = call.call_id
        attrs["aiwire.api"] = model.api
        opts = call.options
        requested = {
            "gen_ai.request.max_tokens": opts.max_tokens,
            "gen_ai.request.temperature": opts.temperature,
            "gen_ai.request.top_p": opts.top_p,
            "gen_ai.request.stop_sequences": list(opts.stop) if opts.stop else None,
            "gen_ai.conversation.id": opts.session_id,
        }
        attrs.update({k: v for k, v in requested.items() if v is not None})
        if self.content and call.context is not None:
            attrs.update(_input_content(call.context))
        parent = self.runs.get(call.parent_id) if call.parent_id else None
        ctx = trace.set_span_in_context(parent) if parent is not None else None
        span = self.tracer.start_span(
            f"{op} {model.id}", context=ctx, kind=SpanKind.CLIENT, attributes=attrs, start_time=_ns(call.started_at)
        )
        self.calls[call.call_id] = (span, common)
        if len(self.calls) > MAX_OPEN:  # calls prepared and never run: end the oldest instead of growing
            _, (stale, _) = next(iter(self.calls.items()))
            self.calls.pop(next(iter(self.calls)))
            stale.set_status(Status(StatusCode.ERROR, "the call was never run to its end"))
            stale.end()

    def call_end(self, call: RequestContext, result: AssistantMessage | ImageResult) -> None:
        entry = self.calls.pop(call.call_id, None)
        if entry is None:
            return
        span, common = entry
        now = time.time()
        metric = dict(common)
        if result.model:
            metric["gen_ai.response.model"] = result.model
            span.set_attribute("gen_ai.response.model", result.model)
        reason = FINISH_REASONS.get(result.stop_reason, result.stop_reason)
        span.set_attribute("gen_ai.response.finish_reasons", [reason])
        response_id = getattr(result, "id", None)
        if response_id:
            span.set_attribute("gen_ai.response.id", response_id)
        usage = result.usage
        if usage is not None:
            inputs = usage.input + usage.cache_read + usage.cache_write  # the conventions count cached input too
            span.set_attribute("gen_ai.usage.input_tokens", inputs)
            span.set_attribute("gen_ai.usage.output_tokens", usage.output)
            if usage.cache_read:
                span.set_attribute("gen_ai.usage.cache_read.input_tokens", usage.cache_read)
            if usage.cache_write:
                span.set_attribute("gen_ai.usage.cache_creation.input_tokens", usage.cache_write)
        if call.stream and call.first_chunk_at is not None:
            ttfc = max(0.0, call.first_chunk_at - call.started_at)
            span.set_attribute("gen_ai.response.time_to_first_chunk", ttfc)
            self.first_chunk.record(ttfc, metric)
        if result.stop_reason in ("error", "aborted"):
            error_type = result.error_type or (str(result.error_status) if result.error_status else None)
            error_type = error_type or ("aborted" if result.stop_reason == "aborted" else "_OTHER")
            metric["error.type"] = error_type
            span.set_attribute("error.type", error_type)
            span.set_status(Status(StatusCode.ERROR, result.error_message or error_type))
        if self.content and isinstance(result, AssistantMessage):
            span.set_attribute("gen_ai.output.messages", _dumps([_assistant(result, reason)]))
        self.duration.record(max(0.0, now - call.started_at), metric)
        if usage is not None:
            self.token_usage.record(
                usage.input + usage.cache_read + usage.cache_write, {**metric, "gen_ai.token.type": "input"}
            )
            self.token_usage.record(usage.output, {**metric, "gen_ai.token.type": "output"})
        span.end(end_time=_ns(now))

    # -- agents and tools -----------------------------------------------------------

    def agent_start(self, run: AgentRunContext) -> None:
        model = run.model
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.provider.name": PROVIDER_NAMES.get(model.provider, model.provider),
            "gen_ai.request.model": model.id,
            "aiwire.agent.run_id": run.run_id,
        }
        if self.content and run.system_prompt:
            attrs["gen_ai.system_instructions"] = _dumps([{"type": "text", "content": run.system_prompt}])
        span = self.tracer.start_span(
            "invoke_agent", kind=SpanKind.INTERNAL, attributes=attrs, start_time=_ns(run.started_at)
        )
        self.runs[run.run_id] = span

    def agent_end(self, run: AgentRunContext, messages: Sequence[Message]) -> None:
        span = self.runs.pop(run.run_id, None)
        if span is None:
            return
        for key in [k for k in self.tools if k[0] == run.run_id]:  # the run was cancelled mid-tool
            tool = self.tools.pop(key)
            tool.set_attribute("error.type", "cancelled")
            tool.set_status(Status(StatusCode.ERROR, "the agent run ended before the tool did"))
            tool.end()
        replies = [m for m in messages if isinstance(m, AssistantMessage)]
        inputs = sum(m.usage.input + m.usage.cache_read + m.usage.cache_write for m in replies if m.usage)
        outputs = sum(m.usage.output for m in replies if m.usage)
        span.set_attribute("gen_ai.usage.input_tokens", inputs)
        span.set_attribute("gen_ai.usage.output_tokens", outputs)
        if replies:
            last = replies[-1]
            span.set_attribute(
                "gen_ai.response.finish_reasons", [FINISH_REASONS.get(last.stop_reason, last.stop_reason)]
            )
            if last.stop_reason in ("error", "aborted"):
                span.set_attribute("error.type", last.error_type or last.stop_reason)
                span.set_status(Status(StatusCode.ERROR, last.error_message or last.stop_reason))
        span.end()

    def tool_start(self, run: AgentRunContext, tool_call: ToolCall) -> None:
        attrs: dict[str, Any] = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": tool_call.name,
            "gen_ai.tool.call.id": tool_call.id,
            "gen_ai.tool.type": "function",
        }
        if self.content:
            attrs["gen_ai.tool.call.arguments"] = _dumps(tool_call.arguments)
        parent = self.runs.get(run.run_id)
        ctx = trace.set_span_in_context(parent) if parent is not None else None
        span = self.tracer.start_span(
            f"execute_tool {tool_call.name}", context=ctx, kind=SpanKind.INTERNAL, attributes=attrs
        )
        self.tools[(run.run_id, tool_call.id)] = span

    def tool_end(self, run: AgentRunContext, tool_call: ToolCall, result: ToolResultMessage) -> None:
        span = self.tools.pop((run.run_id, tool_call.id), None)
        if span is None:
            return
        if self.content:
            span.set_attribute("gen_ai.tool.call.result", _text(result.content))
        if result.is_error:
            span.set_attribute("error.type", "tool_error")
            span.set_status(Status(StatusCode.ERROR, _text(result.content)[:500]))
        span.end()


def _histogram(meter: Any, name: str, unit: str, description: str, buckets: Sequence[float]) -> Any:
    try:
        return meter.create_histogram(
            name, unit=unit, description=description, explicit_bucket_boundaries_advisory=list(buckets)
        )
    except TypeError:  # an opentelemetry-api without bucket advice
        return meter.create_histogram(name, unit=unit, description=description)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.text for b in content if isinstance(b, TextContent))


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "content": content}]
    out: list[dict[str, Any]] = []
    for b in content:
        if isinstance(b, TextContent):
            out.append({"type": "text", "content": b.text})
        elif isinstance(b, ThinkingContent) and not b.redacted:
            out.append({"type": "reasoning", "content": b.thinking})
        elif isinstance(b, ToolCall):
            out.append({"type": "tool_call", "id": b.id, "name": b.name, "arguments": b.arguments})
        else:
            out.append({"type": getattr(b, "type", type(b).__name__.lower())})  # images: the kind, not the bytes
    return out


def _assistant(message: AssistantMessage, reason: str) -> dict[str, Any]:
    return {"role": "assistant", "parts": _parts(message.content), "finish_reason": reason}


def _input_content(context: Context) -> dict[str, str]:
    out: dict[str, str] = {}
    if context.system_prompt:
        out["gen_ai.system_instructions"] = _dumps([{"type": "text", "content": context.system_prompt}])
    messages: list[dict[str, Any]] = []
    for m in context.messages:
        if isinstance(m, UserMessage):
            messages.append({"role": "user", "parts": _parts(m.content)})
        elif isinstance(m, AssistantMessage):
            messages.append({"role": "assistant", "parts": _parts(m.content)})
        elif isinstance(m, ToolResultMessage):
            part = {"type": "tool_call_response", "id": m.tool_call_id, "response": _text(m.content)}
            messages.append({"role": "tool", "parts": [part]})
    out["gen_ai.input.messages"] = _dumps(messages)
    if context.tools:
        tools = [
            {"type": "function", "name": t.name, "description": t.description, "parameters": t.parameters}
            for t in context.tools
        ]
        out["gen_ai.tool.definitions"] = _dumps(tools)
    return out
