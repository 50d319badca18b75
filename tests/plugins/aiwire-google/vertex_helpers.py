"""Fixtures of the Vertex AI sign-in tests: an RSA key pair, a local Google-style
token endpoint, a service-account key file pointing at it, and an environment
with no Google credentials, project or gcloud configuration of the machine's."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aiwire_google import vertex

__all__ = ["TokenServer", "keypair", "service_account", "token_server", "vertex_env"]


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


@pytest.fixture
def vertex_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
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
