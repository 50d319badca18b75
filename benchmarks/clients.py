"""The clients under measurement. Each streams one response and returns the
number of deltas it saw and, when asked, the monotonic time of each.

Every client does what a caller of it would: aiwire yields typed events and
accumulates the message; the floor decodes every event's JSON; the SDKs
yield their own typed chunks.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

API_OF = {"faux": "faux", "anthropic": "anthropic-messages", "openai": "openai-completions"}
PROMPT = [{"role": "user", "content": "Say something long."}]

Runner = Callable[[str, dict[str, str], bool], Awaitable[tuple[int, list[int]]]]


def aiwire_client(fmt: str, transport: str) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    import aiwire
    from aiwire import events as ev
    from aiwire._api.client import default_client

    api = API_OF[fmt]
    delta_types = (ev.TextDelta, ev.ThinkingDelta, ev.ToolCallDelta)

    async def run(url: str, headers: dict[str, str], timed: bool) -> tuple[int, list[int]]:
        model = aiwire.custom_model("bench-model", api=api, base_url=url, max_tokens=4096)
        s = aiwire.stream(model, "Say something long.", api_key="bench", transport=transport, headers=headers)
        n, times = 0, []
        async for e in s:
            if isinstance(e, delta_types):
                n += 1
                if timed:
                    times.append(time.monotonic_ns())
        msg = await s
        if msg.stop_reason in ("error", "aborted"):
            raise RuntimeError(msg.error_message)
        return n, times

    return run, default_client().aclose


def floor_client(fmt: str) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    import httpx
    import msgspec
    from httpx_sse import aconnect_sse

    client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=1000, max_keepalive_connections=1000))
    decode = msgspec.json.decode

    async def run(url: str, headers: dict[str, str], timed: bool) -> tuple[int, list[int]]:
        n, times = 0, []
        body = {"model": "bench-model", "messages": PROMPT, "stream": True}
        async with aconnect_sse(client, "POST", url + "/stream", json=body, headers=headers) as source:
            async for sse in source.aiter_sse():
                if sse.data != "[DONE]":
                    decode(sse.data)
                n += 1
                if timed:
                    times.append(time.monotonic_ns())
        return n, times

    return run, client.aclose


def _sdk(
    new_client: Callable[[str], Any], start: Callable[[Any, dict[str, str]], Any], is_delta: Callable[[Any], bool]
) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """An official SDK client: one client object per base URL, reused."""
    made: dict[str, Any] = {}

    async def run(url: str, headers: dict[str, str], timed: bool) -> tuple[int, list[int]]:
        client = made.get(url) or made.setdefault(url, new_client(url))
        n, times = 0, []
        async for item in await start(client, headers):
            if is_delta(item):
                n += 1
                if timed:
                    times.append(time.monotonic_ns())
        return n, times

    async def close() -> None:
        for c in made.values():
            await c.close()

    return run, close


def openai_client(fmt: str) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    import openai

    def is_delta(chunk: Any) -> bool:
        if not chunk.choices:
            return False
        d = chunk.choices[0].delta
        return bool(
            d.content or (d.tool_calls and d.tool_calls[0].function.arguments) or getattr(d, "reasoning_content", None)
        )

    return _sdk(
        lambda url: openai.AsyncOpenAI(base_url=url, api_key="bench", max_retries=0),
        lambda c, h: c.chat.completions.create(model="gpt-bench", messages=PROMPT, stream=True, extra_headers=h),
        is_delta,
    )


def anthropic_client(fmt: str) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    import anthropic

    return _sdk(
        lambda url: anthropic.AsyncAnthropic(base_url=url, api_key="bench", max_retries=0),
        lambda c, h: c.messages.create(
            model="claude-bench", max_tokens=4096, messages=PROMPT, stream=True, extra_headers=h
        ),
        lambda e: e.type == "content_block_delta" and e.delta.type != "signature_delta",
    )


def make(name: str, fmt: str) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """``aiwire@httpx``, ``aiwire@aiohttp``, ``floor``, ``openai-sdk``, ``anthropic-sdk``."""
    if name.startswith("aiwire@"):
        return aiwire_client(fmt, name.partition("@")[2])
    if name == "floor":
        return floor_client(fmt)
    if name == "openai-sdk":
        return openai_client(fmt)
    if name == "anthropic-sdk":
        return anthropic_client(fmt)
    raise ValueError(f"unknown client {name!r}")
