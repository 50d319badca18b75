"""Anthropic's Claude models on Vertex AI: the ``vertex-anthropic`` api.

Anthropic's Messages API inside Vertex AI's envelope: the request is the
``anthropic-messages`` codec's (reached through the :class:`CodecContext`,
never imported), with the model moved from the body to the URL
(``{base}/models/{model}:streamRawPredict``, or ``:rawPredict`` when not
streaming) and ``anthropic_version: "vertex-2023-10-16"`` in the body (the
value Anthropic's Vertex AI guide requires; ``compat["anthropic_version"]``
overrides it); auth is
a Google access token (``Authorization: Bearer``), never ``x-api-key``. The
responses are Anthropic's own, decoded by the Anthropic codec. Needs the
aiwire-anthropic plugin installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwire.plugin import Codec, CodecContext, Credentials, ErrorInfo, Options, Request, StreamDecoder
from aiwire.types import AssistantMessage, Context, Model

__all__ = ["VERTEX_ANTHROPIC_VERSION", "VertexAnthropicCodec"]

INNER_API = "anthropic-messages"
VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16"
_DROPPED_HEADERS = frozenset({"x-api-key", "authorization", "anthropic-version"})


class VertexAnthropicCodec:
    """Delegates to the Anthropic codec; moves the model into the URL and
    signs with a Google token. Registered as a codec factory."""

    api = "vertex-anthropic"

    def __init__(self, context: CodecContext) -> None:
        self._context = context
        self._inner: Codec | None = None

    @property
    def inner(self) -> Codec:
        """The ``anthropic-messages`` codec, looked up on first use."""
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
        inner = self.inner.build_request(model, context, options, Credentials(kind="none"), stream=stream)
        body = dict(inner.json)
        body.pop("model", None)
        body["anthropic_version"] = model.compat.get("anthropic_version") or VERTEX_ANTHROPIC_VERSION
        headers = {k: v for k, v in inner.headers.items() if k.lower() not in _DROPPED_HEADERS}
        if credentials.api_key:
            headers["authorization"] = f"Bearer {credentials.api_key}"
        method = "streamRawPredict" if stream else "rawPredict"
        return Request(url=f"{model.base_url.rstrip('/')}/models/{model.id}:{method}", headers=headers, json=body)

    def decoder(self, model: Model, options: Options) -> StreamDecoder:
        return self.inner.decoder(model, options)

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        return self.inner.parse_response(model, options, body)

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        # Vertex answers Google-style errors ({"error": {"code", "message", "status"}}) before the
        # model is reached, Anthropic's own after; the Anthropic codec reads both shapes.
        return self.inner.parse_error(status, headers, body)

    def tool_call_id(self, id: str) -> str:
        return self.inner.tool_call_id(id)

    def structured_output(self, model: Model, schema: dict[str, Any], name: str) -> Mapping[str, Any] | None:
        native = getattr(self.inner, "structured_output", None)
        return native(model, schema, name) if callable(native) else None
