"""Helpers for the agent tests: an event recorder, small tools, request readers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiwire.agent import AgentEvent, FunctionTool
from aiwire.testing import FauxProvider

NUMBER_PARAMS = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"],
}


class Recorder:
    """A subscriber that keeps every event."""

    def __init__(self) -> None:
        self.events: list[AgentEvent] = []

    def __call__(self, event: AgentEvent) -> None:
        self.events.append(event)

    @property
    def types(self) -> list[str]:
        return [type(e).__name__ for e in self.events]

    def of(self, cls: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]

    def without_updates(self) -> list[str]:
        return [t for t in self.types if t != "MessageUpdate"]


def add_tool(log: list[str] | None = None, *, name: str = "add", **kw: Any) -> FunctionTool:
    async def add(a: int, b: int) -> str:
        if log is not None:
            log.append(f"{name}({a},{b})")
        return str(a + b)

    return FunctionTool(add, name=name, description="Add two integers.", parameters=NUMBER_PARAMS, **kw)


def tool_of(fn: Callable[..., Any], name: str | None = None, **kw: Any) -> FunctionTool:
    return FunctionTool(fn, name=name, parameters=kw.pop("parameters", {"type": "object", "properties": {}}), **kw)


def sent(faux: FauxProvider, index: int = -1) -> list[dict[str, Any]]:
    """The messages of request ``index`` as the provider received them."""
    messages: list[dict[str, Any]] = faux.requests[index]["json"]["context"]["messages"]
    return messages


def roles(messages: list[dict[str, Any]]) -> list[str]:
    return [m["role"] for m in messages]


def result_texts(messages: list[dict[str, Any]]) -> list[str]:
    return ["".join(c["text"] for c in m["content"]) for m in messages if m["role"] == "tool_result"]
