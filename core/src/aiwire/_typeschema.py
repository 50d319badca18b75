"""JSON Schema from Python types, and values checked by the type's own library.

:func:`shape_of` reads a Pydantic model, a dataclass, a TypedDict, a msgspec
Struct (or anything else msgspec or Pydantic can describe) and returns a
:class:`Shape`: its JSON Schema, a description, and ``validate(value)`` run by
that library's own validator. :func:`function_shape` does the same for a
function's parameters (type hints, with descriptions from a Google, NumPy or
reST docstring).

Pydantic is optional and never imported here: a value can only be a Pydantic
type if ``pydantic`` is already in ``sys.modules``. This module imports
nothing from aiwire, so that ``aiwire.types`` can use it lazily; callers turn
:class:`TypeSchemaError` into their own aiwire error.
"""

from __future__ import annotations

import inspect
import re
import sys
import typing
from collections.abc import Callable, Collection
from typing import Any

import msgspec

__all__ = ["Shape", "TypeSchemaError", "function_shape", "is_schema_type", "parse_docstring", "shape_of"]


class TypeSchemaError(ValueError):
    """A type has no JSON Schema, or a value does not validate against it."""


class Shape:
    """A type's JSON Schema, description and validator."""

    __slots__ = ("_validate", "description", "name", "schema", "type")

    def __init__(
        self, type: Any, name: str, schema: dict[str, Any], description: str, validate: Callable[[Any], Any]
    ) -> None:
        self.type = type
        self.name = name
        self.schema = schema
        self.description = description
        self._validate = validate

    def validate(self, value: Any) -> Any:
        """The value as an instance of the type; :class:`TypeSchemaError` with
        every failing path otherwise."""
        return self._validate(value)


def _pydantic() -> Any:
    return sys.modules.get("pydantic")


def is_pydantic_model(tp: Any) -> bool:
    """Whether ``tp`` is a Pydantic model class (without importing Pydantic)."""
    pd = _pydantic()
    return pd is not None and isinstance(tp, type) and issubclass(tp, pd.BaseModel)


def _is_dataclass(tp: Any) -> bool:
    # A program that never imported dataclasses has none; importing it to ask costs every start.
    dc = sys.modules.get("dataclasses")
    return dc is not None and bool(dc.is_dataclass(tp))


def is_schema_type(value: Any) -> bool:
    """Whether ``value`` is a class this module can describe (model, dataclass,
    TypedDict, Struct), as opposed to a schema dict or an instance."""
    if not isinstance(value, type):
        return False
    return (
        issubclass(value, msgspec.Struct)
        or _is_dataclass(value)
        or typing.is_typeddict(value)
        or is_pydantic_model(value)
        or hasattr(value, "__pydantic_validator__")
        or hasattr(value, "__attrs_attrs__")
    )


def _label(tp: Any) -> str:
    return getattr(tp, "__qualname__", None) or getattr(tp, "__name__", None) or repr(tp)


def shape_of(tp: Any) -> Shape:
    """The :class:`Shape` of ``tp``; :class:`TypeSchemaError` if neither
    msgspec nor (an already imported) Pydantic can describe it."""
    name = getattr(tp, "__name__", None) or "result"
    doc = _own_doc(tp)
    if is_pydantic_model(tp) or hasattr(tp, "__pydantic_validator__"):
        return _pydantic_shape(tp, name, doc)
    try:
        schema = inline_root(msgspec.json.schema(tp))
    except (TypeError, ValueError) as exc:
        if _pydantic() is not None:
            try:
                return _pydantic_shape(tp, name, doc)
            except TypeSchemaError:
                pass
        raise TypeSchemaError(
            f"cannot describe {_label(tp)} as JSON Schema ({_last_line(exc)}); use a Pydantic model, a dataclass, "
            "a TypedDict or a msgspec Struct of JSON-like fields, or pass a JSON Schema dict"
        ) from None

    def validate(value: Any) -> Any:
        try:
            return msgspec.convert(value, tp, strict=False)
        except msgspec.ValidationError as exc:
            raise TypeSchemaError(str(exc)) from None

    return Shape(tp, name, schema, doc, validate)


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _last_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _own_doc(tp: Any) -> str:
    doc = tp.__dict__.get("__doc__") if isinstance(tp, type) else None
    if not isinstance(doc, str):
        return ""  # inherited docstrings (msgspec.Struct's, dict's) say nothing about this type
    doc = inspect.cleandoc(doc)
    if _is_dataclass(tp) and doc.startswith(f"{getattr(tp, '__name__', '')}("):
        return ""  # the signature dataclasses write when there is no docstring
    return doc


def _pydantic_shape(tp: Any, name: str, doc: str) -> Shape:
    pd = _pydantic()
    assert pd is not None
    try:
        adapter = None if is_pydantic_model(tp) else pd.TypeAdapter(tp)
        schema = tp.model_json_schema() if adapter is None else adapter.json_schema()
    except Exception as exc:  # Pydantic's PydanticSchemaGenerationError and friends
        raise TypeSchemaError(f"cannot describe {_label(tp)} as JSON Schema: {_first_line(exc)}") from None
    schema = inline_root(schema)

    def validate(value: Any) -> Any:
        try:
            return tp.model_validate(value) if adapter is None else adapter.validate_python(value)
        except pd.ValidationError as exc:
            raise TypeSchemaError(pydantic_errors(exc)) from None

    return Shape(tp, name, schema, doc, validate)


def pydantic_errors(exc: Any) -> str:
    """A Pydantic ``ValidationError`` as ``path: message`` lines."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.get("loc", ()))
        lines.append(f"{err.get('msg', 'invalid')} - at `{loc}`")
    return "; ".join(lines) or str(exc)


def inline_root(schema: dict[str, Any]) -> dict[str, Any]:
    """msgspec and Pydantic may put the root object behind ``$ref``; tools
    and structured output need the object itself (``$defs`` kept when used)."""
    ref = schema.get("$ref")
    defs = schema.get("$defs", {})
    if isinstance(ref, str) and ref.startswith("#/$defs/") and len(schema) <= 2:
        root = dict(defs.get(ref[len("#/$defs/") :], {}))
        if ref in msgspec.json.encode(defs).decode():
            root["$defs"] = defs  # the root refers to itself: keep it
        elif len(defs) > 1:
            root["$defs"] = {k: v for k, v in defs.items() if f"#/$defs/{k}" != ref}
        return root
    return dict(schema)


# -- functions ------------------------------------------------------------------


def function_shape(fn: Callable[..., Any], *, skip: Collection[str] = ()) -> Shape:
    """The parameters of ``fn`` as an object :class:`Shape`; ``validate``
    returns the keyword arguments to call ``fn`` with.

    Every parameter (except those in ``skip``, ``*args`` and ``**kwargs``)
    must have a type hint. Descriptions come from the docstring's parameter
    section; the summary before it is the shape's description.
    """
    name = getattr(fn, "__name__", None) or type(fn).__name__
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        raise TypeSchemaError(f"cannot read the signature of {name}") from None
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:  # a forward reference that does not resolve
        raise TypeSchemaError(f"cannot read the type hints of {name}: {exc}") from None
    params = [
        p for p in sig.parameters.values() if p.name not in skip and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    untyped = [p.name for p in params if p.name not in hints]
    if untyped:
        raise TypeSchemaError(
            f"the tool function {name} has parameters without type hints: {', '.join(untyped)}; "
            f"annotate them (for example `{untyped[0]}: str`) or pass parameters= with a JSON Schema"
        )
    summary, described = parse_docstring(inspect.getdoc(fn) or "")
    fields: list[tuple[str, Any, Any]] = []
    for p in params:
        default = msgspec.NODEFAULT if p.default is p.empty else p.default
        fields.append((p.name, hints[p.name], default))
    shape = _fields_shape(name, fields)
    props = shape.schema.get("properties", {})
    for pname, text in described.items():
        if pname in props and isinstance(props[pname], dict) and "description" not in props[pname]:
            if "$ref" in props[pname]:
                props[pname] = {"allOf": [props[pname]], "description": text}
            else:
                props[pname]["description"] = text
    shape.schema.pop("title", None)
    shape.description = summary
    return shape


def _fields_shape(name: str, fields: list[tuple[str, Any, Any]]) -> Shape:
    try:
        struct = msgspec.defstruct(
            name,
            [(n, t) if d is msgspec.NODEFAULT else (n, t, d) for n, t, d in fields],
            kw_only=True,
        )
        schema = inline_root(msgspec.json.schema(struct))
    except (TypeError, ValueError) as exc:
        pd = _pydantic()
        if pd is None:
            raise TypeSchemaError(
                f"cannot describe the parameters of {name} as JSON Schema ({_last_line(exc)}); use JSON-like types, "
                "dataclasses, TypedDicts, msgspec Structs or Pydantic models"
            ) from None
        try:
            model = pd.create_model(name, **{n: (t, ... if d is msgspec.NODEFAULT else d) for n, t, d in fields})
        except Exception as exc2:  # Pydantic's schema generation errors
            raise TypeSchemaError(
                f"cannot describe the parameters of {name} as JSON Schema: {_first_line(exc2)}"
            ) from None
        shape = _pydantic_shape(model, name, "")
        inner = shape._validate
        shape._validate = lambda value: _as_kwargs(inner(value), fields)
        return shape

    def validate(value: Any) -> Any:
        try:
            return _as_kwargs(msgspec.convert(value, struct, strict=False), fields)
        except msgspec.ValidationError as exc:
            raise TypeSchemaError(str(exc)) from None

    return Shape(struct, name, schema, "", validate)


def _as_kwargs(instance: Any, fields: list[tuple[str, Any, Any]]) -> dict[str, Any]:
    return {n: getattr(instance, n) for n, _, _ in fields}


# -- docstrings -----------------------------------------------------------------
# Patterns, not compiled ones: re compiles them on the first docstring read and keeps them.

_GOOGLE = r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments):\s*$"
_GOOGLE_ITEM = r"^(\*{0,2}\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$"
_NUMPY_RULE = r"^-{3,}\s*$"
_NUMPY_ITEM = r"^(\*{0,2}\w+)\s*(?::\s*(.*))?$"
_REST = r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$"
_SECTION = r"^(Returns?|Yields?|Raises|Examples?|Notes?|See Also|Attributes|Warnings?)\s*:?\s*$"


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """``(summary, {parameter: description})`` from a Google, NumPy or reST docstring."""
    lines = doc.expandtabs().splitlines()
    params: dict[str, str] = {}
    summary_end = len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if re.match(_GOOGLE, stripped) and not (i + 1 < len(lines) and re.match(_NUMPY_RULE, lines[i + 1].strip())):
            summary_end = min(summary_end, i)
            i = _google_section(lines, i + 1, _indent(line), params)
            continue
        if i + 1 < len(lines) and re.match(_NUMPY_RULE, lines[i + 1].strip()):
            summary_end = min(summary_end, i)
            if stripped.rstrip(":") in ("Parameters", "Other Parameters", "Keyword Arguments"):
                i = _numpy_section(lines, i + 2, _indent(line), params)
                continue
        m = re.match(_REST, stripped)
        if m:
            summary_end = min(summary_end, i)
            text = [m.group(2)]
            i += 1
            while i < len(lines) and lines[i].strip() and not lines[i].strip().startswith(":"):
                text.append(lines[i].strip())
                i += 1
            params[m.group(1)] = " ".join(t for t in text if t)
            continue
        if stripped.startswith(":") or re.match(_SECTION, stripped):
            summary_end = min(summary_end, i)
        i += 1
    summary = "\n".join(lines[:summary_end]).strip()
    return summary, params


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _google_section(lines: list[str], i: int, base: int, params: dict[str, str]) -> int:
    current: str | None = None
    item_indent = None
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        ind = _indent(line)
        if ind <= base:
            break
        if item_indent is None:
            item_indent = ind
        m = re.match(_GOOGLE_ITEM, line.strip()) if ind == item_indent else None
        if m:
            current = m.group(1).lstrip("*")
            params[current] = m.group(3).strip()
        elif current is not None:
            params[current] = f"{params[current]} {line.strip()}".strip()
        i += 1
    return i


def _numpy_section(lines: list[str], i: int, base: int, params: dict[str, str]) -> int:
    current: str | None = None
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if i + 1 < len(lines) and re.match(_NUMPY_RULE, lines[i + 1].strip()):
            break  # the next section
        if _indent(line) <= base:
            m = re.match(_NUMPY_ITEM, line.strip())
            if m is None:
                break
            current = m.group(1).lstrip("*")
            for name in current.split(","):
                params.setdefault(name.strip(), "")
        elif current is not None:
            params[current] = f"{params[current]} {line.strip()}".strip()
        i += 1
    return i
