"""Run the whole benchmark with one command:

    python benchmarks/run.py [--rounds 3] [--quick] [--plugin DIR ...]

It makes (or reuses) ``benchmarks/.venv`` with aiwire, every plugin under
``plugins/`` (and each ``--plugin DIR``), the fast transport and the official
SDKs, starts the loopback replay server (``server.py``, a separate process),
then runs every client on every scenario in a fresh process per measurement
(``worker.py``), interleaving the clients within each round. Results are the
medians over rounds; ratios are taken against the floor of the same round
and format before the median. Output: a Markdown report on stdout and in
``benchmarks/results/latest.md``, raw figures in ``latest.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = HERE / ".venv"
PY = VENV / "bin" / "python"


def ensure_venv(plugins: list[str]) -> None:
    """Create the benchmark venv and re-run this script inside it."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not PY.exists():
        subprocess.run(["uv", "venv", "--quiet", "--python", sys.executable, str(VENV)], check=True)
    dirs = [
        "./core",
        *(f"./{p.relative_to(ROOT)}" for p in sorted(ROOT.glob("plugins/*")) if (p / "pyproject.toml").exists()),
    ]
    dirs += plugins
    args = [a for d in dirs for a in ("-e", d)]
    subprocess.run(
        [
            "uv",
            "pip",
            "install",
            "--quiet",
            "--no-sources",
            "--python",
            str(PY),
            *args,
            "-r",
            str(HERE / "requirements.txt"),
        ],
        check=True,
        cwd=ROOT,
    )
    os.execv(str(PY), [str(PY), *sys.argv])


def installed_apis() -> set[str]:
    from aiwire._plugins.registry import get_registry

    return set(get_registry().apis)


def has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def textlen_shape(size: int) -> str:
    """The text stream with as many deltas as the ``tool-<size>`` stream."""
    from streams import body

    return f"text-{len(body('anthropic', f'tool-{size}').deltas)}"


def plan(apis: set[str], quick: bool, sizes: list[int]) -> tuple[dict[str, list[str]], list[tuple[str, str, str]]]:
    from clients import API_OF

    per_format: dict[str, list[str]] = {}
    for fmt, api in API_OF.items():
        names = ["floor", "floor-fast", "floor-sync"]
        if api in apis:
            names += ["aiwire", "aiwire+args", "aiwire@httpx", "aiwire@aiohttp", "aiwire-sync"]
        else:
            print(f"note: no installed plugin implements {api!r}; aiwire is not measured on the {fmt} format")
        sdk = {"openai": "openai", "anthropic": "anthropic"}.get(fmt)
        if sdk and has(sdk):
            names.append(f"{sdk}-sdk")
        per_format[fmt] = names
    n = 1000 if quick else 5000
    scenarios = [("bulk", f"text-{n}", "text"), ("bulk", f"think-{n // 2}", "thinking")]
    scenarios += [("bulk", f"tool-{s}", "tool") for s in sizes]
    # Text streams as long as each tool stream: "x text" compares events of equal streams,
    # so a short stream's per-call cost does not count against its events twice.
    scenarios += [("bulk", textlen_shape(s), "textlen") for s in sizes]
    scenarios += [("paced", "text-1000" if not quick else "text-300", "paced"), ("conc", "text-100", "conc")]
    return per_format, scenarios


def start_server() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "server.py"), "--max-seconds", "3600"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        raise SystemExit(f"the replay server did not start: {line!r}")
    return proc, int(line.split()[1])


def measure(client: str, fmt: str, shape: str, mode: str, port: int, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / "worker.py"), client, fmt, shape, mode, str(port)]
    cmd += ["--streams", str(1 if mode == "paced" else args.streams), "--concurrency", str(args.concurrency)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        return {"failed": (out.stderr.strip().splitlines() or ["?"])[-1][:300]}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def import_times(repeats: int = 7) -> dict[str, float]:
    """Whole-process import time in ms, minus an empty interpreter's."""
    stmts = {
        "python -c pass": "pass",
        "import httpx": "import httpx",
        "import httpx, httpx_sse, msgspec": "import httpx, httpx_sse, msgspec",
        "import aiwire": "import aiwire",
        "import aiwire + discover all plugins": "import aiwire; aiwire.plugins()",
        "import aiwire + discovery + first stream setup": "import aiwire; aiwire.stream('demo/aiwire-demo', 'hi')",
    }
    for sdk in ("openai", "anthropic"):
        if has(sdk):
            stmts[f"import {sdk}"] = f"import {sdk}"
    samples: dict[str, list[float]] = {k: [] for k in stmts}
    for _ in range(repeats):
        for name, stmt in stmts.items():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", stmt], check=True)
            samples[name].append((time.perf_counter() - t0) * 1000)
    base = statistics.median(samples.pop("python -c pass"))
    return {k: statistics.median(v) - base for k, v in samples.items()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--streams", type=int, default=3, help="measured streams per bulk measurement")
    p.add_argument("--concurrency", type=int, default=1000)
    p.add_argument("--quick", action="store_true", help="one round, smaller streams (a smoke run)")
    p.add_argument("--tool-sizes", default="1000,10000,100000,1000000", help="tool argument sizes in bytes")
    p.add_argument("--fragments", help="tool-argument fragment sizes LOW,HIGH in bytes (default 1,11: as recorded)")
    p.add_argument("--only", help="comma-separated scenarios: text,thinking,tool,textlen,paced,conc")
    p.add_argument("--scale", type=int, default=10_000, help="concurrent idle-then-paced streams (0: skip)")
    p.add_argument("--clients", help="comma-separated clients to measure (default: all)")
    p.add_argument("--formats", help="comma-separated formats: faux,anthropic,openai")
    p.add_argument("--plugin", action="append", default=[], help="another plugin directory to install and measure")
    p.add_argument("--no-venv", action="store_true", help="use the current interpreter as is")
    args = p.parse_args()
    if args.fragments:  # read by streams.py in this process, the server and every worker
        low, _, high = args.fragments.partition(",")
        if not (low.isdigit() and high.isdigit() and 1 <= int(low) <= int(high)):
            p.error(f"--fragments {args.fragments!r}: give LOW,HIGH in bytes, 1 <= LOW <= HIGH (e.g. 32,32)")
        os.environ["AIWIRE_BENCH_FRAGMENTS"] = args.fragments
    if args.quick:
        args.rounds, args.concurrency, args.scale = 1, 200, min(args.scale, 1000)
    if not args.no_venv:
        ensure_venv([str(Path(d).resolve()) for d in args.plugin])
    sys.path.insert(0, str(HERE))
    from report import render

    sizes = [int(x) for x in args.tool_sizes.split(",")]
    per_format, scenarios = plan(installed_apis(), args.quick, [s for s in sizes if not args.quick or s <= 100_000])
    if args.formats:
        per_format = {f: n for f, n in per_format.items() if f in args.formats.split(",")}
    if args.only:
        scenarios = [s for s in scenarios if s[2] in args.only.split(",")]
    server, port = start_server()
    raw: list[dict[str, Any]] = []
    started = time.monotonic()
    try:
        for rnd in range(args.rounds):
            rng = random.Random(rnd)
            for mode, shape, label in scenarios:
                for fmt, names in per_format.items():
                    order = names[:]
                    rng.shuffle(order)
                    for client in order:
                        if label == "tool" and client.endswith("-sdk") and shape == "tool-1000000":
                            continue  # minutes per stream; the SDK rows stop at 100 KB
                        if label == "conc" and client.endswith("-sync"):
                            continue  # one blocking stream at a time: concurrency is the async clients'
                        if client == "aiwire+args" and label not in ("text", "textlen", "tool"):
                            continue  # differs from aiwire only on tool deltas (text: its "x text" base)
                        if args.clients and client not in args.clients.split(","):
                            continue
                        res = measure(client, fmt, shape, mode, port, args)
                        row = {"round": rnd, "scenario": label, "shape": shape, "format": fmt, "client": client}
                        if label == "textlen":  # the tool stream it is as long as
                            row["pair"] = next(f"tool-{s}" for s in sizes if textlen_shape(s) == shape)
                        raw.append({**row, **res})
                        print(
                            f"[{time.monotonic() - started:6.0f}s] round {rnd + 1} {label:8} {shape:13} {fmt:9} {client:15} "
                            + (f"{res['cpu_us_per_event']:.2f} us/event" if "cpu_us_per_event" in res else str(res)),
                            file=sys.stderr,
                        )
        imports = import_times()
        out = HERE / "results"
        out.mkdir(exist_ok=True)  # the streams' figures first: cold start and scale run long
        (out / "streams.json").write_text(json.dumps({"imports": imports, "raw": raw}, indent=1))
        import coldstart
        import scale

        cold = coldstart.measure() if not args.quick else coldstart.measure(2)
        many = scale.run(["floor-fast", "aiwire", "aiwire@aiohttp"], args.scale) if args.scale else []
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)
    machine = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu": _cpu_model(),
        "date": time.strftime("%Y-%m-%d"),
        "rounds": args.rounds,
        "fragments": os.environ.get("AIWIRE_BENCH_FRAGMENTS", "1,11"),
        "duration_s": round(time.monotonic() - started),
        "versions": _versions(),
    }
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(
        json.dumps({"machine": machine, "imports": imports, "cold": cold, "scale": many, "raw": raw}, indent=1)
    )
    text = render(machine, imports, raw, cold, many)
    (out / "latest.md").write_text(text)
    print(text)
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _versions() -> dict[str, str]:
    from importlib import metadata

    names = ["aiwire", "httpx", "httpx-sse", "aiohttp", "msgspec", "openai", "anthropic"]
    names += sorted(d.metadata["Name"] for d in metadata.distributions() if d.metadata["Name"].startswith("aiwire-"))
    out = {}
    for n in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[n] = metadata.version(n)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
