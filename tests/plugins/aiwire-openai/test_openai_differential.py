"""Differential tests: every openai-chat and openai-responses recording in
``../shared/conformance`` decoded by our codecs and by the official ``openai``
SDK (its own stream accumulation, over the same bytes through a mock
transport) must agree on text, reasoning, tool calls, finish reason and usage.

Intended differences, each handled explicitly below:

1. In-stream errors: the SDK raises ``APIError``; we end with an ``error``
   message that keeps the content so far and carries the same error text.
2. ``finish_reason`` before an error chunk (OpenRouter): the SDK raises, we
   report the error, not the earlier ``length``.
3. Chat reasoning: the SDK concatenates whatever extra delta fields a host
   sends (``reasoning_content``/``reasoning``/``reasoning_text``); OpenRouter
   sends the same text twice (``reasoning`` and ``reasoning_details``), we
   show it once. Mistral's typed thinking chunks are thinking for us, an
   opaque list for the SDK.
4. Usage: we split ``prompt_tokens`` into ``input`` + ``cache_read`` +
   ``cache_write``; the sums must match the SDK's numbers.
5. Refusals are text for us and a separate ``refusal`` field for the SDK.
6. Error bodies: OpenRouter's upstream ``metadata.raw`` is appended to our message.
7. Usage after usage: the SDK's snapshot takes the *last* chunk's ``usage``
   even when it is null (OpenAI's moderation chunk follows the usage chunk);
   we keep the last usage reported, so the SDK side is read the same way.
8. The SDK accumulator raises on list entries without ``index`` (OpenRouter
   annotations); the SDK's parsed chunks are then accumulated by hand.
9. Mistral's typed ``content`` chunks: the SDK cannot add a list to a
   string and drops the thinking chunks; we decode them as thinking.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from _openai_helpers import conformance_dir, decode, model, recordings

from aiwire._wire.codec import Options
from aiwire.types import AssistantMessage, ThinkingContent

openai = pytest.importorskip("openai", reason="the openai SDK is a test-only dependency (requirements-dev.txt)")

if conformance_dir() is None:
    pytest.skip("../shared/conformance is not beside this clone (set AIWIRE_CONFORMANCE)", allow_module_level=True)

# The SDK's pydantic models warn when a host sends typed content chunks.
pytestmark = pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")

CHAT = recordings("openai-chat")
RESP = recordings("openai-responses")
FINISH = {"stop": "stop", "tool_calls": "tool_use", "length": "length", "function_call": "tool_use"}


def sdk_client(rec: dict[str, Any]) -> Any:
    resp = rec["response"]
    body = resp["body_text"].encode()
    ctype = "text/event-stream" if resp["body_format"] == "sse" else "application/json"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(resp["status"], content=body, headers={"content-type": ctype})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    return openai.OpenAI(api_key="test-key", base_url="http://sdk.test/v1", http_client=http, max_retries=0)


def ours(api: str, rec: dict[str, Any]) -> AssistantMessage:
    from aiwire_openai.completions import CompletionsCodec
    from aiwire_openai.responses import ResponsesCodec

    codec = CompletionsCodec() if api == "openai-completions" else ResponsesCodec()
    provider = rec["provider"] if rec["provider"] in ("openrouter", "mistral", "deepseek", "groq") else "openai"
    m = model(api, provider=provider)
    body = rec["response"]["body_text"].encode()
    if rec["response"]["body_format"] == "sse":
        return decode(codec, m, body).message
    return codec.parse_response(m, Options(), body)


def shown_thinking(msg: AssistantMessage) -> str:
    return "\n\n".join(b.thinking for b in msg.content if isinstance(b, ThinkingContent) and b.thinking)


def check_error_status(api: str, rec: dict[str, Any], exc: Exception) -> None:
    from aiwire_openai.completions import CompletionsCodec

    info = CompletionsCodec().parse_error(rec["response"]["status"], {}, rec["response"]["body_text"].encode())
    assert isinstance(exc, openai.APIStatusError) and exc.status_code == rec["response"]["status"]
    body = exc.body if isinstance(exc.body, dict) else {}
    assert info.message.startswith(str(body.get("message")))  # difference 6: we may append metadata.raw


# -- Chat Completions ---------------------------------------------------------------


@pytest.mark.conformance
@pytest.mark.parametrize(("name", "rec"), CHAT, ids=[n for n, _ in CHAT])
def test_chat_matches_sdk(name: str, rec: dict[str, Any]) -> None:
    client = sdk_client(rec)
    streaming = rec["response"]["body_format"] == "sse"
    sdk_error: Exception | None = None
    snapshot: Any = None
    try:
        if streaming:
            chunks = list(client.chat.completions.create(model="m", messages=[], stream=True))
            snapshot = accumulate(chunks)
        else:
            snapshot = client.chat.completions.create(model="m", messages=[])
    except openai.APIError as exc:
        sdk_error = exc
    if rec["response"]["status"] != 200:
        assert sdk_error is not None
        check_error_status("openai-completions", rec, sdk_error)
        return
    msg = ours("openai-completions", rec)
    if sdk_error is not None:  # differences 1 and 2
        assert msg.stop_reason == "error" and msg.error_message == sdk_error.message
        return
    choice = snapshot.choices[0]
    m = choice.message
    typed_thinking = any(isinstance(b, ThinkingContent) and b.signature == "content.thinking" for b in msg.content)
    extra = m.model_extra or {}
    content = m.content
    if isinstance(content, list):  # difference 3 (Mistral typed chunks)
        sdk_text = "".join(p.get("text", "") for p in content if p.get("type") == "text")
    else:
        sdk_text = (content or "") + (m.refusal or "")  # difference 5
    assert msg.text == sdk_text
    if typed_thinking:  # difference 9
        assert msg.thinking and not any(extra.get(k) for k in ("reasoning_content", "reasoning"))
    elif not isinstance(content, list):
        fields = [
            extra[k] for k in ("reasoning_content", "reasoning", "reasoning_text") if isinstance(extra.get(k), str)
        ]
        sdk_thinking = "".join(fields)
        if extra.get("reasoning_details") and isinstance(extra.get("reasoning"), str):
            sdk_thinking = extra["reasoning"]  # difference 3 (OpenRouter)
        assert msg.thinking == sdk_thinking
    sdk_calls = [(t.function.name, json.loads(t.function.arguments or "{}")) for t in (m.tool_calls or [])]
    assert [(t.name, t.arguments) for t in msg.tool_calls] == sdk_calls
    ids = [t.id for t in (m.tool_calls or [])]
    assert [t.id for t in msg.tool_calls][: len(ids)] == [i or t.id for i, t in zip(ids, msg.tool_calls, strict=False)]
    assert msg.stop_reason == FINISH.get(choice.finish_reason or "stop", "stop")
    usage = snapshot.usage
    if usage is None:
        assert msg.usage is None
    else:  # difference 4
        assert msg.usage is not None
        assert msg.usage.input + msg.usage.cache_read + msg.usage.cache_write == usage.prompt_tokens
        assert msg.usage.output == usage.completion_tokens
        details = usage.completion_tokens_details
        if details is not None and details.reasoning_tokens is not None:
            assert msg.usage.reasoning == details.reasoning_tokens


def accumulate(chunks: list[Any]) -> Any:
    """The SDK's own accumulation, with the two workarounds named above."""
    from openai.lib.streaming.chat import ChatCompletionStreamState

    usage = None
    for chunk in chunks:
        usage = chunk.usage or usage
    try:
        state: Any = ChatCompletionStreamState()
        for chunk in chunks:
            state.handle_chunk(chunk)
        snapshot = state.current_completion_snapshot
    except RuntimeError:  # difference 8
        snapshot = by_hand(chunks)
    snapshot.usage = usage  # difference 7
    return snapshot


def by_hand(chunks: list[Any]) -> Any:
    from types import SimpleNamespace

    text, finish = [], None
    for chunk in chunks:
        for c in chunk.choices[:1]:
            text.append(c.delta.content or "")
            finish = c.finish_reason or finish
    message = SimpleNamespace(content="".join(text), refusal=None, tool_calls=None, model_extra={})
    return SimpleNamespace(choices=[SimpleNamespace(message=message, finish_reason=finish)], usage=None)


# -- Responses ---------------------------------------------------------------------------


def sdk_response(client: Any, streaming: bool) -> Any:
    if not streaming:
        return client.responses.create(model="m", input="x")
    from openai.lib.streaming.responses._responses import ResponseStreamState

    state = ResponseStreamState(input_tools=openai.omit, text_format=openai.omit)
    final = None
    for event in client.responses.create(model="m", input="x", stream=True):
        state.handle_event(event)
        if event.type in ("response.completed", "response.incomplete", "response.failed"):
            final = event.response
    assert final is not None
    return final


@pytest.mark.conformance
@pytest.mark.parametrize(("name", "rec"), RESP, ids=[n for n, _ in RESP])
def test_responses_match_sdk(name: str, rec: dict[str, Any]) -> None:
    client = sdk_client(rec)
    try:
        resp = sdk_response(client, rec["response"]["body_format"] == "sse")
    except openai.APIStatusError as exc:
        assert rec["response"]["status"] != 200
        check_error_status("openai-responses", rec, exc)
        return
    msg = ours("openai-responses", rec)
    assert msg.text == resp.output_text
    sdk_thinking = []
    calls = []
    for item in resp.output:
        if item.type == "reasoning":
            parts = [s.text for s in item.summary] + [c.text for c in (item.content or [])]
            sdk_thinking.append("\n\n".join(p for p in parts if p))
        elif item.type == "function_call":
            calls.append((f"{item.call_id}|{item.id}", item.name, json.loads(item.arguments or "{}")))
    assert shown_thinking(msg) == "\n\n".join(t for t in sdk_thinking if t)
    assert [(t.id, t.name, t.arguments) for t in msg.tool_calls] == calls
    expected = {"incomplete": "length", "failed": "error"}.get(resp.status, "tool_use" if calls else "stop")
    assert msg.stop_reason == expected
    if resp.usage is None:
        assert msg.usage is None
    else:
        assert msg.usage is not None
        assert msg.usage.input + msg.usage.cache_read == resp.usage.input_tokens
        assert msg.usage.output == resp.usage.output_tokens
        assert msg.usage.cache_read == resp.usage.input_tokens_details.cached_tokens
        assert msg.usage.reasoning == resp.usage.output_tokens_details.reasoning_tokens


def test_every_recording_is_covered() -> None:
    assert len(CHAT) >= 40 and len(RESP) >= 20
