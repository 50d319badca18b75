"""``aiwire chat``: run the agent loop on a prompt, or an interactive session.

The answer goes to stdout and everything else to stderr (:mod:`.render`);
tools run in child processes (:mod:`.tools`); every exchange is logged
(:mod:`.log`) unless turned off, so ``-c`` and ``--cid`` can continue it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from aiwire.errors import AiwireError
from aiwire.types import Model

LEVELS = ("off", "minimal", "low", "medium", "high", "xhigh")
MAX_TURNS = 10
CORE_OPTIONS = ("timeout", "idle_timeout", "max_retries", "max_retry_delay")
"""Options ``-o`` takes whatever the api: the core applies them."""


class UsageError(Exception):
    """Bad input on the command line: one line, exit status 2."""


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, as wide as argparse makes it, without importing
    shutil (and bz2 and lzma with it) for each ``add_argument`` of a chat
    that prints no help."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ) -> None:
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` finds it."""
    import os

    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aiwire chat",
        formatter_class=_Formatter,
        description="Stream a conversation with a model: the answer on stdout, thinking, tool traces and "
        "notices on stderr. Without a prompt on a terminal, an interactive session. Without -m and "
        "without any provider key, an offline demo model answers (it says so).",
    )
    p.add_argument("prompt", nargs="*", help="the prompt; piped stdin is put before it")
    p.add_argument("-m", "--model", help="provider/model-id (default: $AIWIRE_MODEL, a configured provider, or demo)")
    p.add_argument("-s", "--system", help="system prompt")
    p.add_argument(
        "-o",
        "--option",
        nargs=2,
        action="append",
        default=[],
        metavar=("KEY", "VALUE"),
        help="a call option the model's api supports (e.g. -o temperature 0.2); repeatable",
    )
    p.add_argument("--thinking", choices=LEVELS, help="reasoning level")
    p.add_argument("--max-tokens", type=int, help="maximum output tokens")
    p.add_argument("--key", help="API key for this call (instead of the environment or stored keys)")
    p.add_argument("--base-url", help="send requests to this base URL instead of the provider's")
    p.add_argument(
        "-a",
        "--attach",
        action="append",
        default=[],
        metavar="FILE_OR_URL",
        help="attach an image file or http(s) URL; repeatable",
    )
    p.add_argument(
        "-T",
        "--tool",
        action="append",
        default=[],
        metavar="NAME",
        help="offer a tool: calculate, current_time, or a Python module:function; repeatable",
    )
    p.add_argument("--list-tools", action="store_true", help="list the built-in tools and exit")
    p.add_argument("--no-tools", action="store_true", help="offer no tools (not even to the demo model)")
    p.add_argument(
        "--tool-timeout", type=float, metavar="SECONDS", help="stop a tool call after this long (default 30)"
    )
    p.add_argument("--no-stream", action="store_true", help="ask for the whole answer at once instead of streaming")
    p.add_argument("--no-thinking", action="store_true", help="do not show the model's thinking")
    p.add_argument("-u", "--usage", action="store_true", help="show token usage, cost and time on stderr")
    p.add_argument("--json", action="store_true", help="print agent events as JSON lines")
    p.add_argument(
        "-c",
        "--continue",
        dest="continue_",
        action="store_true",
        help="continue the latest logged conversation (any model)",
    )
    p.add_argument("--cid", metavar="ID", help="continue the logged conversation with this id (or id prefix)")
    p.add_argument("--no-log", action="store_true", help="do not log this exchange")
    return p


def pick_model(ref: str | None) -> Model:
    """The model to use (see :func:`aiwire._api.models.choose_model`)."""
    from aiwire._api.models import choose_model

    return choose_model(ref)


def _read_stdin() -> str:
    stdin = sys.stdin
    if stdin is None or stdin.isatty():
        return ""
    try:
        return stdin.read()
    except (OSError, ValueError):  # closed, or captured by a test runner
        return ""


def option_values(model: Model, pairs: list[list[str]]) -> dict[str, Any]:
    """``-o`` pairs checked against the options the model's api (and host)
    take; values are JSON when they parse as JSON, else strings."""
    import json

    from aiwire._plugins.registry import get_registry

    reg = get_registry()
    valid = set(reg.codec(model.api).supported_options)
    spec = reg.providers.get(model.provider)
    if spec is not None and spec.options is not None:
        valid &= spec.options
    valid.update(CORE_OPTIONS)
    out: dict[str, Any] = {}
    for key, raw in pairs:
        key = key.replace("-", "_")
        if key not in valid:
            raise UsageError(f"-o {key}: not an option of the {model.api} api; valid: {', '.join(sorted(valid))}")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        if key == "stop" and isinstance(value, str):
            value = [value]
        out[key] = value
    return out


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.list_tools:
        from aiwire._cli.tools import _builtin

        for name, (_, tool) in _builtin().items():
            print(f"{name}: {tool.description}")
        return 0
    try:
        from aiwire._cli.session import run

        return run(args, " ".join(args.prompt).strip(), _read_stdin)
    except (UsageError, AiwireError) as exc:
        print(f"aiwire chat: {exc}", file=sys.stderr)
        return 2
