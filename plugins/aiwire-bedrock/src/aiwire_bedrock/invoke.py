"""Claude on Bedrock through InvokeModel: the ``bedrock-anthropic`` api.

The body is Anthropic's Messages body with ``anthropic_version:
"bedrock-2023-05-31"`` instead of ``model`` and ``stream`` (the model and the
operation are in the URL) and betas in ``anthropic_beta``; the answer is an
Anthropic message, streamed by InvokeModelWithResponseStream as AWS
event-stream ``chunk`` frames whose ``bytes`` field holds one Messages event,
base64-encoded. So this codec wraps the ``anthropic-messages`` codec (from
aiwire-anthropic, reached through the :class:`~aiwire.plugin.CodecContext`)
and only changes the envelope. Use it for Anthropic request features
Converse does not map; ``bedrock-converse`` is the default api.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import msgspec

from aiwire.plugin import (
    BaseCodec,
    Codec,
    CodecContext,
    Credentials,
    ErrorInfo,
    EventStreamFramer,
    Options,
    Request,
    StreamDecoder,
    WrappedDecoder,
)
from aiwire.types import AssistantMessage, Context, Model

from . import INVOKE_API
from ._errors import error_info, exception_name, hint
from ._request import base_url

__all__ = ["BedrockAnthropicCodec"]

BEDROCK_VERSION = "bedrock-2023-05-31"


class _Chunk(msgspec.Struct):
    bytes: str = ""


class _Type(msgspec.Struct):
    type: str = ""


_decode_chunk = msgspec.json.Decoder(_Chunk).decode
_decode_type = msgspec.json.Decoder(_Type).decode


class _ChunkDecoder(WrappedDecoder):
    """``chunk`` frames to the Messages decoder; exception frames end the turn."""

    def feed(self, event: str, data: bytes) -> None:
        if event == "chunk":
            raw = base64.b64decode(_decode_chunk(data).bytes)
            self.inner.feed(_decode_type(raw).type, raw)
        elif event.startswith(("exception:", "error:")):
            name = exception_name(event.partition(":")[2] or "InternalServerException")
            try:
                decoded = msgspec.json.decode(data)
            except msgspec.DecodeError:
                decoded = None
            message = str(decoded.get("message") or "") if isinstance(decoded, dict) else ""
            message = message or data.decode("utf-8", "replace")
            text = hint(name)
            self.fail(f"{text + ': ' if text else ''}{message} ({name})", error_type=name)
        else:
            self.fail(f"unknown InvokeModelWithResponseStream event {event!r}")


class BedrockAnthropicCodec(BaseCodec):
    """InvokeModel / InvokeModelWithResponseStream with Anthropic's own body."""

    api = INVOKE_API
    framing = EventStreamFramer

    def __init__(self, context: CodecContext) -> None:
        self._context = context

    @property
    def inner(self) -> Codec:
        return self._context.codec("anthropic-messages")

    @property
    def supported_options(self) -> frozenset[str]:  # type: ignore[override]
        return self.inner.supported_options

    def build_request(
        self,
        model: Model,
        context: Context,
        options: Options,
        credentials: Credentials,
        *,
        stream: bool = True,
    ) -> Request:
        # No credentials for the inner codec: Bedrock signs (or takes a bearer key), it never takes x-api-key.
        req = self.inner.build_request(model, context, options, Credentials(kind="none"), stream=stream)
        body: dict[str, Any] = dict(req.json)
        body.pop("model", None)
        body.pop("stream", None)
        body = {"anthropic_version": BEDROCK_VERSION, **body}
        betas = req.headers.get("anthropic-beta")
        if betas:
            body["anthropic_beta"] = betas.split(",")
        headers = {"content-type": "application/json"}
        if not stream:
            headers["accept"] = "application/json"
        if credentials.api_key:
            headers["authorization"] = f"Bearer {credentials.api_key}"
        op = "invoke-with-response-stream" if stream else "invoke"
        return Request(url=f"{base_url(model)}/model/{quote(model.id, safe='')}/{op}", headers=headers, json=body)

    def decoder(self, model: Model, options: Options) -> StreamDecoder:
        return _ChunkDecoder(self.inner.decoder(model, options))

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        return self.inner.parse_response(model, options, body)

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        return error_info(status, headers, body)

    def tool_call_id(self, id: str) -> str:
        return self.inner.tool_call_id(id)
