"""Native structured output on the Messages API (used by ``aiwire.extract``).

Claude answers in JSON matching a schema when the request has
``output_config: {"format": {"type": "json_schema", "schema": ...}}`` (generally
available, no beta header), on Claude Opus, Sonnet and Haiku 4.5 and later.
Other models, and hosts other than api.anthropic.com, get a forced tool call
instead, unless the model compat ``structured_output`` says otherwise.

The mode takes a subset of JSON Schema. :func:`output_schema` converts what
has an equivalent: every object gets ``additionalProperties: false``;
numeric bounds, length bounds, ``maxItems``, ``minItems`` above 1 and string
formats it does not know move into the description (the answer is still
checked against the full type after it arrives). It raises
:class:`~aiwire.errors.SchemaError` naming the path for what has none (a
recursive ``$ref``, a map with ``additionalProperties`` of a schema, ``not``,
conditionals), and ``extract`` then falls back to a forced tool call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiwire.errors import SchemaError
from aiwire.types import Model

__all__ = ["has_structured_output", "output_schema"]

_VERSION = re.compile(r"claude-(?:[a-z]+-)?(\d+)(?:[-.](\d))?(?:-|$)")
_FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid"})
_TO_DESCRIPTION = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "maxItems",
    "minProperties",
    "maxProperties",
    "uniqueItems",
)
_NO_EQUIVALENT = ("not", "if", "then", "else", "patternProperties", "dependentSchemas", "contains")


def has_structured_output(model: Model) -> bool:
    """Whether ``model`` takes ``output_config.format`` (compat ``structured_output`` overrides)."""
    flag = model.compat.get("structured_output")
    if isinstance(flag, bool):
        return flag
    if "api.anthropic.com" not in model.base_url:
        return False
    m = _VERSION.search(model.id)
    if not m:
        return False
    major, minor = int(m.group(1)), int(m.group(2) or 0)
    return major >= 5 or (major == 4 and minor >= 5)


def output_schema(name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` in the subset ``output_config.format`` accepts."""
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = schema.get(key)
        if isinstance(found, Mapping):
            defs.update({f"#/{key}/{k}": v for k, v in found.items()})
    try:
        out: dict[str, Any] = _Converter(name, defs).convert(schema, "$", ())
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a malformed schema, past the core's checks
        raise SchemaError(
            f"{name}: the schema is malformed ({exc}); Anthropic's structured output cannot use it"
        ) from None
    return out


class _Converter:
    __slots__ = ("defs", "name")

    def __init__(self, name: str, defs: dict[str, Any]) -> None:
        self.name = name
        self.defs = defs

    def fail(self, path: str, why: str) -> SchemaError:
        return SchemaError(
            f"{self.name}: {path}: {why}; Anthropic's structured output cannot express it "
            "(extract falls back to a forced tool call unless mode='native')"
        )

    def convert(self, node: Any, path: str, seen: tuple[str, ...]) -> Any:
        if not isinstance(node, Mapping):
            return node
        ref = node.get("$ref")
        if ref is not None:
            if not isinstance(ref, str):
                raise self.fail(path, "$ref must be a string")
            if ref in seen:
                raise self.fail(path, f"recursive $ref {ref!r}")
            if ref not in self.defs:
                raise self.fail(path, f"$ref {ref!r} does not point into $defs")
            self.convert(self.defs[ref], path, (*seen, ref))  # check it; the $defs copy is sent
        for key in _NO_EQUIVALENT:
            if key in node:
                raise self.fail(path, f"{key!r} has no equivalent")
        out: dict[str, Any] = {}
        notes: list[str] = []
        for key, value in node.items():
            if key in _TO_DESCRIPTION:
                notes.append(f"{key}: {value}")
            elif key == "minItems" and isinstance(value, int) and value > 1:
                notes.append(f"minItems: {value}")
            elif key == "format" and not (isinstance(value, str) and value in _FORMATS):
                notes.append(f"format: {value}")
            elif key == "properties" and isinstance(value, Mapping):
                out[key] = {k: self.convert(v, f"{path}.{k}", seen) for k, v in value.items()}
            elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
                if key == "additionalProperties" and value:
                    raise self.fail(path, "an object with free-form keys (additionalProperties of a schema)")
                out[key] = self.convert(value, f"{path}[]" if key == "items" else path, seen)
            elif key in ("anyOf", "allOf", "oneOf") and isinstance(value, list):
                out["anyOf" if key == "oneOf" else key] = [
                    self.convert(v, f"{path}.{key}[{i}]", seen) for i, v in enumerate(value)
                ]
            elif key in ("$defs", "definitions") and isinstance(value, Mapping):
                out[key] = {k: self.convert(v, f"#/{key}/{k}", (f"#/{key}/{k}",)) for k, v in value.items()}
            else:
                out[key] = value
        if out.get("type") == "object" or "properties" in out:
            if out.get("additionalProperties") is True:
                raise self.fail(path, "an object with free-form keys (additionalProperties: true)")
            out["additionalProperties"] = False
        if notes:
            note = "(" + "; ".join(notes) + ")"
            out["description"] = f"{out['description']} {note}" if out.get("description") else note
        return out
