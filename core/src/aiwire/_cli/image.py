"""``aiwire image``: generate images from a prompt and write them to files."""

from __future__ import annotations

import argparse
import base64
import mimetypes
import os
import sys
from pathlib import Path
from typing import Any

from aiwire.errors import AiwireError
from aiwire.types import Context, ImageContent, ImageResult, TextContent, UserMessage

EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif"}
DEMO_IMAGE_MODEL = "demo/aiwire-demo-image"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="aiwire image",
        description="Generate images and write them to files. Without -m, an offline demo model draws a "
        "shape locally (it says so).",
    )
    p.add_argument("prompt", nargs="*", help="the prompt (read from stdin when omitted)")
    p.add_argument("-m", "--model", help=f"provider/model-id (default: $AIWIRE_IMAGE_MODEL or {DEMO_IMAGE_MODEL})")
    p.add_argument("-o", "--output", help="file to write (several images: NAME-1.EXT, NAME-2.EXT...)")
    p.add_argument("-i", "--image", action="append", default=[], help="an input image file (repeatable)")
    p.add_argument("-n", "--count", type=int, help="number of images")
    p.add_argument("--size", help="WIDTHxHEIGHT, e.g. 1024x1024")
    p.add_argument("--quality", help="provider quality level (low, medium, high, auto...)")
    p.add_argument("--format", dest="output_format", choices=("png", "jpeg", "webp"), help="image encoding")
    p.add_argument("--background", choices=("transparent", "opaque", "auto"))
    p.add_argument("--seed", type=int)
    return p


def read_image(path: str) -> ImageContent:
    """An input image file as an :class:`ImageContent` (mime type from its name)."""
    mime = mimetypes.guess_type(path)[0]
    if mime is None or not mime.startswith("image/"):
        raise ValueError(f"{path}: not an image file name (use .png, .jpg, .webp or .gif)")
    data = Path(path).read_bytes()
    return ImageContent(data=base64.b64encode(data).decode(), mime_type=mime)


def output_paths(output: str | None, images: list[ImageContent]) -> list[Path]:
    """Where each image goes: ``-o`` as given for one image, numbered for more;
    without ``-o``, ``image-N.EXT`` names that do not exist yet."""
    exts = [EXTENSIONS.get(img.mime_type, ".img") for img in images]
    if output:
        out = Path(output)
        if len(images) == 1:
            return [out]
        stem, suffix = out.with_suffix(""), out.suffix
        return [Path(f"{stem}-{n}{suffix or ext}") for n, ext in enumerate(exts, 1)]
    paths: list[Path] = []
    n = 1
    for ext in exts:
        while Path(f"image-{n}{ext}").exists():
            n += 1
        paths.append(Path(f"image-{n}{ext}"))
        n += 1
    return paths


def write_images(result: ImageResult, output: str | None) -> list[Path]:
    paths = output_paths(output, result.images)
    for path, img in zip(paths, result.images, strict=True):
        path.write_bytes(base64.b64decode(img.data))
    return paths


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    prompt = " ".join(args.prompt).strip()
    if not prompt and not sys.stdin.isatty():
        prompt = sys.stdin.read().strip()
    if not prompt and not args.image:
        print("aiwire image: give a prompt as arguments or on stdin", file=sys.stderr)
        return 2
    try:
        inputs = [read_image(p) for p in args.image]
    except (OSError, ValueError) as exc:
        print(f"aiwire image: {exc}", file=sys.stderr)
        return 2
    content: list[TextContent | ImageContent] = [TextContent(text=prompt)] if prompt else []
    context = Context(messages=[UserMessage(content=[*content, *inputs])])
    options: dict[str, Any] = {
        k: v
        for k, v in vars(args).items()
        if k in ("count", "size", "quality", "output_format", "background", "seed") and v is not None
    }
    import aiwire

    ref = args.model or os.environ.get("AIWIRE_IMAGE_MODEL") or DEMO_IMAGE_MODEL
    try:
        result = aiwire.generate_images_sync(ref, context, **options)
    except AiwireError as exc:
        print(f"aiwire image: {exc}", file=sys.stderr)
        return 2
    if result.text:
        print(result.text, file=sys.stderr)
    try:
        paths = write_images(result, args.output)
    except OSError as exc:
        print(f"aiwire image: could not write the image: {exc}", file=sys.stderr)
        return 1
    for path, img in zip(paths, result.images, strict=True):
        print(f"wrote {path} ({img.mime_type}, {path.stat().st_size} bytes)")
    u = result.usage
    if u is not None:
        cost = f", ${u.cost.total:.6f}" if u.cost.total else ""
        print(f"[{result.provider}/{result.model}: {u.input} in, {u.output} out{cost}]", file=sys.stderr)
    if result.stop_reason != "stop":
        print(f"aiwire image: error: {result.error_message}", file=sys.stderr)
        return 1
    if not paths:
        print("aiwire image: the model returned no image", file=sys.stderr)
        return 1
    return 0
