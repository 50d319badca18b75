"""ChatGPT (Codex) end to end: ``aiwire login openai-codex`` against a local
standards-based authorization server, the credentials stored, then real calls
through ``aiwire.stream`` and ``aiwire.complete`` (which streams: the backend
answers only streamed requests) to a loopback server standing in for the Codex
Responses endpoint; each request is asserted as it arrived.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import msgspec
import pytest
from _oauth_server import Browser, OAuthTestServer, flow_env, running_server
from _vendor_server import TRANSPORT_HEADERS, Arrived, VendorServer, running_vendor, sse_reply
from _wire_replies import responses_stream

import aiwire
from aiwire._cli import auth as _cli_auth
from aiwire.auth import default_store

pytestmark = pytest.mark.network

CLAIMS = {
    "email": "user@example.test",
    "https://api.openai.com/auth": {"chatgpt_account_id": "acct-123", "chatgpt_plan_type": "plus"},
}
# The login sets no User-Agent, so the core's goes out: aiwire's and the plugin's versions.
DEFAULT_USER_AGENT = f"aiwire/{version('aiwire')} aiwire-openai/{version('aiwire-openai')}"


@pytest.fixture
def vendor() -> Iterator[VendorServer]:
    yield from running_vendor()


@pytest.fixture
def oauth_server() -> Iterator[OAuthTestServer]:
    yield from running_server()


@pytest.fixture
def logged_in(oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    oauth_server.add_client("codex-test")
    oauth_server.id_token_claims = CLAIMS
    flow_env(monkeypatch, "openai-codex", oauth_server, authorize_url="/authorize", token_url="/token",
             client_id="codex-test", callback_port="0")  # fmt: skip
    monkeypatch.setattr("webbrowser.open", Browser().open)
    assert _cli_auth.login(["openai-codex"]) == 0
    stored = default_store().get("openai-codex")
    assert stored is not None and stored.access in oauth_server.access_tokens
    assert stored.extra["account_id"] == "acct-123"
    return stored.access


def _lines(arrived: Arrived) -> list[tuple[str, str]]:
    arrived.header_dict()  # no header twice
    return sorted((k.lower(), v) for k, v in arrived.headers)


async def test_stream_and_complete_with_the_login(logged_in: str, vendor: VendorServer) -> None:
    vendor.routes["/backend-api/codex/responses"] = lambda a: sse_reply(responses_stream("Hi", model="gpt-5.4"))
    model = msgspec.structs.replace(
        aiwire.get_model("openai-codex/gpt-5.4"), base_url=vendor.base_url + "/backend-api/codex"
    )
    events = [e async for e in aiwire.stream(model, "hi", reasoning="low")]
    assert (events[-1].message.stop_reason, events[-1].message.text) == ("stop", "Hi")
    whole = await aiwire.complete(model, "hi", reasoning="low")
    assert (whole.stop_reason, whole.text) == ("stop", "Hi"), whole.error_message

    assert len(vendor.arrived) == 2
    for sent in vendor.arrived:  # complete() sends the very same streamed request
        assert (sent.method, sent.target) == ("POST", "/backend-api/codex/responses")
        assert _lines(sent) == sorted(
            [
                ("host", vendor.base_url.removeprefix("http://")),
                *TRANSPORT_HEADERS,
                ("user-agent", DEFAULT_USER_AGENT),
                ("content-type", "application/json"),
                ("accept", "text/event-stream"),
                ("authorization", f"Bearer {logged_in}"),
                ("openai-beta", "responses=experimental"),
                ("originator", "aiwire"),
                ("chatgpt-account-id", "acct-123"),
                ("content-length", str(len(sent.body))),
            ]
        )
        assert sent.json == {
            "model": "gpt-5.4",
            "input": [{"role": "user", "content": "hi"}],
            "stream": True,
            "instructions": "",
            "store": False,
            "include": ["reasoning.encrypted_content"],
            "reasoning": {"effort": "low", "summary": "auto"},
        }
