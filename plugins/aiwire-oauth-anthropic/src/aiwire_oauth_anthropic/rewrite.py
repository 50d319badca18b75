"""What a Messages request made with a Claude subscription token needs.

Declared by the login's credentials (see :meth:`AnthropicFlow.to_credentials`):
the token goes in ``Authorization: Bearer`` (the codec does that for
``kind="oauth"``, with the ``oauth-2025-04-20`` beta), the
``claude-code-20250219`` beta is added to whatever the codec asked for, and
the client identifies as Claude Code. Edited here, because it is body
content: the first system block must be Claude Code's identity line (the api
refuses subscription tokens otherwise), and tools named like Claude Code's
own tools in another case are sent in Claude Code's casing (``read`` ->
``Read``). The core gives tool calls the caller's spelling back: it matches
a call's name to the context's tools without regard to case.
"""

from __future__ import annotations

from typing import Any

from aiwire.plugin import Request

__all__ = ["BETAS", "CLAUDE_CODE_TOOLS", "IDENTITY", "USER_AGENT", "claude_code_name", "rewrite", "with_identity"]

IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude."
BETAS = ("claude-code-20250219",)
USER_AGENT = "claude-cli/2.1.75 (external, cli)"
# Claude Code's built-in tool names, in its casing.
CLAUDE_CODE_TOOLS = {
    name.lower(): name
    for name in (
        "Read", "Write", "Edit", "Bash", "Grep", "Glob", "AskUserQuestion", "EnterPlanMode", "ExitPlanMode",
        "KillShell", "NotebookEdit", "Skill", "Task", "TaskOutput", "TodoWrite", "WebFetch", "WebSearch",
    )
}  # fmt: skip


def claude_code_name(name: str) -> str:
    """``name`` in Claude Code's casing if it is one of its tools, else unchanged."""
    return CLAUDE_CODE_TOOLS.get(name.lower(), name)


def rewrite(request: Request) -> None:
    body = request.json
    if not isinstance(body, dict):
        return
    body["system"] = with_identity(body.get("system"))
    for tool in body.get("tools") or ():
        if isinstance(tool, dict) and isinstance(tool.get("name"), str) and "type" not in tool:
            tool["name"] = claude_code_name(tool["name"])  # custom tools only: server tools keep their names
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "tool" and isinstance(choice.get("name"), str):
        choice["name"] = claude_code_name(choice["name"])
    for message in body.get("messages") or ():
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            for block in content:
                if isinstance(block, dict) and block.get("type") == "tool_use" and isinstance(block.get("name"), str):
                    block["name"] = claude_code_name(block["name"])


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
