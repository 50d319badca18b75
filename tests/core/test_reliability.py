# why: issue 19 — the reproductions of its defects that the fault matrix does not already hold.
"""Issue 19's defects, one reproduction each, against loopback servers.

- 2: a model's secret headers stay out of its ``repr``; an in-stream error
  echoing the key is masked in ``aiwire chat``'s stderr and ``--json``;
- 4: an endless line through ``aiwire.stream`` ends in one error event with
  bounded memory (the framers' real 16 MiB cap);
- 5: ``SyncAssistantStream.abort()`` ends a call still waiting for the
  response head at once (``stream_sync``, and its ``result()``, the
  abortable blocking ``complete``);
- 6: ten sequential calls to one host reuse one connection, on every wire
  api with both drivers, and on both async transports;
- 7: a 200 whose body is not the stream names the content type and the
  server's message (the fault matrix runs it everywhere; here the wording);
- 11: a 401 on ``anthropic-messages`` from a third-party host names that
  host's key variable, not ``ANTHROPIC_API_KEY``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from _faultserver import FaultServer, Reply
from test_fault_matrix import SECRET, TEXT, WIRES, CountingServer, check_events, http_error

import aiwire
from aiwire import events as ev
from aiwire._cli.main import main
from aiwire._plugins.hooks import ProviderSpec, hookimpl

pytestmark = pytest.mark.network


@pytest.fixture
def server() -> Iterator[CountingServer]:
    s = CountingServer()
    yield s
    s.close()


class HostPlugin:
    """A third-party host on each wire api, at the test server, keyed by ``$ACME_KEY``."""

    AIWIRE_PLUGIN_API = 2

    def __init__(self, url: str) -> None:
        self.url = url

    @hookimpl
    def register_providers(self, register: Any) -> None:
        for api in WIRES:
            register(
                ProviderSpec(
                    id=f"acme-{api}", api=api, base_url=self.url, env=("ACME_KEY",), compat={"open_catalog": True}
                )
            )


@pytest.fixture
def acme(server: CountingServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingServer]:
    monkeypatch.setenv("ACME_KEY", SECRET)
    aiwire.register_plugin(HostPlugin(server.url), "acme-hosts")
    try:
        yield server
    finally:
        aiwire.unregister_plugin("acme-hosts")


def ok(api: str) -> Reply:
    return Reply(ops=[("send", WIRES[api].ok()), ("end",)])


# -- 2: secrets ---------------------------------------------------------------------------------


def test_model_repr_hides_header_values() -> None:
    m = aiwire.custom_model("m", api="faux", base_url="http://127.0.0.1:9", headers={"X-Api-Key": SECRET})
    assert SECRET not in repr(m) and SECRET not in str(m)
    assert "X-Api-Key" in repr(m)
    assert m.headers["X-Api-Key"] == SECRET  # only the repr hides it


@pytest.mark.parametrize("json_out", [False, True], ids=["stderr", "json"])
@pytest.mark.parametrize("api", list(WIRES))
def test_chat_masks_a_key_echoed_in_an_in_stream_error(
    api: str, json_out: bool, acme: CountingServer, capsys: pytest.CaptureFixture[str]
) -> None:
    wire = WIRES[api]
    acme.script(Reply(ops=[("send", wire.content(TEXT) + wire.error(f"bad gateway config: key={SECRET}")), ("end",)]))
    args = ["chat", "-m", f"acme-{api}/m1", "--no-tools", "hi"]
    main([*args[:-1], "--json", "hi"] if json_out else args)
    cap = capsys.readouterr()
    assert SECRET not in cap.out and SECRET not in cap.err
    assert "bad gateway config: key=***" in (cap.out if json_out else cap.err)
    if json_out:
        lines = [json.loads(line) for line in cap.out.splitlines()]
        assert lines[-1]["messages"][-1]["stop_reason"] == "error"


# -- 4: an endless line with the real cap ------------------------------------------------------------


class EndlessLine(FaultServer):
    """Answers with an SSE line that never ends (up to ``size`` bytes)."""

    size = 40 * 1024 * 1024

    def _answer(self, conn: Any, reply: Reply) -> bool:
        head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        conn.sendall(head.encode())
        block = b"x" * 65536
        chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
        conn.sendall(f"{6:x}\r\n".encode() + b"data: \r\n")
        sent = 0
        try:
            while sent < self.size and self._alive():
                conn.sendall(chunk)
                sent += len(block)
        except OSError:
            self.client_gone.set()
        return False


async def test_an_endless_line_ends_in_one_error_with_bounded_memory() -> None:
    s = EndlessLine(lifetime=30)
    try:
        m = aiwire.custom_model("m", api="anthropic-messages", base_url=s.url)
        tracemalloc.start()
        try:
            events = [e async for e in aiwire.stream(m, "hi", api_key="k", idle_timeout=10)]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        msg = check_events(events)
        assert msg.stop_reason == "error" and "exceeds" in (msg.error_message or "")
        assert peak < 64 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"  # the cap (16 MiB) and its join, not 40 MiB
    finally:
        s.close()


# -- 5: abort before the response head --------------------------------------------------------------


@pytest.mark.parametrize("how", ["iterate", "result"])
def test_sync_abort_wakes_a_call_waiting_for_the_head(how: str, server: CountingServer) -> None:
    server.script(Reply(ops=[("hold", 10)]))
    m = aiwire.custom_model("m", api="faux", base_url=server.url)
    s = aiwire.stream_sync(m, "hi", idle_timeout=30, max_retries=0)
    # Abort once the server holds the request (an abort before the connect
    # now ends the call without connecting: nothing would be left to close).
    aborted_at: list[float] = []
    timer = threading.Thread(target=lambda: _when(lambda: server.requests, s.abort, aborted_at))
    timer.start()
    try:
        if how == "iterate":
            msg = check_events(list(s))
        else:
            msg = s.result()  # the abortable blocking complete
    finally:
        timer.join()
    took = time.monotonic() - aborted_at[0]
    assert msg.stop_reason == "aborted", msg.error_message
    assert took < 1.0, f"took {took:.2f} s"
    assert server.client_gone.wait(2)  # and the connection was closed


def _when(ready: Any, then: Any, at: list[float], wait: float = 10) -> None:
    deadline = time.monotonic() + wait
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    at.append(time.monotonic())
    then()


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose connects hang: its listener's accept queue is full, so
    the kernel drops further SYNs (as a firewalled host does)."""
    import socket

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(0)
    port = srv.getsockname()[1]
    fill = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        fill.append(c)
    time.sleep(0.1)
    yield port
    for c in fill:
        c.close()
    srv.close()


@pytest.mark.parametrize("how", ["stream_sync", "complete_sync"])
def test_sync_abort_wakes_a_call_still_connecting(how: str, unanswered_port: int) -> None:
    m = aiwire.custom_model("m", api="faux", base_url=f"http://127.0.0.1:{unanswered_port}")
    handle = aiwire.AbortHandle()
    s = aiwire.stream_sync(m, "hi", idle_timeout=30, max_retries=0)
    timer = threading.Timer(0.3, s.abort if how == "stream_sync" else handle.abort)
    timer.start()
    t0 = time.monotonic()
    try:
        msg = s.result() if how == "stream_sync" else aiwire.complete_sync(m, "hi", max_retries=0, abort=handle)
    finally:
        timer.cancel()
    took = time.monotonic() - t0
    assert msg.stop_reason == "aborted", msg.error_message
    assert took < 2.0, f"took {took:.2f} s"


def test_sync_abort_wakes_a_reused_connection_waiting_for_the_head(server: CountingServer) -> None:
    from _faultserver import ok as faux_ok

    server.script(faux_ok(), Reply(ops=[("hold", 10)]))
    m = aiwire.custom_model("m", api="faux", base_url=server.url)
    assert aiwire.stream_sync(m, "hi").result().stop_reason == "stop"
    s = aiwire.stream_sync(m, "hi", idle_timeout=30, max_retries=0)
    timer = threading.Timer(0.2, s.abort)
    timer.start()
    t0 = time.monotonic()
    msg = s.result()
    assert msg.stop_reason == "aborted" and time.monotonic() - t0 < 1.0
    assert server.connections == 1  # the second call waited on the pooled connection


# -- 6: connection reuse ---------------------------------------------------------------------------


# Both drivers read the body's short rest after the last event (the chunked
# terminator, ``[DONE]``), so the connection goes back to the pool.
REUSE = [
    *(pytest.param(api, "sync", id=f"{api}-sync") for api in WIRES),
    *(pytest.param(api, "async", id=f"{api}-async") for api in WIRES),
    *(pytest.param(api, "async-httpx", id=f"{api}-async-httpx") for api in WIRES),
]


@pytest.mark.parametrize(("api", "driver"), REUSE)
async def test_ten_sequential_calls_reuse_one_connection(api: str, driver: str, server: CountingServer) -> None:
    server.script(*[ok(api) for _ in range(10)])
    m = aiwire.custom_model("m", api=api, base_url=server.url)
    if driver.startswith("async"):
        async with aiwire.AsyncClient(transport="httpx" if driver == "async-httpx" else None) as client:
            for _ in range(10):
                events: list[ev.Event] = [e async for e in client.stream(m, "hi", api_key="k")]
                msg = check_events(events)
                assert msg.stop_reason == "stop" and msg.text == TEXT, msg.error_message
    else:

        def go() -> None:
            with aiwire.Client() as client:
                for _ in range(10):
                    s = client.stream(m, "hi", api_key="k")
                    msg = check_events(list(s))
                    assert msg.stop_reason == "stop" and msg.text == TEXT, msg.error_message

        await asyncio.to_thread(go)
    assert len(server.requests) == 10
    assert server.connections == 1, f"{server.connections} connections for 10 calls"


# -- 7 and 11: what an error says --------------------------------------------------------------------


@pytest.mark.parametrize("api", list(WIRES))
async def test_a_200_json_error_body_names_the_content_type_and_the_message(api: str, acme: CountingServer) -> None:
    body = json.dumps({"error": {"message": "billing disabled for this project", "type": "billing"}}).encode()
    acme.script(Reply(status=200, headers={"content-type": "application/json"}, ops=[("send", body)], chunked=False))
    events = [e async for e in aiwire.stream(aiwire.get_model(f"acme-{api}/m1"), "hi", max_retries=0)]
    msg = check_events(events)
    assert msg.error_message == (
        f"expected an event stream from the {api} api but got application/json: billing disabled for this project"
    )
    assert msg.error_status == 200 and msg.error_type == "billing"


@pytest.mark.parametrize("api", list(WIRES))
async def test_a_401_names_the_providers_key_variable(api: str, acme: CountingServer) -> None:
    acme.script(http_error(401, "invalid x-api-key"))
    msg = await aiwire.complete(aiwire.get_model(f"acme-{api}/m1"), "hi")
    assert msg.error_status == 401
    assert "$ACME_KEY" in (msg.error_message or "") and "ANTHROPIC_API_KEY" not in (msg.error_message or "")
    assert "invalid x-api-key" in (msg.error_message or "")


async def test_a_401_with_an_api_key_option_says_so(server: CountingServer) -> None:
    server.script(http_error(401, "invalid x-api-key"))
    m = aiwire.custom_model("m", api="anthropic-messages", base_url=server.url)
    msg = await aiwire.complete(m, "hi", api_key="k-123456")
    assert msg.error_message is not None and "check the api_key option" in msg.error_message
    assert "ANTHROPIC_API_KEY" not in msg.error_message


def test_complete_sync_abort_handle_wakes_a_call_waiting_for_the_head(server: CountingServer) -> None:
    server.script(Reply(ops=[("hold", 10)]))
    m = aiwire.custom_model("m", api="faux", base_url=server.url)
    handle = aiwire.AbortHandle()
    timer = threading.Timer(0.2, handle.abort)
    timer.start()
    t0 = time.monotonic()
    try:
        msg = aiwire.complete_sync(m, "hi", abort=handle, timeout=30, max_retries=0)
    finally:
        timer.cancel()
    assert msg.stop_reason == "aborted" and time.monotonic() - t0 < 1.0, msg.error_message
    assert server.client_gone.wait(2)
    # an aborted handle ends the next call before it sends anything
    again = aiwire.complete_sync(m, "hi", abort=handle)
    assert again.stop_reason == "aborted" and "before the request was sent" in (again.error_message or "")
    with aiwire.Client() as client:
        assert client.complete(m, "hi", abort=handle).stop_reason == "aborted"


def test_complete_sync_refuses_a_wrong_abort_handle() -> None:
    m = aiwire.custom_model("m", api="faux", base_url="http://127.0.0.1:9")
    with pytest.raises(aiwire.errors.BadOptionsError):
        aiwire.complete_sync(m, "hi", abort=threading.Event())
