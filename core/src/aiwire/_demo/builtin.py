"""Core's own plugin: the ``faux`` api and the offline ``demo`` provider.

The demo model answers without any network: it streams thinking, text and,
when the prompt asks for arithmetic and a ``calculate`` tool is offered, a
tool call. The demo image model draws a shape as a real PNG. Both always
say what they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiwire._plugins.hooks import InstallHint, ProviderSpec, hookimpl
from aiwire.types import Model, ModelCost, TextContent, ThinkingContent, ToolCall, Usage

AIWIRE_PLUGIN_API = 2

DEMO_NOTICE = (
    "[offline demo model: no provider was called and no API key was used. "
    "Set ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY and pass -m provider/model to use a real one.]"
)

_WORDS = {
    "plus": "+",
    "minus": "-",
    "times": "*",
    "multiplied by": "*",
    "divided by": "/",
    "over": "/",
    "x": "*",
}
_EXPR = r"[-+*/().\d\s]*\d[-+*/().\d\s]*[-+*/][-+*/().\d\s]*\d[-+*/().\d\s]*"


def find_expression(text: str) -> str | None:
    """An arithmetic expression in ``text`` ("6 times 7" -> "6 * 7"), if any."""
    t = text.lower()
    for word, op in _WORDS.items():
        t = re.sub(rf"(?<=\d)\s*\b{word}\b\s*(?=\d)", f" {op} ", t)
    m = re.search(_EXPR, t)
    return " ".join(m.group(0).split()) if m else None


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)


def demo_responder(request: Mapping[str, Any]) -> Any:
    from aiwire._demo.faux import FauxReply

    if request.get("kind") == "embeddings":
        inputs = request.get("inputs", [])
        return FauxReply(usage=Usage(input=sum(_tokens(t) for t in inputs)))
    if request.get("kind") == "images":
        from aiwire._demo.image import demo_image_reply

        return demo_image_reply(request)
    ctx = request.get("context", {})
    messages = ctx.get("messages", [])
    tools = {t["name"] for t in ctx.get("tools", [])}
    last: dict[str, Any] = messages[-1] if messages else {"role": "user", "content": ""}
    prompt_tokens = sum(_tokens(str(m.get("content", ""))) for m in messages)
    content: list[Any]
    if last.get("role") == "tool_result":
        result = " ".join(c.get("text", "") for c in last.get("content", []) if c.get("type") == "text")
        content = [
            ThinkingContent(thinking=f"The {last.get('tool_name')} tool answered {result!r}; I can reply now."),
            TextContent(text=f"The {last.get('tool_name')} tool says: {result}. {DEMO_NOTICE}"),
        ]
    else:
        raw = last.get("content", "")
        text = raw if isinstance(raw, str) else " ".join(c.get("text", "") for c in raw if c.get("type") == "text")
        expr = find_expression(text)
        if expr and "calculate" in tools:
            content = [
                ThinkingContent(
                    thinking=f"The user asks for arithmetic: {expr}. The calculate tool will do it exactly."
                ),
                TextContent(text="Let me work that out with the calculator tool."),
                ToolCall(id=f"demo_call_{len(messages)}", name="calculate", arguments={"expression": expr}),
            ]
        else:
            content = [
                ThinkingContent(thinking="No real model is configured, so I explain how to set one up."),
                TextContent(
                    text=f"You said: {text.strip()[:200]!r}. This answer comes from aiwire's offline demo, which "
                    f"streams thinking, text and tool calls like a real model (ask it 'what is 6 times 7?' to see a "
                    f"tool call). {DEMO_NOTICE}"
                ),
            ]
    out_tokens = sum(
        _tokens(b.text if isinstance(b, TextContent) else b.thinking if isinstance(b, ThinkingContent) else b.name)
        for b in content
    )
    return FauxReply(content=content, usage=Usage(input=prompt_tokens, output=out_tokens), chunk_size=6, delay=0.004)


def _demo_transport() -> Any:
    from aiwire._demo.faux import FauxTransport

    return FauxTransport(demo_responder)


class _LazyTransport:
    """Builds the demo transport on first use so discovery imports no httpx."""

    def __init__(self) -> None:
        self._t: Any = None

    def _get(self) -> Any:
        if self._t is None:
            self._t = _demo_transport()
        return self._t

    async def handle_async_request(self, request: Any) -> Any:
        return await self._get().handle_async_request(request)

    def handle_request(self, request: Any) -> Any:
        return self._get().handle_request(request)

    async def aclose(self) -> None:
        pass

    def close(self) -> None:
        pass


DEMO_MODEL = Model(
    id="aiwire-demo",
    name="aiwire offline demo",
    provider="demo",
    api="faux",
    base_url="http://demo.aiwire.invalid",
    reasoning=True,
    input=("text", "image"),
    cost=ModelCost(),
    context_window=100_000,
    max_tokens=4096,
)

DEMO_IMAGE_MODEL = Model(
    id="aiwire-demo-image",
    name="aiwire offline demo (images)",
    provider="demo",
    api="faux",
    base_url=DEMO_MODEL.base_url,
    input=("text", "image"),
    output=("text", "image"),
)


DEMO_EMBED_MODEL = Model(
    id="aiwire-demo-embed",
    name="aiwire offline demo (embeddings)",
    provider="demo",
    api="faux",
    base_url=DEMO_MODEL.base_url,
    output=("embedding",),
    context_window=512,
    compat={"dimensions": 64, "max_batch": 16},
)


@hookimpl
def register_apis(register: Any) -> None:
    register("faux", "aiwire._demo.faux:FauxCodec")


@hookimpl
def register_providers(register: Any) -> None:
    register(
        ProviderSpec(
            id="demo",
            name="aiwire offline demo",
            api="faux",
            base_url=DEMO_MODEL.base_url,
            auth="none",
            transport=_LazyTransport(),
            docs="Answers locally without a network; shows streaming, thinking and a tool call.",
        )
    )


@hookimpl
def register_models(register: Any) -> None:
    register([DEMO_MODEL, DEMO_IMAGE_MODEL, DEMO_EMBED_MODEL])


# aiwire's own family of plugins, declared like any plugin declares hints, so
# that "unknown provider" errors and `aiwire chat` name the package to install
# for a provider (or a key variable) whose plugin is not installed.
_OPENAI_HOSTS = ("azure", "groq", "openrouter", "deepseek", "xai", "mistral", "cerebras", "together", "fireworks")
_OPENAI_MORE = ("vercel-ai-gateway", "zai", "minimax", "minimax-cn", "moonshotai", "opencode")
FIRST_PARTY = (
    InstallHint(
        package="aiwire-anthropic", providers=("anthropic",), apis=("anthropic-messages",), env=("ANTHROPIC_API_KEY",)
    ),
    InstallHint(
        package="aiwire-openai",
        providers=("openai", *_OPENAI_HOSTS, *_OPENAI_MORE, "huggingface", "ollama", "vllm", "llamacpp", "lmstudio"),
        apis=("openai-completions", "openai-responses", "openai-images", "openrouter-images", "openai-embeddings"),
        env=(
            "OPENAI_API_KEY",
            "AZURE_OPENAI_API_KEY",
            "GROQ_API_KEY",
            "OPENROUTER_API_KEY",
            "DEEPSEEK_API_KEY",
            "XAI_API_KEY",
            "MISTRAL_API_KEY",
            "CEREBRAS_API_KEY",
            "TOGETHER_API_KEY",
            "FIREWORKS_API_KEY",
            "AI_GATEWAY_API_KEY",
            "ZAI_API_KEY",
            "MINIMAX_API_KEY",
            "MOONSHOT_API_KEY",
            "OPENCODE_API_KEY",
        ),
    ),
    InstallHint(
        package="aiwire-bedrock",
        providers=("amazon-bedrock",),
        apis=("bedrock-converse", "bedrock-embeddings", "bedrock-anthropic"),
        env=("AWS_BEARER_TOKEN_BEDROCK",),
    ),
    InstallHint(
        package="aiwire-google",
        providers=("google", "google-vertex", "google-vertex-anthropic"),
        apis=("google-generative-ai", "google-embeddings", "vertex-anthropic"),
        env=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    ),
    InstallHint(
        package="aiwire-cohere", providers=("cohere",), apis=("cohere-embed",), env=("CO_API_KEY", "COHERE_API_KEY")
    ),
    InstallHint(package="aiwire-voyage", providers=("voyage",), apis=("voyage-embeddings",), env=("VOYAGE_API_KEY",)),
    InstallHint(package="aiwire-oauth-github-copilot", providers=("github-copilot",)),
    InstallHint(package="aiwire-oauth-openai-codex", providers=("openai-codex",)),
    InstallHint(package="aiwire-oauth-google", providers=("google-gemini-cli",)),
)


@hookimpl
def register_install_hints(register: Any) -> None:
    for hint in FIRST_PARTY:
        register(hint)
