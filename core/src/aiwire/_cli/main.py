"""The ``aiwire`` command. Subcommands load lazily, so ``aiwire --help`` imports
nothing network-related."""

from __future__ import annotations

import gc
import importlib
import sys
from typing import Any

__all__ = ["COMMANDS", "main", "setup_done"]

COMMANDS: dict[str, tuple[str, str]] = {
    "chat": ("aiwire._cli.chat:main", "stream a conversation with a model (offline demo without a key)"),
    "image": ("aiwire._cli.image:main", "generate images and write them to files (offline demo without a key)"),
    "embed": ("aiwire._cli.embed:main", "embed texts and print the vectors (offline demo without a key)"),
    "login": ("aiwire._cli.auth:login", "log in to a subscription (lists the logins when given none)"),
    "logout": ("aiwire._cli.auth:logout", "forget a stored login"),
    "auth": ("aiwire._cli.auth:auth", "`auth status`: which logins are stored and when they expire"),
    "logs": ("aiwire._cli.logs:main", "list, show and export logged conversations; turn the log on or off"),
    "models": ("aiwire._cli.info:models", "list and search models; `models default` shows or sets the default"),
    "aliases": ("aiwire._cli.settings:aliases", "short names for models (set, list, remove)"),
    "keys": ("aiwire._cli.settings:keys", "store API keys in the auth store (set, list, remove)"),
    "plugins": ("aiwire._cli.info:plugins", "list installed plugins, their hooks and status"),
}
"""name -> ("module:function", help). Each function takes ``argv`` and returns an exit code."""

USAGE = """usage: aiwire [--version] COMMAND [ARGS]

One streaming API to every LLM provider.

commands:
{commands}

Run `aiwire COMMAND --help` for a command's options{more}.
"""


def _usage(plugin_commands: dict[str, str] | None = None) -> str:
    """The usage text; plugin commands are listed only when given (finding
    them means loading every plugin, which ``aiwire --help`` does not do)."""
    table = {name: help for name, (_, help) in COMMANDS.items()}
    table.update(plugin_commands or {})
    width = max(len(n) for n in table)
    lines = "\n".join(f"  {name.ljust(width)}  {help}" for name, help in table.items())
    more = "" if plugin_commands is not None else ", `aiwire help --all` to include plugins' commands"
    return USAGE.format(commands=lines, more=more)


def _plugin_commands() -> dict[str, str]:
    from aiwire._plugins.registry import get_registry

    return {
        name: f"{spec.help} (plugin {spec.plugin})".lstrip()
        for name, spec in sorted(get_registry().commands.items())
        if name not in COMMANDS
    }


def _plugin_handler(name: str) -> Any:
    """The function of a plugin's command ``name``, or ``None``."""
    if name.startswith("-"):
        return None
    from aiwire._plugins.registry import get_registry

    return None if name in COMMANDS else get_registry().command(name)


_SETS_UP_ITSELF = frozenset({"chat"})
"""Commands that call :func:`setup_done` themselves, once their setup (imports,
plugins, model) is done and before their first request."""


_paused = False


def setup_done() -> None:
    """Turn the garbage collector back on if :func:`main` paused it (once).
    What setup made lives as long as the process, so it is frozen out of
    later collections."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (the process's own when ``None``)."""
    if argv is not None:  # called in-process (tests, embedding): leave the collector alone
        return _main(list(argv))
    # The process's own command: setup makes some 100,000 objects that live as long
    # as the process (modules, classes, functions); collecting while they are made
    # walks them over and over for nothing, about 5 ms of a chat's start.
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True
    try:
        return _main(sys.argv[1:])
    finally:
        setup_done()


def _main(args: list[str]) -> int:
    if args[:2] == ["help", "--all"]:
        print(_usage(_plugin_commands()), end="")
        return 0
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage(), end="")
        return 0
    if args[0] in ("-V", "--version"):
        from aiwire import __version__

        print(f"aiwire {__version__}")
        return 0
    entry = COMMANDS.get(args[0])
    if entry is not None:
        module, _, func = entry[0].partition(":")
        handler = getattr(importlib.import_module(module), func)
    else:
        try:
            handler = _plugin_handler(args[0])
        except Exception as exc:  # a broken config or plugin: one line
            print(f"aiwire: {exc}", file=sys.stderr)
            return 2
        if handler is None:
            import difflib

            near = difflib.get_close_matches(args[0], COMMANDS, n=1)
            hint = f" Did you mean `aiwire {near[0]}`?" if near else ""
            print(f"aiwire: unknown command {args[0]!r}.{hint}\n", file=sys.stderr)
            print(_usage(), end="", file=sys.stderr)
            return 2
    if args[0] not in _SETS_UP_ITSELF:
        setup_done()
    try:
        code: int = int(handler(args[1:]) or 0)
    except KeyboardInterrupt:
        print("\naiwire: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from aiwire.errors import AiwireError

        if not isinstance(exc, AiwireError):
            raise
        # A setup problem (a bad config.toml, an unknown model...): one line, exit 2.
        print(f"aiwire {args[0]}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`aiwire chat --json | head`): stop quietly.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
