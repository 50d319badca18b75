"""Cold start: from process start to the first request's bytes on the wire.

    python benchmarks/coldstart.py [--repeats 7]

A listener on ``localhost:11434`` (the ``ollama`` provider's default base
URL, so ``aiwire chat -m ollama/m`` needs no configuration) takes the time
at which a fresh process's first request bytes arrive, counted from just
before the process is spawned, then answers with a two-event stream so the
process ends normally. Against it: the wall time of a process doing only
``import httpx, httpx_sse, msgspec`` (the import floor), ``aiwire --help``,
and an empty interpreter. Rows are interleaved in each repeat; medians.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

PORT = 11434
REPLY = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
    b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
    b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)
SCRIPT = """\
import asyncio, aiwire
async def main():
    async for _ in aiwire.stream(aiwire.get_model("ollama/m"), "hi"):
        pass
asyncio.run(main())
"""


def _listeners(wait: float = 600) -> list[socket.socket]:
    """Listeners on the port on both loopback addresses; waits while another
    run holds the port."""
    deadline = time.monotonic() + wait
    while True:
        out = []
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            s = socket.socket(family, socket.SOCK_STREAM)
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((host, PORT))
                s.listen(16)
                out.append(s)
            except OSError:
                s.close()
        if out and (len(out) == 2 or not socket.has_ipv6):
            return out
        for s in out:
            s.close()
        if time.monotonic() > deadline:
            raise RuntimeError(f"cold start: port {PORT} is taken")
        time.sleep(1)


def _drain(listener: socket.socket) -> None:
    """Close connections left in the backlog by an earlier run (a client that
    dialled both loopback addresses), so they are not taken for this one's."""
    listener.setblocking(False)
    try:
        while True:
            conn, _ = listener.accept()
            conn.close()
    except BlockingIOError:
        pass
    finally:
        listener.setblocking(True)


def to_first_bytes(argv: list[str], listeners: list[socket.socket]) -> float:
    """ms from spawning ``argv`` to its first request bytes at a listener."""
    import selectors

    sel = selectors.DefaultSelector()
    for s in listeners:
        _drain(s)
        sel.register(s, selectors.EVENT_READ)
    t0 = time.perf_counter()
    # stdin closed: `aiwire chat` reads further turns from it until its end.
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        ready = sel.select(timeout=30)
        if not ready:
            raise RuntimeError(f"{argv} sent nothing: {proc.stderr.read() if proc.stderr else ''}")
        conn, _ = ready[0][0].fileobj.accept()  # type: ignore[union-attr]
        with conn:
            conn.recv(65536)
            took = (time.perf_counter() - t0) * 1000
            conn.sendall(REPLY)
        if proc.wait(timeout=30) != 0:
            raise RuntimeError(f"{argv} failed: {proc.stderr.read().decode()[-300:] if proc.stderr else ''}")
        return took
    finally:
        sel.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def wall(argv: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - t0) * 1000


def measure(repeats: int = 7) -> dict[str, float]:
    py = sys.executable
    aiwire_cli = str(Path(py).with_name("aiwire"))
    rows: dict[str, tuple[str, list[str]]] = {
        "python -c pass (empty interpreter, whole process)": ("wall", [py, "-c", "pass"]),
        "import httpx, httpx_sse, msgspec (whole process): the floor": (
            "wall",
            [py, "-c", "import httpx, httpx_sse, msgspec"],
        ),
        "aiwire --help (whole process)": ("wall", [aiwire_cli, "--help"]),
        "script: aiwire.stream(...), start to first request bytes": ("wire", [py, "-c", SCRIPT]),
        "aiwire chat -m ollama/m hi, start to first request bytes": (
            "wire",
            [aiwire_cli, "chat", "-m", "ollama/m", "hi"],
        ),
    }
    samples: dict[str, list[float]] = {k: [] for k in rows}
    listeners = _listeners()
    try:
        for _ in range(repeats):
            for name, (kind, argv) in rows.items():
                samples[name].append(wall(argv) if kind == "wall" else to_first_bytes(argv, listeners))
    finally:
        for s in listeners:
            s.close()
    return {k: statistics.median(v) for k, v in samples.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=7)
    print(json.dumps(measure(p.parse_args().repeats), indent=1))


if __name__ == "__main__":
    main()
