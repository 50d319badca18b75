"""Native structured output on ``generateContent`` (used by ``aiwire.extract``).

``generationConfig.responseMimeType: "application/json"`` with either
``responseJsonSchema`` (JSON Schema, Gemini 2.5 and later) or
``responseSchema`` (the OpenAPI-style subset of :mod:`aiwire_google.schema`,
every Gemini model). The model compat ``response_schema`` (``"json"`` or
``"openapi"``) picks one by hand; ``structured_output: false`` turns the mode
off (a forced tool call is used instead). Models that are not Gemini (Gemma,
tuned or third-party ids) have no native mode unless the compat says so.

``responseJsonSchema`` accepts a documented subset of keywords. What it lacks
is rewritten (``const`` becomes a one-value ``enum``, a one-element ``allOf``
is inlined) or moved into the description (length bounds, ``pattern``,
``multipleOf``, ``default``...: the answer is still validated against the full
type). A ``$ref`` is sent bare, as Google requires. A recursive ``$ref`` is
allowed only below a property that is not required (Google unrolls those a
few levels); a required one, and ``not``/conditionals, raise
:class:`~aiwire.errors.SchemaError` naming the path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiwire.errors import SchemaError
from aiwire.types import Model

from .schema import to_gemini_schema

__all__ = ["generation_config", "json_schema_subset"]

_VERSION = re.compile(r"gemini-(\d+)(?:\.(\d+))?")
_KEEP = frozenset(
    {
        "$id",
        "$defs",
        "$ref",
        "$anchor",
        "type",
        "format",
        "title",
        "description",
        "enum",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "anyOf",
        "oneOf",
        "properties",
        "additionalProperties",
        "required",
        "propertyOrdering",
    }
)
_NO_EQUIVALENT = ("not", "if", "then", "else", "dependentSchemas", "patternProperties")


def generation_config(model: Model, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The ``generationConfig`` fields for JSON output matching ``schema``, or ``None``."""
    flag = model.compat.get("structured_output")
    mid = model.id.lower()
    if flag is False or (flag is None and "gemini" not in mid):
        return None
    style = model.compat.get("response_schema")
    if style is None:
        m = _VERSION.search(mid)
        modern = m is None or (int(m.group(1)), int(m.group(2) or 0)) >= (2, 5)  # "gemini-flash-latest"
        style = "json" if modern or model.compat.get("tool_schema") == "json" else "openapi"
    gen: dict[str, Any] = {"responseMimeType": "application/json"}
    try:
        if style == "json":
            gen["responseJsonSchema"] = json_schema_subset(name, schema)
        else:
            gen["responseSchema"] = to_gemini_schema(f"{name} (structured output)", schema)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:  # a malformed schema, past the core's checks
        raise SchemaError(f"{name}: the schema is malformed ({exc}); Gemini's JSON output cannot use it") from None
    return {"generationConfig": gen}


def json_schema_subset(name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` in the subset ``responseJsonSchema`` documents."""
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = schema.get(key)
        if isinstance(found, Mapping):
            defs.update({f"#/{key}/{k}": v for k, v in found.items()})
    conv = _Converter(name, defs)
    out: dict[str, Any] = conv.convert(schema, "$", (), required=True)
    if isinstance(out.get("definitions"), dict):  # only $defs is documented: move them
        moved = out.pop("definitions")
        out["$defs"] = {**(out["$defs"] if isinstance(out.get("$defs"), dict) else {}), **moved}
        out = conv.rename_refs(out)
    return out


class _Converter:
    __slots__ = ("defs", "name")

    def __init__(self, name: str, defs: dict[str, Any]) -> None:
        self.name = name
        self.defs = defs

    def fail(self, path: str, why: str) -> SchemaError:
        return SchemaError(
            f"{self.name}: {path}: {why}; Gemini's responseJsonSchema cannot express it "
            "(extract falls back to a forced tool call unless mode='native')"
        )

    def check_ref(self, ref: str, path: str, seen: tuple[str, ...], required: bool) -> None:
        if ref in seen:
            if required:
                raise self.fail(path, f"recursive $ref {ref!r} under required properties only")
            return
        target = self.defs.get(ref)
        if target is None:
            raise self.fail(path, f"$ref {ref!r} does not point into $defs")
        self.convert(target, path, (*seen, ref), required)

    def convert(self, node: Any, path: str, seen: tuple[str, ...], required: bool) -> Any:
        if not isinstance(node, Mapping):
            return node
        for key in _NO_EQUIVALENT:
            if key in node:
                raise self.fail(path, f"{key!r} has no equivalent")
        ref = node.get("$ref")
        if ref is not None:
            if not isinstance(ref, str):
                raise self.fail(path, "$ref must be a string")
            self.check_ref(ref, path, seen, required)
            return {"$ref": ref}  # no siblings next to $ref
        node = dict(node)
        all_of = node.pop("allOf", None)
        if isinstance(all_of, list):
            if len(all_of) != 1:
                raise self.fail(path, "allOf of several schemas has no equivalent")
            inner = self.convert(all_of[0], path, seen, required)
            extra = self.convert(node, path, seen, required)
            if "$ref" in inner:
                return inner
            return {**inner, **{k: v for k, v in extra.items() if k not in inner}}
        if "const" in node:
            node.setdefault("enum", [node.pop("const")])
        out: dict[str, Any] = {}
        notes: list[str] = []
        req = node.get("required")
        needed = {r for r in req if isinstance(r, str)} if isinstance(req, list) else set()
        for key, value in node.items():
            if key == "properties" and isinstance(value, Mapping):
                out[key] = {k: self.convert(v, f"{path}.{k}", seen, required and k in needed) for k, v in value.items()}
            elif key == "items" and isinstance(value, Mapping):
                out[key] = self.convert(value, f"{path}[]", seen, required and bool(node.get("minItems")))
            elif key == "prefixItems" and isinstance(value, list):
                out[key] = [self.convert(v, f"{path}[{i}]", seen, required) for i, v in enumerate(value)]
            elif key in ("anyOf", "oneOf") and isinstance(value, list):
                # a nullable property is still required: Google unrolls only optional recursion
                out[key] = [self.convert(v, f"{path}.{key}[{i}]", seen, required) for i, v in enumerate(value)]
            elif key == "additionalProperties" and isinstance(value, Mapping):
                out[key] = self.convert(value, f"{path}{{}}", seen, False)
            elif key == "$defs" and isinstance(value, Mapping):
                out[key] = {k: self.convert(v, f"#/$defs/{k}", (), False) for k, v in value.items()}
            elif key == "definitions" and isinstance(value, Mapping):
                out[key] = {k: self.convert(v, f"#/definitions/{k}", (), False) for k, v in value.items()}
            elif key == "enum" and isinstance(value, list) and not all(_plain(v) for v in value):
                notes.append("one of " + ", ".join(repr(v) for v in value))
            elif key in _KEEP:
                out[key] = value
            else:
                notes.append(f"{key}: {value!r}")
        if notes:
            note = "(" + "; ".join(notes) + ")"
            out["description"] = f"{out['description']} {note}" if out.get("description") else note
        return out

    def rename_refs(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (
                    v.replace("#/definitions/", "#/$defs/")
                    if k == "$ref" and isinstance(v, str)
                    else self.rename_refs(v)
                )
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [self.rename_refs(v) for v in node]
        return node


def _plain(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)
