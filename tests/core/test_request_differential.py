"""Request bodies against the vendors' own request definitions (the official
SDKs' request types, validated by pydantic; see ``tests/_request_specs.py``).

Every body the whole suite builds is checked at the end of each run
(``tests/_request_capture.py``); this module adds a matrix of rich
conversations and options over each api's models, so that the check covers
every feature even when run alone, and proves the checker finds what it must.
"""

from __future__ import annotations

import re
from itertools import product
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("anthropic", reason="the request differential needs the vendor SDKs (requirements-dev.txt)")
pytest.importorskip("openai", reason="the request differential needs the vendor SDKs (requirements-dev.txt)")
pytest.importorskip("google.genai", reason="the request differential needs the vendor SDKs (requirements-dev.txt)")

from _request_specs import EXCEPTIONS, problems

import aiwire
from aiwire._engine.call import prepare
from aiwire._plugins.registry import get_registry
from aiwire.plugin import CODEC_OPTIONS
from aiwire.types import (
    AssistantMessage,
    Context,
    ImageContent,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)

ROOT = Path(__file__).resolve().parents[2]
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

MODELS = {
    "anthropic/claude-sonnet-4-5": "anthropic-messages",  # budget thinking
    "anthropic/claude-opus-4-6": "anthropic-messages",  # adaptive thinking
    "openai/gpt-5": "openai-responses",
    "openai/gpt-4.1": "openai-responses",
    "groq/llama-3.3-70b-versatile": "openai-completions",
    "deepseek/deepseek-reasoner": "openai-completions",
    "google/gemini-2.5-pro": "google-generative-ai",
    "google/gemini-3-flash-preview": "google-generative-ai",
}
OPTIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "reasoning-high": {"reasoning": "high", "max_tokens": 20_000},
    "reasoning-off": {"reasoning": "off"},
    "tool-required": {"tool_choice": "required"},
    "tool-named": {"tool_choice": "lookup"},
    "tool-none": {"tool_choice": "none"},
    "sampling": {"temperature": 0.2, "stop": ["END"], "max_tokens": 300},
    "long-cache": {"cache_retention": "long", "session_id": "s-1"},
}
TOOLS = [
    Tool(
        name="lookup",
        description="Look a word up.",
        parameters={
            "type": "object",
            "properties": {"word": {"type": "string"}, "limit": {"type": "integer", "minimum": 1}},
            "required": ["word"],
        },
    ),
    Tool(name="clock", description="The time.", parameters={"type": "object", "properties": {}}),
]


def conversation(model: aiwire.Model) -> Context:
    """System prompt, text and image input, a previous turn with thinking, text
    and a tool call from this very model, its tool result with an image, and a
    follow-up."""
    same = {"api": model.api, "provider": model.provider, "model": model.id}
    previous = AssistantMessage(
        content=[
            ThinkingContent(thinking="I should look it up.", signature="c2lnbmF0dXJl"),
            TextContent(text="Let me check."),
            ToolCall(id="call_1", name="lookup", arguments={"word": "wire"}),
        ],
        stop_reason="tool_use",
        **same,
    )
    return Context(
        system_prompt="Answer briefly.",
        messages=[
            UserMessage(
                content=[TextContent(text="What is this word?"), ImageContent(data=PNG, mime_type="image/png")]
            ),
            previous,
            ToolResultMessage(
                tool_call_id="call_1",
                tool_name="lookup",
                content=[TextContent(text="a thin metal thread"), ImageContent(data=PNG, mime_type="image/png")],
            ),
            UserMessage(content="Thanks. And the time?"),
        ],
        tools=list(TOOLS),
    )


@pytest.mark.parametrize(("ref", "options", "stream"), list(product(MODELS, OPTIONS, (True, False))))
def test_every_api_builds_bodies_its_vendor_defines(ref: str, options: str, stream: bool) -> None:
    model = aiwire.get_model(ref)
    assert model.api == MODELS[ref]
    supported = get_registry().codec(model.api).supported_options  # others raise before any request, by design
    chosen = {k: v for k, v in OPTIONS[options].items() if k not in CODEC_OPTIONS or k in supported}
    call = prepare(model, conversation(model), {"api_key": "k", **chosen}, kind="stream" if stream else "complete")
    body = call.request.json
    assert problems(model.api, body, model.provider) == []


@pytest.mark.parametrize(
    ("api", "body", "expected"),
    [
        ("anthropic-messages", {"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "q"}],
                                "thinking_budget": 5}, "thinking_budget: Extra inputs"),
        ("anthropic-messages", {"model": "m", "max_tokens": "1", "messages": [{"role": "user", "content": "q"}]},
         "max_tokens: Input should be a valid integer"),
        ("anthropic-messages", {"model": "m", "max_tokens": 1, "messages": [
            {"role": "user", "content": [{"type": "text", "text": "q", "cache": True}]}]}, "messages.0.content.0.cache"),
        ("openai-completions", {"model": "m", "messages": [{"role": "tool", "content": "x"}]},
         "messages.0.tool_call_id: Field required"),
        ("openai-completions", {"model": "m", "messages": [{"role": "user", "content": "q"}], "max_token": 3},
         "max_token: Extra inputs"),
        ("openai-responses", {"model": "m", "input": [{"type": "function_call_output", "call_id": 5, "output": "x"}]},
         "input.0.call_id: Input should be a valid string"),
        ("openai-responses", {"model": "m", "input": "q", "reasoning": {"effort": "hard"}}, "reasoning.effort"),
        ("google-generative-ai", {"contents": [{"role": "user", "parts": [{"txt": "q"}]}]}, "contents.0.parts.0.txt"),
        ("google-generative-ai", {"contents": [], "generationConfig": {"maxOutputTokens": "many"}},
         "generationConfig.maxOutputTokens"),
        ("google-gemini-cli", {"project": "p", "request": {"contents": [], "toolConfig": {"mode": "ANY"}}},
         "toolConfig.mode"),
        ("openai-images", {"model": "gpt-image-1", "prompt": "a cat", "size": 512}, "size"),
    ],
)  # fmt: skip
def test_the_checker_reports_unknown_and_mistyped_fields(api: str, body: dict[str, Any], expected: str) -> None:
    found = problems(api, body)
    assert any(line.startswith(expected) for line in found), found


def test_a_passed_through_field_is_the_callers() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "q"}], "vendor_flag": 1}
    assert problems("openai-completions", body) == ["vendor_flag: Extra inputs are not permitted (extra)"]
    assert problems("openai-completions", body, passed_through=frozenset({"vendor_flag"})) == []


def test_every_exception_is_listed_in_the_testing_docs() -> None:
    text = (ROOT / "docs" / "testing.md").read_text()
    section = text[text.index("### Request bodies against the vendors' definitions") :]
    rows = re.findall(r"^\| `([^`]+)` \| `([^`]+)` \| `([^`]+)` \|", section, re.M)
    listed = {(api, provider, pattern.replace("\\|", "|")) for api, provider, pattern in rows}
    assert listed == {(api, provider, pattern) for api, provider, pattern, _ in EXCEPTIONS}
