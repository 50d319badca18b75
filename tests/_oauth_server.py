"""A real OAuth 2.0 authorization server for tests, built from authlib's
server components and served on 127.0.0.1 by the standard library.

It implements the authorization code grant with PKCE (RFC 6749 §4.1,
RFC 7636), the refresh token grant (§6) and the device authorization grant
(RFC 8628). "The user" is simulated: ``consent`` says whether the consent
page approves, ``device_approve_after`` after how many polls the device code
is approved. Vendor-only endpoints (Copilot's token exchange, Cloud Code
Assist) are added per test through ``routes``.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback, this process only

from authlib.common.security import generate_token
from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant

from aiwire.auth.oauth import DeviceCode, LoginCallbacks

USER = {"id": "user-1", "email": "user@example.test"}


class Client:
    def __init__(self, client_id: str, secret: str | None = None) -> None:
        self.client_id = client_id
        self.secret = secret

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # RFC 8252 §7.3: any port on the loopback interface.
        return redirect_uri.startswith(("http://localhost:", "http://127.0.0.1:"))

    def check_client_secret(self, secret: str) -> bool:
        return self.secret is not None and secret == self.secret

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == ("client_secret_post" if self.secret else "none")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return True


class Code:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri  # type: ignore[no-any-return]

    def get_scope(self) -> str:
        return self.scope  # type: ignore[no-any-return]


class Token:
    def __init__(self, data: dict[str, Any], client_id: str) -> None:
        self.data = data
        self.client_id = client_id
        self.revoked = False

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.data.get("scope", "")

    def is_revoked(self) -> bool:
        return self.revoked

    def is_expired(self) -> bool:
        return False

    def get_user(self) -> dict[str, str]:
        return USER


class DeviceCredential:
    def __init__(self, client_id: str, scope: str, data: dict[str, Any], owner: OAuthTestServer) -> None:
        self.client_id = client_id
        self.scope = scope
        self.data = data
        self.owner = owner

    def get_client_id(self) -> str:
        return self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_user_code(self) -> str:
        return self.data["user_code"]  # type: ignore[no-any-return]

    def is_expired(self) -> bool:
        return self.owner.device_expired


class _Request(OAuth2Request):
    def __init__(self, method: str, uri: str, headers: dict[str, str], data: dict[str, str], query: dict[str, str]):
        super().__init__(method, uri, headers=headers)
        self.payload = BasicOAuth2Payload(data)
        self._query = query
        self._data = data

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self._data


class OAuthTestServer:
    """Settings the tests flip: ``consent`` (approve|deny), ``tamper_state``,
    ``rotate_refresh`` (issue a new refresh token on refresh),
    ``refresh_delay``, ``device_approve_after``, ``device_deny``,
    ``device_expired``, ``slow_down_polls`` (poll numbers answered
    ``slow_down``), ``id_token_claims`` (adds an unsigned-for-test id_token),
    ``routes`` (vendor endpoints: path -> fn(handler) -> (status, json))."""

    def __init__(self) -> None:
        self.consent = "approve"
        self.tamper_state = False
        self.rotate_refresh = True
        self.refresh_delay = 0.0
        # Answers given to the next refresh requests before the grant is run:
        # (status, JSON payload or raw text, headers).
        self.refresh_failures: list[tuple[int, Any, dict[str, str]]] = []
        # Answers given to the next token requests of any grant, likewise.
        self.token_failures: list[tuple[int, Any, dict[str, str]]] = []
        self.expires_in = 3600
        self.device_approve_after = 2
        self.device_interval = 5
        self.device_deny = False
        self.device_expired = False
        self.slow_down_polls: set[int] = set()
        self.id_token_claims: dict[str, Any] | None = None
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler, bytes], tuple[int, Any]]] = {}
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}  # by refresh token
        self.access_tokens: set[str] = set()
        self.devices: dict[str, DeviceCredential] = {}
        self.polls = 0
        self.grants: list[str] = []  # grant_type of every successful token response
        self.token_requests: list[dict[str, Any]] = []  # bodies as received (test data only)
        self._lock = threading.RLock()
        self.auth = self._build()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- authlib wiring -----------------------------------------------------

    def _build(self) -> AuthorizationServer:
        owner = self

        class Server(AuthorizationServer):  # type: ignore[misc]
            def query_client(self, client_id: str) -> Client | None:
                return owner.clients.get(client_id)

            def save_token(self, token: dict[str, Any], request: Any) -> None:
                owner._save_token(token, request)

            def create_oauth2_request(self, request: Any) -> Any:
                return request

            def create_json_request(self, request: Any) -> Any:
                return request

            def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, Any]:
                return status, body, headers

            def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
                pass

        class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_post"]

            def save_authorization_code(self, code: str, request: Any) -> None:
                data = request.payload.data
                owner.codes[code] = Code(
                    code=code,
                    client_id=request.client.client_id,
                    redirect_uri=data.get("redirect_uri"),
                    scope=data.get("scope", ""),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                )

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                item = owner.codes.get(code)
                return item if item is not None and item.client_id == client.client_id else None

            def delete_authorization_code(self, code: Code) -> None:
                owner.codes.pop(code.code, None)

            def authenticate_user(self, code: Code) -> dict[str, str]:
                return USER

        class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_post"]

            @property
            def INCLUDE_NEW_REFRESH_TOKEN(self) -> bool:
                return owner.rotate_refresh

            def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
                tok = owner.tokens.get(refresh_token)
                return tok if tok is not None and not tok.revoked else None

            def authenticate_user(self, token: Token) -> dict[str, str]:
                return USER

            def revoke_old_credential(self, token: Token) -> None:
                if owner.rotate_refresh:
                    token.revoked = True

        class DeviceGrant(DeviceCodeGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_post"]

            def query_device_credential(self, device_code: str) -> DeviceCredential | None:
                return owner.devices.get(device_code)

            def query_user_grant(self, user_code: str) -> tuple[dict[str, str], bool] | None:
                owner.polls += 1
                if owner.polls in owner.slow_down_polls:
                    return None
                if owner.polls > owner.device_approve_after:
                    return USER, not owner.device_deny
                return None

            def should_slow_down(self, credential: DeviceCredential) -> bool:
                return owner.polls in owner.slow_down_polls

        class DeviceEndpoint(DeviceAuthorizationEndpoint):  # type: ignore[misc]
            @property
            def INTERVAL(self) -> int:
                return owner.device_interval

            def get_verification_uri(self) -> str:
                return owner.base_url + "/device"

            def save_device_credential(self, client_id: str, scope: str, data: dict[str, Any]) -> None:
                owner.devices[data["device_code"]] = DeviceCredential(client_id, scope, data, owner)

        server = Server()
        server.register_token_generator(
            "default",
            BearerTokenGenerator(
                lambda **kw: "at-" + generate_token(24),
                lambda **kw: "rt-" + generate_token(24),
                lambda client, grant_type: owner.expires_in,
            ),
        )
        server.register_grant(CodeGrant, [CodeChallenge(required=True)])
        server.register_grant(RefreshGrant)
        server.register_grant(DeviceGrant)
        server.register_endpoint(DeviceEndpoint)
        return server

    def _save_token(self, token: dict[str, Any], request: Any) -> None:
        with self._lock:
            self.grants.append(request.payload.data.get("grant_type", ""))
            client_id = request.client.client_id
            self.access_tokens.add(token["access_token"])
            if "refresh_token" in token:
                self.tokens[token["refresh_token"]] = Token(token, client_id)
            elif request.payload.data.get("refresh_token"):
                # No rotation: the old refresh token stays valid.
                pass
            if self.id_token_claims is not None:
                token["id_token"] = fake_jwt(self.id_token_claims)

    # -- lifecycle ------------------------------------------------------------

    def add_client(self, client_id: str, secret: str | None = None) -> None:
        self.clients[client_id] = Client(client_id, secret)

    def issue(self, client_id: str, scope: str = "") -> dict[str, Any]:
        """A token set as if a login had happened (for refresh tests)."""
        refresh = "rt-" + generate_token(24)
        access = "at-" + generate_token(24)
        data = {"access_token": access, "refresh_token": refresh, "scope": scope, "token_type": "Bearer"}
        self.tokens[refresh] = Token(data, client_id)
        self.access_tokens.add(access)
        return data

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> OAuthTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- HTTP ---------------------------------------------------------------------

    def authorize(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        req = _Request("GET", self.base_url + handler.path, dict(handler.headers), query, query)
        try:
            grant = self.auth.get_consent_grant(request=req)
        except Exception as exc:  # an invalid request is shown, not redirected
            _send(handler, 400, {"error": getattr(exc, "error", "invalid_request")})
            return
        user = USER if self.consent == "approve" else None
        status, _body, headers = self.auth.create_authorization_response(request=req, grant_user=user, grant=grant)
        location = dict(headers).get("Location", "")
        if self.tamper_state and location:
            loc = urlsplit(location)
            params = dict(parse_qsl(loc.query))
            params["state"] = "forged-" + generate_token(8)
            location = urlunsplit(loc._replace(query=urlencode(params)))
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def token(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        ctype = handler.headers.get("Content-Type", "")
        # Some vendors post JSON to their token endpoint; the grant logic is the same.
        data = json.loads(body) if "json" in ctype else dict(parse_qsl(body.decode()))
        data = {k: str(v) for k, v in data.items()}
        self.token_requests.append(dict(data))
        if data.get("grant_type") == "refresh_token" and self.refresh_delay:
            time.sleep(self.refresh_delay)
        if self.token_failures:
            status, payload, headers = self.token_failures.pop(0)
            _send(handler, status, payload, headers)
            return
        if data.get("grant_type") == "refresh_token" and self.refresh_failures:
            status, payload, headers = self.refresh_failures.pop(0)
            _send(handler, status, payload, headers)
            return
        req = _Request("POST", self.base_url + handler.path, dict(handler.headers), data, {})
        with self._lock if data.get("grant_type") == "refresh_token" else _nolock():
            status, payload, _ = self.auth.create_token_response(request=req)
        _send(handler, status, payload)

    def device_code(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        data = dict(parse_qsl(body.decode()))
        req = _Request("POST", self.base_url + handler.path, dict(handler.headers), data, {})
        status, payload, _ = self.auth.create_endpoint_response("device_authorization", req)
        _send(handler, status, payload)


class _nolock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def fake_jwt(claims: dict[str, Any]) -> str:
    def seg(obj: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{seg({'alg': 'none', 'typ': 'JWT'})}.{seg(claims)}.sig"


def _send(handler: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
    text = isinstance(payload, str)
    raw = payload.encode() if text else json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "text/html" if text else "application/json")
    handler.send_header("Content-Length", str(len(raw)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(raw)


def _make_handler(owner: OAuthTestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/authorize":
                owner.authorize(self)
            elif path in owner.routes:
                _send(self, *owner.routes[path](self, b""))
            else:
                _send(self, 404, {"error": "not_found"})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = urlsplit(self.path).path
            if path == "/token":
                owner.token(self, body)
            elif path == "/device/code":
                owner.device_code(self, body)
            elif path in owner.routes:
                _send(self, *owner.routes[path](self, body))
            else:
                _send(self, 404, {"error": "not_found"})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def running_server() -> Iterator[OAuthTestServer]:
    """Body of an ``oauth_server`` fixture: a started server, stopped after."""
    server = OAuthTestServer().start()
    try:
        yield server
    finally:
        server.stop()


class Browser:
    """Plays the user's browser: follows the authorization redirect to the
    loopback callback (in a thread, like a real browser would)."""

    def __init__(self) -> None:
        self.visited: list[str] = []
        self.final_status: int | None = None
        self.thread: threading.Thread | None = None

    def open(self, url: str) -> None:
        import httpx

        def run() -> None:
            self.visited.append(url)
            with httpx.Client(follow_redirects=True, timeout=10, trust_env=False) as c:
                resp = c.get(url)
                self.final_status = resp.status_code

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()


class ScriptedCallbacks(LoginCallbacks):
    """Test UI: records what a login shows, answers prompts from a script,
    lets a :class:`Browser` follow URLs, and never really sleeps."""

    def __init__(self, browser: Browser | None = None, answers: list[str] | None = None) -> None:
        super().__init__()
        self.browser = browser
        self.answers = list(answers or [])
        self.urls: list[str] = []
        self.devices: list[DeviceCode] = []
        self.prompts: list[str] = []
        self.sleeps: list[float] = []
        self.messages: list[str] = []

    def show_url(self, url: str, instructions: str = "") -> None:
        self.urls.append(url)
        if self.browser is not None:
            self.browser.open(url)

    def show_device_code(self, code: DeviceCode) -> None:
        self.devices.append(code)

    def prompt(self, message: str, *, placeholder: str = "", secret: bool = False, allow_empty: bool = False) -> str:
        self.prompts.append(message)
        return self.answers.pop(0)

    def progress(self, message: str) -> None:
        self.messages.append(message)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.check()


def flow_env(monkeypatch: pytest.MonkeyPatch, flow_id: str, server: OAuthTestServer, **names: str) -> None:
    """Point ``flow_id``'s endpoints at ``server`` through its env overrides."""
    for name, value in names.items():
        key = f"AIWIRE_OAUTH_{flow_id}_{name}".upper().replace("-", "_")
        monkeypatch.setenv(key, server.url(value) if value.startswith("/") else value)
