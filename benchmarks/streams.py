"""Recorded-shape SSE bodies for each wire format, generated deterministically.

The server and the clients both import this module: the server to serve the
bytes, a client to know how many wire events (and which deltas) to expect.
Shapes follow the real recordings in ``../shared/conformance``: Anthropic
Messages (named events, ``ping``, a signature before a thinking block ends),
OpenAI Chat Completions (``data:`` only, usage chunk, ``[DONE]``) and aiwire's
own ``faux`` protocol.
"""

from __future__ import annotations

import functools
import json
import os
import random
from collections.abc import Mapping
from dataclasses import dataclass

FORMATS = ("faux", "anthropic", "openai")

_TOKENS = [
    "the", " model", " says", ",", " hello", " world", ".", "\n", " é", "té", " 中文", " \u2014", ' "quoted"', " \\",
    " tab\t", " 42", " JSON", " {x}", " ok", "!", " stream", "ing", " tokens", " of", " 1", "\u20138", " chars",
]  # fmt: skip


@dataclass(frozen=True)
class Body:
    """One response: its SSE events (one HTTP chunk each) and which of them
    carry a delta the caller sees (text, thinking or tool arguments)."""

    events: tuple[bytes, ...]
    deltas: tuple[int, ...]

    @property
    def size(self) -> int:
        return sum(len(e) for e in self.events)


def _tokens(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(_TOKENS) for _ in range(n)]


def _args(size: int) -> str:
    """A JSON object of about ``size`` bytes, with nesting and escapes."""
    rows, total, i = [], 2, 0
    while total < size:
        row = json.dumps({"id": i, "city": f'Zürich "{i}"', "temps": [i % 30, (i * 7) % 30], "ok": i % 2 == 0})
        rows.append(row)
        total += len(row) + 1
        i += 1
    return '{"rows": [' + ",".join(rows) + "]}"


# Tool-argument fragments as the recorded streams cut them: Anthropic's
# ``input_json_delta`` fragments are 0 to 12 bytes (mean 6), OpenAI's 1 to 18
# (mean 4). Sizes drawn from 1 to 11 bytes (mean 6), a fixed sequence;
# ``run.py --fragments 32,32`` (this variable) measures another cut.
FRAGMENT_SIZES = tuple(int(x) for x in os.environ.get("AIWIRE_BENCH_FRAGMENTS", "1,11").split(","))


def _split(text: str) -> list[str]:
    rng = random.Random(len(text))
    low, high = FRAGMENT_SIZES
    out, i = [], 0
    while i < len(text):
        size = rng.randint(low, high)
        out.append(text[i : i + size])
        i += size
    return out


class _Builder:
    def __init__(self) -> None:
        self.events: list[bytes] = []
        self.deltas: list[int] = []

    def add(self, obj: object, event: str | None = None, *, delta: bool = False) -> None:
        if delta:
            self.deltas.append(len(self.events))
        head = f"event: {event}\n" if event else ""
        data = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
        self.events.append(f"{head}data: {data}\n\n".encode())

    def body(self) -> Body:
        return Body(tuple(self.events), tuple(self.deltas))


def _faux(text: list[str], thinking: list[str], args: list[str]) -> Body:
    b = _Builder()
    blocks = [("thinking", thinking), ("text", text), ("tool_call", args)]
    index = 0
    for kind, pieces in blocks:
        if not pieces:
            continue
        start: dict[str, object] = {"type": "block_start", "index": index, "block": kind}
        if kind == "tool_call":
            start |= {"id": "call_1", "name": "get_weather"}
        b.add(start)
        for p in pieces:
            b.add({"type": "block_delta", "index": index, "delta": p}, delta=True)
        b.add({"type": "block_end", "index": index})
        index += 1
    b.add({"type": "usage", "input": 25, "output": len(text) + len(thinking) + len(args)})
    b.add({"type": "end", "stop_reason": "tool_use" if args else "stop"})
    return b.body()


def _anthropic(text: list[str], thinking: list[str], args: list[str]) -> Body:
    b = _Builder()
    usage = {"input_tokens": 25, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}
    message = {"id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-bench", "content": []}
    b.add({"type": "message_start", "message": {**message, "stop_reason": None, "usage": usage}}, "message_start")
    index = 0

    def block(
        start: Mapping[str, object], delta_type: str, field: str, pieces: list[str], extra: object = None
    ) -> None:
        nonlocal index
        b.add({"type": "content_block_start", "index": index, "content_block": start}, "content_block_start")
        if index == 0:
            b.add({"type": "ping"}, "ping")
        for p in pieces:
            b.add(
                {"type": "content_block_delta", "index": index, "delta": {"type": delta_type, field: p}},
                "content_block_delta",
                delta=True,
            )
        if extra is not None:
            b.add({"type": "content_block_delta", "index": index, "delta": extra}, "content_block_delta")
        b.add({"type": "content_block_stop", "index": index}, "content_block_stop")
        index += 1

    if thinking:
        sig = {"type": "signature_delta", "signature": "EqQBCkgIARABGAIiQ" * 8}
        block({"type": "thinking", "thinking": "", "signature": ""}, "thinking_delta", "thinking", thinking, sig)
    if text:
        block({"type": "text", "text": ""}, "text_delta", "text", text)
    if args:
        start = {"type": "tool_use", "id": "toolu_bench", "name": "get_weather", "input": {}}
        block(start, "input_json_delta", "partial_json", args)
    stop = "tool_use" if args else "end_turn"
    out = len(text) + len(thinking) + len(args)
    b.add(
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop, "stop_sequence": None},
            "usage": {"output_tokens": out},
        },
        "message_delta",
    )
    b.add({"type": "message_stop"}, "message_stop")
    return b.body()


def _openai(text: list[str], thinking: list[str], args: list[str]) -> Body:
    b = _Builder()
    head = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1790000000, "model": "gpt-bench"}

    def chunk(delta: dict[str, object], finish: str | None = None, *, is_delta: bool = False) -> None:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        b.add(
            {**head, "service_tier": "default", "system_fingerprint": "fp_bench", "choices": [choice]}, delta=is_delta
        )

    chunk({"role": "assistant", "content": "", "refusal": None})
    for p in thinking:
        chunk({"reasoning_content": p}, is_delta=True)
    for p in text:
        chunk({"content": p}, is_delta=True)
    if args:
        call = {
            "index": 0,
            "id": "call_bench",
            "type": "function",
            "function": {"name": "get_weather", "arguments": ""},
        }
        chunk({"tool_calls": [call]})
        for p in args:
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}, is_delta=True)
    chunk({}, "tool_calls" if args else "stop")
    out = len(text) + len(thinking) + len(args)
    usage = {"prompt_tokens": 25, "completion_tokens": out, "total_tokens": 25 + out}
    b.add({**head, "choices": [], "usage": usage})
    b.add("[DONE]")
    return b.body()


_BUILD = {"faux": _faux, "anthropic": _anthropic, "openai": _openai}


@functools.lru_cache(maxsize=64)
def body(fmt: str, shape: str) -> Body:
    """``shape`` is ``text-<n>`` (n text deltas), ``think-<n>`` (n thinking
    deltas then n/4 text deltas) or ``tool-<bytes>`` (one tool call whose
    JSON arguments arrive in fragments of 1 to 11 bytes)."""
    kind, _, arg = shape.partition("-")
    n = int(arg)
    text: list[str] = []
    thinking: list[str] = []
    args: list[str] = []
    if kind == "text":
        text = _tokens(n, seed=n)
    elif kind == "think":
        thinking, text = _tokens(n, seed=n), _tokens(max(1, n // 4), seed=n + 1)
    elif kind == "tool":
        args = _split(_args(n))
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return _BUILD[fmt](text, thinking, args)
