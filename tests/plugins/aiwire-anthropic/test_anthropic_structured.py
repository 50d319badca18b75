"""Native structured output on the Messages API (``output_config.format``), the
schema conversion it needs, and the forced-tool fallback: the requests
``aiwire.extract`` builds, answered by a mock transport with streams written
from the documented wire format."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aiwire
from aiwire._plugins.registry import get_registry
from aiwire_anthropic.structured import has_structured_output, output_schema

BASE = "https://api.anthropic.com/v1"
ANSWER = '{"name": "Oslo", "population": 700000}'


class City(msgspec.Struct):
    """A city and its population."""

    name: str
    population: int = msgspec.field(default=0)


class Node(msgspec.Struct):
    label: str
    children: list[Node] = []


def model(id: str = "claude-sonnet-4-5", **kw: Any) -> aiwire.Model:
    return aiwire.Model(id=id, provider="anthropic", api="anthropic-messages", base_url=BASE, max_tokens=1024, **kw)


def sse(*events: dict[str, Any]) -> bytes:
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


def stream(block: dict[str, Any], delta: dict[str, Any], stop: str) -> bytes:
    usage = {"input_tokens": 10, "output_tokens": 5}
    return sse(
        {"type": "message_start", "message": {"id": "msg_1", "role": "assistant", "content": [], "usage": usage}},
        {"type": "content_block_start", "index": 0, "content_block": block},
        {"type": "content_block_delta", "index": 0, "delta": delta},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": 5}},
        {"type": "message_stop"},
    )


def text_answer(text: str) -> bytes:
    return stream({"type": "text", "text": ""}, {"type": "text_delta", "text": text}, "end_turn")


def tool_answer(name: str, arguments: str) -> bytes:
    block = {"type": "tool_use", "id": "toolu_1", "name": name, "input": {}}
    return stream(block, {"type": "input_json_delta", "partial_json": arguments}, "tool_use")


def run(m: aiwire.Model, type: Any, body: bytes, **options: Any) -> tuple[Any, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter([body]))

    transport = httpx.MockTransport(answer)
    value = aiwire.extract_sync(
        m, "Largest city in Norway?", type, api_key="sk-ant-test", transport=transport, **options
    )
    return value, sent


def test_native_mode_sends_output_config_format_without_a_beta_header() -> None:
    city, sent = run(model(), City, text_answer(ANSWER))
    assert city == City("Oslo", 700000)
    body = json.loads(sent[0].content)
    assert body["output_config"]["format"] == {
        "type": "json_schema",
        "schema": {
            "title": "City",
            "description": "A city and its population.",
            "type": "object",
            "properties": {"name": {"type": "string"}, "population": {"type": "integer", "default": 0}},
            "required": ["name"],
            "additionalProperties": False,
        },
    }
    assert "tools" not in body and "tool_choice" not in body
    assert "structured-outputs" not in sent[0].headers.get("anthropic-beta", "")


def test_older_models_get_a_forced_tool_call() -> None:
    city, sent = run(model("claude-sonnet-4-0"), City, tool_answer("City", ANSWER))
    assert city == City("Oslo", 700000)
    body = json.loads(sent[0].content)
    assert "output_config" not in body or "format" not in body["output_config"]
    assert body["tool_choice"] == {"type": "tool", "name": "City"}
    assert body["tools"][0]["input_schema"]["required"] == ["name"]


def test_a_recursive_schema_falls_back_to_the_tool_or_is_refused_in_native_mode() -> None:
    tree, sent = run(model(), Node, tool_answer("Node", '{"label": "a", "children": [{"label": "b"}]}'))
    assert tree == Node("a", [Node("b")])
    assert json.loads(sent[0].content)["tool_choice"]["name"] == "Node"
    with pytest.raises(aiwire.errors.SchemaError, match=r"Node: .*recursive \$ref '#/\$defs/Node'"):
        run(model(), Node, text_answer("{}"), mode="native")


def test_which_models_have_it() -> None:
    assert has_structured_output(model("claude-haiku-4-5-20251001"))
    assert has_structured_output(model("claude-opus-4-6"))
    assert has_structured_output(model("claude-sonnet-5"))
    assert not has_structured_output(model("claude-opus-4-1"))
    assert not has_structured_output(model("claude-3-7-sonnet-20250219"))
    other_host = aiwire.Model(id="claude-sonnet-4-5", provider="x", api="anthropic-messages", base_url="https://x.test")
    assert not has_structured_output(other_host)
    assert has_structured_output(msgspec.structs.replace(other_host, compat={"structured_output": True}))


def test_unsupported_constraints_move_into_the_description() -> None:
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 1, "maximum": 9, "description": "a digit"},
            "tags": {"type": "array", "items": {"type": "string", "format": "ipv4"}, "minItems": 2},
            "when": {"type": "string", "format": "date-time"},
        },
        "required": ["n"],
    }
    out = output_schema("T", schema)
    assert out["additionalProperties"] is False
    assert out["properties"]["n"] == {"type": "integer", "description": "a digit (minimum: 1; maximum: 9)"}
    assert out["properties"]["tags"]["description"] == "(minItems: 2)"
    assert out["properties"]["tags"]["items"]["format"] == "ipv4"
    assert out["properties"]["when"]["format"] == "date-time"
    with pytest.raises(aiwire.errors.SchemaError, match=r"T: \$\.m: an object with free-form keys"):
        output_schema(
            "T",
            {"type": "object", "properties": {"m": {"type": "object", "additionalProperties": {"type": "integer"}}}},
        )


def test_format_merges_with_the_effort_that_adaptive_thinking_sends() -> None:
    m = model("claude-opus-4-6", reasoning=True)
    city, sent = run(m, City, text_answer(ANSWER), reasoning="high")
    body = json.loads(sent[0].content)
    assert body["thinking"]["type"] == "adaptive"
    assert body["output_config"]["effort"] == "high"
    assert body["output_config"]["format"]["type"] == "json_schema"
    assert city == City("Oslo", 700000)


NATIVE_MODELS = [model()]
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
