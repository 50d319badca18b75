"""What a Messages request made with a Claude subscription token needs.

The token goes in ``Authorization: Bearer`` (never ``x-api-key``), the
``oauth-2025-04-20`` and ``claude-code-20250219`` betas are added to whatever
the codec asked for, the client identifies as Claude Code, and the first
system block must be Claude Code's identity line (the api refuses
subscription tokens otherwise).
"""

from __future__ import annotations

from typing import Any

from aiwire.plugin import Request, env_override

from . import MARKER

__all__ = ["IDENTITY", "rewrite"]

IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."
BETAS = ("claude-code-20250219", "oauth-2025-04-20")
USER_AGENT = "claude-cli/2.1.75 (external, cli)"


def _pop(headers: dict[str, str], name: str) -> str | None:
    found = None
    for key in [k for k in headers if k.lower() == name]:
        found = headers.pop(key)
    return found


def rewrite(request: Request) -> None:
    h = request.headers
    _pop(h, MARKER)
    _pop(h, "x-api-key")
    betas = [b.strip() for b in (_pop(h, "anthropic-beta") or "").split(",") if b.strip()]
    h["anthropic-beta"] = ",".join([*BETAS, *(b for b in betas if b not in BETAS)])
    _pop(h, "user-agent")
    h["user-agent"] = env_override("anthropic", "user_agent", USER_AGENT)
    h["x-app"] = "cli"
    if isinstance(request.json, dict):
        request.json["system"] = with_identity(request.json.get("system"))


def with_identity(system: Any) -> list[dict[str, Any]]:
    """``system`` (absent, a string or blocks) with the identity block first."""
    first = {"type": "text", "text": IDENTITY}
    if not system:
        return [first]
    if isinstance(system, str):
        return [first, {"type": "text", "text": system}]
    blocks = list(system)
    if blocks and isinstance(blocks[0], dict) and blocks[0].get("text") == IDENTITY:
        return blocks
    return [first, *blocks]
