"""``aiwire models`` and ``aiwire plugins``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import msgspec

from aiwire.errors import AiwireError
from aiwire.types import Model


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def _price(x: float) -> str:
    return f"{x:g}" if x else "-"


_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie"}
)


def _without_secrets(model: Model) -> Model:
    """``model`` with credential header values (from config.toml) masked."""
    if not any(k.lower() in _SECRET_HEADERS for k in model.headers):
        return model
    masked = {k: "***" if k.lower() in _SECRET_HEADERS else v for k, v in model.headers.items()}
    return msgspec.structs.replace(model, headers=masked)


def models(argv: list[str]) -> int:
    if argv[:1] == ["default"]:
        from aiwire._cli.settings import models_default

        return models_default(argv[1:])
    p = argparse.ArgumentParser(
        prog="aiwire models",
        description="List the models of the installed plugins and of config.toml. "
        "`aiwire models default [MODEL]` shows or sets the default model.",
    )
    p.add_argument("--provider", "-p", help="only this provider")
    p.add_argument(
        "-q",
        "--query",
        action="append",
        default=[],
        metavar="TEXT",
        help="only models whose id or name has TEXT (repeat to narrow)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--embeddings", action="store_true", help="only embedding models, with their vector sizes")
    args = p.parse_args(argv)
    import aiwire

    try:
        found = aiwire.models(args.provider)
    except AiwireError as exc:
        print(f"aiwire models: {exc}", file=sys.stderr)
        return 2
    terms = [t.lower() for t in args.query]
    if terms:
        found = [m for m in found if all(t in f"{m.ref} {m.name}".lower() for t in terms)]
    if args.embeddings:
        found = [m for m in found if "embedding" in m.output]
        if not args.json:
            print(_embedding_table(found))
            return 0
    if args.json:
        shown = [_without_secrets(m) for m in found]
        sys.stdout.write(msgspec.json.encode(shown).decode() + "\n")
        return 0
    if not found:
        what = f" matching {' '.join(args.query)!r}" if terms else ""
        print(f"No models{what}.", file=sys.stderr)
        return 1 if terms else 0
    rows = [["model", "input", "output", "context", "max out", "$/M in", "$/M out", "reasoning"]]
    rows += [
        [
            m.ref,
            ",".join(m.input),
            ",".join(m.output),
            f"{m.context_window:,}" if m.context_window else "-",
            f"{m.max_tokens:,}" if m.max_tokens else "-",
            _price(m.cost.input),
            _price(m.cost.output),
            "yes" if m.reasoning else "",
        ]
        for m in found
    ]
    print(_table(rows))
    local = [p.id for p in aiwire.providers() if p.auth == "none" and p.id != "demo" and p.compat.get("open_catalog")]
    if local and not args.provider and not terms:
        print(f"\nLocal providers take any model id: {', '.join(local)} (e.g. -m {local[0]}/<model>)")
    return 0


def _embedding_table(found: Sequence[Model]) -> str:
    rows = [["model", "context", "dimensions", "$/M in"]]
    for m in found:
        dims = m.compat.get("dimension_options") or [m.compat.get("dimensions")]
        rows.append(
            [
                m.ref,
                f"{m.context_window:,}" if m.context_window else "-",
                "/".join(str(d) for d in dims if d) or "-",
                _price(m.cost.input),
            ]
        )
    return _table(rows)


def plugins(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="aiwire plugins", description="List installed plugins.")
    p.add_argument("--json", action="store_true", help="print JSON")
    args = p.parse_args(argv)
    import warnings

    import aiwire

    with warnings.catch_warnings():
        # Broken plugins are shown in the table; no need for the warning too.
        warnings.simplefilter("ignore", RuntimeWarning)
        found = aiwire.plugins()
    if args.json:
        sys.stdout.write(msgspec.json.encode(found).decode() + "\n")
        return 0
    rows = [["plugin", "version", "distribution", "api", "hooks", "status"]]
    for info in found:
        status = info.status if info.error is None else f"{info.status}: {info.error}"
        api = "" if info.api is None else str(info.api)
        rows.append([info.name, info.version, info.distribution, api, ",".join(info.hooks), status])
    print(_table(rows))
    return 0
