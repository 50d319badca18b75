"""``aiwire embed``: embed texts and print the vectors."""

from __future__ import annotations

import argparse
import base64
import os
import sys
from typing import Any

from aiwire.errors import AiwireError

DEMO_EMBED_MODEL = "demo/aiwire-demo-embed"
FORMATS = ("json", "jsonl", "base64")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aiwire embed",
        description="Embed texts and print one vector per text. Each argument is one text; without any, "
        "each non-empty line of stdin is one. Without -m, an offline demo model answers (it says so).",
    )
    p.add_argument("texts", nargs="*", help="the texts to embed (default: the lines of stdin)")
    p.add_argument("-m", "--model", help=f"provider/model-id (default: $AIWIRE_EMBED_MODEL or {DEMO_EMBED_MODEL})")
    p.add_argument(
        "-f",
        "--format",
        choices=FORMATS,
        default="json",
        help="json: one object with every vector; jsonl: one object per text; "
        "base64: one line per text, compact little-endian float32",
    )
    p.add_argument("--dimensions", type=int, help="shorter vectors, where the model supports it")
    p.add_argument(
        "--input-type",
        choices=("query", "document", "classification", "clustering", "similarity"),
        help="what the texts are for, where the api asks",
    )
    p.add_argument("--truncate", action="store_true", help="let the provider cut texts over its limit")
    p.add_argument("--batch-size", type=int, help="texts per request (at most the model's limit)")
    p.add_argument("--base-url", help="send to this base URL instead of the provider's (a proxy or local server)")
    return p


def _floats(vector: Any) -> str:
    # 9 significant digits round-trip every float32 exactly.
    return "[" + ",".join(f"{x:.9g}" for x in vector) + "]"


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    texts = [t for t in args.texts]
    if not texts and not sys.stdin.isatty():
        texts = [line.rstrip("\r\n") for line in sys.stdin if line.strip()]
    if not texts:
        print("aiwire embed: give texts as arguments or as lines on stdin", file=sys.stderr)
        return 2
    options: dict[str, Any] = {
        "dimensions": args.dimensions,
        "input_type": args.input_type,
        "truncate": True if args.truncate else None,
        "batch_size": args.batch_size,
    }
    options = {k: v for k, v in options.items() if v is not None}
    import aiwire
    from aiwire._api.models import parse_ref

    ref = args.model or os.environ.get("AIWIRE_EMBED_MODEL") or DEMO_EMBED_MODEL
    try:
        base_urls = {parse_ref(ref)[0]: args.base_url.rstrip("/")} if args.base_url else None
        with aiwire.Client(base_urls=base_urls) as client:
            result = client.embed(ref, texts, vector_format="array", **options)
    except AiwireError as exc:
        print(f"aiwire embed: {exc}", file=sys.stderr)
        return 2 if not isinstance(exc, aiwire.errors.ProviderError) else 1
    out = sys.stdout
    if args.format == "base64":
        for vec in result.vectors:
            out.write(base64.b64encode(vec.tobytes() if sys.byteorder == "little" else _swapped(vec)).decode() + "\n")
    elif args.format == "jsonl":
        for i, vec in enumerate(result.vectors):
            out.write(f'{{"index":{i},"embedding":{_floats(vec)}}}\n')
    else:
        import msgspec

        head = {"model": f"{result.provider}/{result.model}", "dimensions": result.dimensions, "count": len(result)}
        usage = msgspec.json.encode(result.usage).decode() if result.usage is not None else "null"
        rows = ",".join(_floats(v) for v in result.vectors)
        out.write(msgspec.json.encode(head).decode()[:-1] + f',"usage":{usage},"vectors":[{rows}]}}\n')
    u = result.usage
    tokens = f", {u.input} tokens" if u is not None else ""
    cost = f", ${u.cost.total:.8f}" if u is not None and u.cost.total else ""
    note = " (offline demo: no provider was called)" if result.provider == "demo" else ""
    print(
        f"[{result.provider}/{result.model}: {len(result)} vectors of {result.dimensions}{tokens}{cost}, "
        f"{result.requests} request{'s' if result.requests != 1 else ''}]{note}",
        file=sys.stderr,
    )
    return 0


def _swapped(vec: Any) -> bytes:
    from array import array

    out = array("f", vec)
    out.byteswap()
    return out.tobytes()
