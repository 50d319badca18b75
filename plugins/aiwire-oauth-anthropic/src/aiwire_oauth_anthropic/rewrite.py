"""What a Messages request made with a Claude subscription token needs.

Declared by the login's credentials (see :meth:`AnthropicFlow.to_credentials`):
the token goes in ``Authorization: Bearer`` (the codec does that for
``kind="oauth"``, with the ``oauth-2025-04-20`` beta), the
``claude-code-20250219`` beta is added to whatever the codec asked for, and
the client identifies as Claude Code. Edited here, because it is body
content: the first system block must be Claude Code's identity line (the api
refuses subscription tokens otherwise).
"""

from __future__ import annotations

from typing import Any

from aiwire.plugin import Request

__all__ = ["BETAS", "IDENTITY", "USER_AGENT", "rewrite", "with_identity"]

IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."
BETAS = ("claude-code-20250219",)
USER_AGENT = "claude-cli/2.1.75 (external, cli)"


def rewrite(request: Request) -> None:
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
