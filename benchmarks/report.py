"""Render the benchmark's raw figures as Markdown tables (medians, ratios)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

Row = dict[str, Any]


def _groups(raw: list[Row]) -> dict[tuple[str, str, str, str], list[Row]]:
    out: dict[tuple[str, str, str, str], list[Row]] = defaultdict(list)
    for r in raw:
        out[(r["scenario"], r["shape"], r["format"], r["client"])].append(r)
    return out


def _median(rows: list[Row], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def _ratio(raw: list[Row], row_key: tuple[str, str, str, str], key: str) -> float | None:
    """Median over rounds of value / floor's value in the same round."""
    scenario, shape, fmt, _ = row_key
    floor = {
        r["round"]: r.get(key)
        for r in raw
        if (r["scenario"], r["shape"], r["format"], r["client"]) == (scenario, shape, fmt, "floor")
    }
    ratios = [
        r[key] / floor[r["round"]]
        for r in raw
        if (r["scenario"], r["shape"], r["format"], r["client"]) == row_key and r.get(key) and floor.get(r["round"])
    ]
    return statistics.median(ratios) if ratios else None


def _f(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _failed(rows: list[Row]) -> str:
    bad = [r["failed"] for r in rows if "failed" in r]
    return f" (failed: {bad[0]})" if bad else ""


def render(machine: dict[str, Any], imports: dict[str, float], raw: list[Row]) -> str:
    g = _groups(raw)
    parts = [
        f"Machine: {machine['cpu']}, {machine['cpus']} CPUs, {machine['platform']}, Python {machine['python']}; "
        f"{machine['date']}, {machine['rounds']} interleaved round(s), {machine['duration_s']} s.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()) + ".",
    ]
    keys = sorted(g)

    def stream_table(scenario: str) -> str:
        rows = []
        for k in keys:
            if k[0] != scenario:
                continue
            rs = g[k]
            cpu = _median(rs, "cpu_us_per_event")
            rows.append(
                [
                    k[2],
                    k[1],
                    k[3] + _failed(rs),
                    _f(cpu),
                    _f(_ratio(raw, k, "cpu_us_per_event")),
                    _f(1e6 / cpu if cpu else None, 0),
                    _f(_median(rs, "wall_s"), 3),
                    _f(_median(rs, "first_event_ms")),
                    _f(_median(rs, "peak_rss_mb"), 0),
                ]
            )
        head = [
            "format",
            "stream",
            "client",
            "CPU µs/event",
            "x floor",
            "events/CPU-s",
            "wall s",
            "first event ms",
            "peak RSS MB",
        ]
        return _table(head, rows)

    parts += ["### Bulk: text", stream_table("text"), "### Bulk: thinking", stream_table("thinking")]

    tool_rows = []
    for k in keys:
        if k[0] != "tool":
            continue
        rs = g[k]
        cpu = _median(rs, "cpu_us_per_event")
        events = _median(rs, "events")
        size = int(k[1].split("-")[1])
        per_kb = cpu * events / (size / 1000) if cpu and events else None
        tool_rows.append(
            [
                k[2],
                k[3] + _failed(rs),
                f"{size:,} B",
                _f(events, 0),
                _f(cpu),
                _f(_ratio(raw, k, "cpu_us_per_event")),
                _f(per_kb, 1),
            ]
        )
    parts += [
        "### Bulk: tool arguments in 32-byte fragments (linear means flat µs/KB down each client)",
        _table(["format", "client", "arguments", "events", "CPU µs/event", "x floor", "CPU µs per KB"], tool_rows),
    ]

    paced = []
    for k in keys:
        if k[0] != "paced":
            continue
        rs = g[k]
        paced.append(
            [
                k[2],
                k[3] + _failed(rs),
                _f(_median(rs, "cpu_us_per_event")),
                _f(_ratio(raw, k, "cpu_us_per_event")),
                _f(_median(rs, "latency_p50_us"), 0),
                _f(_median(rs, "latency_p99_us"), 0),
            ]
        )
    parts += [
        "### Paced: one write per event at 1,000 events/s (latency = server write to caller, µs)",
        _table(["format", "client", "CPU µs/event", "x floor", "latency p50", "latency p99"], paced),
    ]

    conc = []
    for k in keys:
        if k[0] != "conc":
            continue
        rs = g[k]
        conc.append(
            [
                k[2],
                k[3] + _failed(rs),
                _f(_median(rs, "streams"), 0),
                _f(max((r.get("errors", 0) for r in rs), default=None), 0),
                _f(_median(rs, "events_per_s"), 0),
                _f(_median(rs, "cpu_us_per_event")),
                _f(_ratio(raw, k, "cpu_us_per_event")),
                _f(_median(rs, "wall_s"), 2),
                _f(_median(rs, "peak_rss_mb"), 0),
            ]
        )
    parts += [
        "### Concurrent streams (100-event streams, all at once, one process)",
        _table(
            [
                "format",
                "client",
                "streams",
                "errors (max)",
                "events/s (wall)",
                "CPU µs/event",
                "x floor",
                "wall s",
                "peak RSS MB",
            ],
            conc,
        ),
    ]

    ref = imports.get("import httpx, httpx_sse, msgspec")
    imp = [[k, _f(v, 0), _f(v / ref if ref else None)] for k, v in imports.items()]
    parts += [
        "### Import and discovery (ms, fresh interpreter, minus an empty one)",
        _table(["what", "ms", "x httpx+httpx_sse+msgspec"], imp),
    ]
    return "\n\n".join(parts) + "\n"
