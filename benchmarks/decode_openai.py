"""Decode long recorded-shape OpenAI streams with aiwire and with the official SDK.

    python benchmarks/decode_openai.py [--events 5000] [--repeat 5]

Both sides read the same bytes from an in-memory httpx transport, so the
figures compare SSE framing + JSON decoding + typing + accumulation:

- aiwire decoder: ``SSEFramer`` + the codec's decoder fed 16 KiB reads
  (events typed, message accumulated), no HTTP;
- aiwire stream: ``aiwire.stream_sync`` end to end over ``httpx.MockTransport``;
- openai SDK: ``create(stream=True)`` iterated (parsed chunk models);
- openai SDK + accumulation: the same plus the SDK's own stream state
  (``ChatCompletionStreamState`` / ``ResponseStreamState``).

Prints µs per event (best of ``--repeat`` runs). Requires ``openai``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

import aiwire
from aiwire._wire.codec import Options
from aiwire._wire.framing import SSEFramer

WORDS = ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", "."]


def chat_stream(n: int) -> bytes:
    out = []

    def chunk(delta: dict[str, Any], finish: str | None = None) -> None:
        body = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "gpt-4o",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        out.append(f"data: {json.dumps(body, separators=(',', ':'))}\n\n")

    chunk({"role": "assistant", "content": ""})
    for i in range(n - 3):
        chunk({"content": WORDS[i % len(WORDS)]})
    chunk({}, "stop")
    usage = {"prompt_tokens": 10, "completion_tokens": n, "total_tokens": n + 10}
    out.append(f"data: {json.dumps({'id': 'chatcmpl-bench', 'choices': [], 'usage': usage})}\n\n")
    out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def responses_stream(n: int) -> bytes:
    out = []

    def event(body: dict[str, Any]) -> None:
        out.append(f"event: {body['type']}\ndata: {json.dumps(body, separators=(',', ':'))}\n\n")

    resp = {
        "id": "resp_bench",
        "object": "response",
        "created_at": 1,
        "status": "in_progress",
        "model": "gpt-5",
        "output": [],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }
    item = {"id": "msg_bench", "type": "message", "status": "in_progress", "role": "assistant", "content": []}
    event({"type": "response.created", "sequence_number": 0, "response": resp})
    event({"type": "response.output_item.added", "sequence_number": 1, "output_index": 0, "item": item})
    event(
        {
            "type": "response.content_part.added",
            "sequence_number": 2,
            "item_id": "msg_bench",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        }
    )
    text = []
    for i in range(n - 5):
        w = WORDS[i % len(WORDS)]
        text.append(w)
        event(
            {
                "type": "response.output_text.delta",
                "sequence_number": i + 3,
                "item_id": "msg_bench",
                "output_index": 0,
                "content_index": 0,
                "delta": w,
                "logprobs": [],
            }
        )
    done_item = {
        **item,
        "status": "completed",
        "content": [{"type": "output_text", "text": "".join(text), "annotations": []}],
    }
    event({"type": "response.output_item.done", "sequence_number": n, "output_index": 0, "item": done_item})
    usage = {
        "input_tokens": 10,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": n,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": n + 10,
    }
    event(
        {
            "type": "response.completed",
            "sequence_number": n + 1,
            "response": {**resp, "status": "completed", "output": [done_item], "usage": usage},
        }
    )
    return "".join(out).encode()


class _Body(httpx.SyncByteStream):
    """The body in 16 KiB reads, like a socket (``content=`` would be pre-read)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def __iter__(self) -> Any:
        for i in range(0, len(self.body), 16384):
            yield self.body[i : i + 16384]


def transport(body: bytes) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=_Body(body), headers={"content-type": "text/event-stream"})

    return httpx.MockTransport(handler)


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench(api: str, body: bytes, repeat: int) -> None:
    import openai

    n = body.count(b"\n\n")
    model = aiwire.custom_model("gpt-bench", provider="openai", api=api)
    from aiwire._plugins.registry import get_registry

    codec = get_registry().codec(api)
    reads = [body[i : i + 16384] for i in range(0, len(body), 16384)]

    def ours_decoder() -> None:
        dec = codec.decoder(model, Options())
        framer = SSEFramer()
        for r in reads:
            for name, data in framer.feed(r):
                dec.feed(name, data)
            dec.drain()
        assert dec.terminated and dec.message.stop_reason == "stop"

    mock = transport(body)

    def ours_stream() -> None:
        s = aiwire.stream_sync(model, "hi", api_key="bench", transport=mock)
        for _ in s:
            pass
        assert s.message is not None and s.message.stop_reason == "stop"

    client = openai.OpenAI(
        api_key="bench",
        base_url="http://bench.test/v1",
        http_client=httpx.Client(transport=transport(body)),
        max_retries=0,
    )

    def sdk(accumulate: bool) -> Callable[[], None]:
        def run() -> None:
            if api == "openai-completions":
                from openai.lib.streaming.chat import ChatCompletionStreamState

                state: Any = ChatCompletionStreamState() if accumulate else None
                for chunk in client.chat.completions.create(model="gpt-bench", messages=[], stream=True):
                    if state is not None:
                        state.handle_chunk(chunk)
            else:
                from openai.lib.streaming.responses._responses import ResponseStreamState

                rstate: Any = (
                    ResponseStreamState(input_tools=openai.omit, text_format=openai.omit) if accumulate else None
                )
                for event in client.responses.create(model="gpt-bench", input="hi", stream=True):
                    if rstate is not None:
                        rstate.handle_event(event)

        return run

    print(f"{api}: {n} events, {len(body) / 1024:.0f} KiB")
    for label, fn in (
        ("aiwire decoder (framer + decode + accumulate)", ours_decoder),
        ("aiwire stream_sync end to end (mock transport)", ours_stream),
        ("openai SDK create(stream=True)", sdk(False)),
        ("openai SDK + its stream-state accumulation", sdk(True)),
    ):
        fn()  # warm up
        print(f"  {label:<48} {best(fn, repeat) / n * 1e6:8.2f} µs/event")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    for api, body in (
        ("openai-completions", chat_stream(args.events)),
        ("openai-responses", responses_stream(args.events)),
    ):
        bench(api, body, args.repeat)


if __name__ == "__main__":
    main()
