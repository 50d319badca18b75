"""The ``aiwire`` command. Subcommands load lazily, so ``aiwire --help`` imports
nothing network-related."""

from __future__ import annotations

import importlib
import sys

__all__ = ["COMMANDS", "main"]

COMMANDS: dict[str, tuple[str, str]] = {
    "chat": ("aiwire._cli.chat:main", "stream a conversation with a model (offline demo without a key)"),
    "image": ("aiwire._cli.image:main", "generate images and write them to files (offline demo without a key)"),
    "embed": ("aiwire._cli.embed:main", "embed texts and print the vectors (offline demo without a key)"),
    "login": ("aiwire._cli.auth:login", "log in to a subscription (lists the logins when given none)"),
    "logout": ("aiwire._cli.auth:logout", "forget a stored login"),
    "auth": ("aiwire._cli.auth:auth", "`auth status`: which logins are stored and when they expire"),
    "models": ("aiwire._cli.info:models", "list catalog models"),
    "plugins": ("aiwire._cli.info:plugins", "list installed plugins, their hooks and status"),
}
"""name -> ("module:function", help). Each function takes ``argv`` and returns an exit code."""

USAGE = """usage: aiwire [--version] COMMAND [ARGS]

One streaming API to every LLM provider.

commands:
{commands}

Run `aiwire COMMAND --help` for a command's options.
"""


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = "\n".join(f"  {name.ljust(width)}  {help}" for name, (_, help) in COMMANDS.items())
    return USAGE.format(commands=lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage(), end="")
        return 0
    if args[0] in ("-V", "--version"):
        from aiwire import __version__

        print(f"aiwire {__version__}")
        return 0
    entry = COMMANDS.get(args[0])
    if entry is None:
        import difflib

        near = difflib.get_close_matches(args[0], COMMANDS, n=1)
        hint = f" Did you mean `aiwire {near[0]}`?" if near else ""
        print(f"aiwire: unknown command {args[0]!r}.{hint}\n", file=sys.stderr)
        print(_usage(), end="", file=sys.stderr)
        return 2
    module, _, func = entry[0].partition(":")
    handler = getattr(importlib.import_module(module), func)
    try:
        code: int = handler(args[1:])
    except KeyboardInterrupt:
        print("\naiwire: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`aiwire chat --json | head`): stop quietly.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
