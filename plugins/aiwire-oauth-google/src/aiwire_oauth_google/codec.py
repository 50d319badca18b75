"""The Cloud Code Assist envelope around Gemini requests and responses.

Request: ``POST {base}/v1internal:streamGenerateContent?alt=sse`` with
``{"project", "model", "request": <Gemini body>, "userAgent", "requestId"}``.
Response events: ``{"response": <Gemini chunk>, "traceId": ...}``. The Gemini
body and the chunk decoding are the ``google-generative-ai`` codec's (from
aiwire-google), reached through the :class:`~aiwire.plugin.CodecContext`
this codec is built with, never copied or imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import msgspec

from aiwire.errors import MissingCredentialsError
from aiwire.plugin import Codec, CodecContext, Credentials, ErrorInfo, Options, Request, StreamDecoder, WrappedDecoder
from aiwire.types import AssistantMessage, Context, Model

__all__ = ["CloudCodeAssistCodec", "unwrap"]

INNER_API = "google-generative-ai"
_AUTH_HEADERS = frozenset({"authorization", "x-goog-api-key"})


class _Envelope(msgspec.Struct):
    response: msgspec.Raw = msgspec.Raw(b"{}")


_envelope = msgspec.json.Decoder(_Envelope)


def unwrap(data: bytes) -> bytes:
    """The Gemini chunk inside one Cloud Code Assist event, byte for byte."""
    return bytes(_envelope.decode(data).response)


class _UnwrapDecoder(WrappedDecoder):
    """The Gemini decoder, fed the chunk inside each envelope."""

    def feed(self, event: str, data: bytes) -> None:
        self.inner.feed(event, unwrap(data))


class CloudCodeAssistCodec:
    """Delegates to the Gemini codec; adds the envelope on the way out and
    removes it on the way back. Registered as a codec factory: the registry
    builds it with a :class:`CodecContext`."""

    api = "google-gemini-cli"

    def __init__(self, context: CodecContext) -> None:
        self._context = context
        self._inner: Codec | None = None

    @property
    def inner(self) -> Codec:
        """The ``google-generative-ai`` codec, looked up on first use."""
        if self._inner is None:
            self._inner = self._context.codec(INNER_API)
        return self._inner

    @property
    def framing(self) -> Any:
        return self.inner.framing

    @property
    def supported_options(self) -> frozenset[str]:
        return self.inner.supported_options

    def build_request(
        self, model: Model, context: Context, options: Options, credentials: Credentials, *, stream: bool = True
    ) -> Request:
        project = credentials.extra.get("project_id")
        if not project:
            raise MissingCredentialsError(
                "no Cloud Code Assist project for this login: run `aiwire login google-gemini-cli` again, "
                "or set GOOGLE_CLOUD_PROJECT"
            )
        inner = self.inner.build_request(model, context, options, Credentials(kind="none"), stream=stream)
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        headers = {k: v for k, v in inner.headers.items() if k.lower() not in _AUTH_HEADERS}
        body = {
            "project": project,
            "model": model.id,
            "request": inner.json,
            "userAgent": "aiwire",
            "requestId": f"aiwire-{uuid.uuid4().hex}",
        }
        return Request(url=f"{model.base_url.rstrip('/')}/v1internal:{method}", headers=headers, json=body)

    def decoder(self, model: Model, options: Options) -> StreamDecoder:
        return _UnwrapDecoder(self.inner.decoder(model, options))

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        return self.inner.parse_response(model, options, unwrap(body))

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        return self.inner.parse_error(status, headers, body)

    def tool_call_id(self, id: str) -> str:
        return self.inner.tool_call_id(id)
