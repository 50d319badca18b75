"""The Cloud Code Assist envelope around Gemini requests and responses.

Request: ``POST {base}/v1internal:streamGenerateContent?alt=sse`` with
``{"project", "model", "request": <Gemini body>, "userAgent", "requestId"}``.
Response events: ``{"response": <Gemini chunk>, "traceId": ...}``. The Gemini
body and the chunk decoding are the ``google-generative-ai`` codec's (from
aiwire-google), reached through the registry, never copied.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import msgspec

from aiwire._plugins.registry import get_registry
from aiwire._wire.codec import Codec, Credentials, ErrorInfo, Options, Request, StreamDecoder
from aiwire.errors import MissingCredentialsError
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


class CloudCodeAssistCodec:
    """Delegates to the Gemini codec; adds the envelope on the way out and
    removes it on the way back."""

    api = "google-gemini-cli"

    @property
    def inner(self) -> Codec:
        return get_registry().codec(INNER_API)  # type: ignore[no-any-return]

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
        dec = self.inner.decoder(model, options)
        feed = dec.feed

        def feed_unwrapped(event: str, data: bytes) -> None:
            feed(event, unwrap(data))

        dec.feed = feed_unwrapped  # type: ignore[method-assign]
        return dec

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        return self.inner.parse_response(model, options, unwrap(body))

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        return self.inner.parse_error(status, headers, body)

    def tool_call_id(self, id: str) -> str:
        return self.inner.tool_call_id(id)
