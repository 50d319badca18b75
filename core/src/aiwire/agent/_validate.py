"""Minimal tool-argument validation for the agent loop.

Placeholder: at merge this is replaced by ``aiwire.tools.validate_tool_call``
(full JSON Schema with path-level errors and reported coercion). Until then it
checks what models most often get wrong: required properties, JSON types,
enums, nested objects and array items. Unknown schema keywords are ignored,
never rejected.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ArgumentsError", "validate_arguments"]


class ArgumentsError(ValueError):
    """The arguments do not match the tool's schema; the text says where."""


_CHECKS: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def _json_type(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _CHECKS[name](value):
            return name
    return type(value).__name__


def _check(schema: Any, value: Any, path: str, errors: list[str]) -> None:
    if not isinstance(schema, dict):
        return
    t = schema.get("type")
    types = t if isinstance(t, list) else [t] if isinstance(t, str) else []
    if types and not any(_CHECKS.get(one, lambda v: True)(value) for one in types):
        errors.append(f"{path}: expected {' or '.join(types)}, got {_json_type(value)}")
        return
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        errors.append(f"{path}: {value!r} is not one of {enum!r}")
    if isinstance(value, dict):
        required = schema.get("required") or ()
        errors.extend(f"{path}: missing required property {name!r}" for name in required if name not in value)
        props = schema.get("properties")
        if isinstance(props, dict):
            for name, sub in props.items():
                if name in value:
                    _check(sub, value[name], f"{path}.{name}", errors)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _check(schema["items"], item, f"{path}[{i}]", errors)


def validate_arguments(parameters: dict[str, Any], args: Any) -> dict[str, Any]:
    """Return ``args`` if they fit ``parameters``, else raise
    :class:`ArgumentsError` listing every problem found."""
    if not isinstance(args, dict):
        raise ArgumentsError(f"arguments must be a JSON object, got {_json_type(args)}")
    errors: list[str] = []
    _check(parameters, args, "arguments", errors)
    if errors:
        raise ArgumentsError("; ".join(errors))
    return args
