"""Many concurrent streams in one process: errors, memory per idle stream,
event latency under load.

    python benchmarks/scale.py [--streams 10000] [--clients aiwire,floor-fast]

Each client runs in a fresh process against this file's own loopback server
(another process). Every request gets the response head and one event at
once, then the stream is held open and idle until every stream of the run
holds its first event; the client's resident memory is read then (against
a reading before the first request: memory per open idle stream, connection
included). The server is then released and sends 10 text events per stream,
100 ms apart, each carrying the server's monotonic clock at the write, so
the client measures the latency from the server's write to the caller
holding the event under that load. ``floor-fast`` (aiohttp, hand framing,
msgspec) gives the cost of the connection itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

EVENTS = 10
GAP = 0.1
HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _event(text: str, finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": text} if text else {}, "finish_reason": finish}
    return _chunk(
        b"data: " + json.dumps({"id": "c", "object": "chat.completion.chunk", "choices": [choice]}).encode() + b"\n\n"
    )


def _raise_nofile() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def serve() -> None:
    _raise_nofile()
    release = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                if head.startswith(b"POST /release"):
                    release.set()
                    writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                    await writer.drain()
                    continue
                writer.write(HEAD + _event("0"))
                await writer.drain()
                if not head.startswith(b"POST /warm"):
                    await release.wait()
                for _ in range(EVENTS):
                    await asyncio.sleep(GAP)
                    writer.write(_event(str(time.monotonic_ns())))
                    await writer.drain()
                writer.write(_event("", "stop") + _chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    loop.add_reader(sys.stdin.fileno(), lambda: done.set() if not sys.stdin.readline() else None)
    await asyncio.wait_for(done.wait(), 1800)
    server.close()


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


async def client(name: str, port: int, n: int) -> dict[str, Any]:
    _raise_nofile()
    import aiohttp

    url = f"http://127.0.0.1:{port}"
    first = 0
    all_open = asyncio.Event()
    latencies: list[int] = []

    def opened() -> None:
        nonlocal first
        first += 1
        if first == n:
            all_open.set()

    if name == "floor-fast":
        import msgspec

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        decode = msgspec.json.decode

        async def one(base: str = url) -> None:
            body = b'{"model":"m","messages":[],"stream":true}'
            async with session.post(base + "/v1/chat/completions", data=body) as resp:
                buf = b""
                seen = False
                async for chunk in resp.content.iter_any():
                    parts = (buf + chunk).split(b"\n\n")
                    buf = parts.pop()
                    for part in parts:
                        data = part[6:]
                        if data == b"[DONE]":
                            continue
                        text = decode(data)["choices"][0]["delta"].get("content")
                        if not seen:
                            seen = True
                            opened()
                        elif text:
                            latencies.append(time.monotonic_ns() - int(text))

        async def close() -> None:
            await session.close()
    else:
        import aiwire
        from aiwire import events as ev

        transport = name.partition("@")[2] or None
        client = aiwire.AsyncClient()

        async def one(base: str = url) -> None:
            seen = False
            model = aiwire.custom_model("m", api="openai-completions", base_url=base + "/v1")
            s = client.stream(model, "hi", api_key="k", transport=transport, idle_timeout=600)
            async for e in s:
                if isinstance(e, ev.TextDelta):
                    if not seen:
                        seen = True
                        opened()
                    else:
                        latencies.append(time.monotonic_ns() - int(e.delta))
            msg = await s
            if msg.stop_reason != "stop":
                raise RuntimeError(msg.error_message)

        async def close() -> None:
            await client.aclose()

    await one(url + "/warm")  # warm-up: imports, the pool, one connection
    latencies.clear()
    first = 0
    before = _rss_kb()
    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(one()) for _ in range(n)]
    await asyncio.wait_for(all_open.wait(), 600)
    opened_s = time.monotonic() - t0
    held = _rss_kb()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /release HTTP/1.1\r\ncontent-length: 0\r\n\r\n")
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")
    writer.close()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    await close()
    latencies.sort()

    def pct(q: float) -> float | None:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] / 1000 if latencies else None

    return {
        "client": name,
        "streams": n,
        "errors": len(errors),
        "first_error": repr(errors[0])[:200] if errors else None,
        "open_s": round(opened_s, 2),
        "kb_per_idle_stream": round((held - before) / n, 2),
        "events": len(latencies),
        "latency_p50_us": pct(0.5),
        "latency_p99_us": pct(0.99),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(clients: list[str], n: int) -> list[dict[str, Any]]:
    """Each client in a fresh process against a fresh server; the figures."""
    out = []
    for name in clients:
        server = subprocess.Popen(
            [sys.executable, __file__, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline().split()[1])
            res = subprocess.run(
                [sys.executable, __file__, "client", name, str(port), str(n)],
                capture_output=True,
                text=True,
                timeout=900,
            )
            if res.returncode != 0:
                out.append(
                    {"client": name, "streams": n, "failed": (res.stderr.strip().splitlines() or ["?"])[-1][:300]}
                )
            else:
                out.append(json.loads(res.stdout.strip().splitlines()[-1]))
        finally:
            assert server.stdin is not None
            server.stdin.close()
            server.wait(timeout=30)
        print(f"scale {name}: {out[-1]}", file=sys.stderr)
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        asyncio.run(serve())
        return
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        print(json.dumps(asyncio.run(client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--streams", type=int, default=10_000)
    p.add_argument("--clients", default="floor-fast,aiwire")
    a = p.parse_args()
    print(json.dumps(run(a.clients.split(","), a.streams), indent=1))


if __name__ == "__main__":
    main()
