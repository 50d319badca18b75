"""Compat flags: what differs on the wire between OpenAI-compatible hosts.

Quirks are data, not code paths. Each provider row in
:mod:`aiwire_openai.providers` sets its defaults in ``ProviderSpec.compat``;
a model overrides any of them in ``Model.compat`` (for example
``aiwire.custom_model("m", provider="vllm", compat={"max_tokens_field": "max_completion_tokens"})``).
The defaults below are the conservative choice for an unknown compatible
server; the ``openai`` row switches on what only OpenAI accepts.

Every field says what it changes on the wire; ``docs/providers/openai.md`` and the
plugin README carry the same table.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = ["Compat", "resolve_compat"]

ReasoningFormat = Literal["openai", "openrouter", "thinking_type", "enable_thinking", "chat_template", "none"]


class Compat(msgspec.Struct, frozen=True, kw_only=True):
    """Per-host switches read by both codecs (unknown keys are ignored)."""

    developer_role: bool = False
    """Send the system prompt as ``role: "developer"`` for reasoning models
    (otherwise always ``role: "system"``)."""

    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    """Which body field carries ``max_tokens`` on Chat Completions."""

    store: bool = False
    """Send ``"store": false`` (hosts without stored completions reject the field)."""

    usage_in_stream: bool = True
    """Send ``stream_options: {"include_usage": true}`` so the last chunk carries usage."""

    strict_tools: bool = False
    """Add ``"strict": false`` to every function tool (only hosts that know the field)."""

    reasoning_format: ReasoningFormat = "openai"
    """How ``reasoning=`` is sent on Chat Completions: ``openai`` ->
    ``reasoning_effort``; ``openrouter`` -> ``reasoning: {"effort"}`` (or
    ``{"enabled": false}``); ``thinking_type`` -> ``thinking: {"type":
    "enabled"|"disabled"}`` plus ``reasoning_effort`` (DeepSeek, z.ai);
    ``enable_thinking`` -> top-level
    ``enable_thinking: bool`` (Qwen, z.ai); ``chat_template`` ->
    ``chat_template_kwargs: {"enable_thinking": bool}`` (vLLM, llama.cpp with
    Qwen-style templates); ``none`` -> nothing (the model decides)."""

    reasoning_effort_map: dict[str, str] = msgspec.field(default_factory=dict)
    """Rename effort levels before sending (``{"minimal": "low"}``...)."""

    thinking_replay: Literal["field", "text", "drop"] = "field"
    """How earlier thinking of the same model goes back on Chat Completions:
    ``field`` -> in the delta field the host streamed it in
    (``reasoning_content``, ``reasoning``; OpenRouter's ``reasoning_details``
    verbatim); ``text`` -> as plain text before the answer; ``drop`` -> not
    at all (hosts that reject the field)."""

    thinking_field: str | None = None
    """Always send this field (``reasoning_content``) on assistant messages
    with tool calls, empty when nothing was streamed: DeepSeek's thinking
    mode answers 400 when it is missing."""

    tool_result_name: bool = False
    """Add ``name`` (the tool name) to ``role: "tool"`` messages."""

    assistant_after_tool_result: bool = False
    """Insert an assistant turn between a tool result and a following user
    message (hosts that reject user right after tool)."""

    tool_id_style: Literal["default", "mistral"] = "default"
    """Tool-call ids sent back: ``default`` -> ``[A-Za-z0-9_-]{1,40}``;
    ``mistral`` -> exactly 9 letters or digits."""

    prompt_cache_key: bool = False
    """Send ``prompt_cache_key`` = ``session_id`` (OpenAI prompt caching)."""

    session_header: str | None = None
    """Send ``session_id`` as this request header (Mistral's ``x-affinity``:
    a conversation's requests reach the same server and reuse its cache)."""

    routing: dict[str, Any] | None = None
    """OpenRouter provider routing, sent as the body field ``provider``
    (``{"order": [...], "allow_fallbacks": false}``...)."""

    service_tiers: dict[str, float] = msgspec.field(default_factory=dict)
    """Price multipliers per service tier (``{"flex": 0.5, "priority": 2.0}``):
    when the response names the tier it ran in (``service_tier``, asked for
    with ``provider_options={"service_tier": ...}``), the catalog cost of
    the turn is multiplied by that tier's factor."""

    reported_cost: bool = False
    """Use the cost the host reports in ``usage.cost`` (OpenRouter) as the
    call's cost instead of catalog prices."""

    reasoning_summary: str | None = "auto"
    """Responses: ``reasoning.summary`` sent with an effort (``auto``,
    ``concise``, ``detailed``; ``None`` to omit)."""

    encrypted_reasoning: bool | Literal["always"] = True
    """Responses: ask for ``include: ["reasoning.encrypted_content"]`` so
    reasoning can be replayed statelessly with ``store: false``: ``True`` ->
    for reasoning models; ``"always"`` -> on every request (hosts that keep
    nothing server-side, such as the Codex backend); ``False`` -> never."""

    require_instructions: bool = False
    """Responses: always send ``instructions`` (the system prompt, or ``""``
    without one); for hosts that refuse a request without the field."""

    azure: bool = False
    """Azure OpenAI: ``api-key`` header, deployment names and api-version
    (see the README's Azure section)."""

    deployment: str | None = None
    """Azure deployment name for this model (default: the model id)."""

    api_version: str | None = None
    """Azure ``api-version`` query parameter (omitted for the v1 API)."""

    structured_output: bool = False
    """``aiwire.extract`` uses native JSON output: ``response_format``
    json_schema on Chat Completions, ``text.format`` on Responses (the
    catalog sets it per model from the models.dev data); otherwise it forces
    a tool call."""

    embeddings_base64: bool = False
    """Embeddings: send ``encoding_format: "base64"`` and read float32 bytes
    (OpenAI, Azure); otherwise vectors come as JSON numbers."""

    open_catalog: bool = False
    """Core flag: any model id works without a catalog entry (local servers)."""


_DEFAULT = Compat()
# Providers that were not registered when last looked up (``custom`` and any a
# user names on a hand-built model): aiwire.get_provider's error words near
# matches and hints (~0.1-0.3 ms), too much to throw away on every request.
_UNREGISTERED: set[str] = set()


def _provider_compat(provider: str) -> dict[str, Any]:
    """The registered provider's compat defaults, ``{}`` for an unregistered one."""
    import aiwire

    if provider not in _UNREGISTERED:
        try:
            return aiwire.get_provider(provider).compat
        except LookupError:
            _UNREGISTERED.add(provider)
            return {}
    # A plain scan (microseconds) still sees a provider registered since.
    spec = next((p for p in aiwire.providers() if p.id == provider), None)
    if spec is None:
        return {}
    _UNREGISTERED.discard(provider)
    return spec.compat


def resolve_compat(provider: str, model_compat: dict[str, Any]) -> Compat:
    """The provider's defaults with the model's overrides on top (once per request)."""
    base = _provider_compat(provider)
    if not base and not model_compat:
        return _DEFAULT
    try:
        return msgspec.convert({**base, **model_compat}, Compat)
    except msgspec.ValidationError as exc:
        from aiwire.errors import BadOptionsError

        raise BadOptionsError(f"bad compat setting for provider {provider!r}: {exc}") from None
