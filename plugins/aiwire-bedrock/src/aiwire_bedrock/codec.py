"""The ``bedrock-converse`` codec: Amazon Bedrock's Converse and
ConverseStream, sans-IO. Signing is not here: the plugin's
``prepare_request`` hook signs the finished request (see :mod:`._auth`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from aiwire.plugin import CODEC_OPTIONS, BaseCodec, Credentials, ErrorInfo, EventStreamFramer, Options, Request
from aiwire.types import AssistantMessage, Context, Model

from . import API, EMBED_API
from ._decode import BedrockDecoder, parse_message
from ._errors import error_info
from ._request import build_request

__all__ = ["BedrockCodec"]


class BedrockCodec(BaseCodec):
    """Requests, event-stream decoding, whole responses and errors of Converse."""

    api: ClassVar[str] = API
    framing = EventStreamFramer
    embedding_api = EMBED_API  # models outside the catalog (an embedding profile ARN) embed there
    # session_id has no Converse field; the agent loop leaves it out for this api.
    supported_options: ClassVar[frozenset[str]] = CODEC_OPTIONS - {"session_id"}

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

    def decoder(self, model: Model, options: Options) -> BedrockDecoder:
        return BedrockDecoder(model, options)

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        return parse_message(model, body)

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        return error_info(status, headers, body)

    def structured_output(self, model: Model, schema: dict[str, Any], name: str) -> Mapping[str, Any] | None:
        """Converse's native JSON output (``outputConfig.textFormat``, a JSON
        schema sent as a string) for the models the catalog marks with
        ``compat["structured_output"]``; others use a forced tool call."""
        if not model.compat.get("structured_output"):
            return None
        definition: dict[str, Any] = {"name": name, "schema": json.dumps(schema, separators=(",", ":"))}
        return {"outputConfig": {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": definition}}}}
