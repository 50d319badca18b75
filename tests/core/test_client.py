# why: aiwire.Client/AsyncClient own their plugins, base URLs, default options and every socket they open.
"""``aiwire.Client`` and ``aiwire.AsyncClient`` against loopback servers.

An explicit plugin list is all a client sees (plus the built-in demo);
``base_urls`` redirects a provider; ``options`` are defaults a call
overrides; a closed client refuses calls; leaving ``async with`` closes the
connections it opened (the server sees them close, and ``python -X dev -W
error`` has nothing to report); the aiohttp transport honours the proxy
variables; a user's own httpx client is never closed by aiwire.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _faultserver import FaultServer, Reply, error_reply, ok, text_events
from test_auth_flow import Heartbeat
from test_client_resources import ForwardProxy, closing, whole

import aiwire
from aiwire import events as ev
from aiwire._engine import retry
from aiwire._plugins.hooks import ProviderSpec, hookimpl
from aiwire.errors import BadOptionsError, UnknownModelError, UnknownProviderError
from aiwire.types import Model

pytestmark = pytest.mark.network

HERE = Path(__file__).resolve().parent
NOWHERE = "http://127.0.0.1:9"  # discard port: nothing listens


class MinePlugin:
    AIWIRE_PLUGIN_API = 2

    @hookimpl
    def register_providers(self, register: Any) -> None:
        register(ProviderSpec(id="mine", api="faux", base_url=NOWHERE, auth="none"))

    @hookimpl
    def register_models(self, register: Any) -> None:
        register([Model(id="m1", provider="mine", api="faux", base_url=NOWHERE)])


class ClosingServer(FaultServer):
    """Counts the connections whose client closed them."""

    def __init__(self) -> None:
        super().__init__(lifetime=30)
        self.closed = 0
        self._count = threading.Lock()

    def _connection(self, conn: Any) -> None:
        try:
            super()._connection(conn)
        finally:
            with self._count:
                self.closed += 1

    def wait_all_closed(self, timeout: float = 3.0) -> bool:
        stop = time.monotonic() + timeout
        while time.monotonic() < stop:
            if self.connections and self.closed == self.connections:
                return True
            time.sleep(0.01)
        return False


@pytest.fixture
def server() -> Iterator[ClosingServer]:
    s = ClosingServer()
    yield s
    s.close()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    p = ForwardProxy(lifetime=30)
    yield p
    p.close()


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "backoff", lambda attempt: 0.01)


def sse_text(text: str) -> bytes:
    return b"".join(text_events(text))


def faux(server: FaultServer) -> Model:
    return aiwire.custom_model("faux-1", api="faux", base_url=server.url)


# -- plugins, base URLs, default options --------------------------------------------


def test_an_explicit_plugin_list_is_all_the_client_sees() -> None:
    client = aiwire.AsyncClient(plugins=[MinePlugin()])
    assert {m.provider for m in client.models()} == {"mine", "demo"}
    assert client.get_model("mine/m1").base_url == NOWHERE
    assert client.get_model("demo", client.models("demo")[0].id).provider == "demo"
    assert "openai" in {m.provider for m in aiwire.models()}  # installed, but not this client's
    with pytest.raises((UnknownModelError, UnknownProviderError)):
        client.get_model("openai/gpt-4o")
    with pytest.raises((UnknownModelError, UnknownProviderError)):
        aiwire.get_model("mine/m1")  # and the client's plugin stays out of the default registry
    empty = aiwire.Client(plugins=[])
    assert {m.provider for m in empty.models()} == {"demo"}


async def test_base_urls_redirect_a_provider(server: ClosingServer) -> None:
    server.script(ok("redirected"), ok("again"))
    async with aiwire.AsyncClient(plugins=[MinePlugin()], base_urls={"mine": server.url}) as client:
        assert client.get_model("mine/m1").base_url == server.url
        msg = await client.stream("mine/m1", "hi")
        assert (msg.stop_reason, msg.text) == ("stop", "redirected"), msg.error_message
        model = Model(id="m1", provider="mine", api="faux", base_url=NOWHERE)
        msg = await client.stream(model, "hi")  # a Model object is redirected too
        assert msg.text == "again", msg.error_message
    assert [r["line"] for r in server.requests] == ["POST /stream HTTP/1.1"] * 2


def test_base_urls_apply_to_the_sync_client(server: ClosingServer) -> None:
    server.script(whole("sync redirected"))
    with aiwire.Client(plugins=[MinePlugin()], base_urls={"mine": server.url}) as client:
        msg = client.complete("mine/m1", "hi")
    assert msg.text == "sync redirected", msg.error_message


async def test_default_options_apply_and_calls_override_them(server: ClosingServer) -> None:
    server.script(error_reply(500), error_reply(500), ok("second try"))
    seen: list[Any] = []
    async with aiwire.AsyncClient(options={"max_retries": 0, "temperature": 0.5}) as client:
        msg = await client.complete(faux(server), "hi")
        assert (msg.stop_reason, msg.error_status, len(server.requests)) == ("error", 500, 1)
        msg = await client.stream(faux(server), "hi", max_retries=1, on_retry=lambda *a: seen.append(a))
        assert (msg.stop_reason, msg.text) == ("stop", "second try"), msg.error_message
    assert len(server.requests) == 3 and len(seen) == 1
    assert client.options == {"max_retries": 0, "temperature": 0.5}  # a call does not change the defaults


def test_sync_client_default_options(server: ClosingServer) -> None:
    server.script(error_reply(503), whole("ok"))
    with aiwire.Client(options={"max_retries": 0}) as client:
        assert client.complete(faux(server), "hi").error_status == 503
        assert client.complete(faux(server), "hi", max_retries=2).text == "ok"


@pytest.mark.parametrize(
    ("options", "phrase"),
    [({"max_retrys": 0}, "unknown option"), ({"max_retries": "many"}, "max_retries"), ({"timeout": "soon"}, "timeout")],
)
@pytest.mark.parametrize("client_type", [aiwire.AsyncClient, aiwire.Client])
def test_bad_default_options_raise_at_construction(client_type: Any, options: dict[str, Any], phrase: str) -> None:
    with pytest.raises(BadOptionsError, match=phrase):
        client_type(options=options)


def test_a_bad_transport_name_raises_at_construction() -> None:
    with pytest.raises(BadOptionsError, match="transport"):
        aiwire.AsyncClient(transport="carrier-pigeon")


# -- closing -------------------------------------------------------------------------------


async def test_a_closed_async_client_refuses_calls(server: ClosingServer) -> None:
    client = aiwire.AsyncClient()
    await client.aclose()
    for call in (
        lambda: client.stream(faux(server), "hi"),
        lambda: client.complete(faux(server), "hi"),
        lambda: client.generate_images(faux(server), "a fox"),
    ):
        with pytest.raises(RuntimeError, match="closed"):
            result = call()
            if hasattr(result, "__await__"):
                await result
    assert server.requests == []


def test_a_closed_sync_client_refuses_calls(server: ClosingServer) -> None:
    with aiwire.Client() as client:
        pass
    with pytest.raises(RuntimeError, match="AsyncClient is closed|Client is closed"):
        client.complete(faux(server), "hi")
    with pytest.raises(RuntimeError, match="closed"):
        client.stream(faux(server), "hi")
    assert server.requests == []


async def test_leaving_async_with_closes_the_connections(server: ClosingServer) -> None:
    server.script(whole("one"), whole("two"), ok("three"))
    async with aiwire.AsyncClient() as client:
        assert (await client.complete(faux(server), "hi", max_retries=0)).text == "one"
        assert (await client.complete(faux(server), "hi", max_retries=0)).text == "two"
        time.sleep(0.05)
        assert server.connections == 1 and server.closed == 0  # kept alive for the next call
        s = client.stream(faux(server), "hi")
        events = [e async for e in s]
        assert isinstance(events[-1], ev.Done)
    assert server.wait_all_closed(), (server.connections, server.closed)


def test_leaving_with_closes_the_sync_connections(server: ClosingServer) -> None:
    server.script(ok("one"))
    with aiwire.Client() as client:
        assert client.stream(faux(server), "hi").result().text == "one"
        time.sleep(0.05)
        assert server.closed == 0
    assert server.wait_all_closed(), (server.connections, server.closed)


def held_terminator(text: str) -> Reply:
    """A whole stream whose chunked terminator comes 2 s after the last event."""
    ops = [op for op in ok(text).ops if op[0] != "end"]
    return Reply(ops=[*ops, ("sleep", 2.0), ("end",)])


async def test_a_late_body_end_does_not_delay_the_async_stream(server: ClosingServer) -> None:
    server.script(held_terminator("late"))
    async with aiwire.AsyncClient() as client:
        t0 = time.monotonic()
        msg = await client.stream(faux(server), "hi")
        assert (msg.stop_reason, msg.text) == ("stop", "late") and time.monotonic() - t0 < 1.0


def test_a_late_body_end_does_not_delay_the_sync_stream(server: ClosingServer) -> None:
    server.script(held_terminator("late"))
    with aiwire.Client() as client:
        t0 = time.monotonic()
        msg = client.stream(faux(server), "hi").result()
        assert (msg.stop_reason, msg.text) == ("stop", "late") and time.monotonic() - t0 < 1.0


def late_ping() -> Reply:
    """One event, a keep-alive ping 0.4 s later, then silence."""
    return Reply(ops=[("send", sse_text("part")), ("sleep", 0.4), ("send", b": ping\n\n"), ("wait_gone", 5)])


@pytest.mark.parametrize("driver", ["async", "sync"])
async def test_idle_timeout_counts_from_the_last_event_not_the_last_ping(driver: str, server: ClosingServer) -> None:
    server.script(late_ping())
    t0 = time.monotonic()
    if driver == "async":
        async with aiwire.AsyncClient() as aclient:
            msg = await aclient.stream(faux(server), "hi", idle_timeout=0.5, max_retries=0)
    else:
        with aiwire.Client() as client:
            msg = client.stream(faux(server), "hi", idle_timeout=0.5, max_retries=0).result()
    took = time.monotonic() - t0
    assert msg.stop_reason == "error" and "stalled" in (msg.error_message or ""), msg.error_message
    assert isinstance(msg.exception(), aiwire.errors.ProviderTimeoutError)
    assert msg.text == "part" and 0.45 < took < 0.85, took  # not 0.4 s + another 0.5 s after the ping


_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    sys.path.insert(0, {here!r})
    import aiwire
    from _faultserver import FaultServer, ok
    from test_client_resources import whole

    server = FaultServer(lifetime=20)
    server.script(ok("reply 0"), whole("reply 1"), ok("reply 2"), ok("reply 3"))
    model = aiwire.custom_model("faux-1", api="faux", base_url=server.url)

    async def main():
        async with aiwire.AsyncClient(transport="aiohttp") as client:
            assert (await client.stream(model, "hi")).text == "reply 0"
            assert (await client.complete(model, "hi")).text == "reply 1"
            async for event in client.stream(model, "hi"):
                break  # leaving early closes the response
        # the module-level functions: closed when asyncio.run shuts the loop down
        assert (await aiwire.stream(model, "hi", transport="aiohttp")).text == "reply 3"

    asyncio.run(main())
    server.close()
    print("ok")
    """
)


def test_aiohttp_client_leaves_nothing_unclosed_under_dev_mode() -> None:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["PYTHONPATH"] = str(HERE.parents[1] / "core" / "src")
    code = _CHILD.format(here=str(HERE))
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
    for marker in ("Unclosed", "unclosed", "ResourceWarning", "Task was destroyed", "Exception ignored"):
        assert marker not in proc.stderr, proc.stderr


# -- transports and the user's http client ---------------------------------------------


@pytest.mark.parametrize("transport", ["asyncio", "aiohttp", "httpx"])
async def test_async_transports_honour_the_proxy_variables(
    transport: str, server: ClosingServer, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    server.script(closing(ok("proxied")))
    async with aiwire.AsyncClient(transport=transport) as client:
        msg = await client.stream(faux(server), "hi")
    assert (msg.stop_reason, msg.text) == ("stop", "proxied"), msg.error_message
    assert [p.line for p in proxy.requests] == [f"POST {server.url}/stream HTTP/1.1"]


async def test_building_the_http_client_does_not_block_the_loop(
    server: ClosingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx.AsyncClient() loads the CA bundle (20-100 ms of CPU); here it takes 300 ms."""

    class SlowAsyncClient(httpx.AsyncClient):
        def __init__(self, **kwargs: Any) -> None:
            time.sleep(0.3)
            super().__init__(**kwargs)

    monkeypatch.setattr(httpx, "AsyncClient", SlowAsyncClient)
    server.script(ok("not blocked"))
    async with aiwire.AsyncClient() as client:
        s = client.stream(faux(server), "hi")
        async with Heartbeat() as beat:
            msg = await s
    assert msg.text == "not blocked", msg.error_message
    assert beat.worst < 0.05, f"the loop was blocked {beat.worst * 1000:.0f} ms"
    server.script(*(ok(f"n{n}") for n in range(3)))
    async with aiwire.AsyncClient() as client:  # three first calls at once: one client is kept
        msgs = await asyncio.gather(*(client.stream(faux(server), "hi", max_retries=0).result() for _ in range(3)))
        assert len(client._pool._loops[asyncio.get_running_loop()][0]) == 1
    assert sorted(m.text for m in msgs) == ["n0", "n1", "n2"], [m.error_message for m in msgs]


def test_the_users_sync_http_client_is_never_closed(server: ClosingServer) -> None:
    server.script(ok("mine"), whole("still mine"), whole("after"))
    http = httpx.Client(headers={"x-custom": "1"})
    client = aiwire.Client(http_client=http)
    assert client.stream(faux(server), "hi").result().text == "mine"
    assert client.complete(faux(server), "hi").text == "still mine"
    client.close()
    assert not http.is_closed
    assert http.post(f"{server.url}/stream", json={}).json()["content"][0]["text"] == "after"
    assert all(r["headers"].get("x-custom") == "1" for r in server.requests)
    http.close()


async def test_the_users_async_http_client_is_never_closed(server: ClosingServer) -> None:
    server.script(ok("mine"), whole("after"))
    http = httpx.AsyncClient()
    async with aiwire.AsyncClient(http_client=http) as client:
        assert (await client.stream(faux(server), "hi")).text == "mine"
    assert not http.is_closed
    assert (await http.post(f"{server.url}/stream", json={})).json()["content"][0]["text"] == "after"
    await http.aclose()


def test_http_client_must_be_an_httpx_client() -> None:
    with pytest.raises(BadOptionsError, match="http_client"):
        aiwire.Client(http_client=object())
