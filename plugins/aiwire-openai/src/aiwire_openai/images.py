"""Image generation: the ``openai-images`` and ``openrouter-images`` apis.

``openai-images`` is ``POST /images/generations`` (and ``/images/edits``
when the context carries input images), as OpenAI, Azure and compatible
servers speak it. ``openrouter-images`` is OpenRouter's Chat Completions with
``modalities``: the images come back in ``choices[0].message.images`` as data
URLs. Both are sans-IO; :func:`aiwire.generate_images` drives them.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from aiwire.errors import BadOptionsError
from aiwire.plugin import (
    BaseCodec,
    Credentials,
    ErrorInfo,
    ImageOptions,
    Request,
    image_prompt,
    make_usage,
)
from aiwire.types import Context, ImageContent, ImageResult, Model, Usage

from ._chat_decode import ChatDecoder, _Usage
from ._common import AZURE_OPTION_KEYS, auth_headers, endpoint, error_from, error_info
from .compat import resolve_compat
from .completions import chat_messages

__all__ = ["OpenAIImagesCodec", "OpenRouterImagesCodec", "aspect_ratio", "multipart", "sniff_mime"]


class _ImageOnly(BaseCodec):
    """Image apis answer :func:`aiwire.generate_images` only (the core refuses chat calls to them)."""

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        return error_info(status, body)


def _split(options: ImageOptions) -> tuple[dict[str, Any], dict[str, Any]]:
    raw = options.provider_options or {}
    own = {k: v for k, v in raw.items() if k in AZURE_OPTION_KEYS}
    return own, {k: v for k, v in raw.items() if k not in AZURE_OPTION_KEYS}


_MAGIC = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
)


def sniff_mime(b64: str, fallback: str | None = None) -> str:
    """The image type from the first bytes of base64 ``b64`` (PNG, JPEG, WebP, GIF)."""
    try:
        head = base64.b64decode(b64[:24] + "=" * (-len(b64[:24]) % 4))
    except ValueError:
        head = b""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return f"image/{fallback}" if fallback else "image/png"


# -- openai-images -----------------------------------------------------------------


def multipart(fields: Mapping[str, Any], images: list[ImageContent]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its content type, for ``/images/edits``.

    One image goes as ``image``, several as ``image[]`` (the form OpenAI documents)."""
    files = [base64.b64decode(img.data) for img in images]
    boundary = "aiwire-" + hashlib.sha256(b"".join(files)).hexdigest()[:32]
    parts: list[bytes] = []
    for name, value in fields.items():
        text = value if isinstance(value, str) else msgspec.json.encode(value).decode()
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{text}\r\n'.encode())
    field = "image" if len(images) == 1 else "image[]"
    for n, (img, data) in enumerate(zip(images, files, strict=True), 1):
        ext = img.mime_type.rpartition("/")[2].replace("jpeg", "jpg")
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="image-{n}.{ext}"\r\n'
            f"Content-Type: {img.mime_type}\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class _ImageData(msgspec.Struct):
    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str | None = None


class _InputDetails(msgspec.Struct):
    text_tokens: int | None = None
    image_tokens: int | None = None
    cached_tokens: int | None = None


class _ImagesUsage(msgspec.Struct):
    input_tokens: int = 0
    output_tokens: int = 0
    input_tokens_details: _InputDetails | None = None


class _ImagesResponse(msgspec.Struct):
    created: int | None = None
    data: list[_ImageData] | None = None
    usage: _ImagesUsage | None = None
    output_format: str | None = None
    size: str | None = None
    quality: str | None = None
    background: str | None = None
    error: Any = None


_decode_images = msgspec.json.Decoder(_ImagesResponse).decode
_B64_BY_DEFAULT = ("gpt-image", "chatgpt-image")


class OpenAIImagesCodec(_ImageOnly):
    """``POST {base_url}/images/generations`` (``/images/edits`` with input images).

    ``response_format: b64_json`` is sent except to the GPT image models, which
    always answer base64 and reject the field; ``compat["response_format"]``
    (``False`` to omit) overrides that for other servers.
    """

    api = "openai-images"
    image_options = frozenset({"size", "count", "quality", "output_format", "background", "provider_options"})

    def build_image_request(
        self, model: Model, context: Context, options: ImageOptions, credentials: Credentials
    ) -> Request:
        compat = resolve_compat(model.provider, model.compat)
        own, extra = _split(options)
        prompt, images = image_prompt(context)
        if not prompt:
            raise BadOptionsError(f"{model.ref} needs a text prompt (the {self.api} api takes no image-only request)")
        url, name = endpoint(model, compat, own, "/images/edits" if images else "/images/generations")
        body: dict[str, Any] = {"model": name, "prompt": prompt}
        wire = {
            "n": options.count,
            "size": options.size,
            "quality": options.quality,
            "output_format": options.output_format,
            "background": options.background,
        }
        body.update({k: v for k, v in wire.items() if v is not None})
        send_format = model.compat.get("response_format", not model.id.startswith(_B64_BY_DEFAULT))
        if send_format:
            body["response_format"] = "b64_json"
        body.update(extra)
        headers = auth_headers(compat, credentials, stream=False)
        if not images:
            return Request(url=url, headers=headers, json=body)
        content, headers["content-type"] = multipart(body, images)
        return Request(url=url, headers=headers, content=content)

    def parse_image_response(self, model: Model, options: ImageOptions, body: bytes) -> ImageResult:
        data = _decode_images(body)
        result = ImageResult(api=model.api, provider=model.provider, model=model.id)
        if data.error is not None:
            info = error_from(data.error)
            result.stop_reason, result.error_message, result.error_type = "error", info.message, info.type
            return result
        fmt = data.output_format or options.output_format
        urls: list[str] = []
        revised: list[str] = []
        for item in data.data or ():
            if item.b64_json:
                result.images.append(ImageContent(data=item.b64_json, mime_type=sniff_mime(item.b64_json, fmt)))
            elif item.url:
                urls.append(item.url)
            if item.revised_prompt:
                revised.append(item.revised_prompt)
        extras: dict[str, Any] = {k: v for k, v in (("revised_prompts", revised), ("urls", urls)) if v}
        extras.update((k, getattr(data, k)) for k in ("size", "quality", "background") if getattr(data, k))
        result.provider_data = extras or None
        if data.usage is not None:
            u = data.usage
            cached = (u.input_tokens_details.cached_tokens if u.input_tokens_details else None) or 0
            result.usage = make_usage(
                model, input=max(0, u.input_tokens - cached), output=u.output_tokens, cache_read=cached
            )
        if not result.images:
            result.stop_reason = "error"
            result.error_message = (
                "the server answered with image URLs, not image data; it ignored response_format=b64_json"
                if urls
                else "the response holds no image"
            )
        return result


# -- openrouter-images ---------------------------------------------------------------

RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
"""Aspect ratios OpenRouter's ``image_config`` documents."""


def aspect_ratio(size: str) -> dict[str, str]:
    """``image_config`` for a ``size``: ``"16:9"`` as given, ``"2K"`` as
    ``image_size``, ``"WxH"`` as the nearest documented aspect ratio."""
    s = size.strip()
    if s.lower() == "auto":
        return {}
    if re.fullmatch(r"\d+(\.\d+)?[kK]", s):
        return {"image_size": s.upper()}
    if re.fullmatch(r"\d+:\d+", s):
        return {"aspect_ratio": s}
    m = re.fullmatch(r"(\d+)\s*[xX]\s*(\d+)", s)
    if not m or not int(m[1]) or not int(m[2]):
        raise BadOptionsError(
            f"size={size!r}: OpenRouter takes WIDTHxHEIGHT, an aspect ratio ({', '.join(RATIOS)}) "
            "or an image size (1K, 2K, 4K)"
        )
    want = math.log(int(m[1]) / int(m[2]))

    def distance(r: str) -> float:
        w, h = r.split(":")
        return abs(math.log(int(w) / int(h)) - want)

    return {"aspect_ratio": min(RATIOS, key=distance)}


class _ImageURL(msgspec.Struct):
    url: str = ""


class _ImagePart(msgspec.Struct):
    image_url: _ImageURL | None = None


class _Message(msgspec.Struct):
    content: Any = None
    images: list[_ImagePart] | None = None
    refusal: str | None = None


class _Choice(msgspec.Struct):
    message: _Message | None = None
    finish_reason: str | None = None
    native_finish_reason: str | None = None
    error: Any = None


class _ChatImages(msgspec.Struct):
    id: str | None = None
    choices: list[_Choice] | None = None
    usage: _Usage | None = None
    error: Any = None


_decode_chat = msgspec.json.Decoder(_ChatImages).decode
_DATA_URL = re.compile(r"data:(?P<mime>[\w/+.-]+);base64,(?P<data>.*)", re.S)
_BLOCKED = frozenset({"content_filter", "safety", "prohibited_content", "image_safety", "blocklist", "spii"})


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


class OpenRouterImagesCodec(_ImageOnly):
    """OpenRouter Chat Completions with ``modalities`` (``POST {base_url}/chat/completions``).

    The whole context goes as chat messages (so earlier turns can steer an
    edit); input images go only to models whose ``input`` includes image.
    ``size`` becomes ``image_config``; ``seed`` is sent as is.
    """

    api = "openrouter-images"
    image_options = frozenset({"size", "seed", "provider_options"})

    def build_image_request(
        self, model: Model, context: Context, options: ImageOptions, credentials: Credentials
    ) -> Request:
        compat = resolve_compat(model.provider, model.compat)
        modalities = ["image", "text"] if "text" in model.output else ["image"]
        body: dict[str, Any] = {
            "model": model.id,
            "messages": chat_messages(model, context, compat),
            "modalities": modalities,
            "stream": False,
        }
        if options.size is not None:
            config = aspect_ratio(options.size)
            if config:
                body["image_config"] = config
        if options.seed is not None:
            body["seed"] = options.seed
        if compat.routing:
            body["provider"] = compat.routing
        body.update(options.provider_options or {})
        headers = auth_headers(compat, credentials, stream=False)
        return Request(url=f"{model.base_url}/chat/completions", headers=headers, json=body)

    def parse_image_response(self, model: Model, options: ImageOptions, body: bytes) -> ImageResult:
        data = _decode_chat(body)
        result = ImageResult(api=model.api, provider=model.provider, model=model.id, id=data.id)
        if data.usage is not None:
            result.usage = _usage(model, data.usage)
        choice = data.choices[0] if data.choices else None
        error = data.error if data.error is not None else choice.error if choice else None
        if error is not None:
            info = error_from(error)
            result.stop_reason, result.error_message, result.error_type = "error", info.message, info.type
            return result
        msg = choice.message if choice else None
        urls: list[str] = []
        for part in (msg.images if msg else None) or ():
            url = part.image_url.url if part.image_url else ""
            m = _DATA_URL.match(url)
            if m:
                result.images.append(ImageContent(data=m["data"], mime_type=m["mime"]))
            elif url:
                urls.append(url)
        result.text = _text(msg.content) if msg else ""
        reason = choice.finish_reason if choice else None
        native = choice.native_finish_reason if choice else None
        data_out = {k: v for k, v in (("finish_reason", reason), ("native_finish_reason", native), ("urls", urls)) if v}
        result.provider_data = data_out or None
        refusal = msg.refusal if msg else None
        blocked = reason in _BLOCKED or (native or "").lower() in _BLOCKED
        if refusal or blocked or not result.images:
            why = refusal or result.text.strip() or f"finish reason {native or reason or 'unknown'}"
            kind = "blocked by the provider's safety system" if blocked else "the model returned no image"
            result.stop_reason, result.error_message = "error", f"{kind}: {why}"
            result.error_type = native or reason if blocked else "no_image"
        return result


def _usage(model: Model, u: _Usage) -> Usage | None:
    # The chat decoder already knows OpenRouter's usage (cache split, reported cost).
    dec = ChatDecoder(model, None, resolve_compat(model.provider, model.compat))
    dec.usage(u)
    return dec.message.usage
