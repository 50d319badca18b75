"""Decode one long Anthropic-shaped SSE stream with aiwire and with the official SDK.

    .venv/bin/python benchmarks/decode_anthropic.py [--events 5000] [--repeat 7]

The stream is generated in the recorded shape (padded ``data:`` lines, pings,
thinking with a signature, text, a tool call streamed in fragments). Both
sides start from the same bytes and end with the accumulated final message:

* ``aiwire``: bytes-level SSE framing, typed msgspec decoding, every aiwire
  event built and the message accumulated (what ``aiwire.stream`` does per read);
* ``sdk raw``: the SDK's SSE decoder, ``json.loads`` and its typed event models
  (what iterating ``messages.create(stream=True)`` costs per event);
* ``sdk accumulate``: the same plus the SDK's ``accumulate_event`` (what its
  ``messages.stream()`` helper does).

No network: this isolates decoding. Prints CPU µs per wire event, best of N.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import aiwire
from aiwire._wire.framing import SSEFramer
from aiwire_anthropic.codec import AnthropicCodec


def make_stream(n: int, tool: bool = True) -> tuple[bytes, int]:
    events: list[dict[str, Any]] = []
    msg: dict[str, Any] = {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [],
    }
    msg["usage"] = {"input_tokens": 1000, "output_tokens": 1, "cache_read_input_tokens": 0}
    events.append({"type": "message_start", "message": msg})
    third = max(n // 3 if tool else n // 2, 1)
    events.append(
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
        }
    )
    events += [
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": f"step {i}, then "}}
        for i in range(third)
    ]
    events.append(
        {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "Eq" + "A" * 300}}
    )
    events.append({"type": "content_block_stop", "index": 0})
    events.append({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}})
    events += [
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": f"word{i} "}}
        for i in range(third)
    ]
    events.append({"type": "content_block_stop", "index": 1})
    if tool:
        start = {"type": "tool_use", "id": "toolu_b", "name": "write", "input": {}}
        events.append({"type": "content_block_start", "index": 2, "content_block": start})
        events.append(
            {
                "type": "content_block_delta",
                "index": 2,
                "delta": {"type": "input_json_delta", "partial_json": '{"lines": ['},
            }
        )
        events += [
            {
                "type": "content_block_delta",
                "index": 2,
                "delta": {"type": "input_json_delta", "partial_json": f'"line {i}", '},
            }
            for i in range(third)
        ]
        events.append(
            {
                "type": "content_block_delta",
                "index": 2,
                "delta": {"type": "input_json_delta", "partial_json": '"end"]}'},
            }
        )
        events.append({"type": "content_block_stop", "index": 2})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": n},
        }
    )
    events.append({"type": "message_stop"})
    out = []
    for i, e in enumerate(events):
        data = json.dumps(e, separators=(",", ":"))
        if i % 2:
            data = data[:-1] + " " * (i % 11) + "}"
        out.append(f"event: {e['type']}\ndata: {data}\n\n")
        if i % 50 == 1:
            out.append('event: ping\ndata: {"type": "ping"}\n\n')
    return "".join(out).encode(), len(events) + len(events) // 50


def chunks_of(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def per_event(body: bytes) -> list[bytes]:
    return [e + b"\n\n" for e in body.split(b"\n\n") if e]


def run_aiwire(chunks: list[bytes]) -> Any:
    codec = AnthropicCodec()
    model = aiwire.get_model("anthropic/claude-sonnet-4-5")
    dec = codec.decoder(model, aiwire.Options())
    framer = SSEFramer()
    for chunk in chunks:
        for name, data in framer.feed(chunk):
            dec.feed(name, data)
        dec.drain()
    dec.end_of_stream()
    return dec.message


def run_sdk(chunks: list[bytes], accumulate: bool) -> Any:
    from anthropic._models import construct_type_unchecked
    from anthropic._streaming import SSEDecoder
    from anthropic.lib.streaming._messages import accumulate_event
    from anthropic.types import RawMessageStreamEvent

    snapshot: Any = None
    bufs: dict[int, bytes] = {}
    for sse in SSEDecoder().iter_bytes(iter(chunks)):
        if sse.event == "ping":
            continue
        event: Any = construct_type_unchecked(type_=RawMessageStreamEvent, value=json.loads(sse.data))  # type: ignore[arg-type]
        if accumulate:
            snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=bufs)
    return snapshot


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    for tool in (False, True):
        body, n = make_stream(args.events, tool)
        kind = "thinking + text + a tool call in fragments" if tool else "thinking + text"
        print(f"\n{kind}: {n} wire events, {len(body):,} bytes")
        measure(body, n, args.repeat, tool)


def measure(body: bytes, n: int, repeat: int, tool: bool) -> None:
    bulk = chunks_of(body, 16384)
    single = per_event(body)
    final = run_aiwire(bulk)
    sdk_final = run_sdk(bulk, True)
    assert final.text == "".join(b.text for b in sdk_final.content if b.type == "text")
    if tool:
        assert final.tool_calls[0].arguments == sdk_final.content[2].input
    rows: list[tuple[str, Callable[[], Any]]] = [
        ("aiwire (16 KiB reads)", lambda: run_aiwire(bulk)),
        ("aiwire (one event per read)", lambda: run_aiwire(single)),
        ("anthropic SDK raw events (16 KiB reads)", lambda: run_sdk(bulk, False)),
        ("anthropic SDK + accumulate_event (16 KiB)", lambda: run_sdk(bulk, True)),
        ("anthropic SDK + accumulate_event (per event)", lambda: run_sdk(single, True)),
    ]
    for label, fn in rows:
        print(f"  {label:46s} {best(fn, repeat) / n * 1e6:7.2f} µs/event")


if __name__ == "__main__":
    main()
