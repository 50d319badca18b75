from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aiwire
from aiwire.tools import ToolArgumentsError, check_value, validate_tool_call
from aiwire.types import Context, Tool, ToolCall

WEATHER = Tool(
    name="weather",
    parameters={
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 2},
            "days": {"type": "integer", "minimum": 1, "maximum": 14},
            "units": {"enum": ["metric", "imperial"]},
            "detailed": {"type": "boolean"},
            "hours": {"type": "array", "items": {"type": "integer"}},
        },
        "required": ["city"],
        "additionalProperties": False,
    },
)


def call(args: dict[str, Any] | None = None, *, name: str = "weather", raw: str | None = None) -> ToolCall:
    return ToolCall(id="c1", name=name, arguments=args or {}, invalid_arguments=raw)


def test_valid_arguments_pass_unchanged() -> None:
    args = {"city": "Paris", "days": 3, "units": "metric", "hours": [1, 2]}
    checked = validate_tool_call([WEATHER], call(args))
    assert checked.arguments == args and checked.coercions == []


def test_every_failing_path_is_listed_with_the_value() -> None:
    args = {"city": "P", "days": 40, "units": "kelvin", "extra": 1, "hours": [1, "x"]}
    with pytest.raises(ToolArgumentsError) as info:
        validate_tool_call(Context(tools=[WEATHER]), call(args))
    exc = info.value
    paths = sorted(p for p, _ in exc.problems)
    assert paths == ["arguments.city", "arguments.days", "arguments.extra", "arguments.hours[1]", "arguments.units"]
    text = str(exc)
    assert "arguments.days: must be <= 14 (received 40)" in text
    assert 'arguments.units: must be one of ["metric","imperial"] (received "kelvin")' in text
    assert 'arguments.hours[1]: expected integer (received "x")' in text
    assert "received arguments:" in text


def test_missing_required_and_unknown_tool_and_bad_json() -> None:
    with pytest.raises(ToolArgumentsError, match=r"arguments.city: is required"):
        validate_tool_call([WEATHER], call({}))
    with pytest.raises(ToolArgumentsError, match=r"no tool is named 'nope' \(tools: weather\)"):
        validate_tool_call([WEATHER], call(name="nope"))
    with pytest.raises(ToolArgumentsError, match=r"are not a JSON object"):
        validate_tool_call([WEATHER], call(raw='{"city": '))


def test_unambiguous_coercions_are_reported() -> None:
    checked = validate_tool_call([WEATHER], call({"city": "Oslo", "days": "3", "detailed": "true", "hours": "[1, 2]"}))
    assert checked.arguments == {"city": "Oslo", "days": 3, "detailed": True, "hours": [1, 2]}
    assert sorted(checked.coercions) == [
        'arguments.days: read the string "3" as integer 3',
        'arguments.detailed: read the string "true" as boolean true',
        'arguments.hours: read the string "[1, 2]" as array [1,2]',
    ]


def test_no_coercion_when_ambiguous_or_wrong() -> None:
    schema = {"type": "object", "properties": {"x": {"type": ["integer", "string"]}, "n": {"type": "integer"}}}
    value, problems, coercions = check_value(schema, {"x": "3", "n": "3.5"})
    assert value["x"] == "3" and coercions == []
    assert problems == [("arguments.n", 'expected integer (received "3.5")')]


def test_input_is_not_modified() -> None:
    args = {"city": "Rome", "days": "2"}
    validate_tool_call([WEATHER], call(args))
    assert args == {"city": "Rome", "days": "2"}


def test_refs_combinators_and_nullable() -> None:
    schema = {
        "type": "object",
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}},
        "properties": {
            "p": {"$ref": "#/$defs/Point"},
            "q": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "r": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
            "s": {"type": ["string", "null"], "pattern": "^a"},
        },
    }
    assert check_value(schema, {"p": {"x": 1.5}, "q": None, "r": 1.5, "s": None})[1] == []
    problems = check_value(schema, {"p": {}, "q": 3, "r": 2, "s": "b"})[1]
    assert [p for p, _ in problems] == ["arguments.p.x", "arguments.q", "arguments.r", "arguments.s"]


SCHEMAS = st.sampled_from(
    [
        WEATHER.parameters,
        {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "number"}, "maxItems": 2}}},
        {"type": "object", "properties": {"b": {"type": "string", "maxLength": 3}}, "required": ["b"]},
        {"type": "object", "properties": {"c": {"anyOf": [{"type": "boolean"}, {"type": "integer", "minimum": 0}]}}},
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 20) | st.floats(-5, 5) | st.sampled_from(["P", "Paris", "metric", ""]),
    lambda c: (
        st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "c", "city", "days"]), c, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(SCHEMAS, st.dictionaries(st.sampled_from(["a", "b", "c", "city", "days", "units", "hours"]), JSON, max_size=4))
def test_agrees_with_the_reference_validator_when_nothing_is_coerced(schema: dict[str, Any], value: Any) -> None:
    _, problems, coercions = check_value(schema, value)
    if coercions:
        return
    reference = list(jsonschema.Draft202012Validator(schema).iter_errors(value))
    assert bool(problems) == bool(reference), (problems, [e.message for e in reference])


def test_exported() -> None:
    assert aiwire.validate_tool_call is validate_tool_call
