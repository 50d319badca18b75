"""The per-request Copilot headers, whichever wire api the model uses.

``X-Initiator`` tells Copilot whether the user or the agent started this
turn (premium requests are counted for user turns only) and
``Copilot-Vision-Request`` is sent when images are: both depend on the
request body, so they are set here. Everything that does not is declared by
the login's credentials (the token, sent as a bearer by every codec for
``kind="oauth"``; the editor headers; ``Openai-Intent``).
"""

from __future__ import annotations

from typing import Any

from aiwire.plugin import Request

__all__ = ["initiator", "rewrite"]


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


def rewrite(request: Request) -> None:
    h = request.headers  # case-insensitive: replaces any spelling already there
    h["x-initiator"] = initiator(request.json)
    if _has_image(request.json):
        h["copilot-vision-request"] = "true"
