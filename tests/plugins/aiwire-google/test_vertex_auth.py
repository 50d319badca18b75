"""Vertex AI with Google credentials: a service-account key and gcloud's
Application Default Credentials signing in against a local token endpoint
(the JWT assertion is verified with the key's public half), the project
endpoint, token reuse, refresh when due and on a 401, and the message when
nothing is configured."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from vertex_helpers import TokenServer

import aiwire
from aiwire_google import vertex

pytestmark = [pytest.mark.network, pytest.mark.usefixtures("vertex_env")]

_REPLY = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "hi from vertex"}]}, "finishReason": "STOP"}],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4, "totalTokenCount": 7},
}


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
