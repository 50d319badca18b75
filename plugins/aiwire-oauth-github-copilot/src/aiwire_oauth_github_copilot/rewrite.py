"""Per-request Copilot headers, whichever wire api the model uses.

``X-Initiator`` tells Copilot whether the user or the agent started this
turn (premium requests are counted for user turns only); ``Openai-Intent``
and ``Copilot-Vision-Request`` (when images are sent) are what the editor
sends. Copilot's Anthropic route rejects the fine-grained tool streaming
beta, and takes the token as a bearer, never ``x-api-key``.
"""

from __future__ import annotations

from typing import Any

from aiwire.plugin import Request
from aiwire.types import Model

__all__ = ["initiator", "rewrite"]

_NO_BETA = "fine-grained-tool-streaming-2025-05-14"


def _items(body: dict[str, Any]) -> list[Any]:
    for key in ("messages", "input"):
        items = body.get(key)
        if isinstance(items, list):
            return items
    return []


def initiator(body: Any) -> str:
    """``user`` when the last message is the user's own words, else ``agent``."""
    if not isinstance(body, dict):
        return "user"
    items = _items(body)
    if not items or not isinstance(items[-1], dict):
        return "user"
    last = items[-1]
    role = last.get("role")
    if role in ("tool", "assistant") or last.get("type") in ("function_call_output", "function_call"):
        return "agent"
    content = last.get("content")
    if (
        role == "user"
        and isinstance(content, list)
        and any(isinstance(c, dict) and c.get("type") == "tool_result" for c in content)
    ):
        return "agent"  # Anthropic sends tool results as user messages
    return "user" if role == "user" else "agent"


def _has_image(body: Any) -> bool:
    for item in _items(body) if isinstance(body, dict) else []:
        content = item.get("content") if isinstance(item, dict) else None
        if isinstance(content, list):
            for c in content:
                if isinstance(c, dict) and c.get("type") in ("image", "image_url", "input_image"):
                    return True
    return False


def rewrite(model: Model, request: Request) -> None:
    h = request.headers
    for key in [k for k in h if k.lower() in ("x-api-key", "x-initiator", "openai-intent")]:
        del h[key]
    h["X-Initiator"] = initiator(request.json)
    h["Openai-Intent"] = "conversation-edits"
    if _has_image(request.json):
        h["Copilot-Vision-Request"] = "true"
    if model.api == "anthropic-messages":
        for key in [k for k in h if k.lower() == "anthropic-beta"]:
            kept = [b.strip() for b in h[key].split(",") if b.strip() and b.strip() != _NO_BETA]
            if kept:
                h[key] = ",".join(kept)
            else:
                del h[key]
