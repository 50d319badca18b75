"""The ``anthropic-messages`` codec: Anthropic's Messages API, sans-IO."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from aiwire.plugin import CODEC_OPTIONS, BaseCodec, Credentials, ErrorInfo, Options, Request, generic_error_info
from aiwire.types import AssistantMessage, Context, Model

from ._decode import AnthropicDecoder, parse_message
from ._request import API, build_request
from .structured import has_structured_output, output_schema

__all__ = ["AnthropicCodec"]

# What each status means on this api, added to the vendor's own message.
_STATUS_HINTS = {
    400: "invalid request",
    401: "authentication failed",  # the core adds where the key came from (the provider's own variables)
    403: "permission denied for this key or model",
    404: "not found: check the model id and base URL",
    413: "request too large: shorten the context or the images",
    429: "rate limited",
    500: "Anthropic API error",
    529: "Anthropic is overloaded: try again shortly",
}


class AnthropicCodec(BaseCodec):
    """Requests, stream decoding, whole responses and errors of the Messages API."""

    api: ClassVar[str] = API
    supported_options: ClassVar[frozenset[str]] = CODEC_OPTIONS

    def build_request(
        self,
        model: Model,
        context: Context,
        options: Options,
        credentials: Credentials,
        *,
        stream: bool = True,
    ) -> Request:
        return build_request(model, context, options, credentials, self.tool_call_id, stream=stream)

    def decoder(self, model: Model, options: Options) -> AnthropicDecoder:
        return AnthropicDecoder(model, options)

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        msg = parse_message(model, options, body)
        if msg.id is None and not msg.content:  # no message: an error body sent with a 2xx status
            info = generic_error_info(200, body)
            msg.stop_reason, msg.error_message, msg.error_type = "error", info.message, info.type
        return msg

    def structured_output(self, model: Model, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
        """``output_config.format`` json_schema on models that have it (see :mod:`.structured`)."""
        if not has_structured_output(model):
            return None
        return {"output_config": {"format": {"type": "json_schema", "schema": output_schema(name, schema)}}}

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        info = generic_error_info(status, body)
        hint = _STATUS_HINTS.get(status) or ("Anthropic server error" if status >= 500 else None)
        message = f"{hint}: {info.message}" if hint and info.message else info.message or hint or f"HTTP {status}"
        request_id = headers.get("request-id")
        if request_id:
            message += f" (request-id {request_id})"
        return ErrorInfo(message, info.type)
