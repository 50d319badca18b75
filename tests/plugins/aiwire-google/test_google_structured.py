"""Native structured output on generateContent (``responseJsonSchema`` or
``responseSchema``), the schema conversion it needs, and the forced-tool
fallback: the requests ``aiwire.extract`` builds, answered by a mock transport
with streams written from the documented wire format."""

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
from aiwire_google.structured import json_schema_subset

ANSWER = {"name": "Oslo", "population": 700000}


class City(msgspec.Struct):
    """A city and its population."""

    name: str
    population: int


class Node(msgspec.Struct):
    label: str
    children: list[Node] = []


class Chain(msgspec.Struct):
    label: str
    next: Chain | None


def model(id: str = "gemini-2.5-flash", **kw: Any) -> aiwire.Model:
    base = "https://generativelanguage.googleapis.com/v1beta"
    return aiwire.Model(id=id, provider="google", api="google-generative-ai", base_url=base, **kw)


def sse(part: dict[str, Any]) -> bytes:
    chunk = {
        "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 5, "totalTokenCount": 10},
    }
    return f"data: {json.dumps(chunk)}\r\n\r\n".encode()


def run(m: aiwire.Model, type: Any, part: dict[str, Any], **options: Any) -> tuple[Any, list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter([sse(part)]))

    transport = httpx.MockTransport(answer)
    value = aiwire.extract_sync(m, "Largest city in Norway?", type, api_key="AIza-test", transport=transport, **options)
    return value, sent


def test_gemini_2_5_and_later_get_response_json_schema() -> None:
    city, sent = run(model(), City, {"text": json.dumps(ANSWER)})
    assert city == City("Oslo", 700000)
    gen = sent[0]["generationConfig"]
    assert gen["responseMimeType"] == "application/json"
    assert gen["responseJsonSchema"] == {
        "title": "City",
        "description": "A city and its population.",
        "type": "object",
        "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["name", "population"],
    }
    assert "responseSchema" not in gen and "tools" not in sent[0]


def test_older_gemini_gets_the_openapi_response_schema() -> None:
    city, sent = run(model("gemini-2.0-flash"), City, {"text": json.dumps(ANSWER)})
    assert city.population == 700000
    gen = sent[0]["generationConfig"]
    assert gen["responseSchema"]["type"] == "OBJECT"
    assert gen["responseSchema"]["properties"]["population"] == {"type": "INTEGER"}
    assert "responseJsonSchema" not in gen


def test_recursion_below_an_optional_property_is_sent_as_is() -> None:
    tree, sent = run(model(), Node, {"text": '{"label": "a", "children": [{"label": "b"}]}'})
    assert tree == Node("a", [Node("b")])
    schema = sent[0]["generationConfig"]["responseJsonSchema"]
    assert schema["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}


def test_required_recursion_is_refused_with_its_path_or_goes_to_a_json_schema_tool() -> None:
    with pytest.raises(aiwire.errors.SchemaError, match=r"Chain: \$\.next\.anyOf\[0\]\S*: recursive"):
        run(model(), Chain, {"text": "{}"}, mode="native")
    # auto mode falls back to a forced tool call, whose OpenAPI-style schema cannot inline it either
    with pytest.raises(aiwire.errors.SchemaError, match=r"parameters\.properties\.next\.properties\.next: recursive"):
        run(model(), Chain, {"text": "{}"})
    call = {"functionCall": {"name": "Chain", "args": {"label": "a", "next": None}}}
    chain, sent = run(model(compat={"tool_schema": "json"}), Chain, call, mode="tool")
    assert chain == Chain("a", None)
    decl = sent[0]["tools"][0]["functionDeclarations"][0]
    assert decl["parametersJsonSchema"]["properties"]["next"]["anyOf"][0] == {"$ref": "#/$defs/Chain"}
    assert sent[0]["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"] == ["Chain"]


def test_older_gemini_refuses_any_recursion_in_native_mode() -> None:
    with pytest.raises(aiwire.errors.SchemaError, match="recursive"):
        run(model("gemini-2.0-flash"), Node, {"text": "{}"}, mode="native")


def test_compat_turns_it_off_and_gemma_has_none() -> None:
    call = {"functionCall": {"name": "City", "args": ANSWER}}
    for m in (model(compat={"structured_output": False}), model("gemma-3-27b-it")):
        _, sent = run(m, City, call)
        assert "responseMimeType" not in sent[0].get("generationConfig", {})


def test_keywords_outside_the_subset_are_rewritten_or_described() -> None:
    schema = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "pattern": "^[A-Z]{3}$", "minLength": 3},
            "kind": {"const": "city"},
            "where": {"allOf": [{"$ref": "#/$defs/P"}], "description": "the place"},
        },
        "required": ["code"],
        "$defs": {"P": {"type": "object", "properties": {"x": {"type": "number", "multipleOf": 0.5}}}},
    }
    out = json_schema_subset("T", schema)
    assert out["properties"]["code"] == {"type": "string", "description": "(pattern: '^[A-Z]{3}$'; minLength: 3)"}
    assert out["properties"]["kind"] == {"enum": ["city"]}
    assert out["properties"]["where"] == {"$ref": "#/$defs/P"}
    assert out["$defs"]["P"]["properties"]["x"] == {"type": "number", "description": "(multipleOf: 0.5)"}
    with pytest.raises(aiwire.errors.SchemaError, match=r"T: \$\.a: 'not' has no equivalent"):
        json_schema_subset("T", {"type": "object", "properties": {"a": {"not": {"type": "string"}}}})


NATIVE_MODELS = [model(), model("gemini-2.0-flash")]
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
