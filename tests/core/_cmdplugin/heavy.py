"""The command's module: stands for a heavy one (imported only to run it)."""

from __future__ import annotations

import argparse


def greet(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="aiwire greet")
    p.add_argument("name")
    p.add_argument("--shout", action="store_true")
    args = p.parse_args(argv)
    text = f"hello, {args.name}"
    print(text.upper() if args.shout else text)
    return 3 if args.name == "three" else 0
