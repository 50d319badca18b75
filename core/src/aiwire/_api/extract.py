"""Typed structured output: ``aiwire.extract(model, context, Type)``.

``Type`` is a ``msgspec.Struct`` (or any type msgspec can decode into), or a
JSON Schema dict. The model is asked for output matching the schema with the
codec's native mode where it declares one (``codec.structured_output``),
otherwise with a forced call of a tool whose parameters are the schema. The
answer is decoded and validated; on a failure the error is sent back to the
model and it tries again, up to ``retries`` times, after which
:class:`ExtractError` lists every attempt's error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar, overload

import msgspec

from aiwire._engine.call import as_context
from aiwire._wire.codec import Request
from aiwire.errors import AiwireError, ProviderError
from aiwire.tools import check_value
from aiwire.types import AssistantMessage, Context, Model, TextContent, Tool, ToolResultMessage, UserMessage

__all__ = ["ExtractError", "extract", "extract_sync"]

T = TypeVar("T")


class ExtractError(AiwireError, ValueError):
    """The model's answers never matched the type. ``errors`` holds one line
    per attempt; ``message`` is the last assistant message."""

    def __init__(self, errors: list[str], message: AssistantMessage | None) -> None:
        self.errors = errors
        self.message = message
        lines = "\n".join(f"  attempt {n}: {e}" for n, e in enumerate(errors, 1))
        super().__init__(f"no valid structured output after {len(errors)} attempt(s):\n{lines}")


class _Target:
    """The schema to ask for and how to decode an answer into the type."""

    __slots__ = ("description", "name", "schema", "type")

    def __init__(self, type: Any) -> None:
        self.type = type
        if isinstance(type, Mapping):
            schema = dict(type)
            title = str(schema.get("title") or "result")
            self.description = str(schema.get("description") or "")
        else:
            schema = _inline_root(msgspec.json.schema(type))
            title = getattr(type, "__name__", "result")
            self.description = (getattr(type, "__doc__", None) or "").strip()
        if schema.get("type", "object") != "object":
            raise AiwireError(f"extract needs an object schema at the top, got type {schema.get('type')!r}")
        schema.setdefault("type", "object")
        self.schema = schema
        self.name = re.sub(r"[^A-Za-z0-9_-]", "_", title)[:64] or "result"
        if not self.description:
            self.description = f"Give the answer as {self.name}."

    def decode(self, value: Any) -> Any:
        """The decoded value, or raise ValueError with a readable reason."""
        if isinstance(self.type, Mapping):
            out, problems, _ = check_value(self.schema, value)
            if problems:
                raise ValueError("; ".join(f"{p}: {why}" for p, why in problems))
            return out
        try:
            return msgspec.convert(value, self.type, strict=False)
        except msgspec.ValidationError as exc:
            raise ValueError(str(exc)) from None


def _inline_root(schema: dict[str, Any]) -> dict[str, Any]:
    """msgspec puts a Struct behind ``$ref``; tools need the object itself."""
    ref = schema.get("$ref")
    defs = schema.get("$defs", {})
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        root = dict(defs.get(ref[len("#/$defs/") :], {}))
        if len(defs) > 1 or ref in msgspec.json.encode(root).decode():
            root["$defs"] = defs  # nested types (or the root itself) are referenced
        return root
    return dict(schema)


def _merge(into: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(into)
    for k, v in patch.items():
        out[k] = _merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), dict) else v
    return out


class _Plan:
    """One extraction: the context grows with each failed attempt's feedback."""

    def __init__(self, client: Any, model: Model | str, context: Any, type: Any, options: dict[str, Any]) -> None:
        self.model = client._model(model)
        self.target = _Target(type)
        base = as_context(context)
        codec = client.registry.codec(self.model.api)
        fmt = getattr(codec, "structured_output", None)
        patch = fmt(self.model, self.target.schema, self.target.name) if fmt is not None else None
        self.native = patch is not None
        self.options = dict(options)
        if self.native:
            assert patch is not None
            user_hook = options.get("on_payload")

            def on_payload(model: Model, request: Request) -> Request | None:
                if isinstance(request.json, dict):
                    request.json = _merge(request.json, patch)
                return user_hook(model, request) if user_hook is not None else None

            self.options["on_payload"] = on_payload
            self.context = Context(system_prompt=base.system_prompt, messages=list(base.messages), tools=base.tools)
        else:
            tool = Tool(name=self.target.name, description=self.target.description, parameters=self.target.schema)
            tools = [t for t in base.tools if t.name != tool.name] + [tool]
            self.context = Context(system_prompt=base.system_prompt, messages=list(base.messages), tools=tools)
            self.options["tool_choice"] = tool.name
        self.errors: list[str] = []

    def read(self, msg: AssistantMessage) -> tuple[bool, Any]:
        """``(True, value)``, or ``(False, None)`` after queueing feedback."""
        if msg.stop_reason in ("error", "aborted"):
            raise ProviderError(msg)
        call = None
        try:
            if self.native:
                raw: Any = msgspec.json.decode(msg.text.strip() or "null")
            else:
                call = next((c for c in msg.tool_calls if c.name == self.target.name), None)
                if call is None:
                    raise ValueError(f"the model did not call {self.target.name}")
                if call.invalid_arguments is not None:
                    raise ValueError(f"the arguments were not a JSON object: {call.invalid_arguments[:200]}")
                raw = call.arguments
            return True, self.target.decode(raw)
        except (ValueError, msgspec.DecodeError) as exc:
            error = str(exc)
        self.errors.append(error)
        fix = f"That answer does not match the required schema: {error}. Answer again, matching the schema exactly."
        self.context.messages.append(msg)
        if call is not None:
            self.context.messages.append(
                ToolResultMessage(
                    tool_call_id=call.id, tool_name=call.name, content=[TextContent(text=fix)], is_error=True
                )
            )
        else:
            self.context.messages.append(UserMessage(content=fix))
        return False, None


async def run_extract(client: Any, model: Model | str, context: Any, type: Any, retries: int, options: Any) -> Any:
    plan = _Plan(client, model, context, type, dict(options))
    msg = None
    for _ in range(retries + 1):
        msg = await client.stream(plan.model, plan.context, **plan.options).result()
        ok, value = plan.read(msg)
        if ok:
            return value
    raise ExtractError(plan.errors, msg)


def run_extract_sync(client: Any, model: Model | str, context: Any, type: Any, retries: int, options: Any) -> Any:
    plan = _Plan(client, model, context, type, dict(options))
    msg = None
    stream = client.stream  # a blocking client
    for _ in range(retries + 1):
        msg = stream(plan.model, plan.context, **plan.options).result()
        ok, value = plan.read(msg)
        if ok:
            return value
    raise ExtractError(plan.errors, msg)


@overload
async def extract(model: Model | str, context: Any, type: type[T], *, retries: int = 2, **options: Any) -> T: ...
@overload
async def extract(
    model: Model | str, context: Any, type: Mapping[str, Any], *, retries: int = 2, **options: Any
) -> Any: ...
async def extract(model: Model | str, context: Any, type: Any, *, retries: int = 2, **options: Any) -> Any:
    """Ask ``model`` for an answer of ``type`` and return it decoded.

    ``retries`` bounds how often a non-matching answer is fed back (default
    2); a failed turn raises :class:`~aiwire.errors.ProviderError`, running out
    of retries :class:`ExtractError`. Other keyword arguments are call options.
    """
    from aiwire._api.client import default_client

    return await run_extract(default_client(), model, context, type, retries, options)


def extract_sync(model: Model | str, context: Any, type: Any, *, retries: int = 2, **options: Any) -> Any:
    """Blocking twin of :func:`extract`."""
    from aiwire._api.client import default_client

    return run_extract_sync(default_client().blocking, model, context, type, retries, options)
