"""One call's setup and its I/O-free handlers, shared by both drivers.

Everything that can fail before a request exists is checked here, so that
``stream()`` raises typed errors at once; everything after is turned into
events by the decoder.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from aiwire import events as ev
from aiwire._plugins.hooks import ProviderSpec
from aiwire._plugins.registry import Registry, get_registry
from aiwire._wire.codec import (
    CODEC_OPTIONS,
    Codec,
    Credentials,
    Options,
    OptionValues,
    Request,
    StreamDecoder,
    generic_error_info,
)
from aiwire._wire.exchange import RequestContext
from aiwire._wire.headers import Headers, merge_headers
from aiwire.errors import BadOptionsError, DecodeError, InvalidToolError, MissingCredentialsError
from aiwire.handoff import transform_context
from aiwire.types import AssistantMessage, Context, Model, UserMessage

__all__ = ["Call", "make_options", "prepare"]

log = logging.getLogger("aiwire")

_OPTION_NAMES = frozenset(Options.__struct_fields__)
_VALUE_NAMES = frozenset(OptionValues.__struct_fields__)
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def make_options(kwargs: Mapping[str, Any]) -> Options:
    unknown = sorted(set(kwargs) - _OPTION_NAMES)
    if unknown:
        raise BadOptionsError(
            f"unknown option(s) {', '.join(unknown)}; valid options are: {', '.join(sorted(_OPTION_NAMES))}. "
            "Put vendor-specific fields in provider_options={...}"
        )
    values = {k: v for k, v in kwargs.items() if k in _VALUE_NAMES}
    try:
        msgspec.convert(values, OptionValues, strict=False)
    except msgspec.ValidationError as exc:
        raise BadOptionsError(f"bad option: {exc}") from None
    return Options(**kwargs)


def as_context(context: Context | str | Mapping[str, Any]) -> Context:
    if isinstance(context, Context):
        return context
    if isinstance(context, str):
        return Context(messages=[UserMessage(content=context)])
    if isinstance(context, Mapping):
        try:
            return msgspec.convert(context, Context)
        except msgspec.ValidationError as exc:
            raise DecodeError(f"context does not match aiwire.Context: {exc}") from None
    raise DecodeError(f"context must be an aiwire.Context, a dict or a prompt string, not {type(context).__name__}")


def validate_tools(context: Context, options: Options) -> None:
    names = set()
    for tool in context.tools:
        if not _TOOL_NAME.match(tool.name):
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


def check_schema(tool: str, schema: Any, path: str = "parameters") -> None:
    """Structural JSON Schema check with errors that name the bad path."""
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
            check_schema(tool, sub, f"{path}.properties.{name}")
    req = schema.get("required")
    if req is not None and (not isinstance(req, list) or not all(isinstance(r, str) for r in req)):
        raise InvalidToolError(f"tool {tool!r}: {path}.required must be a list of property names")
    items = schema.get("items")
    if isinstance(items, dict):
        check_schema(tool, items, f"{path}.items")
    for key in ("anyOf", "oneOf", "allOf"):
        subs = schema.get(key)
        if subs is not None:
            if not isinstance(subs, list):
                raise InvalidToolError(f"tool {tool!r}: {path}.{key} must be a list of schemas")
            for n, sub in enumerate(subs):
                check_schema(tool, sub, f"{path}.{key}[{n}]")


def resolve_credentials(reg: Registry, model: Model, options: Options) -> Credentials:
    if options.api_key:
        return Credentials(options.api_key, source="api_key option")
    spec = reg.providers.get(model.provider)
    if spec is None:
        return Credentials(kind="none", source="custom model without api_key")
    found = reg.pm.hook.resolve_credentials(provider=spec, model=model)
    if found is not None:
        return found  # type: ignore[no-any-return]
    for var in spec.env:
        value = os.environ.get(var)
        if value:
            return Credentials(value, source=f"${var}")
    if spec.auth == "required":
        where = " or ".join(f"${v}" for v in spec.env) or "an api_key= option"
        from aiwire.auth.resolve import login_for

        flow = login_for(reg, spec)
        login_id = spec.login or (flow.id if flow else None)
        login = f", or log in with `aiwire login {login_id}`" if login_id else ""
        raise MissingCredentialsError(
            f"no credentials for provider {spec.id!r}: set {where}{login}, or pass api_key=..."
        )
    return Credentials(kind="none", source="none needed")


def check_supported(codec: Codec, options: Options, spec: ProviderSpec | None = None) -> None:
    """Refuse set options that the api, or the host (``ProviderSpec.options``), does not take."""
    defaults = _DEFAULTS
    unsupported = [
        name for name in CODEC_OPTIONS - codec.supported_options if getattr(options, name) != getattr(defaults, name)
    ]
    if unsupported:
        raise BadOptionsError(
            f"the {codec.api} api does not support option(s) {', '.join(sorted(unsupported))}; "
            "remove them, or pass vendor fields in provider_options"
        )
    if spec is not None and spec.options is not None:
        refused = sorted(n for n in CODEC_OPTIONS - spec.options if getattr(options, n) != getattr(defaults, n))
        if refused:
            takes = ", ".join(sorted(spec.options & codec.supported_options)) or "none"
            raise BadOptionsError(
                f"provider {spec.id!r} does not accept option(s) {', '.join(refused)} (its backend refuses them; "
                f"it takes: {takes}); remove them from the call"
            )


_DEFAULTS = Options()
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie", "chatgpt-account-id"}
)


class _NoFramer:
    """Framer of a stream whose decoder could not start: reads nothing."""

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        return []

    def close(self) -> list[tuple[str, bytes]]:
        return []


class Call:
    """A prepared call: model, codec, request and the decoding state."""

    __slots__ = (
        "_built_for",
        "codec",
        "context",
        "credentials",
        "decoder",
        "framer",
        "model",
        "options",
        "registry",
        "request",
        "sent_context",
    )

    def __init__(self, model: Model, context: Context, options: Options) -> None:
        self.registry = reg = get_registry()
        self.model = model
        self.context = context
        self.options = options
        self.codec: Codec = reg.codec(model.api)
        validate_tools(context, options)
        check_supported(self.codec, options, reg.providers.get(model.provider))
        self.credentials = resolve_credentials(reg, model, options)
        if self.credentials.base_url:
            self.model = msgspec.structs.replace(model, base_url=self.credentials.base_url)
        self.decoder: StreamDecoder | None = None
        self.framer: Any = None
        self.request = Request(url="")
        self.sent_context: Context | None = None
        self._built_for: bool | None = None

    def build(self, *, stream: bool) -> Request:
        """The request for this call, built once (retries resend it); the
        codec sees the context adapted to the target model
        (:func:`aiwire.handoff.transform_context`)."""
        if self._built_for is stream:
            return self.request
        if self.sent_context is None:
            self.sent_context = transform_context(self.context, self.model, self.codec)
        req = self.codec.build_request(self.model, self.sent_context, self.options, self.credentials, stream=stream)
        req = self.finish_request(req, stream=stream)
        self._built_for = stream
        return req

    def finish_request(self, req: Request, *, stream: bool = True) -> Request:
        """Merge headers, then let ``prepare_request`` hooks and ``on_payload`` see the request.

        Header layers (model, codec, credentials, ``headers=`` option) merge by
        name case-insensitively, later layers winning: one line per name on the wire.
        """
        req.headers = merge_headers(self.model.headers, req.headers, self.credentials.headers, self.options.headers)
        call = RequestContext(self.model, self.options, self.credentials, req, stream=stream)
        for result in self.registry.pm.hook.prepare_request(model=self.model, request=req, call=call):
            if isinstance(result, Request):
                req = call.request = result
        if self.options.on_payload is not None:
            replaced = self.options.on_payload(self.model, req)
            if isinstance(replaced, Request):
                req = replaced
        if not isinstance(req.headers, Headers):  # a hook or on_payload assigned a plain dict
            req.headers = Headers(req.headers)
        self.request = req
        return req

    def body(self) -> bytes | None:
        req = self.request
        if req.content is not None:
            return req.content
        if req.json is None:
            return None
        return msgspec.json.encode(req.json)

    def start_decoding(self) -> list[ev.Event]:
        try:
            self.decoder = self.codec.decoder(self.model, self.options)
        except Exception as exc:  # a broken codec still ends in one error event
            self.decoder = StreamDecoder(self.model, self.options)
            self.decoder.fail(f"the {self.codec.api} codec could not start decoding: {type(exc).__name__}: {exc}")
            self.framer = _NoFramer()
            return [ev.Start(message=self.decoder.message)]
        framing = self.codec.framing
        if framing == "sse":
            from aiwire._wire.framing import SSEFramer

            self.framer = SSEFramer()
        elif callable(framing):
            self.framer = framing()
        else:
            raise BadOptionsError(f"codec {self.codec.api!r} declares unknown framing {framing!r}")
        return [ev.Start(message=self.decoder.message)]

    def feed(self, chunk: bytes) -> list[ev.Event]:
        dec = self.decoder
        assert dec is not None
        try:
            for name, data in self.framer.feed(chunk):
                dec.feed(name, data)
                if dec.terminated:
                    break
        except Exception as exc:  # a codec must never crash the caller
            dec.fail(f"could not decode the {self.codec.api} stream: {type(exc).__name__}: {exc}")
        return dec.drain()

    def eof(self) -> list[ev.Event]:
        dec = self.decoder
        assert dec is not None
        try:
            for name, data in self.framer.close():
                if dec.terminated:
                    break
                dec.feed(name, data)
            dec.end_of_stream()
        except Exception as exc:
            dec.fail(f"could not decode the {self.codec.api} stream: {type(exc).__name__}: {exc}")
        return dec.drain()

    def ensure_decoder(self) -> StreamDecoder:
        if self.decoder is None:
            self.decoder = self.codec.decoder(self.model, self.options)
        return self.decoder

    def fail(
        self, message: str, *, status: int | None = None, error_type: str | None = None, aborted: bool = False
    ) -> list[ev.Event]:
        """End the turn with an error event; credentials are masked out of the text."""
        try:
            dec = self.ensure_decoder()
        except Exception:
            dec = self.decoder = StreamDecoder(self.model, self.options)
        dec.fail(self.redact(message), status=status, error_type=error_type, aborted=aborted)
        return dec.drain()

    def redact(self, text: str) -> str:
        """``text`` with every credential of this call replaced by ``***``."""
        for secret in self._secrets():
            if secret in text:
                text = text.replace(secret, "***")
        return text

    def _secrets(self) -> list[str]:
        c = self.credentials
        values = [c.api_key or "", self.options.api_key or "", *c.headers.values()]
        values += [v for k, v in self.request.headers.items() if k.lower() in _SECRET_HEADERS]
        out = set()
        for v in values:
            out.add(v)
            _, _, token = v.partition(" ")  # "Bearer <token>"
            out.add(token)
        return sorted((v for v in out if len(v) >= 6), key=len, reverse=True)

    def http_error(
        self, status: int, headers: Mapping[str, str], body: bytes, *, note: str | None = None
    ) -> list[ev.Event]:
        try:
            info = self.codec.parse_error(status, headers, body)
        except Exception as exc:
            info = generic_error_info(status, body)
            log.warning("%s codec could not parse an error body: %s", self.codec.api, exc)
        message = f"{info.message} ({note})" if note else info.message
        return self.fail(message, status=status, error_type=info.type)

    def parse_response(self, body: bytes) -> AssistantMessage:
        msg = self.codec.parse_response(self.model, self.options, body)
        return msg

    def message_end(self, message: AssistantMessage) -> None:
        try:
            self.registry.pm.hook.on_message_end(model=self.model, message=message, call=None)
        except Exception:  # observers must not break a finished call
            import logging

            logging.getLogger("aiwire").exception("on_message_end hook failed")


def prepare(
    model: Model | str, context: Context | str | Mapping[str, Any], options: Mapping[str, Any], *, stream: bool = True
) -> Call:
    """Check everything and build the request, so that setup problems (a
    schema the api cannot express, say) raise here, before any I/O."""
    from aiwire._api.models import get_model

    m = get_model(model) if isinstance(model, str) else model
    if not isinstance(m, Model):
        raise BadOptionsError(f"model must be an aiwire.Model or 'provider/model-id', not {type(model).__name__}")
    call = Call(m, as_context(context), make_options(options))
    call.build(stream=stream)
    return call
