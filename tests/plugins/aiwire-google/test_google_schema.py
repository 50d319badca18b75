"""JSON Schema to Gemini Schema conversion."""

from __future__ import annotations

from typing import Any

import pytest

import aiwire
from aiwire.errors import InvalidToolError
from aiwire_google.schema import SchemaError, to_gemini_schema


def conv(schema: dict[str, Any]) -> dict[str, Any]:
    return to_gemini_schema("t", schema)


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


def test_plain_types_and_constraints() -> None:
    out = conv(
        obj(
            name={"type": "string", "minLength": 1, "maxLength": 9, "pattern": "^a", "title": "Name"},
            n={"type": "integer", "minimum": 0, "maximum": 5, "default": 1},
            tags={"type": "array", "items": {"type": "string"}, "minItems": 1},
        )
    )
    assert out == {
        "type": "OBJECT",
        "properties": {
            "name": {"type": "STRING", "minLength": 1, "maxLength": 9, "pattern": "^a", "title": "Name"},
            "n": {"type": "INTEGER", "minimum": 0, "maximum": 5, "default": 1},
            "tags": {"type": "ARRAY", "items": {"type": "STRING"}, "minItems": 1},
        },
    }


def test_nullable_type_lists_and_anyof_null() -> None:
    out = conv(obj(a={"type": ["string", "null"]}, b={"anyOf": [{"type": "integer"}, {"type": "null"}]}))
    assert out["properties"] == {"a": {"type": "STRING", "nullable": True}, "b": {"type": "INTEGER", "nullable": True}}


def test_multi_type_lists_and_oneof_become_anyof() -> None:
    out = conv(obj(a={"type": ["string", "integer"]}, b={"oneOf": [{"type": "string"}, {"type": "boolean"}]}))
    assert out["properties"]["a"] == {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]}
    assert out["properties"]["b"] == {"anyOf": [{"type": "STRING"}, {"type": "BOOLEAN"}]}


def test_literal_unions_and_const_become_enums() -> None:
    out = conv(
        obj(
            unit={"anyOf": [{"const": "c", "type": "string"}, {"const": "f", "type": "string"}]},
            mode={"const": "fast"},
            lvl={"enum": ["a", "b", None]},
        )
    )
    assert out["properties"]["unit"] == {"type": "STRING", "enum": ["c", "f"]}
    assert out["properties"]["mode"] == {"type": "STRING", "enum": ["fast"]}
    assert out["properties"]["lvl"] == {"type": "STRING", "enum": ["a", "b"], "nullable": True}


def test_non_string_enums_and_formats_move_to_the_description() -> None:
    out = conv(
        obj(
            n={"type": "integer", "enum": [1, 2, 3], "description": "Count"},
            url={"type": "string", "format": "uri"},
            when={"type": "string", "format": "date-time"},
        )
    )
    assert out["properties"]["n"] == {"type": "INTEGER", "description": "Count (one of 1, 2, 3)"}
    assert out["properties"]["url"] == {"type": "STRING", "description": "(format: uri)"}
    assert out["properties"]["when"] == {"type": "STRING", "format": "date-time"}


def test_refs_are_inlined_and_unknown_keywords_dropped() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number", "exclusiveMinimum": 0}}}},
        "properties": {
            "p": {"$ref": "#/$defs/Point", "description": "a point"},
            "q": {"examples": ["e"], "type": "string"},
        },
        "required": ["p"],
    }
    assert conv(schema) == {
        "type": "OBJECT",
        "properties": {
            "p": {"type": "OBJECT", "description": "a point", "properties": {"x": {"type": "NUMBER"}}},
            "q": {"type": "STRING", "example": "e"},
        },
        "required": ["p"],
    }


def test_allof_objects_are_merged() -> None:
    schema = obj(
        v={"allOf": [obj(a={"type": "string"}) | {"required": ["a"]}, obj(b={"type": "integer"}) | {"required": ["b"]}]}
    )
    assert conv(schema)["properties"]["v"] == {
        "type": "OBJECT",
        "properties": {"a": {"type": "STRING"}, "b": {"type": "INTEGER"}},
        "required": ["a", "b"],
    }


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        (
            {
                "type": "object",
                "$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}},
                "properties": {"n": {"$ref": "#/$defs/N"}},
            },
            "recursive $ref",
        ),
        (obj(a={"$ref": "https://example.com/x.json"}), "does not point into"),
        (obj(a={"not": {"type": "string"}}), "'not'"),
        (obj(a={"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}), "tuple-style"),
        (obj(a={"allOf": [{"type": "string"}, {"type": "integer"}]}), "conflicting 'type'"),
    ],
)
def test_inexpressible_schemas_fail_clearly(schema: dict[str, Any], words: str) -> None:
    with pytest.raises(SchemaError) as info:
        conv(schema)
    assert words in str(info.value) and "tool 't'" in str(info.value) and "tool_schema" in str(info.value)
    assert isinstance(info.value, InvalidToolError)


def test_a_bad_schema_fails_the_stream_before_anything_is_sent() -> None:
    m = aiwire.custom_model("gemini-2.5-flash", api="google-generative-ai", base_url="http://unused.invalid")
    tool = aiwire.Tool(name="t", parameters=obj(a={"not": {"type": "string"}}))
    ctx = aiwire.Context(messages=[aiwire.UserMessage(content="hi")], tools=[tool])
    with pytest.raises(InvalidToolError):
        list(aiwire.stream_sync(m, ctx, api_key="test-key"))
