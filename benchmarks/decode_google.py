"""Decode a long Gemini stream: aiwire's decoder vs the google-genai SDK's types.

    python benchmarks/decode_google.py [events]

The stream has the shape of real ``streamGenerateContent?alt=sse`` traffic
(``\\r\\n`` line ends, usage and ids repeated on every chunk, thoughts then text
then a function call). Both sides get the same bytes in 16 KiB reads and the
same byte-level SSE framing; aiwire then decodes to typed events and keeps the
message, the SDK side runs what its stream iterator runs per chunk
(``json.loads``, the mldev field conversion, ``GenerateContentResponse``
validation) and accumulates text the way a caller must. CPU microseconds per
event, best of five runs.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

import aiwire
from aiwire._wire.framing import SSEFramer
from aiwire_google.codec import GoogleCodec

MODEL = aiwire.Model(
    id="gemini-2.5-flash",
    provider="google",
    api="google-generative-ai",
    base_url="https://generativelanguage.googleapis.com/v1beta",
    reasoning=True,
)


def make_stream(n: int) -> bytes:
    out = []
    for i in range(n):
        if i < n // 5:
            part: dict[str, object] = {"text": f"thinking step {i} about the problem ", "thought": True}
        elif i == n - 2:
            part = {
                "functionCall": {"name": "lookup", "args": {"q": "x" * 40, "n": i}},
                "thoughtSignature": "QUJD" * 50,
            }
        else:
            part = {"text": f"word{i} and some more text here, "}
        cand: dict[str, object] = {"content": {"parts": [part], "role": "model"}, "index": 0}
        if i == n - 1:
            cand["finishReason"] = "STOP"
        usage = {
            "promptTokenCount": 1200,
            "candidatesTokenCount": 4 * i,
            "totalTokenCount": 1200 + 4 * i,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 1200}],
            "thoughtsTokenCount": 300,
        }
        chunk = {
            "candidates": [cand],
            "usageMetadata": usage,
            "modelVersion": "gemini-2.5-flash",
            "responseId": "bench-response-id",
        }
        out.append(b"data: " + json.dumps(chunk).encode() + b"\r\n\r\n")
    return b"".join(out)


def reads(body: bytes, size: int = 16384) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def run_aiwire(chunks: list[bytes]) -> int:
    dec = GoogleCodec().decoder(MODEL, aiwire.Options())
    framer = SSEFramer()
    events = 0
    for c in chunks:
        for name, data in framer.feed(c):
            dec.feed(name, data)
        events += len(dec.drain())
    dec.end_of_stream()
    events += len(dec.drain())
    assert dec.message.stop_reason == "tool_use", dec.message.error_message
    return events


def run_sdk(chunks: list[bytes]) -> int:
    from google.genai import models, types

    framer = SSEFramer()
    text: list[str] = []
    thoughts: list[str] = []
    last = None
    n = 0
    for c in chunks:
        for _, data in framer.feed(c):
            resp = types.GenerateContentResponse._from_response(
                response=models._GenerateContentResponse_from_mldev(json.loads(data)), kwargs={}
            )
            n += 1
            for part in resp.candidates[0].content.parts:  # type: ignore[index,union-attr]
                if part.text is not None:
                    (thoughts if part.thought else text).append(part.text)
            last = resp
    assert last is not None and last.candidates and last.candidates[0].finish_reason is not None
    "".join(text)
    "".join(thoughts)
    return n


def measure(fn: Callable[[list[bytes]], int], chunks: list[bytes], events: int) -> float:
    best = float("inf")
    for _ in range(5):
        t0 = time.process_time()
        fn(chunks)
        best = min(best, time.process_time() - t0)
    return best / events * 1e6


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    chunks = reads(make_stream(n))
    ours = measure(run_aiwire, chunks, n)
    produced = run_aiwire(chunks)
    print(f"{n} wire events, {sum(map(len, chunks)) / 1e6:.1f} MB, aiwire emitted {produced} aiwire events")
    print(f"aiwire GeminiDecoder (typed events + message): {ours:6.2f} us per wire event")
    try:
        sdk = measure(run_sdk, chunks, n)
    except ImportError:
        print("google-genai not installed; pip install google-genai to compare")
        return
    print(f"google-genai response types + accumulation:    {sdk:6.2f} us per wire event ({sdk / ours:.0f}x)")


if __name__ == "__main__":
    main()
