"""Request building: URL, headers and the generateContent body."""

from __future__ import annotations

import copy
import json
import logging

import msgspec
import pytest
from gemini_helpers import model
from hypothesis import given, settings
from hypothesis import strategies as st

import aiwire
from aiwire import AssistantMessage, Context, ImageContent, TextContent, ThinkingContent, Tool, ToolCall
from aiwire import ToolResultMessage as Result
from aiwire import UserMessage as User
from aiwire._wire.codec import Credentials, Options
from aiwire_google.codec import GoogleCodec
from aiwire_google.request import SKIP_SIGNATURE, build_body

KEY = Credentials("test-key")
WEATHER = Tool(
    name="get_weather",
    description="Weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
PNG = "iVBORw0KGgo="


def body(ctx: Context, m: aiwire.Model | None = None, **options: object) -> dict:  # type: ignore[type-arg]
    return build_body(m or model(), ctx, Options(**options))  # type: ignore[arg-type]


def mine(*content: object, m: aiwire.Model | None = None) -> AssistantMessage:
    m = m or model()
    return AssistantMessage(content=list(content), api=m.api, provider=m.provider, model=m.id)  # type: ignore[arg-type]


def test_url_and_key_header_for_streaming_and_complete() -> None:
    codec = GoogleCodec()
    req = codec.build_request(model(), Context(messages=[User(content="hi")]), Options(), KEY)
    assert (
        req.url
        == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    assert req.headers["x-goog-api-key"] == "test-key" and "authorization" not in req.headers
    assert "test-key" not in repr(req)
    req = codec.build_request(model(), Context(messages=[User(content="hi")]), Options(), KEY, stream=False)
    assert req.url.endswith("/models/gemini-2.5-flash:generateContent")


def test_access_tokens_are_sent_as_bearer() -> None:
    codec = GoogleCodec()
    ctx = Context(messages=[User(content="hi")])
    for creds in (Credentials("tok", kind="oauth"), Credentials("ya29.abc")):
        req = codec.build_request(model(), ctx, Options(), creds)
        assert req.headers["authorization"] == f"Bearer {creds.api_key}" and "x-goog-api-key" not in req.headers
    req = codec.build_request(model(), ctx, Options(), Credentials(kind="none"))
    assert "authorization" not in req.headers and "x-goog-api-key" not in req.headers


def test_vertex_express_url() -> None:
    m = msgspec.structs.replace(
        model(), provider="google-vertex", base_url="https://aiplatform.googleapis.com/v1/publishers/google"
    )
    req = GoogleCodec().build_request(m, Context(messages=[User(content="hi")]), Options(), KEY)
    assert req.url == (
        "https://aiplatform.googleapis.com/v1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )


def test_system_text_image_and_generation_config() -> None:
    ctx = Context(
        system_prompt="Be brief.",
        messages=[User(content=[TextContent(text="What is this?"), ImageContent(data=PNG, mime_type="image/png")])],
    )
    b = body(ctx, max_tokens=100, temperature=0.2, top_p=0.9, stop=["END"])
    assert b["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert b["contents"] == [
        {"role": "user", "parts": [{"text": "What is this?"}, {"inlineData": {"mimeType": "image/png", "data": PNG}}]}
    ]
    assert b["generationConfig"] == {"maxOutputTokens": 100, "temperature": 0.2, "topP": 0.9, "stopSequences": ["END"]}
    assert "tools" not in b and "toolConfig" not in b


def test_images_are_replaced_for_text_only_models() -> None:
    ctx = Context(messages=[User(content=[ImageContent(data=PNG, mime_type="image/png")])])
    parts = body(ctx, model(input=("text",)))["contents"][0]["parts"]
    assert "inlineData" not in parts[0] and "image omitted" in parts[0]["text"]


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        ("get_weather", {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}),
        (None, None),
    ],
)
def test_tools_and_tool_config(choice: str | None, config: dict | None) -> None:  # type: ignore[type-arg]
    b = body(Context(messages=[User(content="hi")], tools=[WEATHER]), tool_choice=choice)
    decl = b["tools"][0]["functionDeclarations"][0]
    assert decl == {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]},
    }
    assert b.get("toolConfig") == (None if config is None else {"functionCallingConfig": config})


def test_json_schema_compat_sends_parameters_json_schema() -> None:
    m = model(compat={"tool_schema": "json"})
    decl = body(Context(messages=[User(content="hi")], tools=[WEATHER]), m)["tools"][0]["functionDeclarations"][0]
    assert decl["parametersJsonSchema"] == WEATHER.parameters and "parameters" not in decl


def test_tool_without_arguments_omits_parameters() -> None:
    tool = Tool(name="now", parameters={"type": "object", "properties": {}})
    decl = body(Context(messages=[User(content="hi")], tools=[tool]))["tools"][0]["functionDeclarations"][0]
    assert decl == {"name": "now", "description": ""}


@pytest.mark.parametrize(
    ("model_id", "level", "config"),
    [
        ("gemini-2.5-flash", "low", {"thinkingBudget": 2048, "includeThoughts": True}),
        ("gemini-2.5-flash", "off", {"thinkingBudget": 0, "includeThoughts": False}),
        ("gemini-2.5-pro", "high", {"thinkingBudget": 32768, "includeThoughts": True}),
        ("gemini-2.5-pro", "off", {"thinkingBudget": 128, "includeThoughts": False}),
        ("gemini-2.5-flash-lite", "minimal", {"thinkingBudget": 512, "includeThoughts": True}),
        ("gemini-3-pro-preview", "medium", {"thinkingLevel": "HIGH", "includeThoughts": True}),
        ("gemini-3-pro-preview", "minimal", {"thinkingLevel": "LOW", "includeThoughts": True}),
        ("gemini-3-flash-preview", "minimal", {"thinkingLevel": "MINIMAL", "includeThoughts": True}),
        ("gemini-3-flash-preview", "medium", {"thinkingLevel": "MEDIUM", "includeThoughts": True}),
        ("gemini-3.1-pro-preview", "xhigh", {"thinkingLevel": "HIGH", "includeThoughts": True}),
    ],
)
def test_reasoning_levels(model_id: str, level: str, config: dict) -> None:  # type: ignore[type-arg]
    b = body(Context(messages=[User(content="hi")]), model(model_id), reasoning=level)
    assert b["generationConfig"]["thinkingConfig"] == config


def test_thinking_budgets_override_and_non_reasoning_models() -> None:
    ctx = Context(messages=[User(content="hi")])
    b = body(ctx, model("gemini-2.5-flash"), reasoning="medium", thinking_budgets={"medium": 1000})
    assert b["generationConfig"]["thinkingConfig"]["thinkingBudget"] == 1000
    assert "generationConfig" not in body(ctx, model("gemini-2.0-flash", reasoning=False), reasoning="high")
    assert "generationConfig" not in body(ctx)
    forced = model("my-tuned-model", compat={"thinking_format": "level"})
    assert body(ctx, forced, reasoning="low")["generationConfig"]["thinkingConfig"]["thinkingLevel"] == "LOW"


def test_provider_options_merge_last_and_deep() -> None:
    b = body(
        Context(messages=[User(content="hi")]),
        max_tokens=5,
        provider_options={"generationConfig": {"seed": 7}, "safetySettings": [{"category": "X", "threshold": "Y"}]},
    )
    assert b["generationConfig"] == {"maxOutputTokens": 5, "seed": 7}
    assert b["safetySettings"] == [{"category": "X", "threshold": "Y"}]


def test_same_model_turns_replay_thoughts_and_signatures() -> None:
    m = model("gemini-3-pro-preview")
    turn = mine(
        ThinkingContent(thinking="hmm", signature="VEhJTks="),
        TextContent(text="Calling.", signature="VEVYVA=="),
        ToolCall(id="c1", name="get_weather", arguments={"city": "Paris"}, signature="Q0FMTA=="),
        ToolCall(id="c2", name="get_weather", arguments={"city": "Rome"}),
        m=m,
    )
    ctx = Context(
        messages=[
            User(content="weather?"),
            turn,
            Result(tool_call_id="c1", tool_name="get_weather", content=[TextContent(text="sunny")]),
            Result(tool_call_id="c2", tool_name="get_weather", content=[TextContent(text="rain")], is_error=True),
            User(content="thanks"),
        ],
        tools=[WEATHER],
    )
    contents = body(ctx, m)["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user", "user"]
    assert contents[1]["parts"] == [
        {"thought": True, "text": "hmm", "thoughtSignature": "VEhJTks="},
        {"text": "Calling.", "thoughtSignature": "VEVYVA=="},
        {
            "functionCall": {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"},
            "thoughtSignature": "Q0FMTA==",
        },
        {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}, "id": "c2"}},
    ]
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "get_weather", "id": "c1", "response": {"output": "sunny"}}},
        {"functionResponse": {"name": "get_weather", "id": "c2", "response": {"error": "rain"}}},
    ]


def test_foreign_turns_lose_signatures_and_thinking_becomes_text() -> None:
    m = model("gemini-3-flash-preview")
    foreign = AssistantMessage(
        content=[
            ThinkingContent(thinking="anthropic thoughts", signature="sig-from-anthropic"),
            ThinkingContent(thinking="", signature="opaque", redacted=True),
            TextContent(text="Let me check."),
            ToolCall(id="toolu_01", name="get_weather", arguments={"city": "Oslo"}, signature="x"),
            aiwire.ProviderContent(api="anthropic-messages", kind="server_tool_use", data={"a": 1}, text="searched"),
            aiwire.ProviderContent(api="anthropic-messages", kind="other", data={"b": 2}),
        ],
        api="anthropic-messages",
        provider="anthropic",
        model="claude-sonnet-4-5",
    )
    parts = body(Context(messages=[User(content="hi"), foreign]), m)["contents"][1]["parts"]
    assert parts == [
        {"text": "anthropic thoughts"},
        {"text": "Let me check."},
        {
            "functionCall": {"name": "get_weather", "args": {"city": "Oslo"}, "id": "toolu_01"},
            "thoughtSignature": SKIP_SIGNATURE,
        },
        {"text": "searched"},
    ]


def test_skip_sentinel_only_for_gemini_3_and_only_on_the_first_call() -> None:
    calls = [ToolCall(id="a", name="f"), ToolCall(id="b", name="f")]
    for model_id, expected in (("gemini-3-pro-preview", [SKIP_SIGNATURE, None]), ("gemini-2.5-pro", [None, None])):
        m = model(model_id)
        turn = AssistantMessage(content=list(calls), api="openai-responses", provider="openai", model="gpt-5")
        parts = body(Context(messages=[User(content="x"), turn]), m)["contents"][1]["parts"]
        assert [p.get("thoughtSignature") for p in parts] == expected


def test_signatures_from_another_gemini_model_are_dropped() -> None:
    older = model("gemini-2.5-flash")
    turn = mine(TextContent(text="hi", signature="QUJD"), m=older)
    parts = body(Context(messages=[User(content="x"), turn]), model("gemini-2.5-pro"))["contents"][1]["parts"]
    assert parts == [{"text": "hi"}]


def test_non_base64_signatures_are_not_sent() -> None:
    turn = mine(TextContent(text="hi", signature="not base64 at all!"))
    parts = body(Context(messages=[User(content="x"), turn]))["contents"][1]["parts"]
    assert parts == [{"text": "hi"}]


def test_own_provider_blocks_are_echoed_verbatim() -> None:
    data = {"executableCode": {"language": "PYTHON", "code": "print(1)"}, "thoughtSignature": "QUJD"}
    turn = mine(aiwire.ProviderContent(api="google-generative-ai", kind="executableCode", data=data, text="code"))
    parts = body(Context(messages=[User(content="x"), turn]))["contents"][1]["parts"]
    assert parts == [data]


def test_tool_result_images_nested_on_gemini_3_and_after_on_older() -> None:
    result = Result(tool_call_id="c1", tool_name="snap", content=[ImageContent(data=PNG, mime_type="image/png")])
    turn3 = mine(ToolCall(id="c1", name="snap"), m=model("gemini-3-pro-preview"))
    parts = body(Context(messages=[User(content="x"), turn3, result]), model("gemini-3-pro-preview"))["contents"][2][
        "parts"
    ]
    assert parts == [
        {
            "functionResponse": {
                "name": "snap",
                "id": "c1",
                "response": {"output": "(see attached image)"},
                "parts": [{"inlineData": {"mimeType": "image/png", "data": PNG}}],
            }
        }
    ]
    two = Result(tool_call_id="c2", tool_name="snap", content=[TextContent(text="second")])
    turn = mine(ToolCall(id="c1", name="snap"), ToolCall(id="c2", name="snap"))
    parts = body(Context(messages=[User(content="x"), turn, result, two]))["contents"][2]["parts"]
    assert [next(iter(p)) for p in parts] == ["functionResponse", "functionResponse", "text", "inlineData"]


def test_empty_turns_are_skipped_and_the_context_is_not_mutated() -> None:
    turn = mine(
        ThinkingContent(thinking="deep", signature="QUJD"),
        ToolCall(id="c1", name="get_weather", arguments={"city": "A"}),
    )
    ctx = Context(
        system_prompt="s",
        messages=[User(content=""), User(content="hi"), mine(), turn],
        tools=[WEATHER],
    )
    before = copy.deepcopy(msgspec.to_builtins(ctx))
    contents = body(ctx, tool_choice="auto", reasoning="high")["contents"]
    assert [c["role"] for c in contents] == ["user", "model"]
    assert msgspec.to_builtins(ctx) == before
    # Editing the body (an on_payload hook might) leaves the context alone.
    contents[1]["parts"][1]["functionCall"]["args"]["city"] = "edited"
    assert msgspec.to_builtins(ctx) == before


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"GEMINI_API_KEY": "gem", "GOOGLE_API_KEY": "goo"}, "gem"), ({"GOOGLE_API_KEY": "goo"}, "goo")],
)
def test_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str) -> None:
    from aiwire._engine.call import prepare

    for var in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    call = prepare(aiwire.get_model("google/gemini-2.5-flash"), "hi", {})
    assert call.request.headers["x-goog-api-key"] == expected
    assert expected not in repr(call.credentials)


def test_missing_key_names_both_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(aiwire.errors.MissingCredentialsError, match=r"\$GEMINI_API_KEY or \$GOOGLE_API_KEY"):
        aiwire.stream_sync("google/gemini-2.5-flash", "hi")


def test_hints_gemini_cannot_use_are_ignored(caplog: pytest.LogCaptureFixture) -> None:
    # session_id and cache_retention are hints: one rule for every provider (docs/concepts.md).
    from aiwire._engine.call import prepare

    options = {"api_key": "test-key", "session_id": "s1", "cache_retention": "long"}
    with caplog.at_level(logging.DEBUG, logger="aiwire.options"):
        call = prepare(aiwire.get_model("google/gemini-2.5-flash"), "hi", options)
    assert call.options.session_id is None and call.options.cache_retention == "short"
    assert "s1" not in json.dumps(call.request.json)
    assert "session_id is a hint this backend cannot use" in caplog.text


_text = st.text(max_size=20)
_sig = st.one_of(st.none(), st.sampled_from(["QUJD", "not base64!", "", SKIP_SIGNATURE]))
_block = st.one_of(
    st.builds(TextContent, text=_text, signature=_sig),
    st.builds(ThinkingContent, thinking=_text, signature=_sig, redacted=st.booleans()),
    st.builds(ToolCall, id=st.text(max_size=80), name=st.sampled_from(["get_weather", "x"]), signature=_sig),
    st.builds(
        aiwire.ProviderContent,
        api=st.sampled_from(["google-generative-ai", "anthropic-messages"]),
        kind=st.just("k"),
        data=st.fixed_dictionaries(
            {"text": _text}, optional={"thoughtSignature": st.sampled_from(["QUJD", "not base64!", None, 3])}
        ),
        text=st.one_of(st.none(), _text),
    ),
)
_message = st.one_of(
    st.builds(User, content=st.one_of(_text, st.lists(st.builds(TextContent, text=_text), max_size=2))),
    st.builds(
        AssistantMessage,
        content=st.lists(_block, max_size=4),
        api=st.sampled_from(["google-generative-ai", "openai-responses"]),
        provider=st.sampled_from(["google", "openai"]),
        model=st.sampled_from(["gemini-3-pro-preview", "gpt-5"]),
    ),
    st.builds(
        Result,
        tool_call_id=st.text(max_size=80),
        tool_name=st.just("x"),
        content=st.lists(
            st.one_of(st.builds(TextContent, text=_text), st.just(ImageContent(data=PNG, mime_type="image/png"))),
            max_size=2,
        ),
        is_error=st.booleans(),
    ),
)


@settings(max_examples=150, deadline=None)
@given(messages=st.lists(_message, max_size=6), reasoning=st.sampled_from([None, "off", "low", "xhigh"]))
def test_any_context_builds_a_json_body_without_touching_the_context(
    messages: list[object], reasoning: str | None
) -> None:
    ctx = Context(system_prompt="s", messages=messages, tools=[WEATHER])  # type: ignore[arg-type]
    before = msgspec.json.encode(ctx)
    b = build_body(model("gemini-3-pro-preview"), ctx, Options(reasoning=reasoning))  # type: ignore[arg-type]
    msgspec.json.encode(b)
    assert msgspec.json.encode(ctx) == before
    for content in b["contents"]:
        assert content["role"] in ("user", "model") and content["parts"]
        for part in content["parts"]:
            sig = part.get("thoughtSignature")
            assert sig in (None, "QUJD", SKIP_SIGNATURE)
