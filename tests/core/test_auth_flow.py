# why: a login refresh (slow token endpoint, held store lock, 401) must never block the event loop, and happens once.
"""Stored logins through the real drivers, against loopback servers.

The model server is :mod:`_faultserver` (it speaks the ``faux`` wire format);
the token endpoint is the authlib server of :mod:`_oauth_server`. The async
tests run a heartbeat task on the same loop, ticking every 10 ms, and assert
that no tick came more than 50 ms late while the login was being refreshed:
the refresher blocks (HTTP to the token endpoint, the store's file lock), so
the async driver must run it in a worker thread.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _faultserver import FaultServer, Reply, error_reply, ok
from _oauth_server import OAuthTestServer, running_server

import aiwire
from aiwire import events as ev
from aiwire._plugins.hooks import OAuthSpec, ProviderSpec, hookimpl
from aiwire._wire.codec import Credentials
from aiwire.auth import OAuthFlow, StoredLogin, default_store
from aiwire.auth.grants import post_token, tokens_to_login
from aiwire.types import Model

pytestmark = pytest.mark.network

ROOT = Path(__file__).resolve().parents[2]


class FlowTestFlow(OAuthFlow):
    id = "flowtest"
    name = "Flow test"
    endpoints = {"token_url": "http://127.0.0.1:9/token", "client_id": "flowtest-cli"}

    def refresh(self, login: StoredLogin) -> StoredLogin:
        body = post_token(
            self.endpoint("token_url"),
            {
                "grant_type": "refresh_token",
                "client_id": self.endpoint("client_id"),
                "refresh_token": login.refresh or "",
            },
        )
        return tokens_to_login(body, previous=login)

    def to_credentials(self, login: StoredLogin, provider: ProviderSpec, model: Model) -> Credentials:
        return Credentials(login.access, kind="oauth")


class FlowTestPlugin:
    AIWIRE_PLUGIN_API = 2

    @hookimpl
    def register_providers(self, register: Any) -> None:
        register(ProviderSpec(id="flowtest", api="faux", base_url="http://127.0.0.1:9", env=("FLOWTEST_API_KEY",)))

    @hookimpl
    def register_oauth_providers(self, register: Any) -> None:
        register(OAuthSpec(id="flowtest", name="Flow test", flow=FlowTestFlow, providers=("flowtest",)))


@pytest.fixture
def oauth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OAuthTestServer]:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    monkeypatch.delenv("FLOWTEST_API_KEY", raising=False)
    for server in running_server():
        monkeypatch.setenv("AIWIRE_OAUTH_FLOWTEST_TOKEN_URL", server.url("/token"))
        server.add_client("flowtest-cli")
        server.rotate_refresh = False
        aiwire.register_plugin(FlowTestPlugin(), "flowtest")
        yield server
        aiwire.unregister_plugin("flowtest")


@pytest.fixture
def server() -> Iterator[FaultServer]:
    s = FaultServer(lifetime=30)
    yield s
    s.close()


def model(server: FaultServer) -> Model:
    return Model(id="m", provider="flowtest", api="faux", base_url=server.url)


def store_login(oauth: OAuthTestServer, *, expired: bool) -> StoredLogin:
    tokens = oauth.issue("flowtest-cli")
    expires = time.time() + (-10 if expired else 3600)
    login = StoredLogin(access=tokens["access_token"], refresh=tokens["refresh_token"], expires=expires)
    default_store().put("flowtest", login)
    return login


def current_token() -> str:
    stored = default_store().get("flowtest")
    assert stored is not None
    return stored.access


def bearers(server: FaultServer) -> list[str]:
    return [r["headers"].get("authorization", "") for r in server.requests]


def whole(text: str) -> Reply:
    body = b'{"content": [{"type": "text", "text": "%s"}], "stop_reason": "stop"}' % text.encode()
    return Reply(headers={"content-type": "application/json"}, ops=[("send", body)], chunked=False)


class Heartbeat:
    """A task on the running loop that ticks every 10 ms and keeps the worst lateness."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(0.01)
            now = loop.time()
            self.worst = max(self.worst, now - last - 0.01)
            self.ticks += 1
            last = now

    async def __aenter__(self) -> Heartbeat:
        self._task = asyncio.create_task(self._beat())
        await asyncio.sleep(0.02)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self._task


async def stream_with_heartbeat(m: Model) -> tuple[list[ev.Event], Heartbeat, float]:
    """Stream ``m`` while the heartbeat runs. Setup (``aiwire.stream()`` itself:
    plugin discovery on first use, reading the store) is synchronous by design
    and happens before; the refresh, the request and the body happen under watch."""
    s = aiwire.stream(m, "hi")
    async with Heartbeat() as beat:
        t0 = time.monotonic()
        events = [e async for e in s]
        took = time.monotonic() - t0
    return events, beat, took


# -- the loop stays free ------------------------------------------------------------


async def test_slow_token_endpoint_does_not_block_the_loop(oauth: OAuthTestServer, server: FaultServer) -> None:
    old = store_login(oauth, expired=True)
    oauth.refresh_delay = 1.0
    server.script(ok("fresh"))
    events, beat, took = await stream_with_heartbeat(model(server))
    assert took >= 0.9, "the refresh did not wait for the token endpoint"
    assert beat.ticks >= 50 and beat.worst < 0.05, f"the loop was blocked {beat.worst * 1000:.0f} ms"
    assert isinstance(events[0], ev.Start) and isinstance(events[-1], ev.Done), events[-1]
    assert events[-1].message.text == "fresh"
    assert oauth.grants == ["refresh_token"]
    assert current_token() != old.access
    assert bearers(server) == [f"Bearer {current_token()}"]


_HOLD_LOCK = """
import sys, time
from aiwire.auth import default_store
with default_store().lock():
    print("held", flush=True)
    time.sleep(float(sys.argv[1]))
"""


async def test_store_lock_held_by_another_process_does_not_block_the_loop(
    oauth: OAuthTestServer, server: FaultServer
) -> None:
    old = store_login(oauth, expired=True)
    server.script(ok("after the lock"))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "core" / "src")}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, "1.0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"held", holder.stderr.read() if holder.stderr else b""
        events, beat, took = await stream_with_heartbeat(model(server))
    finally:
        _out, err = holder.communicate(timeout=30)
    assert holder.returncode == 0, err.decode()
    assert took >= 0.5, "the refresh did not wait for the lock"
    assert beat.worst < 0.05, f"the loop was blocked {beat.worst * 1000:.0f} ms"
    assert isinstance(events[-1], ev.Done) and events[-1].message.text == "after the lock"
    assert current_token() != old.access and bearers(server) == [f"Bearer {current_token()}"]


# -- a 401 refreshes once ------------------------------------------------------------------


async def test_401_refreshes_once_and_resends(oauth: OAuthTestServer, server: FaultServer) -> None:
    old = store_login(oauth, expired=False)
    oauth.refresh_delay = 0.3
    server.script(error_reply(401, "token revoked"), ok("again"))
    events, beat, _ = await stream_with_heartbeat(model(server))
    assert beat.worst < 0.05, f"the loop was blocked {beat.worst * 1000:.0f} ms"
    assert isinstance(events[-1], ev.Done) and events[-1].message.text == "again"
    assert sum(isinstance(e, ev.Start) for e in events) == 1
    assert oauth.grants == ["refresh_token"]
    assert bearers(server) == [f"Bearer {old.access}", f"Bearer {current_token()}"]
    assert current_token() != old.access


async def test_a_second_401_is_the_error(oauth: OAuthTestServer, server: FaultServer) -> None:
    store_login(oauth, expired=False)
    server.script(error_reply(401, "no"), error_reply(401, "still no"))
    retries: list[Any] = []
    msg = await aiwire.complete(model(server), "hi", on_retry=lambda *a: retries.append(a))
    assert (msg.stop_reason, msg.error_status) == ("error", 401)
    assert "still no" in (msg.error_message or "")
    assert oauth.grants == ["refresh_token"] and len(server.requests) == 2 and retries == []


async def test_a_stale_token_refreshed_then_401_is_not_refreshed_again(
    oauth: OAuthTestServer, server: FaultServer
) -> None:
    store_login(oauth, expired=True)
    server.script(error_reply(401, "rejected"))
    msg = await aiwire.complete(model(server), "hi")
    assert (msg.stop_reason, msg.error_status) == ("error", 401)
    assert oauth.grants == ["refresh_token"] and len(server.requests) == 1


async def test_failed_refresh_ends_in_an_error_naming_the_login(oauth: OAuthTestServer, server: FaultServer) -> None:
    default_store().put("flowtest", StoredLogin(access="a" * 12, refresh="rt-unknown", expires=time.time() - 5))
    events = [e async for e in aiwire.stream(model(server), "hi")]
    assert isinstance(events[0], ev.Start) and isinstance(events[-1], ev.Error)
    text = events[-1].message.error_message or ""
    assert "flowtest" in text and "aiwire login flowtest" in text and "rt-unknown" not in text
    assert server.requests == []


# -- the blocking path ----------------------------------------------------------------------


def test_sync_stream_refreshes_a_stale_token(oauth: OAuthTestServer, server: FaultServer) -> None:
    old = store_login(oauth, expired=True)
    server.script(ok("sync"))
    events = list(aiwire.stream_sync(model(server), "hi"))
    assert isinstance(events[0], ev.Start) and isinstance(events[-1], ev.Done)
    assert events[-1].message.text == "sync"
    assert oauth.grants == ["refresh_token"] and current_token() != old.access
    assert bearers(server) == [f"Bearer {current_token()}"]


def test_sync_401_refreshes_once(oauth: OAuthTestServer, server: FaultServer) -> None:
    old = store_login(oauth, expired=False)
    server.script(error_reply(401, "revoked"), ok("sync again"), error_reply(401, "x"), whole("done"))
    events = list(aiwire.stream_sync(model(server), "hi"))
    assert isinstance(events[-1], ev.Done) and events[-1].message.text == "sync again"
    first = current_token()
    assert bearers(server) == [f"Bearer {old.access}", f"Bearer {first}"] and first != old.access
    msg = aiwire.complete_sync(model(server), "hi")  # a second call: its own single refresh
    assert msg.stop_reason == "stop" and msg.text == "done", msg.error_message
    assert oauth.grants == ["refresh_token", "refresh_token"]
    assert bearers(server)[2:] == [f"Bearer {first}", f"Bearer {current_token()}"]


def test_sync_second_401_is_the_error(oauth: OAuthTestServer, server: FaultServer) -> None:
    store_login(oauth, expired=False)
    server.script(error_reply(401, "no"), error_reply(401, "still no"))
    msg = aiwire.complete_sync(model(server), "hi")
    assert (msg.stop_reason, msg.error_status) == ("error", 401) and "still no" in (msg.error_message or "")
    assert oauth.grants == ["refresh_token"] and len(server.requests) == 2


async def test_token_endpoint_503_ends_in_an_error_saying_try_again_later(
    oauth: OAuthTestServer, server: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19 defect 10 on the async path: the refresh (in a worker thread) is retried, and a lasting
    503 is worded as such, never as "log in again"."""
    from aiwire.auth import resolve

    monkeypatch.setattr(resolve, "REFRESH_BACKOFF", 0.01, raising=False)
    old = store_login(oauth, expired=True)
    oauth.refresh_failures = [(503, "<html>maintenance</html>", {})] * 10
    events = [e async for e in aiwire.stream(model(server), "hi")]
    assert isinstance(events[-1], ev.Error)
    text = events[-1].message.error_message or ""
    assert "answered HTTP 503" in text and "try again later" in text and "aiwire login" not in text
    assert len(oauth.token_requests) == 3 and server.requests == []
    stored = default_store().get("flowtest")
    assert stored is not None and stored.invalid is None and stored.access == old.access
    # One transient failure, then the endpoint answers: the call goes through.
    oauth.refresh_failures = [(503, {"error": "temporarily_unavailable"}, {})]
    server.script(whole("back"))
    msg = await aiwire.complete(model(server), "hi")
    assert msg.stop_reason == "stop" and msg.text == "back", msg.error_message
