"""Tools for the CLI tests: a calculator that never finishes (named like the
demo's, so the demo model calls it) and one that writes its pid first."""

from __future__ import annotations

import os
import sys
import time


def calculate(expression: str) -> str:
    """Pretend to calculate, forever."""
    pidfile = os.environ.get("SLOWTOOL_PIDFILE")
    if pidfile:
        with open(pidfile, "w") as f:
            f.write(str(os.getpid()))
    print("started", file=sys.stderr, flush=True)
    while True:
        time.sleep(0.05)


def scale(value: float, times: int = 2, exact: bool = False) -> str:
    """Multiply a number."""
    return str(value * times)
