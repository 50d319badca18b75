"""The low-level entry points: event iterators and awaitables over the loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Sequence
from typing import Any

from aiwire.agent._events import AgentEvent
from aiwire.agent._loop import AgentLoopConfig, check_continuable, run_agent_loop
from aiwire.agent._tool import CancelToken
from aiwire.agent._types import AgentContext, AgentMessage

__all__ = ["AgentRun", "agent_loop", "agent_loop_continue", "run_agent_loop_continue"]

_END = object()


class AgentRun:
    """A running loop: iterate it for :data:`AgentEvent` s, ``await`` it for
    the messages it added, :meth:`abort` to stop it.

    The loop starts on first iteration (or await). Leaving the ``async for``
    early aborts the run and waits for it to settle, so the context stays
    consistent.
    """

    def __init__(self, start: Callable[[Callable[[AgentEvent], Awaitable[None]], CancelToken], Awaitable[Any]]) -> None:
        self._start = start
        self.cancel = CancelToken()
        self._task: asyncio.Task[list[AgentMessage]] | None = None
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._iterated = False

    def _ensure(self, emit: Callable[[AgentEvent], Awaitable[None]]) -> asyncio.Task[list[AgentMessage]]:
        if self._task is None:

            async def main() -> list[AgentMessage]:
                try:
                    result: list[AgentMessage] = await self._start(emit, self.cancel)
                    return result
                finally:
                    self._queue.put_nowait(_END)

            self._task = asyncio.ensure_future(main())
        return self._task

    async def _put(self, event: AgentEvent) -> None:
        self._queue.put_nowait(event)

    def __aiter__(self) -> AsyncIterator[AgentEvent]:
        if self._iterated or self._task is not None:
            raise RuntimeError("an AgentRun can be iterated only once, before it is awaited")
        self._iterated = True
        return self._events()

    async def _events(self) -> AsyncIterator[AgentEvent]:
        task = self._ensure(self._put)
        try:
            while True:
                item = await self._queue.get()
                if item is _END:
                    break
                yield item
        finally:
            if not task.done():
                self.abort()
                await asyncio.shield(task)
        task.result()  # re-raise a bug in the loop instead of hiding it

    def abort(self) -> None:
        """Cancel the model stream and running tools; the run then ends."""
        self.cancel.cancel()

    async def result(self) -> list[AgentMessage]:
        """The messages the run added (runs it to the end if nobody iterates)."""
        if self._task is None:

            async def drop(event: AgentEvent) -> None:
                return None

            self._ensure(drop)
        assert self._task is not None
        return await asyncio.shield(self._task)

    def __await__(self) -> Generator[Any, None, list[AgentMessage]]:
        return self.result().__await__()


def agent_loop(prompts: Sequence[AgentMessage], context: AgentContext, config: AgentLoopConfig) -> AgentRun:
    """Start a run with new ``prompts``; iterate the result for events.

    ``context.messages`` grows with every message of the run::

        async for event in agent_loop([UserMessage(content="hi")], context, config):
            ...
    """
    items = list(prompts)
    return AgentRun(lambda emit, cancel: run_agent_loop(items, context, config, emit, cancel))


def agent_loop_continue(context: AgentContext, config: AgentLoopConfig) -> AgentRun:
    """Run from ``context`` as it is (after tool results, or to retry once a
    failed turn was removed). Raises :class:`AgentError` at once if the last
    message is the assistant's."""
    check_continuable(context)
    return AgentRun(lambda emit, cancel: run_agent_loop([], context, config, emit, cancel))


async def run_agent_loop_continue(
    context: AgentContext,
    config: AgentLoopConfig,
    emit: Callable[[AgentEvent], Awaitable[None]] | None = None,
    cancel: CancelToken | None = None,
) -> list[AgentMessage]:
    """Awaitable twin of :func:`agent_loop_continue`."""
    check_continuable(context)
    return await run_agent_loop([], context, config, emit, cancel)
