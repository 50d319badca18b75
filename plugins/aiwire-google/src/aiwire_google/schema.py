"""JSON Schema to the Gemini ``Schema`` subset (an OpenAPI 3.0 dialect).

Gemini's ``parameters`` field accepts only part of JSON Schema. This module
rewrites what has an equivalent and raises :class:`SchemaError` for what has
none, naming the path, so a tool fails before anything is sent:

- ``$ref`` into ``$defs``/``definitions`` is inlined (recursive ones fail);
- ``"type": [t, "null"]`` becomes ``nullable``; other type lists and
  ``oneOf`` become ``anyOf``; ``const`` becomes a one-value ``enum``;
- an ``anyOf`` of string constants (TypeBox/pydantic literal unions) becomes
  one ``enum``; ``allOf`` of objects is merged;
- ``enum`` of non-strings, unsupported ``format`` values and ``examples``
  move into the description; keywords Gemini does not know are dropped
  (``additionalProperties``, ``$schema``, ``exclusiveMinimum``...);
- ``not``, tuple ``items``/``prefixItems`` and conflicting ``allOf`` fail.

Models that take full JSON Schema can skip all of this with the model compat
``{"tool_schema": "json"}`` (sent as ``parametersJsonSchema``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwire.errors import SchemaError as _CoreSchemaError

__all__ = ["SchemaError", "to_gemini_schema"]


class SchemaError(_CoreSchemaError):
    """A tool schema has a construct the Gemini schema cannot express."""


_TYPES = {
    "string": "STRING",
    "number": "NUMBER",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "array": "ARRAY",
    "object": "OBJECT",
}
# Copied through as they are (after recursion where they hold schemas).
_PLAIN = (
    "title",
    "description",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "default",
    "propertyOrdering",
    "example",
)
_FORMATS = {"STRING": {"enum", "date-time"}, "NUMBER": {"float", "double"}, "INTEGER": {"int32", "int64"}}
_UNSUPPORTED = ("not", "prefixItems", "if", "then", "else", "contains")


def to_gemini_schema(tool: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a tool's ``parameters`` (JSON Schema) to a Gemini ``Schema``."""
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = schema.get(key)
        if isinstance(found, Mapping):
            for name, sub in found.items():
                defs[f"#/{key}/{name}"] = sub
    return _Converter(tool, defs).convert(schema, "parameters", ())


class _Converter:
    __slots__ = ("defs", "tool")

    def __init__(self, tool: str, defs: dict[str, Any]) -> None:
        self.tool = tool
        self.defs = defs

    def fail(self, path: str, why: str) -> SchemaError:
        return SchemaError(
            f"tool {self.tool!r}: {path}: {why}. Gemini accepts only a subset of JSON Schema; simplify the "
            "schema, or set the model compat {'tool_schema': 'json'} for models that take full JSON Schema"
        )

    def convert(self, schema: Any, path: str, seen: tuple[str, ...]) -> dict[str, Any]:
        if schema is True or schema == {}:
            return {}
        if not isinstance(schema, Mapping):
            raise self.fail(path, f"expected a schema object, got {type(schema).__name__}")
        ref = schema.get("$ref")
        if ref is not None:
            if ref in seen:
                raise self.fail(path, f"recursive $ref {ref!r} cannot be inlined")
            target = self.defs.get(ref)
            if target is None:
                raise self.fail(path, f"$ref {ref!r} does not point into $defs or definitions")
            merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
            return self.convert(merged, path, (*seen, ref))
        for key in _UNSUPPORTED:
            if key in schema:
                raise self.fail(path, f"{key!r} has no Gemini equivalent")
        if "allOf" in schema:
            return self.convert(self.merge_all_of(schema, path), path, seen)

        out: dict[str, Any] = {}
        notes: list[str] = []
        nullable = bool(schema.get("nullable"))
        raw_type = schema.get("type")
        types = list(raw_type) if isinstance(raw_type, list) else [raw_type] if raw_type else []
        if "null" in types:
            nullable = True
            types = [t for t in types if t != "null"]

        variants = schema.get("anyOf", schema.get("oneOf"))
        if len(types) > 1:
            if variants is not None:
                raise self.fail(path, "a type list together with anyOf/oneOf")
            variants = [{"type": t} for t in types]
            types = []
        if variants is not None:
            if not isinstance(variants, list):
                raise self.fail(path, "anyOf/oneOf must be a list")
            non_null = [v for v in variants if not (isinstance(v, Mapping) and v.get("type") == "null")]
            nullable = nullable or len(non_null) < len(variants)
            literals = _string_literals(non_null)
            if literals is not None:
                out["type"] = "STRING"
                out["enum"] = literals
            elif len(non_null) == 1:
                out.update(self.convert(non_null[0], path, seen))
            else:
                out["anyOf"] = [self.convert(v, f"{path}.anyOf[{i}]", seen) for i, v in enumerate(non_null)]

        if types:
            t = types[0]
            if t not in _TYPES:
                raise self.fail(path, f"unknown type {t!r}")
            out["type"] = _TYPES[t]
        if nullable:
            out["nullable"] = True

        for key in _PLAIN:
            if key in schema:
                out[key] = schema[key]
        examples = schema.get("examples")
        if "example" not in out and isinstance(examples, list) and examples:
            out["example"] = examples[0]

        if "const" in schema:
            out.setdefault("type", _type_of(schema["const"]))
            if isinstance(schema["const"], str):
                out["enum"] = [schema["const"]]
            else:
                notes.append(f"must be {schema['const']!r}")
        if "enum" in schema:
            values = schema["enum"]
            if not isinstance(values, list):
                raise self.fail(path, "enum must be a list")
            present = [v for v in values if v is not None]
            if len(present) < len(values):
                out["nullable"] = True
            if all(isinstance(v, str) for v in present):
                out["enum"] = present
                out.setdefault("type", "STRING")
            else:
                notes.append("one of " + ", ".join(repr(v) for v in present))

        fmt = schema.get("format")
        if isinstance(fmt, str):
            if fmt in _FORMATS.get(out.get("type", ""), ()):
                out["format"] = fmt
            else:
                notes.append(f"format: {fmt}")

        props = schema.get("properties")
        if isinstance(props, Mapping):
            out["properties"] = {
                name: self.convert(sub, f"{path}.properties.{name}", seen) for name, sub in props.items()
            }
            out.setdefault("type", "OBJECT")
        if isinstance(schema.get("required"), list):
            out["required"] = list(schema["required"])
        items = schema.get("items")
        if items is not None:
            if isinstance(items, list):
                raise self.fail(path, "tuple-style items (a list of schemas) have no Gemini equivalent")
            out["items"] = self.convert(items, f"{path}.items", seen)
            out.setdefault("type", "ARRAY")

        if notes:
            note = "(" + "; ".join(notes) + ")"
            out["description"] = f"{out['description']} {note}" if out.get("description") else note
        return out

    def merge_all_of(self, schema: Mapping[str, Any], path: str) -> dict[str, Any]:
        parts = schema["allOf"]
        if not isinstance(parts, list):
            raise self.fail(path, "allOf must be a list")
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for i, part in enumerate(parts):
            if isinstance(part, Mapping) and "$ref" in part:
                target = self.defs.get(part["$ref"])
                if target is None:
                    raise self.fail(f"{path}.allOf[{i}]", f"$ref {part['$ref']!r} does not point into $defs")
                part = {**target, **{k: v for k, v in part.items() if k != "$ref"}}
            if not isinstance(part, Mapping):
                raise self.fail(f"{path}.allOf[{i}]", "expected a schema object")
            for key, value in part.items():
                if key == "properties":
                    merged["properties"] = {**merged.get("properties", {}), **value}
                elif key == "required":
                    merged["required"] = sorted({*merged.get("required", []), *value})
                elif key in merged and merged[key] != value and key not in ("description", "title"):
                    raise self.fail(f"{path}.allOf[{i}]", f"conflicting {key!r} values cannot be merged")
                else:
                    merged.setdefault(key, value)
        return merged


def _string_literals(variants: list[Any]) -> list[str] | None:
    """The values of an anyOf made only of string constants, else None."""
    if not variants:
        return None
    out: list[str] = []
    for v in variants:
        if not isinstance(v, Mapping):
            return None
        if isinstance(v.get("const"), str):
            out.append(v["const"])
        elif isinstance(v.get("enum"), list) and all(isinstance(e, str) for e in v["enum"]):
            out.extend(v["enum"])
        else:
            return None
    return out


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INTEGER"
    if isinstance(value, float):
        return "NUMBER"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, list):
        return "ARRAY"
    return "OBJECT"
