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


def aiwire_client(
    fmt: str, transport: str | None, read_args: bool = False
) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """``read_args``: read each tool delta's partial ``arguments``, as a UI
    showing the call while it streams does (they are parsed only when read)."""
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
                if read_args and type(e) is ev.ToolCallDelta:
                    _ = e.arguments
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


def _events(buf: bytes) -> tuple[list[bytes], bytes]:
    """Hand-written SSE framing on bytes: complete events' ``data`` and the rest.

    Splits on the blank line, keeps ``data:`` lines (joined with newlines, as
    the spec says); enough for the servers measured here (``\\n`` line endings)."""
    parts = buf.split(b"\n\n")
    rest = parts.pop()
    out = []
    for part in parts:
        data = [line[5:].lstrip(b" ") for line in part.split(b"\n") if line.startswith(b"data:")]
        if data:
            out.append(data[0] if len(data) == 1 else b"\n".join(data))
    return out, rest


def fast_floor_client(fmt: str) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """aiohttp, the framing above and msgspec, no aiwire: the fast side's floor."""
    import aiohttp
    import msgspec

    decode = msgspec.json.decode
    encode = msgspec.json.encode
    made: list[aiohttp.ClientSession] = []

    async def run(url: str, headers: dict[str, str], timed: bool) -> tuple[int, list[int]]:
        if not made:
            made.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)))
        n, times, buf = 0, [], b""
        body = encode({"model": "bench-model", "messages": PROMPT, "stream": True})
        h = {"content-type": "application/json", "accept": "text/event-stream", **headers}
        async with made[0].post(url + "/stream", data=body, headers=h) as resp:
            async for chunk in resp.content.iter_any():
                datas, buf = _events(buf + chunk)
                for data in datas:
                    if data != b"[DONE]":
                        decode(data)
                    n += 1
                    if timed:
                        times.append(time.monotonic_ns())
        return n, times

    async def close() -> None:
        for s in made:
            await s.close()

    return run, close


def sync_floor_client(fmt: str) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """httpx's blocking client, the same hand framing and msgspec: the sync floor."""
    import httpx
    import msgspec

    client = httpx.Client(timeout=60)
    decode = msgspec.json.decode
    encode = msgspec.json.encode

    async def run(url: str, headers: dict[str, str], timed: bool) -> tuple[int, list[int]]:
        n, times, buf = 0, [], b""
        body = encode({"model": "bench-model", "messages": PROMPT, "stream": True})
        h = {"content-type": "application/json", "accept": "text/event-stream", **headers}
        with client.stream("POST", url + "/stream", content=body, headers=h) as resp:
            for chunk in resp.iter_raw():
                datas, buf = _events(buf + chunk)
                for data in datas:
                    if data != b"[DONE]":
                        decode(data)
                    n += 1
                    if timed:
                        times.append(time.monotonic_ns())
        return n, times

    async def close() -> None:
        client.close()

    return run, close


def aiwire_sync_client(fmt: str) -> tuple[Runner, Callable[[], Awaitable[None]]]:
    """``aiwire.stream_sync`` on the default client (blocking; the loop just waits)."""
    import aiwire
    from aiwire import events as ev
    from aiwire._api.client import default_client

    api = API_OF[fmt]
    delta_types = (ev.TextDelta, ev.ThinkingDelta, ev.ToolCallDelta)

    async def run(url: str, headers: dict[str, str], timed: bool) -> tuple[int, list[int]]:
        model = aiwire.custom_model("bench-model", api=api, base_url=url, max_tokens=4096)
        s = aiwire.stream_sync(model, "Say something long.", api_key="bench", headers=headers)
        n, times = 0, []
        for e in s:
            if isinstance(e, delta_types):
                n += 1
                if timed:
                    times.append(time.monotonic_ns())
        msg = s.result()
        if msg.stop_reason in ("error", "aborted"):
            raise RuntimeError(msg.error_message)
        return n, times

    async def close() -> None:
        default_client().blocking.close()

    return run, close


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
    """``aiwire`` (the default transport, nothing chosen), ``aiwire+args`` (the
    same, reading every tool delta's ``arguments``), ``aiwire@httpx``,
    ``aiwire@aiohttp``, ``aiwire-sync``, ``floor``, ``floor-fast``,
    ``floor-sync``, ``openai-sdk``, ``anthropic-sdk``."""
    if name == "aiwire":
        return aiwire_client(fmt, None)
    if name == "aiwire+args":
        return aiwire_client(fmt, None, read_args=True)
    if name.startswith("aiwire@"):
        return aiwire_client(fmt, name.partition("@")[2])
    if name == "aiwire-sync":
        return aiwire_sync_client(fmt)
    if name == "floor":
        return floor_client(fmt)
    if name == "floor-fast":
        return fast_floor_client(fmt)
    if name == "floor-sync":
        return sync_floor_client(fmt)
    if name == "openai-sdk":
        return openai_client(fmt)
    if name == "anthropic-sdk":
        return anthropic_client(fmt)
    raise ValueError(f"unknown client {name!r}")
