"""One call's setup: everything that can fail before a request exists.

:func:`prepare` checks the model, context, options, tools and credentials and
builds the first request, so that ``stream()`` and friends raise typed errors
at once; the result is an immutable :class:`PreparedCall` that the exchange
engine (:mod:`aiwire._engine.exchange`) runs.
"""

from __future__ import annotations

import datetime
import decimal
import logging
import math
import os
import re
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, final

import msgspec

from aiwire._plugins.endpoints import override_base_url
from aiwire._plugins.hooks import ProviderSpec
from aiwire._plugins.registry import Registry, get_registry
from aiwire._wire.codec import (
    CODEC_OPTIONS,
    TRANSPORTS,
    Codec,
    Credentials,
    EmbeddingOptions,
    Framer,
    ImageOptions,
    Options,
    OptionValues,
    Request,
    StreamDecoder,
    is_chat_codec,
    is_image_codec,
)
from aiwire._wire.exchange import RequestContext, current_parent
from aiwire._wire.framing import SSEFramer
from aiwire._wire.headers import Headers, merge_headers
from aiwire._wire.reasoning import clamp_reasoning
from aiwire.errors import (
    BadOptionsError,
    DecodeError,
    InvalidInputError,
    InvalidToolError,
    MissingCredentialsError,
)
from aiwire.handoff import transform_context
from aiwire.types import Context, Model, ToolResultMessage, UserMessage

if TYPE_CHECKING:
    from aiwire.auth.store import AuthStore

__all__ = ["PreparedCall", "as_context", "check_context", "make_options", "prepare"]

_OPTION_NAMES = frozenset(Options.__struct_fields__)
_VALUE_NAMES = frozenset(OptionValues.__struct_fields__)
# Regex patterns stay strings in aiwire: re compiles one on first use and keeps it,
# so a process that never needs a pattern does not compile it at import.
_TOOL_NAME = r"^[A-Za-z0-9_-]{1,64}$"


MAX_NESTING = 100
"""Deepest nesting of a tool schema (and of JSON values generally) taken."""

# (option, lowest, whether the lowest is allowed, what to write instead)
_RANGES: tuple[tuple[str, float, bool, str], ...] = (
    ("max_tokens", 1, True, "an int >= 1, or None for the model's limit"),
    ("temperature", 0, True, "a finite number >= 0"),
    ("top_p", 0, True, "a number from 0 to 1"),
    ("timeout", 0, False, "seconds > 0, or None for no limit"),
    ("idle_timeout", 0, False, "seconds > 0, or None for no limit"),
    ("max_retries", 0, True, "an int >= 0 (0: no retries)"),
    ("max_retry_delay", 0, True, "seconds >= 0"),
)
_CALLBACKS = ("on_payload", "on_response", "on_retry")


def make_options(kwargs: Mapping[str, Any]) -> Options:
    """Check the call's options (names, types, ranges, that values can be sent
    as JSON) and build :class:`Options`; every problem is a :class:`BadOptionsError`."""
    unknown = sorted(set(kwargs) - _OPTION_NAMES)
    if unknown:
        raise BadOptionsError(
            f"unknown option(s) {', '.join(unknown)}; valid options are: {', '.join(sorted(_OPTION_NAMES))}. "
            "Put vendor-specific fields in provider_options={...}"
        )
    values = {k: v for k, v in kwargs.items() if k in _VALUE_NAMES}
    try:
        checked = msgspec.convert(values, OptionValues, strict=False)
    except msgspec.ValidationError as exc:
        raise BadOptionsError(f"bad option: {exc}") from None
    except (TypeError, ValueError, RecursionError) as exc:  # a value msgspec cannot even look at
        raise BadOptionsError(f"bad option: {type(exc).__name__}: {exc}") from None
    for name, low, inclusive, expected in _RANGES:
        value = getattr(checked, name)
        if value is None:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            if name in ("timeout", "idle_timeout") and value == math.inf:
                raise BadOptionsError(f"{name}=inf: for no limit pass {name}=None")
            raise BadOptionsError(f"{name}={value!r} is not a number; pass {expected}")
        if value < low or (value == low and not inclusive) or (name == "top_p" and value > 1):
            raise BadOptionsError(f"{name}={value!r} is out of range; pass {expected}")
    for level, budget in (checked.thinking_budgets or {}).items():
        if budget < 0:
            raise BadOptionsError(f"thinking_budgets[{level!r}]={budget} is negative; budgets are token counts >= 0")
    if checked.provider_options:
        _check_json("provider_options", checked.provider_options, BadOptionsError)
    for name in _CALLBACKS:
        fn = kwargs.get(name)
        if fn is not None and not callable(fn):
            raise BadOptionsError(f"{name} must be a function (or None), not {type(fn).__name__}")
    transport = kwargs.get("transport")
    if isinstance(transport, str) and transport not in TRANSPORTS:
        raise BadOptionsError(
            f"transport={transport!r} is not a transport aiwire knows; use one of {', '.join(TRANSPORTS)}"
        )
    if transport is not None and not (
        isinstance(transport, str) or hasattr(transport, "handle_request") or hasattr(transport, "handle_async_request")
    ):
        raise BadOptionsError(
            f'transport must be "asyncio", "httpx", "aiohttp" or an httpx transport (httpx.BaseTransport or '
            f"httpx.AsyncBaseTransport), not {type(transport).__name__}"
        )
    # The converted values: a timeout given as "5" or 5 is the float 5.0 from here on.
    return Options(**{**kwargs, **{k: getattr(checked, k) for k in values}})


def _check_json(where: str, value: Any, error: type[Exception]) -> None:
    """Raise ``error`` if ``value`` cannot be sent as JSON (or nests too deeply)."""
    try:
        msgspec.to_builtins(value)
    except RecursionError:
        raise error(f"{where} is nested too deeply to send as JSON") from None
    except (TypeError, ValueError) as exc:
        raise error(
            f"{where} holds a value that cannot be sent as JSON ({exc}); use str, int, float, bool, None, lists and dicts"
        ) from None


def as_context(context: Context | str | Mapping[str, Any]) -> Context:
    """The call's context, checked: a wrongly typed field anywhere in it, or a
    value that cannot be sent as JSON, raises :class:`InvalidInputError` (a
    mapping that does not match :class:`Context`, :class:`DecodeError`)."""
    if isinstance(context, Context):
        check_context(context)
        return context
    if isinstance(context, str):
        return Context(messages=[UserMessage(content=context)])
    if isinstance(context, Mapping):
        try:
            ctx = msgspec.convert(context, Context)
        except msgspec.ValidationError as exc:
            raise DecodeError(f"context does not match aiwire.Context: {exc}") from None
        except (TypeError, ValueError, RecursionError) as exc:
            raise DecodeError(f"context does not match aiwire.Context: {type(exc).__name__}: {exc}") from None
        check_context(ctx)
        return ctx
    raise DecodeError(f"context must be an aiwire.Context, a dict or a prompt string, not {type(context).__name__}")


_KEPT_TYPES = (
    bytes,
    bytearray,
    memoryview,
    datetime.datetime,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
    decimal.Decimal,
)


def check_context(context: Context) -> None:
    """Check every field of ``context`` once per call, in C: msgspec turns it
    into JSON-ready builtins and back. Constructors only check what is cheap,
    and attribute assignment is never checked, so this is where a wrong type
    deep in the history, or an unserialisable value, is caught. A tool
    result's ``details`` stays local (it is never sent) and is not checked."""
    context.__post_init__()  # the shape (lists of messages and tools), again: fields may have been reassigned
    messages = context.messages
    if any(isinstance(m, ToolResultMessage) and m.details is not None for m in messages):
        messages = [
            msgspec.structs.replace(m, details=None)
            if isinstance(m, ToolResultMessage) and m.details is not None
            else m
            for m in messages
        ]
        context = msgspec.structs.replace(context, messages=messages)
    try:
        # Values msgspec would turn into strings (bytes, dates, UUIDs) stay as they are, so that
        # a bytes object where a str belongs is refused here, not iterated later.
        msgspec.convert(msgspec.to_builtins(context, builtin_types=_KEPT_TYPES), Context)
    except RecursionError:
        for tool in context.tools:
            if isinstance(tool.parameters, dict):
                check_schema(str(tool.name), tool.parameters)
        raise InvalidInputError(f"the context is nested more than {MAX_NESTING} levels deep; flatten it") from None
    except msgspec.ValidationError as exc:
        raise InvalidInputError(f"the context is not valid: {exc}; fix that field") from None
    except (TypeError, ValueError) as exc:
        for tool in context.tools:
            _check_json(f"tool {str(tool.name)!r}: parameters", tool.parameters, InvalidToolError)
        raise InvalidInputError(
            f"the context holds a value that cannot be sent as JSON ({exc}); "
            "use str, int, float, bool, None, lists and dicts (and aiwire's types)"
        ) from None


def validate_tools(context: Context, options: Options) -> None:
    names = set()
    for tool in context.tools:
        if not re.match(_TOOL_NAME, tool.name):
            raise InvalidToolError(f"tool name {tool.name!r} is not allowed: use 1-64 letters, digits, '_' or '-'")
        if tool.name in names:
            raise InvalidToolError(f"two tools are named {tool.name!r}; tool names must be unique")
        names.add(tool.name)
        check_schema(tool.name, tool.parameters)
    choice = options.tool_choice
    if choice is not None and choice not in ("auto", "none", "required") and choice not in names:
        raise BadOptionsError(
            f"tool_choice={choice!r} is neither auto, none, required nor the name of a tool in the context"
        )


_SCHEMA_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def check_schema(tool: str, schema: Any, path: str = "parameters", depth: int = 0) -> None:
    """Structural JSON Schema check with errors that name the bad path."""
    if depth > MAX_NESTING:
        raise InvalidToolError(
            f"tool {tool!r}: parameters nest more than {MAX_NESTING} levels deep (at {path[:120]}...); "
            "flatten the schema, or use $ref/$defs for recursive shapes"
        )
    if not isinstance(schema, dict):
        raise InvalidToolError(
            f"tool {tool!r}: {path} must be a JSON Schema object (a dict), got {type(schema).__name__}"
        )
    if path == "parameters" and schema.get("type", "object") != "object":
        raise InvalidToolError(f'tool {tool!r}: parameters must have "type": "object", got {schema.get("type")!r}')
    t = schema.get("type")
    types = t if isinstance(t, list) else [t] if t is not None else []
    for one in types:
        if one not in _SCHEMA_TYPES:
            raise InvalidToolError(
                f"tool {tool!r}: {path}.type {one!r} is not a JSON Schema type ({', '.join(sorted(_SCHEMA_TYPES))})"
            )
    props = schema.get("properties")
    if props is not None:
        if not isinstance(props, dict):
            raise InvalidToolError(f"tool {tool!r}: {path}.properties must be an object")
        for name, sub in props.items():
            check_schema(tool, sub, f"{path}.properties.{name}", depth + 1)
    req = schema.get("required")
    if req is not None and (not isinstance(req, list) or not all(isinstance(r, str) for r in req)):
        raise InvalidToolError(f"tool {tool!r}: {path}.required must be a list of property names")
    items = schema.get("items")
    if isinstance(items, dict):
        check_schema(tool, items, f"{path}.items", depth + 1)
    for key in ("anyOf", "oneOf", "allOf"):
        subs = schema.get(key)
        if subs is not None:
            if not isinstance(subs, list):
                raise InvalidToolError(f"tool {tool!r}: {path}.{key} must be a list of schemas")
            for n, sub in enumerate(subs):
                check_schema(tool, sub, f"{path}.{key}[{n}]", depth + 1)


_BAD_HEADER_CHARS = r"[^\t\x20-\x7e]"


def check_headers(headers: Mapping[str, str], source: str = "") -> None:
    """Every header can go on the wire: ASCII, no line breaks or control
    characters (a key pasted with a newline or a curly quote). The message
    names the header, never its value."""
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidInputError(f"header {name!r}: names and values must be str, not {type(value).__name__}")
        if re.search(_BAD_HEADER_CHARS, name) or re.search(_BAD_HEADER_CHARS, value):
            where = f" (its credentials come from {source})" if source and name.lower() in _SECRET_HEADERS else ""
            raise InvalidInputError(
                f"header {name[:40]!r}{where} holds a character that cannot be sent in HTTP "
                "(non-ASCII, a line break or a control character); look for a stray newline "
                "or curly quote copied along with it"
            )


def check_model(model: Model) -> None:
    """The fields a request is built from have the right types."""
    for name in ("id", "provider", "api", "base_url"):
        value = getattr(model, name)
        if not isinstance(value, str) or (not value and name != "base_url"):
            raise InvalidInputError(
                f"Model.{name} must be a non-empty str, not {value!r}; build custom models with aiwire.custom_model()"
            )
    headers = model.headers
    if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise InvalidInputError("Model.headers must be a dict of str to str")
    if not isinstance(model.compat, dict):
        raise InvalidInputError(f"Model.compat must be a dict, not {type(model.compat).__name__}")


def resolve_credentials(reg: Registry, model: Model, options: Options, store: AuthStore | None = None) -> Credentials:
    if options.api_key:
        return Credentials(options.api_key, source="api_key option")
    spec = reg.providers.get(model.provider)
    if spec is None:
        return Credentials(kind="none", source="custom model without api_key")
    found = reg.run_resolve_credentials(spec, model)
    if found is None and reg.oauth:
        from aiwire.auth.resolve import login_credentials

        found = login_credentials(reg, spec, model, store)
    if found is not None:
        return found
    for var in spec.env:
        value = os.environ.get(var)
        if value:
            return Credentials(value, source=f"${var}")
    if spec.auth != "none":  # then a key stored with `aiwire keys set`
        from aiwire.auth.store import default_store

        stored = (store or default_store()).key(spec.id)
        if stored:
            return Credentials(stored, source=f"aiwire keys set {spec.id}")
    if spec.auth == "required":
        where = " or ".join(f"${v}" for v in spec.env) or "an api_key= option"
        from aiwire.auth.resolve import login_for

        flow = login_for(reg, spec)
        login_id = spec.login or (flow.id if flow else None)
        login = f", or log in with `aiwire login {login_id}`" if login_id else ""
        raise MissingCredentialsError(
            f"no credentials for provider {spec.id!r}: set {where}{login}, "
            f"store a key with `aiwire keys set {spec.id}`, or pass api_key=..."
        )
    return Credentials(kind="none", source="none needed")


# Hints: advice a backend may use (a cache key, how long to cache). One rule
# for every provider and the agent: a backend that cannot use a hint ignores
# it (a debug record on aiwire.options says so); a hint never raises.
HINTS = frozenset({"session_id", "cache_retention"})
_options_log = logging.getLogger("aiwire.options")


def check_supported(codec: Codec, options: Options, spec: ProviderSpec | None = None) -> None:
    """Refuse set options that the api, or the host (``ProviderSpec.options``), does not take
    (hints excepted: see :func:`advised`)."""
    unsupported = [
        name
        for name in CODEC_OPTIONS - codec.supported_options - HINTS
        if getattr(options, name) != getattr(_DEFAULTS, name)
    ]
    if unsupported:
        raise BadOptionsError(
            f"the {codec.api} api does not support option(s) {', '.join(sorted(unsupported))}; "
            "remove them, or pass vendor fields in provider_options"
        )
    if spec is not None and spec.options is not None:
        refused = sorted(
            n for n in CODEC_OPTIONS - spec.options - HINTS if getattr(options, n) != getattr(_DEFAULTS, n)
        )
        if refused:
            takes = ", ".join(sorted(spec.options & codec.supported_options)) or "none"
            raise BadOptionsError(
                f"provider {spec.id!r} does not accept option(s) {', '.join(refused)} (its backend refuses them; "
                f"it takes: {takes}); remove them from the call"
            )


_DEFAULTS = Options()


def advised(model: Model, codec: Codec, options: Options, spec: ProviderSpec | None) -> Options:
    """``options`` as the backend will use them: hints it cannot use reset
    (debug record), the reasoning level clamped to one the model takes."""
    takes = codec.supported_options if spec is None or spec.options is None else codec.supported_options & spec.options
    changes: dict[str, Any] = {}
    for name in HINTS - takes:
        if getattr(options, name) != getattr(_DEFAULTS, name):
            changes[name] = getattr(_DEFAULTS, name)
            _options_log.debug("%s: %s is a hint this backend cannot use: ignored", model.ref, name)
    level = clamp_reasoning(model, options.reasoning)
    if level != options.reasoning:
        changes["reasoning"] = level
    return msgspec.structs.replace(options, **changes) if changes else options


_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "cookie",
        "chatgpt-account-id",
        "x-amz-security-token",  # AWS session tokens (aiwire-bedrock signs them into the request)
    }
)
# A login's other headers are masked when their name says they may hold a
# secret; plain facts (Codex's `originator: aiwire`, editor versions) are not,
# or every "aiwire login ..." hint in an error would be masked too.
_SECRETISH = r"(?i)auth|key|token|secret|cookie|session|sig|pass|account"

Kind = Literal["stream", "complete", "images", "embeddings"]


@final
class PreparedCall:
    """Everything one call needs, checked and fixed before any I/O.

    ``kind`` is what the caller asked for; ``wire_stream`` whether the
    response is read as a stream (a ``complete()`` on a stream-only host
    streams and collects). ``request`` is the first request, built with the
    setup credentials; the engine rebuilds only after a credential refresh.
    """

    __slots__ = (
        "call_id",
        "codec",
        "context",
        "credentials",
        "embedding_options",
        "first_chunk_at",
        "image_options",
        "inputs",
        "kind",
        "model",
        "options",
        "parent_id",
        "registry",
        "request",
        "sent_context",
        "spec",
        "started_at",
        "wire_stream",
    )

    def __init__(
        self,
        registry: Registry,
        model: Model,
        context: Context,
        options: Options,
        *,
        kind: Kind = "stream",
        image_options: ImageOptions | None = None,
        embedding_options: EmbeddingOptions | None = None,
        inputs: list[str] | None = None,
        store: AuthStore | None = None,
        observed: bool = True,
    ) -> None:
        self.registry = registry
        self.call_id = uuid.uuid4().hex[:16]
        self.started_at = time.time()
        self.first_chunk_at: float | None = None  # set by the exchange when the first framed event arrives
        self.parent_id = current_parent.get()
        self.kind = kind
        self.context = context
        self.options = options
        self.image_options = image_options
        self.embedding_options = embedding_options
        self.inputs = inputs
        self.codec: Codec = registry.codec(model.api)
        self.spec: ProviderSpec | None = registry.providers.get(model.provider)
        if self.spec is not None:  # the user's endpoint: env, config file (docs/configuration.md)
            url = override_base_url(self.spec, model.base_url)
            if url != model.base_url:
                model = msgspec.structs.replace(model, base_url=url)
        if kind in ("stream", "complete"):
            if not is_chat_codec(self.codec):
                what = (
                    "an image api: call aiwire.generate_images()"
                    if is_image_codec(self.codec)
                    else ("an embeddings api: call aiwire.embed()")
                )
                raise BadOptionsError(f"{model.ref} speaks {model.api}, {what} instead")
            validate_tools(context, options)
            check_supported(self.codec, options, self.spec)
        self.wire_stream = kind == "stream" or (
            kind == "complete"
            and ((self.spec is not None and self.spec.stream_only) or getattr(self.codec, "stream_only", False))
        )
        if kind in ("stream", "complete"):  # chat options only; images and embeddings have their own
            options = self.options = advised(model, self.codec, options, self.spec)
        self.credentials = resolve_credentials(registry, model, options, store)
        if self.credentials.base_url:
            model = msgspec.structs.replace(model, base_url=self.credentials.base_url)
        self.model = model
        self.sent_context = (
            context if kind in ("images", "embeddings") else transform_context(context, model, self.codec)
        )
        self.request = self.build(self.credentials)
        check_headers(self.request.headers, self.credentials.source)
        if observed:  # a call that is only checked is not announced to observers
            registry.notify("on_call_start", model=model, call=self.context_for(self.request))

    def build(self, credentials: Credentials, attempt: int = 0) -> Request:
        """The codec's request with headers merged (case-insensitively: model,
        codec, credentials, then the caller's ``headers`` win), then the
        ``prepare_request`` hooks and ``on_payload``."""
        model = self.model
        if self.kind == "images":
            codec: Any = self.codec
            req = codec.build_image_request(model, self.sent_context, self.image_options, credentials)
        elif self.kind == "embeddings":
            codec = self.codec
            req = codec.build_embedding_request(model, self.inputs, self.embedding_options, credentials)
        else:
            req = self.codec.build_request(model, self.sent_context, self.options, credentials, stream=self.wire_stream)
        # aiwire's User-Agent first, so that the model, codec, credentials or caller may set their own.
        ua = {"user-agent": self.registry.user_agent(model.api)}
        req.headers = merge_headers(ua, model.headers, req.headers, credentials.headers, self.options.headers)
        ctx = self.context_for(req, credentials, attempt)
        req = self.registry.run_prepare_request(ctx)
        if self.options.on_payload is not None:
            replaced = self.options.on_payload(model, req)
            if isinstance(replaced, Request):
                req = replaced
        if not isinstance(req.headers, Headers):  # a hook assigned a plain dict
            req.headers = Headers(req.headers)
        return req

    def context_for(self, request: Request, credentials: Credentials | None = None, attempt: int = 0) -> RequestContext:
        return RequestContext(
            self.model,
            self.options,
            credentials or self.credentials,
            request,
            attempt=attempt,
            stream=self.wire_stream,
            call_id=self.call_id,
            kind=self.kind,
            started_at=self.started_at,
            first_chunk_at=self.first_chunk_at,
            parent_id=self.parent_id,
            context=self.sent_context,
        )

    def encode(self, request: Request) -> bytes | None:
        if request.content is not None:
            return request.content
        if request.json is None:
            return None
        return msgspec.json.encode(request.json)

    def decoder(self) -> StreamDecoder:
        dec = self.codec.decoder(self.model, self.options)
        tools = self.context.tools
        if tools:
            names: dict[str, str] = {}
            for tool in tools:
                key = tool.name.lower()
                # Two tools equal but for case: neither can be told from the other.
                names[key] = "" if key in names else tool.name
            dec.tool_names = {k: v for k, v in names.items() if v}
        return dec

    def framer(self) -> Framer:
        framing = self.codec.framing
        if framing == "sse":
            return SSEFramer()
        if callable(framing):
            return framing()
        raise BadOptionsError(f"codec {self.codec.api!r} declares unknown framing {framing!r}")

    def secrets(self, request: Request | None = None) -> list[str]:
        """Every credential of this call, longest first, for redaction."""
        c = self.credentials
        values = [c.api_key or "", self.options.api_key or ""]
        values += [v for k, v in c.headers.items() if re.search(_SECRETISH, k) or (c.api_key and c.api_key in v)]
        for headers in (request.headers if request is not None else {}, self.options.headers or {}, self.model.headers):
            values += [v for k, v in headers.items() if k.lower() in _SECRET_HEADERS]
        out = set()
        for v in values:
            out.add(v)
            _, _, token = v.partition(" ")  # "Bearer <token>"
            out.add(token)
        return sorted((v for v in out if len(v) >= 6), key=len, reverse=True)

    def __repr__(self) -> str:
        return f"PreparedCall({self.kind}, {self.model.provider}/{self.model.id}, call_id={self.call_id!r})"


def prepare(
    model: Model,
    context: Context | str | Mapping[str, Any],
    options: Mapping[str, Any],
    *,
    kind: Kind = "stream",
    registry: Registry | None = None,
    store: AuthStore | None = None,
    observed: bool = True,
) -> PreparedCall:
    """Check everything and build the request, so that setup problems (a
    schema the api cannot express, say) raise here, before any I/O.
    ``observed=False``: only a check; ``on_call_start`` observers are not told."""
    if not isinstance(model, Model):
        raise BadOptionsError(f"model must be an aiwire.Model or 'provider/model-id', not {type(model).__name__}")
    check_model(model)
    reg = registry or get_registry()
    return PreparedCall(
        reg, model, as_context(context), make_options(options), kind=kind, store=store, observed=observed
    )
