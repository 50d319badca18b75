"""Child process of ``aiwire chat``'s tools: ``python -m aiwire._cli.toolworker module:function``.

Reads the call's arguments as one JSON object on stdin and writes
``{"ok": text}`` or ``{"error": text, "type": exception name}`` on stdout. The parent kills this
process when the time limit passes or the user presses Ctrl-C, which no
thread could do to a tool busy in C code.
"""

from __future__ import annotations

import importlib
import json
import os
import sys


def main() -> int:
    target = sys.argv[1]
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout = sys.stderr  # a tool that prints must not corrupt the answer channel
    try:
        module, _, name = target.partition(":")
        fn = getattr(importlib.import_module(module), name)
        args = json.loads(sys.stdin.read() or "{}")
        value = fn(**args)
        reply = {"ok": value if isinstance(value, str) else str(value)}
    except Exception as exc:
        reply = {"error": str(exc), "type": type(exc).__name__}
    out.write(json.dumps(reply))
    out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
