"""Native structured output on both OpenAI apis, and the forced-tool fallback
on hosts without it: the requests ``aiwire.extract`` builds, answered by a
mock transport with streams written from the documented wire format."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
import msgspec
import pytest
from _openai_helpers import model, sse
from hypothesis import given, settings
from hypothesis import strategies as st

import aiwire
from aiwire._plugins.registry import get_registry
from aiwire_openai.structured import strict_schema


class City(msgspec.Struct):
    """A city and its population."""

    name: str
    population: int


class Loose(msgspec.Struct):
    name: str
    population: int = 0


ANSWER = '{"name": "Oslo", "population": 700000}'


def run(m: aiwire.Model, type: Any, body: bytes, **options: Any) -> tuple[Any, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter([body]))

    value = aiwire.extract_sync(
        m, "Largest city in Norway?", type, api_key="sk-test", transport=httpx.MockTransport(answer), **options
    )
    return value, sent


def chat_text(text: str) -> bytes:
    return sse(
        {"id": "c1", "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]},
        {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    )


def chat_tool(name: str, arguments: str) -> bytes:
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}
    return sse(
        {"id": "c1", "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [call]}}]},
        {"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    )


def responses_text(text: str) -> bytes:
    msg = {"id": "msg_1", "type": "message", "role": "assistant", "content": []}
    done = {**msg, "content": [{"type": "output_text", "text": text, "annotations": []}]}

    def e(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
        return (kind, {"type": kind, **fields})

    return sse(
        e("response.created", response={"id": "resp_1", "status": "in_progress"}),
        e("response.output_item.added", output_index=0, item=msg),
        e("response.output_text.delta", item_id="msg_1", output_index=0, content_index=0, delta=text),
        e("response.output_item.done", output_index=0, item=done),
        e("response.completed", response={"id": "resp_1", "status": "completed"}),
        done=False,
    )


def test_chat_completions_sends_response_format_json_schema_strict() -> None:
    city, sent = run(model("openai-completions"), City, chat_text(ANSWER))
    assert city == City("Oslo", 700000)
    body = sent[0]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "City",
            "strict": True,
            "schema": {
                "title": "City",
                "description": "A city and its population.",
                "type": "object",
                "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
                "required": ["name", "population"],
                "additionalProperties": False,
            },
        },
    }
    assert "tools" not in body and "tool_choice" not in body


def test_optional_fields_are_sent_non_strict_unchanged() -> None:
    loose, sent = run(model("openai-completions"), Loose, chat_text('{"name": "Oslo"}'))
    assert loose == Loose("Oslo")
    fmt = sent[0]["response_format"]["json_schema"]
    assert fmt["strict"] is False and "additionalProperties" not in fmt["schema"]


def test_responses_sends_text_format() -> None:
    city, sent = run(model("openai-responses"), City, responses_text(ANSWER))
    assert city == City("Oslo", 700000)
    fmt = sent[0]["text"]["format"]
    assert (fmt["type"], fmt["name"], fmt["strict"]) == ("json_schema", "City", True)
    assert fmt["schema"]["required"] == ["name", "population"]


def test_a_compatible_host_without_the_mode_gets_a_forced_tool_call() -> None:
    m = model("openai-completions", provider="deepseek", id="deepseek-chat")
    city, sent = run(m, City, chat_tool("City", ANSWER))
    assert city == City("Oslo", 700000)
    body = sent[0]
    assert "response_format" not in body
    assert body["tool_choice"] == {"type": "function", "function": {"name": "City"}}
    assert body["tools"][0]["function"]["parameters"]["required"] == ["name", "population"]


def test_the_compat_flag_switches_it_per_model() -> None:
    off = model("openai-completions", compat={"structured_output": False})
    _, sent = run(off, City, chat_tool("City", ANSWER))
    assert "response_format" not in sent[0]
    on = model("openai-completions", provider="deepseek", compat={"structured_output": True})
    _, sent = run(on, City, chat_text(ANSWER))
    assert sent[0]["response_format"]["json_schema"]["name"] == "City"


def test_the_catalog_carries_models_dev_flags() -> None:
    assert aiwire.get_model("openai/gpt-4-turbo").compat.get("structured_output") is False
    assert "structured_output" not in aiwire.get_model("openai/gpt-4o").compat  # the provider row's default


def test_native_mode_refused_where_there_is_none() -> None:
    m = model("openai-completions", provider="deepseek")
    with pytest.raises(aiwire.errors.BadOptionsError, match="no native structured-output mode"):
        run(m, City, chat_text(ANSWER), mode="native")


def test_strict_schema_rules() -> None:
    nested = {
        "type": "object",
        "properties": {"a": {"type": "array", "items": {"$ref": "#/$defs/P"}}},
        "required": ["a"],
        "$defs": {"P": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}},
    }
    out = strict_schema(nested)
    assert out is not None and out["$defs"]["P"]["additionalProperties"] is False
    assert strict_schema({**nested, "not": {}}) is None  # a keyword strict mode does not take
    assert strict_schema({"type": "object", "properties": {"a": {}}, "required": []}) is None


NATIVE_MODELS = [model("openai-completions"), model("openai-responses")]
_KEYS = st.sampled_from(
    [
        *("type", "properties", "required", "items", "anyOf", "oneOf", "allOf", "$ref", "$defs", "definitions"),
        *("enum", "const", "additionalProperties", "format", "minimum", "not", "prefixItems", "description"),
    ]
)
_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=3), st.sampled_from(["#/$defs/a", "object"])),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.one_of(_KEYS, st.text(max_size=2)), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(schema=st.dictionaries(_KEYS, _VALUES, max_size=5))
def test_any_schema_converts_or_raises_a_schema_error(schema: dict[str, Any]) -> None:
    for m in NATIVE_MODELS:
        codec = get_registry().codec(m.api)
        with contextlib.suppress(aiwire.errors.SchemaError):
            codec.structured_output(m, schema, "T")
