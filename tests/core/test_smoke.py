from __future__ import annotations

import aiwire
from aiwire import events as ev
from aiwire.testing import FauxProvider, text, tool_call


async def test_demo_model_streams_a_tool_call() -> None:
    ctx = aiwire.Context(
        messages=[aiwire.UserMessage(content="what is 6 times 7?")],
        tools=[
            aiwire.Tool(
                name="calculate", parameters={"type": "object", "properties": {"expression": {"type": "string"}}}
            )
        ],
    )
    s = aiwire.stream("demo/aiwire-demo", ctx)
    kinds = [type(e).__name__ async for e in s]
    assert kinds[0] == "Start" and kinds[-1] == "Done"
    msg = await s
    assert msg.stop_reason == "tool_use"
    assert msg.tool_calls[0].arguments == {"expression": "6 * 7"}


def test_faux_provider_sync(faux: FauxProvider) -> None:
    faux.reply(text("hello"), tool_call("f", {"a": 1}))
    events = list(aiwire.stream_sync(faux.model, "hi"))
    assert isinstance(events[-1], ev.Done)
    assert events[-1].message.text == "hello"
