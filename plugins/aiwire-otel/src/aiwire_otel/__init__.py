"""OpenTelemetry for aiwire (entry point ``otel`` in the ``aiwire`` group).

This module only registers hooks; OpenTelemetry itself is imported the first
time a call, image generation or agent run is observed once OpenTelemetry
can have been set up (see :func:`_dormant`), so installing the plugin slows
down neither ``import aiwire`` nor a program that does not use OpenTelemetry.
Every hook runs once per call, agent run or tool call, never per streamed
event.

``configure()`` picks the tracer and meter providers (default: the global
ones) and whether message content is recorded (default: only when
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` is true).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from aiwire.plugin import hookimpl

if TYPE_CHECKING:
    from aiwire.plugin import AgentRunContext, RequestContext
    from aiwire.types import AssistantMessage, ImageResult, Message, Model, ToolCall, ToolResultMessage
    from aiwire_otel._instrument import Instrumentation

__all__ = ["AIWIRE_PLUGIN_API", "configure"]

AIWIRE_PLUGIN_API = 2

_state: dict[str, Any] = {"settings": {}, "instrumentation": None}


def configure(*, tracer_provider: Any = None, meter_provider: Any = None, capture_content: bool | None = None) -> None:
    """Use these providers (``None``: the global ones) and content setting
    (``None``: the environment variable) for everything observed from now on."""
    _state["settings"] = {
        "tracer_provider": tracer_provider,
        "meter_provider": meter_provider,
        "capture_content": capture_content,
    }
    _state["instrumentation"] = None


def _dormant() -> bool:
    """Whether nothing could record what the hooks would report: no provider
    given to :func:`configure`, OpenTelemetry not imported by anyone (so no
    global provider was set) and no provider named by environment variable.
    Spans and metrics would then go to OpenTelemetry's no-op proxies, so
    importing it (several milliseconds) waits until one of these changes."""
    settings = _state["settings"]
    return (
        _state["instrumentation"] is None
        and settings.get("tracer_provider") is None
        and settings.get("meter_provider") is None
        and "opentelemetry" not in sys.modules
        and not os.environ.get("OTEL_PYTHON_TRACER_PROVIDER")
        and not os.environ.get("OTEL_PYTHON_METER_PROVIDER")
    )


def _inst() -> Instrumentation:
    inst = _state["instrumentation"]
    if inst is None:
        from aiwire_otel._instrument import Instrumentation

        inst = _state["instrumentation"] = Instrumentation(**_state["settings"])
    return inst  # type: ignore[no-any-return]


@hookimpl
def on_call_start(model: Model, call: RequestContext) -> None:
    if _dormant():
        return
    _inst().call_start(model, call)


@hookimpl
def on_message_end(message: AssistantMessage, call: RequestContext) -> None:
    if _dormant():
        return
    _inst().call_end(call, message)


@hookimpl
def on_images_end(result: ImageResult, call: RequestContext) -> None:
    if _dormant():
        return
    _inst().call_end(call, result)


@hookimpl
def on_agent_start(run: AgentRunContext) -> None:
    if _dormant():
        return
    _inst().agent_start(run)


@hookimpl
def on_agent_end(run: AgentRunContext, messages: list[Message]) -> None:
    if _dormant():
        return
    _inst().agent_end(run, messages)


@hookimpl
def on_tool_call_start(run: AgentRunContext, tool_call: ToolCall) -> None:
    if _dormant():
        return
    _inst().tool_start(run, tool_call)


@hookimpl
def on_tool_call_end(run: AgentRunContext, tool_call: ToolCall, result: ToolResultMessage) -> None:
    if _dormant():
        return
    _inst().tool_end(run, tool_call, result)
