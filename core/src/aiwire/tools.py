"""Checking tool-call arguments against the tool's JSON Schema.

::

    for call in message.tool_calls:
        try:
            checked = aiwire.validate_tool_call(context.tools, call)
        except aiwire.ToolArgumentsError as exc:
            reply = aiwire.ToolResultMessage(..., content=[TextContent(text=str(exc))], is_error=True)
        else:
            run(call.name, checked.arguments)

The error lists every failing path with the value received, in words a model
can act on when it is sent back as the tool result. Where the schema leaves no
doubt, a string is read as the number, boolean, array or object it spells
("3" for an integer); each such coercion is listed in ``coercions``, never
silent. The validator covers the JSON Schema keywords tool schemas use: type,
properties, required, additionalProperties, items, prefixItems, enum, const,
anyOf, oneOf, allOf, not, the numeric and length bounds, pattern, uniqueItems
and local ``$ref``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import msgspec

from aiwire.errors import AiwireError
from aiwire.types import Context, Tool, ToolCall

__all__ = ["CheckedCall", "ToolArgumentsError", "check_value", "validate_tool_call"]


class ToolArgumentsError(AiwireError, ValueError):
    """A tool call's arguments do not match its tool. ``problems`` lists
    ``(path, message)`` pairs; ``str()`` is written to be sent back to the model."""

    def __init__(self, tool: str, problems: list[tuple[str, str]], arguments: Any) -> None:
        self.tool = tool
        self.problems = problems
        self.arguments = arguments
        lines = [f"  - {path}: {why}" for path, why in problems]
        super().__init__(
            f"invalid arguments for tool {tool!r}:\n"
            + "\n".join(lines)
            + f"\nreceived arguments: {_show(arguments, 2000)}"
        )


class CheckedCall(msgspec.Struct, frozen=True):
    """Arguments that passed, after any coercion; ``coercions`` says which
    values were read as another type, one line each."""

    arguments: dict[str, Any]
    coercions: list[str]


def validate_tool_call(tools: Sequence[Tool] | Context, call: ToolCall) -> CheckedCall:
    """Check ``call`` against its tool in ``tools`` (or a context's tools).

    Raises :class:`ToolArgumentsError` for an unknown tool, arguments that
    were not a JSON object, or any schema violation.
    """
    listing = tools.tools if isinstance(tools, Context) else tools
    tool = next((t for t in listing if t.name == call.name), None)
    if tool is None:
        names = ", ".join(sorted(t.name for t in listing)) or "none"
        raise ToolArgumentsError(call.name, [("tool", f"no tool is named {call.name!r} (tools: {names})")], None)
    if call.invalid_arguments is not None:
        raise ToolArgumentsError(
            call.name,
            [("arguments", "are not a JSON object" + _received(call.invalid_arguments))],
            call.invalid_arguments,
        )
    value, problems, coercions = check_value(tool.parameters, call.arguments)
    if problems:
        raise ToolArgumentsError(call.name, problems, call.arguments)
    return CheckedCall(arguments=value, coercions=coercions)


def check_value(schema: dict[str, Any], value: Any) -> tuple[Any, list[tuple[str, str]], list[str]]:
    """Validate ``value`` against ``schema``: ``(value after coercion,
    problems, coercions)``. The input is not modified."""
    v = _Validator(schema)
    out = v.check(schema, value, "arguments")
    return out, v.problems, v.coercions


def _show(value: Any, limit: int = 120) -> str:
    try:
        text = msgspec.json.encode(value).decode()
    except (TypeError, UnicodeEncodeError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _received(value: Any) -> str:
    return f" (received {_show(value)})"


_JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _type_ok(t: str, value: Any) -> bool:
    if t == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    py = _JSON_TYPES.get(t)
    return py is not None and isinstance(value, py) and not (py is not bool and isinstance(value, bool))


_INT = r"[-+]?\d+"


def _coerce(t: str, value: str) -> tuple[bool, Any]:
    s = value.strip()
    if t == "integer" and re.fullmatch(_INT, s):
        return True, int(s)
    if t == "number":
        try:
            f = float(s)
        except ValueError:
            return False, None
        if math.isfinite(f):
            return True, int(s) if re.fullmatch(_INT, s) else f
    if t == "boolean" and s.lower() in ("true", "false"):
        return True, s.lower() == "true"
    if t in ("array", "object") and s[:1] in "[{":
        try:
            parsed = msgspec.json.decode(s)
        except msgspec.DecodeError:
            return False, None
        if _type_ok(t, parsed):
            return True, parsed
    return False, None


class _Validator:
    __slots__ = ("coercions", "problems", "root")

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.problems: list[tuple[str, str]] = []
        self.coercions: list[str] = []

    def resolve(self, schema: Any) -> Any:
        seen = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 32:
            ref = schema["$ref"]
            if not ref.startswith("#"):
                return {}
            node: Any = self.root
            for part in ref[1:].split("/"):
                if part:
                    node = node.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(node, dict) else {}
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**node, **extra} if extra and isinstance(node, dict) else node
            seen += 1
        return schema

    def fails(self, schema: Any, value: Any) -> bool:
        """Whether ``value`` fails ``schema``, without recording anything."""
        probe = _Validator(self.root)
        probe.check(schema, value, "")
        return bool(probe.problems)

    def check(self, schema: Any, value: Any, path: str) -> Any:
        schema = self.resolve(schema)
        if schema is True or not isinstance(schema, dict):
            return value
        t = schema.get("type")
        types = t if isinstance(t, list) else [t] if isinstance(t, str) else []
        if types and not any(_type_ok(x, value) for x in types):
            plain = [x for x in types if x != "null"]
            if isinstance(value, str) and len(plain) == 1:
                ok, coerced = _coerce(plain[0], value)
                if ok:
                    self.coercions.append(f"{path}: read the string {_show(value)} as {plain[0]} {_show(coerced)}")
                    value = coerced
            if not any(_type_ok(x, value) for x in types):
                self.problems.append((path, f"expected {' or '.join(types)}{_received(value)}"))
                return value
        if "const" in schema and value != schema["const"]:
            self.problems.append((path, f"must be {_show(schema['const'])}{_received(value)}"))
        enum = schema.get("enum")
        if isinstance(enum, list) and value not in enum:
            self.problems.append((path, f"must be one of {_show(enum)}{_received(value)}"))
        if isinstance(value, dict):
            value = self.object(schema, value, path)
        elif isinstance(value, list):
            value = self.array(schema, value, path)
        elif isinstance(value, str):
            self.string(schema, value, path)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self.number(schema, value, path)
        value = self.combinators(schema, value, path)
        return value

    def combinators(self, schema: dict[str, Any], value: Any, path: str) -> Any:
        for sub in schema.get("allOf") or ():
            value = self.check(sub, value, path)
        any_of = schema.get("anyOf")
        if isinstance(any_of, list) and any_of and all(self.fails(s, value) for s in any_of):
            self.problems.append((path, f"matches none of the {len(any_of)} allowed forms{_received(value)}"))
        one_of = schema.get("oneOf")
        if isinstance(one_of, list) and one_of:
            passing = sum(not self.fails(s, value) for s in one_of)
            if passing != 1:
                what = "none" if passing == 0 else f"{passing}"
                self.problems.append((path, f"must match exactly one of {len(one_of)} forms, matches {what}"))
        if "not" in schema and not self.fails(schema["not"], value):
            self.problems.append((path, f"must not match {_show(schema['not'])}{_received(value)}"))
        return value

    def object(self, schema: dict[str, Any], value: dict[str, Any], path: str) -> dict[str, Any]:
        props = schema.get("properties") or {}
        out = dict(value)
        for name in schema.get("required") or ():
            if name not in value:
                self.problems.append((f"{path}.{name}", "is required but missing"))
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            sub = f"{path}.{key}"
            if key in props:
                out[key] = self.check(props[key], item, sub)
            elif extra is False:
                allowed = ", ".join(sorted(props)) or "none"
                self.problems.append((sub, f"is not an allowed property (allowed: {allowed}){_received(item)}"))
            elif isinstance(extra, dict):
                out[key] = self.check(extra, item, sub)
        for bound, op in (("minProperties", "at least"), ("maxProperties", "at most")):
            n = schema.get(bound)
            if isinstance(n, int) and (len(value) < n if op == "at least" else len(value) > n):
                self.problems.append((path, f"must have {op} {n} properties, has {len(value)}"))
        return out

    def array(self, schema: dict[str, Any], value: list[Any], path: str) -> list[Any]:
        out = list(value)
        prefix = schema.get("prefixItems") or []
        for i, sub in enumerate(prefix[: len(value)]):
            out[i] = self.check(sub, value[i], f"{path}[{i}]")
        items = schema.get("items")
        if isinstance(items, dict):
            for i in range(len(prefix), len(value)):
                out[i] = self.check(items, value[i], f"{path}[{i}]")
        for bound, op in (("minItems", "at least"), ("maxItems", "at most")):
            n = schema.get(bound)
            if isinstance(n, int) and (len(value) < n if op == "at least" else len(value) > n):
                self.problems.append((path, f"must have {op} {n} items, has {len(value)}"))
        if schema.get("uniqueItems"):
            keys = [msgspec.json.encode(v, order="sorted") for v in out]
            if len(set(keys)) != len(keys):
                self.problems.append((path, f"items must be unique{_received(value)}"))
        return out

    def string(self, schema: dict[str, Any], value: str, path: str) -> None:
        for bound, op in (("minLength", "at least"), ("maxLength", "at most")):
            n = schema.get(bound)
            if isinstance(n, int) and (len(value) < n if op == "at least" else len(value) > n):
                self.problems.append((path, f"must be {op} {n} characters long{_received(value)}"))
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            try:
                if re.search(pattern, value) is None:
                    self.problems.append((path, f"must match the pattern {pattern!r}{_received(value)}"))
            except re.error:
                pass  # a pattern Python cannot read is not the model's fault

    def number(self, schema: dict[str, Any], value: float, path: str) -> None:
        for key, sign in (("minimum", ">="), ("maximum", "<="), ("exclusiveMinimum", ">"), ("exclusiveMaximum", "<")):
            bound = schema.get(key)
            if not isinstance(bound, (int, float)) or isinstance(bound, bool):
                continue
            ok = {">=": value >= bound, "<=": value <= bound, ">": value > bound, "<": value < bound}[sign]
            if not ok:
                self.problems.append((path, f"must be {sign} {bound}{_received(value)}"))
        step = schema.get("multipleOf")
        if isinstance(step, (int, float)) and step > 0 and not math.isclose(value / step, round(value / step)):
            self.problems.append((path, f"must be a multiple of {step}{_received(value)}"))
