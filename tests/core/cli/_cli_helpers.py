"""Types shared by the CLI tests."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

Run = Callable[..., "subprocess.CompletedProcess[str]"]
"""``run_cli(*args, input=..., timeout=...)``: the CLI as a subprocess."""
