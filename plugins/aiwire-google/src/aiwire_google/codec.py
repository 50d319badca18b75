"""The ``google-generative-ai`` codec: Gemini API and Vertex AI ``generateContent``.

URLs are ``{base_url}/models/{model}:streamGenerateContent?alt=sse`` (streamed)
and ``{base_url}/models/{model}:generateContent``. The Gemini API base is
``.../v1beta``; Vertex AI's is ``.../v1/publishers/google`` in express mode or
``https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/google``.

Keys go in ``x-goog-api-key``. OAuth access tokens (``credentials.kind ==
"oauth"``, or a key that is a Google access token, ``ya29.``...) go in
``Authorization: Bearer``, as Vertex AI requires for project endpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import msgspec

from aiwire.plugin import BaseCodec, Credentials, ErrorInfo, Options, Request, StreamDecoder, generic_error_info
from aiwire.types import AssistantMessage, Context, Model

from .decoder import API, GeminiDecoder, parse_message
from .request import build_body
from .structured import generation_config

__all__ = ["GoogleCodec", "auth_headers", "parse_google_error"]

_SUPPORTED = frozenset(
    {"max_tokens", "temperature", "top_p", "stop", "reasoning", "thinking_budgets", "tool_choice", "headers"}
    | {"provider_options"}
)


def auth_headers(credentials: Credentials) -> dict[str, str]:
    """The auth header for a key or an access token (none without credentials)."""
    key = credentials.api_key
    if not key or credentials.kind == "none":
        return {}
    if credentials.kind == "oauth" or key.startswith("ya29."):
        return {"authorization": f"Bearer {key}"}
    return {"x-goog-api-key": key}


class _ErrorDetail(msgspec.Struct):
    code: int | None = None
    message: str = ""
    status: str | None = None
    details: list[dict[str, Any]] | None = None


class _ErrorBody(msgspec.Struct):
    error: _ErrorDetail


def parse_google_error(status: int, body: bytes) -> ErrorInfo:
    """Google's ``{"error": {code, message, status, details}}`` made readable.

    The ``status`` (``INVALID_ARGUMENT``, ``NOT_FOUND``...) becomes the error
    type; a field violation or help link in ``details`` is appended.
    """
    raw = body.strip()
    if raw.startswith(b"["):  # streamed errors may come as a one-element array
        raw = raw[1:-1] if raw.endswith(b"]") else raw
    try:
        err = msgspec.json.decode(raw, type=_ErrorBody).error
    except (msgspec.DecodeError, msgspec.ValidationError):
        return generic_error_info(status, body)
    text = err.message or f"HTTP {status}"
    for detail in err.details or ():
        for violation in detail.get("fieldViolations", ()) or ():
            field, desc = violation.get("field"), violation.get("description")
            if desc and desc not in text:
                text += f" ({field}: {desc})" if field else f" ({desc})"
        reason = detail.get("reason")
        if reason and reason not in text:
            text += f" [{reason}]"
    return ErrorInfo(text, err.status)


class GoogleCodec(BaseCodec):
    """Gemini's ``generateContent`` wire protocol."""

    api: ClassVar[str] = API
    supported_options: ClassVar[frozenset[str]] = _SUPPORTED
    embedding_api: ClassVar[str] = "google-embeddings"  # models outside the catalog embed here

    def build_request(
        self,
        model: Model,
        context: Context,
        options: Options,
        credentials: Credentials,
        *,
        stream: bool = True,
    ) -> Request:
        model_id = model.id.removeprefix("models/")
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        headers = {"content-type": "application/json", **auth_headers(credentials)}
        return Request(
            url=f"{model.base_url}/models/{model_id}:{method}",
            headers=headers,
            json=build_body(model, context, options),
        )

    def decoder(self, model: Model, options: Options) -> StreamDecoder:
        return GeminiDecoder(model, options)

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        return parse_message(model, options, body)

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        return parse_google_error(status, body)

    def structured_output(self, model: Model, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
        """``responseMimeType`` JSON with ``responseJsonSchema`` or ``responseSchema`` (see :mod:`.structured`)."""
        return generation_config(model, schema, name)
