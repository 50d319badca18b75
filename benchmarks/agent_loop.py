"""Agent-loop overhead over bare ``aiwire.stream`` (faux provider, in process).

    python benchmarks/agent_loop.py [turns]

Each turn streams the same reply (a text of 400 characters in 100 deltas plus
one tool call); the agent run also executes the tool and emits its events to
one subscriber. Prints CPU microseconds per turn for both and the difference.
"""

from __future__ import annotations

import asyncio
import sys
import time

import aiwire
from aiwire.agent import AgentContext, AgentLoopConfig, FunctionTool, run_agent_loop
from aiwire.testing import FauxProvider, text, tool_call


async def noop() -> str:
    return "ok"


def reply(faux: FauxProvider, with_tool: bool) -> None:
    blocks = [text("x" * 400)] + ([tool_call("noop")] if with_tool else [])
    faux.reply(*blocks, chunk_size=4)


async def bare(faux: FauxProvider, turns: int) -> float:
    t0 = time.process_time()
    for _ in range(turns):
        reply(faux, True)
        async for _event in aiwire.stream(faux.model, "hi"):
            pass
    return time.process_time() - t0


async def agent(faux: FauxProvider, turns: int) -> float:
    tool = FunctionTool(noop)
    seen = 0

    async def emit(event: object) -> None:
        nonlocal seen
        seen += 1

    t0 = time.process_time()
    for _ in range(turns):
        reply(faux, True)
        reply(faux, False)
        context = AgentContext(tools=[tool])
        await run_agent_loop([aiwire.UserMessage(content="hi")], context, AgentLoopConfig(model=faux.model), emit)
    return time.process_time() - t0


async def main(turns: int) -> None:
    with FauxProvider() as faux:
        await bare(faux, 20)  # warm up clients and imports
        b = await bare(faux, turns)
        a = await agent(faux, turns)
    per_bare = b / turns * 1e6
    per_agent = a / (2 * turns) * 1e6  # two model turns per run
    print(f"bare stream:  {per_bare:8.0f} us CPU per turn")
    print(f"agent loop:   {per_agent:8.0f} us CPU per model turn (tool run + events included)")
    print(f"overhead:     {per_agent - per_bare:8.0f} us per model turn")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
