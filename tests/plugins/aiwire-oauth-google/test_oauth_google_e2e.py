"""Gemini CLI end to end: ``aiwire login google-gemini-cli`` against a local
standards-based authorization server (with Gemini CLI's shipped client, no
environment variable for it), the Cloud Code Assist project found, the
credentials stored, then real calls through ``aiwire.stream`` and
``aiwire.complete`` to a loopback server standing in for Cloud Code Assist;
each request is asserted as it arrived.

The replies are Gemini's documented ``GenerateContentResponse`` inside Cloud
Code Assist's ``{"response": ...}`` envelope.
"""

from __future__ import annotations

import json
import platform
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from _oauth_server import Browser, OAuthTestServer, flow_env, running_server
from _vendor_server import TRANSPORT_HEADERS, Arrived, VendorServer, json_reply, running_vendor, sse, sse_reply

import aiwire
from aiwire._cli import auth as _cli_auth
from aiwire.auth import default_store
from aiwire_oauth_google.flow import CLIENT_ID, CLIENT_SECRET

pytestmark = pytest.mark.network

ANSWER = {
    "candidates": [{"content": {"role": "model", "parts": [{"text": "Hi"}]}, "finishReason": "STOP"}],
    "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4},
}


@pytest.fixture
def vendor() -> Iterator[VendorServer]:
    yield from running_vendor()


@pytest.fixture
def oauth_server() -> Iterator[OAuthTestServer]:
    yield from running_server()


@pytest.fixture
def logged_in(oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    for var in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT_ID", "AIWIRE_OAUTH_GOOGLE_GEMINI_CLI_CLIENT_ID",
                "AIWIRE_OAUTH_GOOGLE_GEMINI_CLI_CLIENT_SECRET"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    oauth_server.add_client(CLIENT_ID, secret=CLIENT_SECRET)

    def load(handler: Any, body: bytes) -> tuple[int, Any]:
        if handler.headers.get("Authorization", "")[7:] not in oauth_server.access_tokens:
            return 401, {"error": {"message": "unauthenticated"}}
        return 200, {"currentTier": {"id": "standard-tier"}, "cloudaicompanionProject": "proj-1"}

    oauth_server.routes["/v1internal:loadCodeAssist"] = load
    oauth_server.routes["/userinfo"] = lambda h, b: (200, {"email": "user@example.test"})
    flow_env(monkeypatch, "google-gemini-cli", oauth_server, authorize_url="/authorize", token_url="/token",
             userinfo_url="/userinfo", code_assist_url=oauth_server.base_url, callback_port="0")  # fmt: skip
    monkeypatch.setattr("webbrowser.open", Browser().open)
    assert _cli_auth.login(["google-gemini-cli"]) == 0
    stored = default_store().get("google-gemini-cli")
    assert stored is not None and stored.access in oauth_server.access_tokens
    assert stored.extra == {"project_id": "proj-1", "email": "user@example.test"}
    assert oauth_server.token_requests[0]["client_secret"] == CLIENT_SECRET
    return stored.access


def _lines(arrived: Arrived) -> list[tuple[str, str]]:
    arrived.header_dict()  # no header twice
    return sorted((k.lower(), v) for k, v in arrived.headers)


async def test_stream_and_complete_with_the_login(logged_in: str, vendor: VendorServer) -> None:
    vendor.routes["/v1internal:streamGenerateContent"] = lambda a: sse_reply(sse((None, {"response": ANSWER})))
    vendor.routes["/v1internal:generateContent"] = lambda a: json_reply({"response": ANSWER})
    model = msgspec.structs.replace(aiwire.get_model("google-gemini-cli/gemini-2.5-pro"), base_url=vendor.base_url)

    events = [e async for e in aiwire.stream(model, "hi")]
    assert (events[-1].message.stop_reason, events[-1].message.text) == ("stop", "Hi")
    whole = await aiwire.complete(model, "hi")
    assert (whole.stop_reason, whole.text) == ("stop", "Hi"), whole.error_message
    assert whole.usage is not None and (whole.usage.input, whole.usage.output) == (3, 1)

    targets = ["/v1internal:streamGenerateContent?alt=sse", "/v1internal:generateContent"]
    assert [(a.method, a.target) for a in vendor.arrived] == [("POST", t) for t in targets]
    metadata = {"ideType": "IDE_UNSPECIFIED", "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI",
                "duetProject": "proj-1"}  # fmt: skip
    for sent in vendor.arrived:
        assert _lines(sent) == sorted(
            [
                ("host", vendor.base_url.removeprefix("http://")),
                ("accept", "*/*"),
                *TRANSPORT_HEADERS,
                ("content-type", "application/json"),
                ("authorization", f"Bearer {logged_in}"),
                ("user-agent", "google-cloud-sdk vscode_cloudshelleditor/0.1"),
                ("x-goog-api-client", f"gl-python/{platform.python_version()}"),
                ("client-metadata", json.dumps(metadata, separators=(",", ":"))),
                ("content-length", str(len(sent.body))),
            ]
        )
        body = sent.json
        assert re.fullmatch(r"aiwire-[0-9a-f]{32}", body.pop("requestId"))  # fresh per request
        assert body == {
            "project": "proj-1",
            "model": "gemini-2.5-pro",
            "request": {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
            "userAgent": "aiwire",
        }
