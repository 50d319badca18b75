"""``aiwire logs``: list, show and export the conversations ``aiwire chat`` logged."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import msgspec

ACTIONS = ("list", "show", "status", "path", "on", "off")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aiwire logs",
        description="The conversation log of `aiwire chat` (SQLite in AIWIRE_HOME). "
        "list: recent conversations; show [ID]: one conversation (the latest without ID); "
        "status: where the log is and whether it is on; path: the database file; on/off: turn logging on or off.",
    )
    p.add_argument("action", nargs="?", default="list", choices=ACTIONS, help="what to do (default: list)")
    p.add_argument("id", nargs="?", help="conversation id or unique prefix (for show)")
    p.add_argument("-n", "--count", type=int, default=None, help="how many conversations (list: 20; --json: all)")
    p.add_argument("--json", action="store_true", help="print JSON: conversations with every response and message")
    return p


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def main(argv: list[str]) -> int:
    from aiwire._cli import log as chatlog

    args = _parser().parse_args(argv)
    path = chatlog.log_path()
    if args.action == "path":
        print(path)
        return 0
    if args.action in ("on", "off"):
        marker = path.parent / "logs-off"
        if args.action == "off":
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            marker.touch()
        else:
            marker.unlink(missing_ok=True)
        state = chatlog.disabled_reason()
        print(f"logging is {'off (' + state + ')' if state else 'on'}: {path}")
        return 0
    db = chatlog.open_log(_err, create=False)
    if args.action == "status":
        why = chatlog.disabled_reason()
        print(f"log: {path}")
        print(f"logging: {'off (' + why + ')' if why else 'on'}")
        print(f"schema version: {chatlog.SCHEMA_VERSION}")
        if db is not None:
            rows = db.conversations(None)
            print(f"conversations: {len(rows)}, responses: {sum(r['turns'] for r in rows)}")
            db.close()
        return 0
    if db is None:
        if args.json:
            print("[]")
            return 0
        print(f"no conversations logged yet ({path})", file=sys.stderr)
        return 0 if args.action == "list" else 2
    try:
        if args.action == "show":
            return _show(db, args)
        return _list(db, args)
    except chatlog.LogError as exc:
        print(f"aiwire logs: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()


def _export(db: Any, cid: str, row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "system": db.system_of(cid), "responses": db.responses(cid)}


def _list(db: Any, args: argparse.Namespace) -> int:
    if args.id:
        print("aiwire logs: an id goes with `show` (aiwire logs show ID)", file=sys.stderr)
        return 2
    rows = db.conversations(args.count if args.count is not None or args.json else 20)
    if args.json:
        sys.stdout.write(msgspec.json.encode([_export(db, r["id"], r) for r in rows]).decode() + "\n")
        return 0
    if not rows:
        print("no conversations logged yet", file=sys.stderr)
        return 0
    from aiwire._cli.info import _table

    header = ["id", "updated", "model", "turns", "tokens in/out", "cost", "time", "first prompt"]
    table = [header] + [
        [
            r["id"],
            _when(r["updated"]),
            ",".join(r["models"]),
            str(r["turns"]),
            f"{r['input_tokens'] or 0:,}/{r['output_tokens'] or 0:,}",
            f"${r['cost'] or 0:.4f}",
            f"{r['duration'] or 0:.1f}s",
            r["title"][:40],
        ]
        for r in rows
    ]
    print(_table(table))
    return 0


def _show(db: Any, args: argparse.Namespace) -> int:
    cid = db.resolve(args.id)
    row = next(r for r in db.conversations(None) if r["id"] == cid)
    if args.json:
        sys.stdout.write(msgspec.json.encode(_export(db, cid, row)).decode() + "\n")
        return 0
    print(f"conversation {cid}, started {_when(row['created'])}")
    system = db.system_of(cid)
    if system:
        print(f"system: {system}")
    for r in db.responses(cid):
        first = f", first token {r['first_token']:.2f}s" if r["first_token"] is not None else ""
        status = "" if r["stop_reason"] == "stop" else f", {r['stop_reason']}"
        print(
            f"\n## {_when(r['created'])}  {r['model']}  {r['input_tokens']:,} in, {r['output_tokens']:,} out, "
            f"${r['cost']:.6f}, {r['duration']:.2f}s{first}{status}"
        )
        print(f"> {r['prompt']}")
        for m in r["messages"]:
            if m.get("role") == "tool_result":
                text = "".join(c.get("text", "") for c in m.get("content", []))
                print(f"[{m.get('tool_name')}: {text}]")
            elif m.get("role") == "assistant":
                for block in m.get("content", []):
                    if block.get("type") == "tool_call":
                        print(f"[-> {block['name']}({msgspec.json.encode(block.get('arguments', {})).decode()})]")
        print(r["answer"])
        if r["error"]:
            print(f"error: {r['error']}")
    return 0
