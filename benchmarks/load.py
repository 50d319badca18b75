"""Load with faults: many concurrent streams against a misbehaving loopback server.

    .venv/bin/python benchmarks/load.py [--streams 1000] [--seed 1] [--fault-rate 0.5]

Not a timed unit test: run on demand (it needs only the project's own venv).
A server process (this script with ``--serve``, 127.0.0.1, an ephemeral
port, asyncio, every read bounded by a timeout, gone after ``--lifetime``
seconds) answers each request in the real wire format of the api it was
sent to (``anthropic-messages``, ``openai-completions``, ``openai-responses``,
``google-generative-ai``, one quarter each): a healthy stream, or at random
one fault (429 with Retry-After, 500, a reset before the head or mid-stream,
EOF without the terminal event, a stall with pings, an in-stream error,
garbage bytes, a 200 with a JSON error or an HTML page, a server that never
answers). The client runs every stream at once through ``aiwire.stream`` and
reports: outcomes by kind, whether each stream ended with exactly one
terminal event, the wall time, peak RSS, and the sockets left open after the
client closed (there must be none).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "core"))

IDLE = 10.0  # idle_timeout of every stream (--idle)

FAULTS = [
    "429",
    "500",
    "reset-before-head",
    "reset-mid-stream",
    "eof-without-terminal",
    "stall-with-pings",
    "in-stream-error",
    "garbage",
    "200-json-error",
    "200-html",
    "never-answering",
]


# -- the server -----------------------------------------------------------------------------------


def _wires() -> dict[str, Any]:
    from test_fault_matrix import WIRES  # the matrix's real wire formats

    return WIRES


async def _serve(port_file: str, seed: int, fault_rate: float, lifetime: float) -> None:
    wires = _wires()
    rng = random.Random(seed)
    served: collections.Counter[str] = collections.Counter()

    def api_of(path: str) -> str:
        if "messages" in path:
            return "anthropic-messages"
        if "chat/completions" in path:
            return "openai-completions"
        if "responses" in path:
            return "openai-responses"
        return "google-generative-ai"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
                lines = head.decode().split("\r\n")
                path = lines[0].split(" ")[1]
                length = next(
                    (int(v) for k, _, v in (ln.partition(":") for ln in lines[1:]) if k.lower() == "content-length"),
                    0,
                )
                await asyncio.wait_for(reader.readexactly(length), 30)
                wire = wires[api_of(path)]
                fault = rng.choice(FAULTS) if rng.random() < fault_rate else "ok"
                served[fault] += 1
                if not await answer(writer, reader, wire, fault):
                    return
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def send_head(writer: asyncio.StreamWriter, status: int, ctype: str, extra: str = "") -> None:
        writer.write(
            f"HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ntransfer-encoding: chunked\r\n{extra}\r\n".encode()
        )

    def chunk(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n"

    def whole(status: int, ctype: str, body: bytes, extra: str = "") -> bytes:
        return (
            f"HTTP/1.1 {status} X\r\ncontent-type: {ctype}\r\ncontent-length: {len(body)}\r\n{extra}\r\n".encode()
            + body
        )

    def reset(writer: asyncio.StreamWriter) -> None:
        writer.transport.abort()  # RST-like: drop the connection without a clean end

    async def answer(writer: asyncio.StreamWriter, reader: asyncio.StreamReader, wire: Any, fault: str) -> bool:
        error = json.dumps({"error": {"type": "load", "message": f"load fault {fault}"}}).encode()
        if fault == "ok":
            await send_head(writer, 200, "text/event-stream")
            body = wire.ok()
            half = len(body) // 2
            writer.write(chunk(body[:half]))
            await writer.drain()
            await asyncio.sleep(0.01)
            writer.write(chunk(body[half:]) + b"0\r\n\r\n")
        elif fault == "429":
            writer.write(whole(429, "application/json", error, "retry-after: 0.2\r\n"))
        elif fault == "500":
            writer.write(whole(500, "application/json", error))
        elif fault == "reset-before-head":
            reset(writer)
            return False
        elif fault in ("reset-mid-stream", "eof-without-terminal", "in-stream-error", "garbage", "stall-with-pings"):
            await send_head(writer, 200, "text/event-stream")
            writer.write(chunk(wire.content("hello world")))
            await writer.drain()
            await asyncio.sleep(0.01)
            if fault == "reset-mid-stream":
                reset(writer)
                return False
            if fault == "in-stream-error":
                writer.write(chunk(wire.error("load fault in-stream-error")))
            elif fault == "garbage":
                writer.write(chunk(bytes(range(256)) * 4 + b"\n\n"))
            elif fault == "stall-with-pings":
                stop = time.monotonic() + 60  # until the client leaves
                while time.monotonic() < stop:
                    writer.write(chunk(b": ping\n\n"))
                    await writer.drain()
                    await asyncio.sleep(0.2)
                return False
            writer.write(b"0\r\n\r\n")
        elif fault == "200-json-error":
            writer.write(whole(200, "application/json", error))
        elif fault == "200-html":
            writer.write(whole(200, "text/html", b"<html><title>load fault 200-html</title></html>"))
        elif fault == "never-answering":
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(reader.read(1), 60)  # until the client leaves
            return False
        await writer.drain()
        return True

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096, limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    Path(port_file).write_text(str(port))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), lifetime)
    print(json.dumps(served), file=sys.stderr, flush=True)


# -- the client -------------------------------------------------------------------------------------


def _link(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def _sockets() -> int:
    return sum(_link(fd).startswith("socket:") for fd in os.listdir("/proc/self/fd"))


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _kind(msg: Any) -> str:
    if msg.stop_reason != "error":
        return msg.stop_reason
    text = msg.error_message or ""
    for key, words in (
        ("stalled", "stalled"),
        ("mid-stream", "mid-stream"),
        ("not a stream (200)", "expected an event stream"),
        ("http-status", "load fault 429"),
        ("http-status", "load fault 500"),
        ("in-stream error", "in-stream-error"),
        ("decode", "could not decode"),
        ("ended early", "ended"),
        ("connection", "failed"),
    ):
        if words in text:
            return f"error: {key}"
    return "error: other"


async def _client(url: str, streams: int, transport: str | None = None) -> dict[str, Any]:
    import aiwire
    from aiwire import events as ev

    apis = list(_wires())
    before_sockets, before_rss = _sockets(), _rss_mb()
    outcomes: collections.Counter[str] = collections.Counter()
    protocol_errors = 0
    async with aiwire.AsyncClient(transport=transport) as client:

        async def one(i: int) -> None:
            nonlocal protocol_errors
            api = apis[i % len(apis)]
            m = aiwire.custom_model("load-1", api=api, base_url=url)
            events = [e async for e in client.stream(m, "hi", api_key="sk-load", idle_timeout=IDLE, max_retries=1)]
            terminal = [e for e in events if isinstance(e, (ev.Done, ev.Error))]
            if len(terminal) != 1 or events[-1] is not terminal[0]:
                protocol_errors += 1
            outcomes[_kind(terminal[-1].message)] += 1

        t0 = time.monotonic()
        results = await asyncio.gather(*(one(i) for i in range(streams)), return_exceptions=True)
        wall = time.monotonic() - t0
        raised = [r for r in results if isinstance(r, BaseException)]
        open_sockets = _sockets()
    await asyncio.sleep(0.1)
    return {
        "streams": streams,
        "transport": transport or "default",
        "idle_timeout": IDLE,
        "wall_s": round(wall, 2),
        "outcomes": dict(sorted(outcomes.items())),
        "raised": [repr(r) for r in raised[:5]],
        "raised_count": len(raised),
        "protocol_errors": protocol_errors,
        "rss_before_mb": round(before_rss, 1),
        "rss_after_mb": round(_rss_mb(), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "sockets_before": before_sockets,
        "sockets_while_open": open_sockets,
        "sockets_left": _sockets() - before_sockets,
    }


def main() -> int:
    global IDLE
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--streams", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--fault-rate", type=float, default=0.5)
    p.add_argument("--transport", help="httpx or aiohttp (default: aiwire's default)")
    p.add_argument("--idle", type=float, default=IDLE, help="idle_timeout of every stream")
    p.add_argument("--lifetime", type=float, default=120.0, help="the server stops itself after this many seconds")
    p.add_argument("--serve", metavar="PORT_FILE", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve, args.seed, args.fault_rate, args.lifetime))
        return 0
    IDLE = args.idle
    port_file = Path(f"/tmp/aiwire-load-{os.getpid()}.port")
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            *("--serve", str(port_file), "--seed", str(args.seed)),
            *("--fault-rate", str(args.fault_rate), "--lifetime", str(args.lifetime)),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stop = time.monotonic() + 10
        while not port_file.exists() or not port_file.read_text():
            if time.monotonic() > stop or server.poll() is not None:
                raise SystemExit("the load server did not start")
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port_file.read_text()}"
        report = asyncio.run(_client(url, args.streams, args.transport))
    finally:
        server.terminate()
        try:
            _, err = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            _, err = server.communicate()
        port_file.unlink(missing_ok=True)
    served = next((ln for ln in reversed((err or "").splitlines()) if ln.startswith("{")), "{}")
    with_faults = json.loads(served)
    report["server_answers"] = dict(sorted(with_faults.items()))
    print(json.dumps(report, indent=2))
    ok = report["raised_count"] == 0 and report["protocol_errors"] == 0 and report["sockets_left"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
