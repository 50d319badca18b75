"""Pieces both codecs share: auth and URLs, reasoning levels, ids, images, errors."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

import msgspec

from aiwire.errors import BadOptionsError
from aiwire.plugin import Credentials, ErrorInfo, Options, normalize_tool_call_id
from aiwire.types import Cost, ImageContent, Model, TextContent, Usage, UserContent

from .compat import Compat, resolve_compat

__all__ = [
    "Target",
    "auth_headers",
    "data_url",
    "effort",
    "endpoint",
    "error_info",
    "split_provider_options",
    "target",
    "text_of",
    "tool_id",
]

AZURE_OPTION_KEYS = frozenset({"azure_deployment", "azure_api_version", "azure_resource", "azure_base_url"})


def split_provider_options(options: Options) -> tuple[dict[str, Any], dict[str, Any]]:
    """``provider_options`` split into codec settings (``azure_*``) and body fields."""
    raw = options.provider_options or {}
    if not raw:
        return {}, {}
    own = {k: v for k, v in raw.items() if k in AZURE_OPTION_KEYS}
    body = {k: v for k, v in raw.items() if k not in AZURE_OPTION_KEYS}
    return own, body


def _deployment_map() -> dict[str, str]:
    raw = os.environ.get("AZURE_OPENAI_DEPLOYMENT_NAME_MAP", "")
    out = {}
    for pair in raw.split(","):
        name, sep, dep = pair.partition("=")
        if sep and name.strip() and dep.strip():
            out[name.strip()] = dep.strip()
    return out


def endpoint(model: Model, compat: Compat, own: Mapping[str, Any], path: str) -> tuple[str, str]:
    """``(url, model name for the body)``; for Azure, the deployment and api-version."""
    if not compat.azure:
        return f"{model.base_url}{path}", model.id
    base = own.get("azure_base_url") or model.base_url  # the core applied AZURE_OPENAI_BASE_URL
    if "{resource}" in base:
        resource = own.get("azure_resource") or os.environ.get("AZURE_OPENAI_RESOURCE_NAME")
        if not resource:
            raise BadOptionsError(
                "azure needs a resource: set AZURE_OPENAI_RESOURCE_NAME or AZURE_OPENAI_BASE_URL, "
                "or pass provider_options={'azure_resource': ...}"
            )
        base = base.replace("{resource}", resource)
    base = base.rstrip("/")
    deployment = own.get("azure_deployment") or compat.deployment or _deployment_map().get(model.id) or model.id
    version = own.get("azure_api_version") or compat.api_version or os.environ.get("AZURE_OPENAI_API_VERSION")
    url = f"{base}{path}"
    if version and version != "v1":
        if "/deployments/" not in base and not base.endswith("/v1"):
            # The classic data-plane API names the deployment in the path.
            url = f"{base}/deployments/{deployment}{path}"
        url += f"?api-version={version}"
    return url, deployment


class Target(NamedTuple):
    """Where and how one request goes: the resolved compat, URL, body model
    name, headers, and the ``provider_options`` left for the body."""

    compat: Compat
    url: str
    model_name: str
    headers: dict[str, str]
    extra: dict[str, Any]


def target(model: Model, options: Options, credentials: Credentials, path: str, *, stream: bool) -> Target:
    compat = resolve_compat(model.provider, model.compat)
    own, extra = split_provider_options(options)
    url, name = endpoint(model, compat, own, path)
    return Target(compat, url, name, auth_headers(compat, credentials, stream=stream), extra)


def auth_headers(compat: Compat, credentials: Credentials, *, stream: bool) -> dict[str, str]:
    headers = {"content-type": "application/json"}
    if stream:
        headers["accept"] = "text/event-stream"
    key = credentials.api_key
    if key:
        if compat.azure and credentials.kind == "api_key":
            headers["api-key"] = key
        else:
            headers["authorization"] = f"Bearer {key}"
    return headers


_LEVELS = ("minimal", "low", "medium", "high", "xhigh")


def effort(options: Options, compat: Compat) -> str | None:
    """The effort string to send, or ``None`` when nothing should be sent.

    ``off`` sends nothing unless ``reasoning_effort_map`` names a value for it
    (``{"off": "none"}``), because which "off" value a model accepts varies.
    """
    level = options.reasoning
    if level is None:
        return None
    mapped = compat.reasoning_effort_map.get(level)
    if mapped is not None:
        return mapped
    return None if level == "off" else level


def data_url(image: ImageContent) -> str:
    return f"data:{image.mime_type};base64,{image.data}"


def text_of(content: str | list[UserContent]) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(b.text for b in content if isinstance(b, TextContent))


_ALNUM = r"^[A-Za-z0-9]{9}$"
_B62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def tool_id(id: str, compat: Compat) -> str:
    """A tool-call id in the shape the host accepts (stable, collision-resistant)."""
    if compat.tool_id_style == "mistral":
        if re.match(_ALNUM, id):
            return id
        import hashlib  # only for Mistral's ids, and slow to import

        n = int.from_bytes(hashlib.sha256(id.encode()).digest()[:8], "big")
        out = []
        for _ in range(9):
            n, r = divmod(n, 62)
            out.append(_B62[r])
        return "".join(out)
    return normalize_tool_call_id(id, max_len=40)


def error_info(status: int, body: bytes) -> ErrorInfo:
    """``{"error": {...}}`` bodies, plus OpenRouter's upstream ``metadata.raw``."""
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        text = body.decode("utf-8", "replace").strip()
        return ErrorInfo(text[:2000] or f"HTTP {status} with an empty body")
    return error_from(data, status)


def error_from(data: Any, status: int | None = None) -> ErrorInfo:
    if isinstance(data, list) and data:
        data = data[0]
    err = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(err, str):
        return ErrorInfo(err)
    if not isinstance(err, dict):
        return ErrorInfo(f"HTTP {status}" if status else "the provider reported an error")
    message = str(err.get("message") or err.get("detail") or msgspec.json.encode(err).decode())
    meta = err.get("metadata")
    if isinstance(meta, dict) and meta.get("raw"):
        message = f"{message}: {meta['raw']}"
    typ = err.get("type") or err.get("code")
    return ErrorInfo(message[:4000], str(typ) if typ is not None else None)


def price_tier(usage: Usage | None, tier: str | None, compat: Compat) -> None:
    """Scale the catalog cost by the service tier the response ran in."""
    factor = compat.service_tiers.get(tier or "")
    if usage is None or factor is None or factor == 1:
        return
    c = usage.cost
    usage.cost = Cost(
        input=c.input * factor,
        output=c.output * factor,
        cache_read=c.cache_read * factor,
        cache_write=c.cache_write * factor,
        total=c.total * factor,
    )
