"""The loopback replay server: a separate process serving generated SSE bodies.

    python benchmarks/server.py [--max-seconds 1800]

Binds 127.0.0.1 on an ephemeral port and prints ``PORT <n>``. It exits by
itself after ``--max-seconds``, or as soon as its standard input closes (the
benchmark that started it ended, however it ended).

Request paths start with ``/<format>/<shape>/<mode>`` (anything after is the
client's own path and ignored). Each SSE event goes out as its own HTTP
chunk, like real servers. ``bulk`` writes the whole body at once; ``paced``
writes one event per tick at ``--rate`` events per second and, when the
request has an ``x-bench-log`` header naming a file, writes there the
monotonic time (ns) at which each delta event was written.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from streams import body

HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n"


def chunked(event: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(event), event)


class Server:
    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._bulk: dict[tuple[str, str], bytes] = {}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                headers = self._headers(head)
                await self._read_body(reader, headers)
                path = head.split(b" ", 2)[1].decode()
                fmt, shape, mode = path.strip("/").split("/")[:3]
                if mode == "paced":
                    await self._paced(writer, fmt, shape, headers.get("x-bench-log"))
                else:
                    writer.write(self._bulk_bytes(fmt, shape))
                    await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except ConnectionError:
            return
        finally:
            writer.close()

    @staticmethod
    def _headers(head: bytes) -> dict[str, str]:
        out = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, sep, value = line.partition(":")
            if sep:
                out[name.strip().lower()] = value.strip()
        return out

    @staticmethod
    async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> None:
        if "content-length" in headers:
            await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    return

    def _bulk_bytes(self, fmt: str, shape: str) -> bytes:
        key = (fmt, shape)
        data = self._bulk.get(key)
        if data is None:
            data = self._bulk[key] = HEAD + b"".join(chunked(e) for e in body(fmt, shape).events) + b"0\r\n\r\n"
        return data

    async def _paced(self, writer: asyncio.StreamWriter, fmt: str, shape: str, log: str | None) -> None:
        b = body(fmt, shape)
        deltas = set(b.deltas)
        written: list[int] = []
        writer.write(HEAD)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i, event in enumerate(b.events):
            delay = start + i * self.interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(chunked(event))
            if i in deltas:
                written.append(time.monotonic_ns())
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        if log:
            with open(log + ".tmp", "w") as f:
                json.dump(written, f)
            os.replace(log + ".tmp", log)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument("--rate", type=float, default=1000.0)
    args = parser.parse_args()
    srv = Server(args.rate)
    server = await asyncio.start_server(srv.handle, "127.0.0.1", 0, backlog=4096)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    def watch_stdin() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(done.set)

    threading.Thread(target=watch_stdin, daemon=True).start()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(done.wait(), args.max_seconds)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
