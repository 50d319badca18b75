"""Bedrock's errors: HTTP error bodies, in-stream exception frames, and what
kind of failure each one is (for :mod:`aiwire.classify`).

An HTTP error names its type in the ``x-amzn-errortype`` header (or a
``__type`` / ``code`` field) and says why in ``{"message": ...}``; inside a
200 ConverseStream the same errors arrive as event-stream frames with
``:message-type: exception`` and a camel-case ``:exception-type``
(``throttlingException``). Both are reported under the PascalCase name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from aiwire.plugin import ErrorInfo
from aiwire.types import AssistantMessage

__all__ = ["classify", "error_info", "exception_name", "hint"]

# What each exception means, added to Bedrock's own message.
_HINTS = {
    "AccessDeniedException": "access denied: the identity may not invoke this model, or the model is not enabled "
    "for the account in this region (Bedrock console, Model access)",
    "UnrecognizedClientException": "the AWS credentials are not valid",
    "ExpiredTokenException": "the temporary AWS credentials have expired: refresh them (`aws sso login`)",
    "InvalidSignatureException": "the request signature does not match (a clock far off, or a body changed "
    "after signing)",
    "ResourceNotFoundException": "not found: check the model id, or use an inference profile id (us., eu., global.)",
    "ThrottlingException": "throttled by Bedrock (requests or tokens per minute)",
    "ServiceQuotaExceededException": "a Bedrock service quota is exceeded",
    "ServiceUnavailableException": "Bedrock is unavailable: try again shortly",
    "InternalServerException": "Bedrock internal error",
    "ModelTimeoutException": "the model took too long to answer",
    "ModelNotReadyException": "the model is not ready yet: try again shortly",
    "ModelStreamErrorException": "the model failed while streaming",
    "ModelErrorException": "the model failed to process the request",
    "ValidationException": "invalid request",
}
_BY_STATUS = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    424: "ModelErrorException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
_RATE = frozenset({"ThrottlingException"})
_AUTH = frozenset(
    {
        "AccessDeniedException",
        "UnrecognizedClientException",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
    }
)
_OVERFLOW = re.compile(
    r"input is too long|too many input tokens|prompt is too long|exceeds? (?:the )?(?:model'?s? )?"
    r"(?:context|maximum context|max(?:imum)? (?:input|context))|context (?:length|window)|"
    r"input length and `?max_tokens`? exceed",
    re.IGNORECASE,
)


def exception_name(raw: str) -> str:
    """``throttlingException`` or ``ThrottlingException:http://...`` -> ``ThrottlingException``."""
    name = raw.split(":", 1)[0].rsplit("#", 1)[-1].strip()
    return name[:1].upper() + name[1:]


def hint(name: str | None) -> str | None:
    return _HINTS.get(name or "")


def error_info(status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
    """Bedrock's HTTP error body, its type and a short hint of what to do."""
    message = ""
    kind = headers.get("x-amzn-errortype") or ""
    try:
        data = msgspec.json.decode(body) if body.strip() else {}
    except msgspec.DecodeError:
        data = None
        message = body.decode("utf-8", "replace").strip()[:2000]
    if isinstance(data, dict):
        message = str(data.get("message") or data.get("Message") or "")
        kind = kind or str(data.get("__type") or data.get("code") or "")
    name = (
        exception_name(kind)
        if kind
        else _BY_STATUS.get(status) or ("InternalServerException" if status >= 500 else None)
    )
    text = hint(name)
    if text and message:
        text = f"{text}: {message}"
    text = text or message or f"HTTP {status}"
    request_id = headers.get("x-amzn-requestid")
    if request_id:
        text += f" (request id {request_id})"
    return ErrorInfo(text, name)


def classify(message: AssistantMessage) -> str | None:
    """``rate_limited``, ``auth``, ``context_overflow`` or ``None``."""
    kind = message.error_type or ""
    if kind in _RATE:
        return "rate_limited"
    if kind in _AUTH:
        return "auth"
    if kind == "model_context_window_exceeded":  # a stop reason, reported as an error
        return "context_overflow"
    if kind == "ValidationException" and _OVERFLOW.search(message.error_message or ""):
        return "context_overflow"
    return None
