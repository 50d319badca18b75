"""The offline demo's image model: draws one coloured shape as a real PNG.

It reads a colour (``red``, ``blue``...) and a shape (``circle``, ``square``,
``triangle``) from the prompt, honours ``size``, ``count`` and
``background``, and says in its text that it is a demo. PNG encoding is
stdlib only (zlib + struct), one row span at a time, so even 1024x1024 is
quick.
"""

from __future__ import annotations

import base64
import functools
import re
import struct
import zlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["COLORS", "DEMO_IMAGE_NOTICE", "SHAPES", "demo_image_reply", "encode_png", "parse_size"]

DEMO_IMAGE_NOTICE = (
    "[offline demo image model: drawn locally, no provider was called and no API key was used. "
    "Pass -m provider/model with an image model (for example openai/gpt-image-1) to use a real one.]"
)

COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "orange": (245, 140, 30),
    "yellow": (245, 210, 40),
    "green": (40, 170, 70),
    "cyan": (40, 200, 210),
    "blue": (40, 90, 220),
    "purple": (140, 60, 200),
    "magenta": (220, 50, 170),
    "pink": (245, 150, 190),
    "brown": (130, 80, 40),
    "black": (20, 20, 20),
    "gray": (128, 128, 128),
    "grey": (128, 128, 128),
    "white": (250, 250, 250),
}
SHAPES = ("circle", "square", "triangle")
MAX_SIDE = 1024


def parse_size(size: str | None, default: int = 256) -> tuple[int, int]:
    """``"WxH"`` as integers clamped to 16..1024; anything else is the default square."""
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", size or "")
    if not m:
        return default, default
    return tuple(min(MAX_SIDE, max(16, int(v))) for v in m.groups())  # type: ignore[return-value]


def _span(shape: str, y: int, *, w: int, h: int, scale: float) -> tuple[int, int]:
    """Columns ``[x0, x1)`` the shape covers on row ``y``."""
    cx, cy = w / 2, h / 2
    r = min(w, h) * 0.4 * scale
    dy = y + 0.5 - cy
    if shape == "square":
        if abs(dy) > r:
            return 0, 0
        half = r
    elif shape == "triangle":
        top = cy - r
        t = (y + 0.5 - top) / (2 * r)
        if not 0 <= t <= 1:
            return 0, 0
        half = r * t
    else:
        if abs(dy) > r:
            return 0, 0
        half = (r * r - dy * dy) ** 0.5
    return max(0, round(cx - half)), min(w, round(cx + half))


def encode_png(width: int, height: int, span: Callable[[int], tuple[int, int]], fg: bytes, bg: bytes) -> bytes:
    """A PNG of ``fg`` pixels where ``span(y)`` says, ``bg`` elsewhere.

    ``fg`` and ``bg`` are 3 (RGB) or 4 (RGBA) bytes each."""
    channels = len(bg)
    rows = []
    for y in range(height):
        x0, x1 = span(y)
        rows.append(b"\x00" + bg * x0 + fg * (x1 - x0) + bg * (width - max(x1, x0)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    color_type = 6 if channels == 4 else 2
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + chunk(b"IEND", b"")
    )


def _prompt(request: Mapping[str, Any]) -> tuple[str, int]:
    texts: list[str] = []
    n_images = 0
    for m in request.get("context", {}).get("messages", []):
        content = m.get("content", "")
        if m.get("role") != "user":
            continue
        if isinstance(content, str):
            texts.append(content)
            continue
        for block in content:
            if block.get("type") == "text":
                texts.append(block.get("text", ""))
            elif block.get("type") == "image":
                n_images += 1
    return " ".join(texts), n_images


def demo_image_reply(request: Mapping[str, Any]) -> Any:
    """The :class:`~aiwire._demo.faux.FauxReply` for a demo image request."""
    from aiwire._demo.faux import FauxReply
    from aiwire.types import ImageContent, TextContent, Usage

    opts = request.get("options", {})
    if opts.get("output_format") not in (None, "png"):
        return FauxReply(error="the offline demo draws PNG only; ask for output_format='png'", error_type="demo")
    prompt, n_inputs = _prompt(request)
    words = re.findall(r"[a-z]+", prompt.lower())
    color = next((w for w in words if w in COLORS), "blue")
    shape = next((w for w in words if w in SHAPES), "circle")
    width, height = parse_size(opts.get("size"))
    count = int(opts.get("count") or 1)
    transparent = opts.get("background") == "transparent"
    bg = b"\xff\xff\xff\x00" if transparent else b"\xff\xff\xff"
    fg = bytes(COLORS[color]) + (b"\xff" if transparent else b"")
    images = []
    for i in range(count):
        scale = 1.0 - 0.15 * (i % 4)
        png = encode_png(width, height, functools.partial(_span, shape, w=width, h=height, scale=scale), fg, bg)
        images.append(ImageContent(data=base64.b64encode(png).decode(), mime_type="image/png"))
    seen = f" I saw {n_inputs} input image(s) but only draw shapes." if n_inputs else ""
    text = f"Drew {count} {color} {shape}(s) on {width}x{height}.{seen} {DEMO_IMAGE_NOTICE}"
    usage = Usage(input=max(1, len(prompt) // 4), output=count * 100)
    return FauxReply(content=[TextContent(text=text)], images=images, usage=usage)
