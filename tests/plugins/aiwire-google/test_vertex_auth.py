"""Vertex AI with Google credentials: a service-account key and gcloud's
Application Default Credentials signing in against a local token endpoint
(the JWT assertion is verified with the key's public half), the project
endpoint, token reuse, refresh when due and on a 401, and the message when
nothing is configured."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import aiwire
from aiwire_google import vertex

pytestmark = pytest.mark.network

_REPLY = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "hi from vertex"}]}, "finishReason": "STOP"}],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4, "totalTokenCount": 7},
}


class TokenServer:
    """A Google-style OAuth token endpoint: JWT-bearer (service accounts) and
    refresh_token (authorized users) grants; tokens numbered, lifetime settable."""

    def __init__(self, public_pem: bytes) -> None:
        self.public_pem = public_pem
        self.grants: list[dict[str, str]] = []
        self.expires_in = 3600
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["content-length"])).decode()))
                outer.grants.append(form)
                if form.get("grant_type") == "urn:ietf:params:oauth:grant-type:jwt-bearer":
                    from google.auth import jwt

                    # google-auth signs for Google's token audience whatever the token_uri
                    claims = jwt.decode(
                        form["assertion"], certs=outer.public_pem, audience="https://oauth2.googleapis.com/token"
                    )
                    assert claims["iss"] == "svc@proj.iam.gserviceaccount.com"
                    assert "cloud-platform" in claims["scope"]
                else:
                    assert form["grant_type"] == "refresh_token" and form["refresh_token"] == "1//refresh"
                body = json.dumps(
                    {
                        "access_token": f"ya29.token-{len(outer.grants)}",
                        "expires_in": outer.expires_in,
                        "token_type": "Bearer",
                    }
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"


@pytest.fixture
def keypair() -> tuple[bytes, bytes]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@pytest.fixture
def token_server(keypair: tuple[bytes, bytes]) -> Iterator[TokenServer]:
    server = TokenServer(keypair[1])
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    thread.join()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for var in ("GOOGLE_CLOUD_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS", *vertex.PROJECT_VARS, *vertex.LOCATION_VARS):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))  # no gcloud ADC file unless a test writes one
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # never probe a metadata server
    vertex.reset()
    yield
    vertex.reset()


@pytest.fixture
def service_account(
    tmp_path: Path, keypair: tuple[bytes, bytes], token_server: TokenServer, monkeypatch: pytest.MonkeyPatch
) -> Path:
    info = {
        "type": "service_account",
        "project_id": "key-project",
        "private_key_id": "k1",
        "private_key": keypair[0].decode(),
        "client_email": "svc@proj.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": token_server.url,
    }
    path = tmp_path / "key.json"
    path.write_text(json.dumps(info))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    return path


class Vertex(httpx.MockTransport):
    """Vertex AI's generateContent: records URLs and bearer tokens; ``reject`` answers 401 to those tokens."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.reject: set[str] = set()
        super().__init__(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        self.seen.append((str(request.url), token))
        if token in self.reject:
            return httpx.Response(
                401, json={"error": {"code": 401, "message": "token expired", "status": "UNAUTHENTICATED"}}
            )
        return httpx.Response(200, json=_REPLY)


def test_service_account_signs_in_and_reaches_the_project_endpoint(
    service_account: Path, token_server: TokenServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-proj")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west4")
    transport = Vertex()
    msg = aiwire.complete_sync("google-vertex/gemini-2.5-flash", "hi", transport=transport, check=True)
    assert msg.text == "hi from vertex"
    url, token = transport.seen[0]
    assert url == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4"
        "/publishers/google/models/gemini-2.5-flash:generateContent"
    )
    assert token == "ya29.token-1" and len(token_server.grants) == 1
    # the token is reused by the next call, sync or async
    aiwire.complete_sync("google-vertex/gemini-2.5-flash", "again", transport=transport)

    async def later() -> None:
        await aiwire.complete("google-vertex/gemini-2.5-flash", "async", transport=transport)

    import asyncio

    asyncio.run(later())
    assert [t for _, t in transport.seen] == ["ya29.token-1"] * 3 and len(token_server.grants) == 1


def test_project_from_the_key_and_global_location(service_account: Path) -> None:
    transport = Vertex()
    aiwire.complete_sync("google-vertex/gemini-2.5-flash", "hi", transport=transport)
    assert transport.seen[0][0].startswith(
        "https://aiplatform.googleapis.com/v1/projects/key-project/locations/global/publishers/google/models/"
    )


def test_project_and_location_from_the_model(service_account: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-proj")
    model = aiwire.custom_model(
        "gemini-2.5-pro", provider="google-vertex", compat={"project": "model-proj", "location": "us-central1"}
    )
    transport = Vertex()
    aiwire.complete_sync(model, "hi", transport=transport)
    assert "us-central1-aiplatform.googleapis.com/v1/projects/model-proj/locations/us-central1/" in transport.seen[0][0]


def test_a_token_due_for_refresh_is_refreshed_before_sending(service_account: Path, token_server: TokenServer) -> None:
    token_server.expires_in = 60  # inside the refresh margin: due at once
    transport = Vertex()
    aiwire.complete_sync("google-vertex/gemini-2.5-flash", "one", transport=transport)
    aiwire.complete_sync("google-vertex/gemini-2.5-flash", "two", transport=transport)
    assert [t for _, t in transport.seen] == ["ya29.token-1", "ya29.token-2"]


def test_a_401_refreshes_once_and_sends_again(service_account: Path, token_server: TokenServer) -> None:
    transport = Vertex()
    aiwire.complete_sync("google-vertex/gemini-2.5-flash", "one", transport=transport)
    transport.reject.add("ya29.token-1")  # revoked server-side
    msg = aiwire.complete_sync("google-vertex/gemini-2.5-flash", "two", transport=transport)
    assert msg.stop_reason == "stop"
    assert [t for _, t in transport.seen] == ["ya29.token-1", "ya29.token-1", "ya29.token-2"]


def test_gcloud_application_default_credentials(
    tmp_path: Path, token_server: TokenServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what `gcloud auth application-default login` writes
    adc = tmp_path / "gcloud" / "application_default_credentials.json"
    adc.parent.mkdir(parents=True)
    adc.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "cid.apps.googleusercontent.com",
                "client_secret": "csecret",
                "refresh_token": "1//refresh",
                "token_uri": token_server.url,
                "quota_project_id": "adc-proj",
            }
        )
    )
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "adc-proj")

    class ToLocal(httpx.HTTPTransport):
        # gcloud's ADC always names Google's token endpoint: send it to ours instead
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            assert str(request.url) == "https://oauth2.googleapis.com/token"
            request.url = httpx.URL(token_server.url)
            return super().handle_request(request)

    local = ToLocal()
    monkeypatch.setattr(vertex, "TOKEN_TRANSPORT", local)
    transport = Vertex()
    msg = aiwire.complete_sync("google-vertex/gemini-2.5-flash", "hi", transport=transport)
    assert msg.text == "hi from vertex", msg.error_message
    assert transport.seen[0][1] == "ya29.token-1"
    assert token_server.grants[0]["grant_type"] == "refresh_token"
    local.close()


def test_embeddings_on_vertex_use_the_same_sign_in(service_account: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p")
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        pred = {"embeddings": {"values": [0.5, 0.25], "statistics": {"token_count": 2}}}
        return httpx.Response(200, json={"predictions": [pred]})

    r = aiwire.embed_sync("google-vertex/gemini-embedding-001", "x", transport=httpx.MockTransport(handle))
    assert r.vectors[0].tolist() == [0.5, 0.25]
    assert str(seen[0].url).endswith(
        "/projects/p/locations/global/publishers/google/models/gemini-embedding-001:predict"
    )
    assert seen[0].headers["authorization"] == "Bearer ya29.token-1"


def test_nothing_configured_names_the_variables_and_the_command() -> None:
    with pytest.raises(aiwire.errors.MissingCredentialsError) as info:
        aiwire.complete_sync("google-vertex/gemini-2.5-flash", "hi")
    text = str(info.value)
    for needed in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "gcloud auth application-default login",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_API_KEY",
    ):
        assert needed in text


def test_an_express_key_still_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_API_KEY", "AQ.express-key")
    transport = Vertex()
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_REPLY)

    aiwire.complete_sync("google-vertex/gemini-2.5-flash", "hi", transport=httpx.MockTransport(handle))
    assert seen[0].headers["x-goog-api-key"] == "AQ.express-key"
    assert str(seen[0].url).startswith("https://aiplatform.googleapis.com/v1/publishers/google/models/")
    assert transport.seen == []


def test_a_broken_key_file_fails_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(bad))
    with pytest.raises(aiwire.errors.MissingCredentialsError, match="no Google credentials"):
        aiwire.complete_sync("google-vertex/gemini-2.5-flash", "hi")


def test_secrets_stay_out_of_reprs(service_account: Path) -> None:
    model = aiwire.get_model("google-vertex/gemini-2.5-flash")
    spec = aiwire.get_provider("google-vertex")
    creds = vertex.vertex_credentials(spec, model)
    assert creds is not None and creds.stale and creds.api_key is None  # no token fetched during setup
    fresh = creds.refresher(False) if creds.refresher else None
    assert fresh is not None and fresh.api_key == "ya29.token-1" and "ya29" not in repr(fresh)
