"""One measurement in a fresh process: one client, one scenario. Prints JSON.

    python benchmarks/worker.py CLIENT FORMAT SHAPE MODE PORT [--streams K] [--concurrency C]

MODE is ``bulk`` or ``paced`` (K sequential streams after one warm-up) or
``conc`` (C concurrent streams, after a warm-up of the same). CPU is
``process_time`` of this process only: the server is another process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import clients
from streams import body


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def sequential(run: clients.Runner, url: str, mode: str, fmt: str, shape: str, k: int) -> dict[str, Any]:
    b = body(fmt, shape)
    events = len(b.events)
    await run(url.replace("/paced", "/bulk"), {}, False)  # warm-up: connection, lazy imports
    cpu, wall, first, lat = [], [], [], []
    for _ in range(k):
        log = os.path.join(tempfile.gettempdir(), f"aiwire-bench-{os.getpid()}-{time.monotonic_ns()}.json")
        headers = {"x-bench-log": log} if mode == "paced" else {}
        c0, w0 = time.process_time(), time.monotonic_ns()
        n, times = await run(url, headers, True)
        c1, w1 = time.process_time(), time.monotonic_ns()
        if len(times) == events:  # the floor times every event; keep the deltas
            times, n = [times[i] for i in b.deltas], len(b.deltas)
        if n != len(b.deltas):
            raise RuntimeError(f"saw {n} deltas, the body has {len(b.deltas)}")
        cpu.append((c1 - c0) / events * 1e6)
        wall.append((w1 - w0) / 1e9)
        first.append((times[0] - w0) / 1e6)
        if mode == "paced":
            for _ in range(200):
                if os.path.exists(log):
                    break
                await asyncio.sleep(0.01)
            with open(log) as f:
                written = json.load(f)
            os.unlink(log)
            lat += [(r - w) / 1e3 for r, w in zip(times, written, strict=True)]
    out = {
        "events": events,
        "cpu_us_per_event": statistics.median(cpu),
        "wall_s": statistics.median(wall),
        "first_event_ms": statistics.median(first),
    }
    if lat:
        out |= {"latency_p50_us": _pct(lat, 0.5), "latency_p99_us": _pct(lat, 0.99)}
    return out


async def concurrent(run: clients.Runner, url: str, fmt: str, shape: str, c: int) -> dict[str, Any]:
    events = len(body(fmt, shape).events)
    await asyncio.gather(*(run(url, {}, False) for _ in range(min(c, 50))))
    c0, w0 = time.process_time(), time.monotonic()
    results = await asyncio.gather(*(run(url, {}, False) for _ in range(c)), return_exceptions=True)
    c1, w1 = time.process_time(), time.monotonic()
    errors = [r for r in results if isinstance(r, BaseException)]
    ok = c - len(errors)
    return {
        "streams": c,
        "errors": len(errors),
        "first_error": repr(errors[0])[:200] if errors else None,
        "events_per_s": ok * events / (w1 - w0),
        "cpu_us_per_event": (c1 - c0) / max(1, ok * events) * 1e6,
        "wall_s": w1 - w0,
    }


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("client")
    p.add_argument("format")
    p.add_argument("shape")
    p.add_argument("mode", choices=["bulk", "paced", "conc"])
    p.add_argument("port", type=int)
    p.add_argument("--streams", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=1000)
    a = p.parse_args()
    run, close = clients.make(a.client, a.format)
    mode = "bulk" if a.mode == "conc" else a.mode
    url = f"http://127.0.0.1:{a.port}/{a.format}/{a.shape}/{mode}"
    try:
        if a.mode == "conc":
            out = await concurrent(run, url, a.format, a.shape, a.concurrency)
        else:
            out = await sequential(run, url, a.mode, a.format, a.shape, a.streams)
    finally:
        await close()
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
