"""Tool calls get the caller's spelling of a tool's name back (the core's rule,
for backends that rename tools, such as Claude Code's subscription backend)."""

from __future__ import annotations

import aiwire
from aiwire import events as ev
from aiwire.testing import FauxProvider, text, tool_call
from aiwire.types import Context, Tool, UserMessage

SCHEMA = {"type": "object", "properties": {}}


def _ctx(*names: str) -> Context:
    return Context(messages=[UserMessage(content="go")], tools=[Tool(name=n, parameters=SCHEMA) for n in names])


def test_a_call_named_in_another_case_gets_the_context_spelling() -> None:
    with FauxProvider() as faux:
        faux.reply(text("ok"), tool_call("Read", {}), tool_call("TODOWRITE", {}), tool_call("other", {}))
        events = list(aiwire.stream_sync(faux.model, _ctx("read", "todoWrite")))
    msg = events[-1].message
    assert [c.name for c in msg.tool_calls] == ["read", "todoWrite", "other"]  # unknown names are left alone
    starts = [e.name for e in events if isinstance(e, ev.ToolCallStart)]
    assert starts == ["read", "todoWrite", "other"]


def test_tools_equal_but_for_case_are_left_as_sent() -> None:
    with FauxProvider() as faux:
        faux.reply(tool_call("READ", {}), tool_call("Read", {}))
        msg = aiwire.complete_sync(faux.model, _ctx("read", "Read", "write"))
    assert [c.name for c in msg.tool_calls] == ["READ", "Read"]
