"""Credential scrubbing for recorded HTTP (vcrpy / pytest-recording).

Two nets: fields and headers *named* like credentials, and credential
*values* wherever they appear (a custom auth header, a query parameter, a
body field, an echo in an error message). The values are those of the
calls made while recording (see :func:`remember_secret`, fed by the pytest
plugin) and of every installed provider's key variables that are set.
"""

from __future__ import annotations

import json
import os
import re
import threading
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode

__all__ = ["SCRUBBED", "remember_secret", "scrub_request", "scrub_response", "vcr_config"]

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
_QUERY_VALUE = re.compile(r"(?:^|[?&])(?:" + "|".join(SECRET_QUERY) + r")=(?P<v>[^&#]*)", re.I)
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


_MIN_SECRET = 6  # shorter values would erase ordinary words
_remembered: set[str] = set()
_remembered_lock = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Scrub ``value`` by value from everything recorded from now on (and
    ``Bearer <value>``'s token). The pytest plugin calls it with the
    credentials of every call made during a ``@pytest.mark.vcr`` test."""
    if not value:
        return
    with _remembered_lock:
        for v in (value, value.partition(" ")[2]):
            if len(v) >= _MIN_SECRET and v != SCRUBBED:
                _remembered.add(v)


def _secret_values() -> list[str]:
    """Remembered values and the set key variables of installed providers,
    each also URL-encoded, longest first (so a key is never half-replaced)."""
    values = set(_remembered)
    try:
        from aiwire._plugins.registry import get_registry

        for spec in list(get_registry().providers.values()):
            for var in spec.env:
                value = os.environ.get(var, "")
                if len(value) >= _MIN_SECRET and value != SCRUBBED:
                    values.add(value)
    except Exception:  # a broken plugin must not stop scrubbing what is known
        pass
    out = set(values)
    for v in values:
        out.update((quote(v, safe=""), quote_plus(v)))
    return sorted(out, key=len, reverse=True)


def _replace_values(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, SCRUBBED)
    return text


def _scrub_values_in(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return _replace_values(value, secrets)
    if isinstance(value, bytes):
        raw = value
        for secret in secrets:
            enc = secret.encode()
            if enc in raw:
                raw = raw.replace(enc, SCRUBBED.encode())
        return raw
    if isinstance(value, list):
        return [_scrub_values_in(v, secrets) for v in value]
    return value


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


def _scrub_header_values(headers: Any, secrets: list[str]) -> None:
    for name in list(headers):
        value = headers[name]
        scrubbed = _scrub_values_in(value, secrets)
        if scrubbed != value:
            headers[name] = scrubbed


def scrub_request(request: Any) -> Any:
    """vcrpy ``before_record_request``: drop credentials from a request, by
    name and by value."""
    for name in list(request.headers):  # an echo of these in the response is scrubbed too
        if name.lower() in SECRET_HEADERS:
            value = request.headers[name]
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str):
                    remember_secret(v)
    for m in _QUERY_VALUE.finditer(request.uri):
        remember_secret(m.group("v"))
    secrets = _secret_values()
    _scrub_headers(request.headers)
    _scrub_header_values(request.headers, secrets)
    request.uri = _replace_values(_QUERY.sub(lambda m: m.group("k") + SCRUBBED, request.uri), secrets)
    if request.body:
        request.body = _scrub_values_in(_scrub_json_body(request.body), secrets)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy ``before_record_response``: drop cookies, token bodies and any
    echo of a credential."""
    secrets = _secret_values()
    headers = response.get("headers", {})
    _scrub_headers(headers)
    _scrub_header_values(headers, secrets)
    body = response.get("body", {})
    if isinstance(body, dict) and body.get("string"):
        body["string"] = _scrub_values_in(_scrub_json_body(body["string"]), secrets)
    return response


def vcr_config() -> dict[str, Any]:
    """Settings for pytest-recording: credentials scrubbed before anything is
    written. No ``record_mode``: pytest-recording's ``--record-mode`` decides
    (``none``, replay only, unless you pass another)."""
    return {
        # No filter_headers / filter_query_parameters: they would run first and
        # hide the values that scrub_request must also erase from bodies.
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
    }
