"""Streamed tool-argument parsing: cost for 1 KB, 100 KB and 1 MB of arguments.

Arguments arrive in small fragments (default 16 characters, about what
providers send), each fed to :class:`aiwire._wire.partial_json.PartialJSON` the way
a decoder does. If the total cost is linear, the time per KB stays flat as the
size grows a thousandfold.

    python benchmarks/partial_json.py [--fragment 16] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import time

from aiwire._wire.partial_json import PartialJSON, parse_arguments


def make_arguments(size: int) -> str:
    """A tool call like an editor's: a path, a long file body with escapes,
    and a list of small structured edits, about ``size`` characters long."""
    line = 'def f(x):\n    return "x\\ty" + str(x)  # caf\u00e9\n'
    edits = []
    body = []
    while len(json.dumps({"path": "src/app.py", "content": "".join(body), "edits": edits})) < size:
        body.append(line)
        if len(body) % 8 == 0:
            edits.append({"line": len(body), "op": "replace", "ok": True, "score": 0.5})
    return json.dumps({"path": "src/app.py", "content": "".join(body), "edits": edits})


def run(text: str, fragment: int) -> float:
    pieces = [text[i : i + fragment] for i in range(0, len(text), fragment)]
    t0 = time.perf_counter()
    p = PartialJSON()
    for piece in pieces:
        p.feed(piece)
    args, raw = parse_arguments(text)  # the strict parse at toolcall_end
    elapsed = time.perf_counter() - t0
    assert raw is None and p.value == args
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fragment", type=int, default=16, help="characters per streamed fragment")
    ap.add_argument("--repeat", type=int, default=5, help="runs per size; the best is reported")
    opts = ap.parse_args()
    print(f"fragment size {opts.fragment} characters, best of {opts.repeat}")
    print(f"{'arguments':>10} {'fragments':>10} {'total ms':>10} {'us / KB':>9} {'us / fragment':>14}")
    for size in (1_000, 100_000, 1_000_000):
        text = make_arguments(size)
        best = min(run(text, opts.fragment) for _ in range(opts.repeat))
        frags = -(-len(text) // opts.fragment)
        kb = len(text) / 1000
        print(f"{kb:>8.0f}KB {frags:>10} {best * 1e3:>10.2f} {best * 1e6 / kb:>9.1f} {best * 1e6 / frags:>14.2f}")


if __name__ == "__main__":
    main()
