"""Credential scrubbing for recorded HTTP (vcrpy / pytest-recording)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["SCRUBBED", "scrub_request", "scrub_response", "vcr_config"]

SCRUBBED = "REDACTED"
"""What a scrubbed secret is replaced with in a cassette."""

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "cookie",
        "set-cookie",
        "openai-organization",
        "openai-project",
        "anthropic-organization-id",
        "chatgpt-account-id",
        "x-github-token",
    }
)
SECRET_QUERY = ("key", "api_key", "apikey", "access_token", "token", "code", "client_secret")
_QUERY = re.compile(r"(?P<k>(?:^|[?&])(?:" + "|".join(SECRET_QUERY) + r")=)[^&#]*", re.I)
_FORM = re.compile(r"^[\w.~%+-]+=[^&\s]*(?:&[\w.~%+-]+=[^&\s]*)*$")

# Body keys are compared without case, ``_`` or ``-``: ``apiKey``, ``api-key``
# and ``API_KEY`` are one key.
_ALWAYS_SECRET = frozenset(
    {
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "apikey",
        "xapikey",
        "clientsecret",
        "codeverifier",
        "devicecode",
        "sessiontoken",
        "authtoken",
        "bearertoken",
        "password",
        "privatekey",
        "secretkey",
    }
)
# ``code`` is an OAuth authorization code only beside the other fields of a
# token request; elsewhere it is an error code (``context_length_exceeded``).
_OAUTH_SIBLINGS = frozenset({"granttype", "codeverifier", "redirecturi", "clientid", "state"})


def _norm(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def _is_secret(key: Any, obj: dict[str, Any] | None) -> bool:
    """Whether ``key`` names a credential (``obj``, the object holding it, decides ``code`` and ``token``)."""
    if not isinstance(key, str):
        return False
    k = _norm(key)
    if k in _ALWAYS_SECRET:
        return True
    if k == "code":  # a form, or a JSON token request
        return obj is None or any(_norm(s) in _OAUTH_SIBLINGS for s in obj if isinstance(s, str))
    if k == "token":  # a bare token (GitHub, Copilot), but not a logprobs entry
        return obj is None or "logprob" not in obj
    return False


def _scrub_headers(headers: Any) -> None:
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            value = headers[name]
            headers[name] = [SCRUBBED] if isinstance(value, list) else SCRUBBED


def _scrub_json_body(body: Any) -> Any:
    if isinstance(body, (bytes, str)):
        raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            data = json.loads(raw)
        except ValueError:
            stripped = raw.strip()
            if _FORM.match(stripped):
                form = _scrub_form(stripped) + raw[len(raw.rstrip()) :]
                return form.encode() if isinstance(body, bytes) else form
            return body
        if _walk(data):
            out = json.dumps(data)
            return out.encode() if isinstance(body, bytes) else out
    return body


def _scrub_form(raw: str) -> str:
    """Form-encoded OAuth bodies (``grant_type=...&refresh_token=...``)."""
    pairs = parse_qsl(raw, keep_blank_values=True)
    secret = {_norm(k) for k in SECRET_QUERY}
    return urlencode([(k, SCRUBBED if _norm(k) in secret or _is_secret(k, None) else v) for k, v in pairs])


def _walk(data: Any) -> bool:
    changed = False
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, str) and _is_secret(k, data):
                data[k] = SCRUBBED
                changed = True
            else:
                changed |= _walk(v)
    elif isinstance(data, list):
        for v in data:
            changed |= _walk(v)
    return changed


def scrub_request(request: Any) -> Any:
    """vcrpy ``before_record_request``: drop credentials from a request."""
    _scrub_headers(request.headers)
    request.uri = _QUERY.sub(lambda m: m.group("k") + SCRUBBED, request.uri)
    if request.body:
        request.body = _scrub_json_body(request.body)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy ``before_record_response``: drop cookies and token bodies."""
    _scrub_headers(response.get("headers", {}))
    body = response.get("body", {})
    if isinstance(body, dict) and body.get("string"):
        body["string"] = _scrub_json_body(body["string"])
    return response


def vcr_config() -> dict[str, Any]:
    """Settings for pytest-recording: replay only, credentials scrubbed."""
    return {
        "record_mode": "none",
        "filter_headers": [(h, SCRUBBED) for h in sorted(SECRET_HEADERS)],
        "filter_query_parameters": [(q, SCRUBBED) for q in SECRET_QUERY],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
    }
