"""Native structured output for both OpenAI apis (used by ``aiwire.extract``).

Chat Completions takes ``response_format: {"type": "json_schema",
"json_schema": {name, schema, strict}}``; Responses takes the same fields
flat in ``text.format``. Whether a model has the mode is the compat flag
``structured_output`` (per provider row, per catalog model from the
models.dev data, or set by the user); without it ``extract`` forces a tool
call instead.

Strict mode (constrained decoding) accepts only a subset of JSON Schema in
which every object lists all its properties in ``required`` and sets
``additionalProperties: false``. A schema that fits once
``additionalProperties: false`` is added is sent strict; any other is sent
with ``strict: false`` unchanged, and the answer is still validated by the
type's own library after it arrives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwire.types import Model

from .compat import Compat

__all__ = ["json_schema_format", "strict_schema"]

# Keywords OpenAI's strict mode accepts; a schema with any other is sent non-strict.
_STRICT_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "$ref",
        "$defs",
        "definitions",
        "description",
        "title",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
_SCHEMA_KEYS = ("items", "additionalProperties")


def json_schema_format(model: Model, compat: Compat, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    """``{name, schema, strict, type}`` for ``model``, or ``None`` without the mode."""
    if not compat.structured_output:
        return None
    strict = strict_schema(schema)
    return {
        "type": "json_schema",
        "name": name,
        "schema": strict if strict is not None else schema,
        "strict": strict is not None,
    }


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """``schema`` with ``additionalProperties: false`` on every object, or
    ``None`` if it cannot be strict (optional properties, other keywords)."""
    try:
        out: dict[str, Any] = _strict(schema)
        return out
    except (_NotStrict, TypeError, ValueError, AttributeError):  # a malformed schema is sent as given, non-strict
        return None


class _NotStrict(Exception):
    pass


def _strict(node: Any) -> Any:
    if not isinstance(node, Mapping):
        raise _NotStrict
    if set(node) - _STRICT_KEYWORDS:
        raise _NotStrict
    out = dict(node)
    props = node.get("properties")
    if isinstance(props, Mapping) or node.get("type") == "object":
        props = props or {}
        if set(node.get("required", ())) != set(props) or node.get("additionalProperties", False) is not False:
            raise _NotStrict
        out["properties"] = {k: _strict(v) for k, v in props.items()}
        out["additionalProperties"] = False
    for key in _SCHEMA_KEYS:
        if isinstance(node.get(key), Mapping):
            out[key] = _strict(node[key])
    if isinstance(node.get("anyOf"), list):
        out["anyOf"] = [_strict(v) for v in node["anyOf"]]
    for key in ("$defs", "definitions"):
        if isinstance(node.get(key), Mapping):
            out[key] = {k: _strict(v) for k, v in node[key].items()}
    return out
