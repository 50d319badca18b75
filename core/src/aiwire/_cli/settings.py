"""``aiwire keys``, ``aiwire aliases`` and ``aiwire models default``: the
user's settings in ``AIWIRE_HOME`` (keys in the auth store, aliases and the
default model in ``config.toml``)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import TYPE_CHECKING

import msgspec

from aiwire._cli.info import _table

if TYPE_CHECKING:
    from aiwire.auth.store import AuthStore

__all__ = ["aliases", "keys", "models_default"]


def _err(cmd: str, message: str, code: int = 2) -> int:
    print(f"aiwire {cmd}: {message}", file=sys.stderr)
    return code


# -- keys -------------------------------------------------------------------------


def keys(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="aiwire keys",
        description="Store API keys in the auth store (AIWIRE_HOME/auth.json, private to you). "
        "A provider's environment variable wins over its stored key.",
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    s = sub.add_parser("set", help="store a key (typed without echo, or read from stdin)")
    s.add_argument("provider", help="provider id, e.g. openai")
    ls = sub.add_parser("list", help="which providers have a key, and where it comes from (never the values)")
    ls.add_argument("--json", action="store_true", help="print JSON")
    r = sub.add_parser("remove", help="forget a stored key")
    r.add_argument("provider", help="provider id")
    sub.add_parser("path", help="print the auth store's path")
    args = p.parse_args(argv)
    from aiwire.auth.store import default_store

    store = default_store()
    if args.action == "set":
        import aiwire

        spec = aiwire.get_provider(args.provider)  # unknown: an error naming the plugin to install
        try:
            if sys.stdin.isatty():
                import getpass

                key = getpass.getpass(f"API key for {spec.name or spec.id} (not echoed): ")
            else:
                key = sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            return _err("keys set", "no key given (input ended); nothing was stored")
        key = key.strip()
        if not key:
            return _err("keys set", "the key is empty; nothing was stored")
        store.set_key(spec.id, key)
        print(f"Stored the {spec.id} key in {store.path}", file=sys.stderr)
        if spec.auth == "none":
            print(f"Note: {spec.id} needs no key, so aiwire does not send a stored one to it", file=sys.stderr)
        return 0
    if args.action == "remove":
        if store.delete_key(args.provider):
            print(f"Removed the stored {args.provider} key", file=sys.stderr)
            return 0
        return _err("keys remove", f"no stored key for {args.provider!r} (see `aiwire keys list`)", 1)
    if args.action == "path":
        print(store.path)
        return 0
    return _list_keys(store, getattr(args, "json", False))


class KeyRow(msgspec.Struct):
    provider: str
    stored: bool
    env: str | None


def _list_keys(store: AuthStore, as_json: bool) -> int:
    import aiwire

    stored = store.keys()
    rows: list[KeyRow] = []
    for spec in aiwire.providers():
        var = next((v for v in spec.env if os.environ.get(v)), None)
        if spec.id in stored or var or (spec.auth != "none" and spec.env):
            rows.append(KeyRow(spec.id, spec.id in stored, f"${var}" if var else None))
    known = {r.provider for r in rows}
    rows += [KeyRow(p, True, None) for p in sorted(stored) if p not in known]
    if as_json:
        sys.stdout.write(msgspec.json.encode(rows).decode() + "\n")
        return 0
    table = [["provider", "stored key", "environment"]]
    table += [[r.provider, "yes" if r.stored else "-", r.env or "-"] for r in rows]
    print(_table(table))
    return 0


# -- aliases and the default model -------------------------------------------------


def _check_ref(ref: str) -> str:
    """The model ``ref`` names (aliases resolved), checked to exist."""
    import aiwire

    return aiwire.get_model(ref).ref


def aliases(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="aiwire aliases",
        description="Short names for models, kept in AIWIRE_HOME/config.toml ([aliases]). "
        "Use them anywhere a model is named: -m NAME, aiwire.get_model('NAME').",
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    s = sub.add_parser("set", help="make NAME stand for provider/model-id")
    s.add_argument("name", help="the alias (letters, digits, '.', '_', '-')")
    s.add_argument("model", help="provider/model-id")
    ls = sub.add_parser("list", help="list the aliases (the default action)")
    ls.add_argument("--json", action="store_true", help="print JSON")
    r = sub.add_parser("remove", help="remove an alias")
    r.add_argument("name", help="the alias")
    args = p.parse_args(argv)
    from aiwire._cli.tomledit import set_value
    from aiwire._plugins.config import ALIAS_NAME, config_path, load_config

    config = load_config()
    if args.action == "set":
        if not re.match(ALIAS_NAME, args.name):
            return _err("aliases set", f"{args.name!r} is not a valid alias: use letters, digits, '.', '_' and '-'")
        target = _check_ref(args.model)
        set_value(config_path(), "aliases", args.name, target)
        print(f"{args.name} -> {target}", file=sys.stderr)
        return 0
    if args.action == "remove":
        if args.name not in config.aliases:
            return _err("aliases remove", f"no alias {args.name!r} (see `aiwire aliases list`)", 1)
        set_value(config_path(), "aliases", args.name, None)
        print(f"Removed the alias {args.name}", file=sys.stderr)
        return 0
    if getattr(args, "json", False):
        sys.stdout.write(msgspec.json.encode(config.aliases).decode() + "\n")
        return 0
    if not config.aliases:
        print("No aliases. Add one with: aiwire aliases set NAME provider/model-id", file=sys.stderr)
        return 0
    print(_table([["alias", "model"], *([k, v] for k, v in sorted(config.aliases.items()))]))
    return 0


def models_default(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="aiwire models default",
        description="Show or set the default model (default_model in AIWIRE_HOME/config.toml). "
        "$AIWIRE_MODEL, when set, wins over it.",
    )
    p.add_argument("model", nargs="?", help="provider/model-id or an alias to make the default")
    p.add_argument("--clear", action="store_true", help="remove the default model")
    args = p.parse_args(argv)
    from aiwire._cli.tomledit import set_value
    from aiwire._plugins.config import config_path, load_config

    if args.clear:
        set_value(config_path(), None, "default_model", None)
        print("Removed the default model", file=sys.stderr)
        return 0
    if args.model:
        _check_ref(args.model)
        set_value(config_path(), None, "default_model", args.model)
        print(f"Default model: {args.model}", file=sys.stderr)
        return 0
    configured = load_config().default_model
    env = os.environ.get("AIWIRE_MODEL")
    if env:
        print(env)
        print(f"(from $AIWIRE_MODEL; config.toml says {configured or 'nothing'})", file=sys.stderr)
    elif configured:
        print(configured)
    else:
        print("No default model. Set one with: aiwire models default provider/model-id", file=sys.stderr)
        return 1
    return 0
