"""Render the benchmark's raw figures as Markdown tables (medians, ratios)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
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


def own_floor(client: str) -> str:
    """The floor a client is held to: the sync floor for blocking clients,
    else the hand-written aiohttp one."""
    return "floor-sync" if client.endswith("-sync") else "floor-fast"


def _ratio(raw: list[Row], row_key: tuple[str, str, str, str], key: str, against: str = "floor") -> float | None:
    """Median over rounds of value / ``against``'s value in the same round."""
    scenario, shape, fmt, client = row_key
    if against == "own":
        against = own_floor(client)
    floor = {
        r["round"]: r.get(key)
        for r in raw
        if (r["scenario"], r["shape"], r["format"], r["client"]) == (scenario, shape, fmt, against)
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


Key = tuple[str, str, str, str]
Column = Callable[[Key, list[Row]], str]


def render(
    machine: dict[str, Any],
    imports: dict[str, float],
    raw: list[Row],
    cold: dict[str, float] | None = None,
    many: list[Row] | None = None,
) -> str:
    g = _groups(raw)
    low, high = machine.get("fragments", "1,11").split(",")
    fragments = (
        "1- to 11-byte fragments, as recorded streams cut them"
        if (low, high) == ("1", "11")
        else f"{low}-byte fragments"
        if low == high
        else f"{low}- to {high}-byte fragments"
    )

    def med(key: str, digits: int = 2) -> Column:
        return lambda k, rs: _f(_median(rs, key), digits)

    def ratio(key: str = "cpu_us_per_event", against: str = "floor") -> Column:
        return lambda k, rs: _f(_ratio(raw, k, key, against))

    def tool_vs_text(scenario: str) -> Column:
        """Tool-argument CPU per event over text CPU per event, same client, format and round:
        against ``text`` (the bulk text stream) or ``textlen`` (a text stream with as many
        deltas as the tool stream)."""

        def column(k: Key, rs: list[Row]) -> str:
            text = {
                r["round"]: r.get("cpu_us_per_event")
                for r in raw
                if (r["scenario"], r["format"], r["client"]) == (scenario, k[2], k[3])
                and (scenario == "text" or r.get("pair") == k[1])
            }
            ratios = [
                r["cpu_us_per_event"] / text[r["round"]]
                for r in rs
                if r.get("cpu_us_per_event") and text.get(r["round"])
            ]
            return _f(statistics.median(ratios) if ratios else None)

        return column

    def rate(k: Key, rs: list[Row]) -> str:
        cpu = _median(rs, "cpu_us_per_event")
        return _f(1e6 / cpu if cpu else None, 0)

    def per_kb(k: Key, rs: list[Row]) -> str:
        cpu, events = _median(rs, "cpu_us_per_event"), _median(rs, "events")
        return _f(cpu * events / (int(k[1].split("-")[1]) / 1000) if cpu and events else None, 1)

    def errors(k: Key, rs: list[Row]) -> str:
        return _f(max((r.get("errors", 0) for r in rs), default=None), 0)

    def fmt(k: Key, rs: list[Row]) -> str:
        return k[2]

    def shape(k: Key, rs: list[Row]) -> str:
        return k[1]

    def client(k: Key, rs: list[Row]) -> str:
        return k[3] + _failed(rs)

    def size(k: Key, rs: list[Row]) -> str:
        return f"{int(k[1].split('-')[1]):,} B"

    def table(title: str, scenario: str, columns: list[tuple[str, Column]]) -> list[str]:
        # Tool rows sort by size, then format and client.
        keys = sorted((k for k in g if k[0] == scenario), key=lambda k: (int(k[1].split("-")[1]), k[2], k[3]))
        if not keys:  # a scenario left out of this run (--only)
            return []
        rows = [[col(k, g[k]) for _, col in columns] for k in keys]
        return [f"### {title}", _table([name for name, _ in columns], rows)]

    stream_cols: list[tuple[str, Column]] = [
        ("format", fmt), ("stream", shape), ("client", client), ("CPU µs/event", med("cpu_us_per_event")),
        ("x floor", ratio()), ("x own floor", ratio(against="own")), ("events/CPU-s", rate), ("wall s", med("wall_s", 3)),
        ("first event ms", med("first_event_ms")), ("peak RSS MB", med("peak_rss_mb", 0)),
    ]  # fmt: skip
    parts = [
        f"Machine: {machine['cpu']}, {machine['cpus']} CPUs, {machine['platform']}, Python {machine['python']}; "
        f"{machine['date']}, {machine['rounds']} interleaved round(s), {machine['duration_s']} s.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()) + ".",
        *table("Bulk: text", "text", stream_cols),
        *table("Bulk: thinking", "thinking", stream_cols),
        *table(
            f"Bulk: tool arguments in {fragments} (linear means flat µs/KB down each client)",
            "tool",
            [("format", fmt), ("client", client), ("arguments", size), ("events", med("events", 0)),
             ("CPU µs/event", med("cpu_us_per_event")), ("x floor", ratio()), ("x own floor", ratio(against="own")),
             ("x text (as many events)", tool_vs_text("textlen")), ("x text-5000", tool_vs_text("text")),
             ("CPU µs per KB", per_kb)],
        ),
        *table(
            "Paced: one write per event at 1,000 events/s (latency = server write to caller, µs)",
            "paced",
            [("format", fmt), ("client", client), ("CPU µs/event", med("cpu_us_per_event")), ("x floor", ratio()),
             ("x own floor", ratio(against="own")), ("latency p50", med("latency_p50_us", 0)), ("latency p99", med("latency_p99_us", 0))],
        ),
        *table(
            "Concurrent streams (100-event streams, all at once, one process)",
            "conc",
            [("format", fmt), ("client", client), ("streams", med("streams", 0)), ("errors (max)", errors),
             ("events/s (wall)", med("events_per_s", 0)), ("CPU µs/event", med("cpu_us_per_event")),
             ("x floor", ratio()), ("x own floor", ratio(against="own")), ("wall s", med("wall_s")),
             ("peak RSS MB", med("peak_rss_mb", 0))],
        ),
    ]  # fmt: skip
    ref = imports.get("import httpx, httpx_sse, msgspec")
    imp = [[k, _f(v, 0), _f(v / ref if ref else None)] for k, v in imports.items()]
    parts += [
        "### Import and discovery (ms, fresh interpreter, minus an empty one)",
        _table(["what", "ms", "x httpx+httpx_sse+msgspec"], imp),
    ]
    if cold:
        floor = next((v for k, v in cold.items() if "the floor" in k), None)
        parts += [
            "### Cold start (ms, median; process start to the first request's bytes on the wire, or whole process)",
            _table(["what", "ms", "x import floor"], [[k, _f(v, 0), _f(v / floor if floor else None)] for k, v in cold.items()]),
        ]  # fmt: skip
    if many:
        rows = [
            [r["client"] + (f" (failed: {r['failed']})" if "failed" in r else ""), _f(r.get("streams"), 0),
             _f(r.get("errors"), 0), _f(r.get("open_s")), _f(r.get("kb_per_idle_stream"), 1),
             _f(r.get("latency_p50_us", 0) / 1000 if r.get("latency_p50_us") else None, 1),
             _f(r.get("latency_p99_us", 0) / 1000 if r.get("latency_p99_us") else None, 1), _f(r.get("peak_rss_mb"), 0)]
            for r in many
        ]  # fmt: skip
        parts += [
            "### Concurrent idle streams in one process (benchmarks/scale.py)",
            _table(
                [
                    "client",
                    "streams",
                    "errors",
                    "all open after s",
                    "KB per idle stream",
                    "event latency p50 ms",
                    "p99 ms",
                    "peak RSS MB",
                ],
                rows,
            ),
        ]
    return "\n\n".join(parts) + "\n"
