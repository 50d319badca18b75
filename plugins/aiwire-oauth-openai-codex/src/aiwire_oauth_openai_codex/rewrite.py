"""Adjust a Responses request for the Codex subscription endpoint.

The endpoint keeps nothing server-side (``store`` must be false, so
reasoning is carried as encrypted content), always streams, insists on an
``instructions`` field, and refuses ``max_output_tokens``.
"""

from __future__ import annotations

from typing import Any

from aiwire.plugin import Request

__all__ = ["rewrite"]


def _instructions_from_input(body: dict[str, Any]) -> str:
    items = body.get("input")
    if not isinstance(items, list):
        return ""
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("role") in ("system", "developer"):
            content = item.get("content")
            if isinstance(content, str):
                text = content
            elif isinstance(content, list):
                text = "\n".join(c.get("text", "") for c in content if isinstance(c, dict))
            else:
                continue
            del items[i]
            return text
    return ""


def rewrite(request: Request) -> None:
    for key in [k for k in request.headers if k.lower() == "accept"]:
        del request.headers[key]
    request.headers["accept"] = "text/event-stream"
    body = request.json
    if not isinstance(body, dict):
        return
    body["store"] = False
    body["stream"] = True
    body.pop("max_output_tokens", None)
    if not body.get("instructions"):
        body["instructions"] = _instructions_from_input(body)
    include = body.get("include")
    include = list(include) if isinstance(include, list) else []
    if "reasoning.encrypted_content" not in include:
        include.append("reasoning.encrypted_content")
    body["include"] = include
