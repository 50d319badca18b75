"""aiwire's own HTTP/1.1 transport (``aiwire._io.lean`` / ``aiwire._io.h1``).

The parser is fed by hand (it is sans-IO: bytes in, body bytes and a head
out) at every split of a response; the pool runs against loopback servers
written here: keep-alive reuse, a reused connection the server closed
(sent once more), a fresh one that fails (not sent again), https through a
CONNECT proxy, and requests it refuses to write.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_transport import certificate  # noqa: F401  (a fixture)

from aiwire._io.errors import ReadTimeout, RemoteProtocolError, UnsupportedProtocol
from aiwire._io.h1 import H1Connection
from aiwire._io.lean import LeanPool

pytestmark = pytest.mark.network


class _Pool:
    def _forget(self, conn: Any) -> None:
        pass


class _Transport:
    def __init__(self) -> None:
        self.written = b""
        self.closed = False
        self.paused = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False


def _conn() -> tuple[H1Connection, _Transport, asyncio.Future[None]]:
    conn = H1Connection(_Pool(), "k")  # type: ignore[arg-type]
    tr = _Transport()
    conn.connection_made(tr)  # type: ignore[arg-type]
    head = conn.begin(b"POST / HTTP/1.1\r\n\r\n", b"{}")
    return conn, tr, head


CHUNKED = (
    b"HTTP/1.1 100 Continue\r\n\r\n"
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Folded: a\r\n b\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"6;ext=1\r\ndata: \r\n"
    b"1A\r\n" + b"x" * 26 + b"\r\n"
    b"0\r\nX-Trailer: t\r\n\r\n"
)


async def test_a_chunked_response_parses_the_same_at_every_split() -> None:
    for i in range(len(CHUNKED) + 1):
        for j in (i, min(i + 7, len(CHUNKED))):
            conn, tr, head = _conn()
            for piece in (CHUNKED[:i], CHUNKED[i:j], CHUNKED[j:]):
                if piece:
                    conn.data_received(piece)
            assert head.done() and head.exception() is None, i
            assert conn.status == 200 and ("X-Folded", "a b") in conn.headers
            assert b"".join(conn.out) == b"data: " + b"x" * 26, (i, j)
            assert conn.eof and conn.keep and not tr.closed, i
    assert tr.written == b"POST / HTTP/1.1\r\n\r\n{}"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.binary(min_size=1, max_size=300), max_size=20),
    st.lists(st.integers(min_value=0, max_value=8000), max_size=6),
    st.booleans(),
)
def test_any_chunking_read_in_any_pieces_gives_the_body_back(pieces: list[bytes], cuts: list[int], ext: bool) -> None:
    async def check() -> None:
        wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        for p in pieces:
            wire += b"%X%s\r\n%s\r\n" % (len(p), b";x=1" if ext else b"", p)
        wire += b"0\r\n\r\n"
        conn, _, head = _conn()
        at = 0
        for cut in [*sorted(c % (len(wire) + 1) for c in cuts), len(wire)]:
            if cut > at:
                conn.data_received(wire[at:cut])
                at = cut
        assert head.done() and conn.eof and conn.keep
        assert b"".join(conn.out) == b"".join(pieces)

    asyncio.run(check())


@pytest.mark.parametrize(
    ("response", "body", "keep"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", b"hello", True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA", b"hello", False),
        (b"HTTP/1.1 204 No Content\r\n\r\n", b"", True),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", b"ok", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", b"ok", False),
    ],
)
async def test_length_delimited_bodies(response: bytes, body: bytes, keep: bool) -> None:
    conn, _, head = _conn()
    conn.data_received(response)
    assert head.done() and conn.eof
    assert b"".join(conn.out) == body and conn.keep is keep


async def test_a_close_delimited_body_ends_with_the_connection() -> None:
    conn, _, _ = _conn()
    conn.data_received(b"HTTP/1.1 200 OK\r\n\r\npart one ")
    conn.data_received(b"part two")
    assert not conn.eof
    conn.connection_lost(None)
    assert conn.eof and conn.error is None and not conn.keep
    assert b"".join(conn.out) == b"part one part two"


@pytest.mark.parametrize(
    ("response", "says"),
    [
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "without sending complete message body"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab", "without sending complete message body"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY", "does not end with CRLF"),
    ],
)
async def test_a_cut_or_broken_body_is_an_error_after_what_arrived(response: bytes, says: str) -> None:
    conn, _, _ = _conn()
    conn.data_received(response)
    if conn.error is None:
        conn.connection_lost(None)
    assert isinstance(conn.error, RemoteProtocolError) and says in str(conn.error)
    assert not conn.eof and not conn.keep


@pytest.mark.parametrize(
    ("response", "says"),
    [
        (b"SPDY/3 200 OK\r\n\r\n", "malformed response head"),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", "malformed response head"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "header line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "content-length"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000, "over 64 KiB"),
    ],
)
async def test_a_malformed_head_fails_the_request(response: bytes, says: str) -> None:
    conn, tr, head = _conn()
    conn.data_received(response)
    assert head.done() and isinstance(head.exception(), RemoteProtocolError)
    assert says in str(head.exception()) and tr.closed


async def test_a_slow_reader_pauses_the_socket_and_resumes_it() -> None:
    conn, tr, _ = _conn()
    conn.data_received(b"HTTP/1.1 200 OK\r\nContent-Length: 3000000\r\n\r\n")
    for _ in range(3):
        conn.data_received(b"x" * 1_000_000)
    assert tr.paused
    conn.waiter = None


# -- the pool, against loopback servers ---------------------------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


@contextlib.asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[tuple[int, list[int]]]:
    """A server calling ``handler(reader, writer, connection number)``; yields
    its port and the list of connection numbers seen."""
    seen: list[int] = []
    running: set[asyncio.Task[Any]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(len(seen))
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        try:
            await handler(reader, writer, seen[-1])
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            running.discard(task)

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1], seen
    finally:
        server.close()
        for task in list(running):  # every handler ends (and closes its sockets) before the loop does
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.gather(*running, return_exceptions=True), 2)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 1)


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            await reader.readexactly(int(line.split(b":")[1]))
    return head


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


async def fetch(pool: LeanPool, url: str, **headers: str) -> bytes:
    resp = await pool.send("POST", url, list(headers.items()), b"{}", connect_timeout=5, read_timeout=5)
    return await resp.aread()


async def test_keep_alive_reuses_one_connection() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while True:
            await read_request(reader)
            writer.write(OK)
            await writer.drain()

    async with serving(handler) as (port, seen):
        pool = LeanPool()
        assert [await fetch(pool, f"http://127.0.0.1:{port}/x") for _ in range(5)] == [b"ok"] * 5
        await pool.aclose()
    assert seen == [0]


async def test_a_reused_connection_the_server_dropped_is_sent_once_more() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()
        if n == 0:
            await read_request(reader)  # the second request: dropped unanswered, as an idle timeout would
            writer.transport.abort()
            return
        await read_request(reader)

    async with serving(handler) as (port, seen):
        pool = LeanPool()
        assert await fetch(pool, f"http://127.0.0.1:{port}/x") == b"ok"
        assert await fetch(pool, f"http://127.0.0.1:{port}/x") == b"ok"
        await pool.aclose()
    assert seen == [0, 1]


async def test_a_fresh_connection_that_fails_is_not_sent_again() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)

    async with serving(handler) as (port, seen):
        pool = LeanPool()
        with pytest.raises(RemoteProtocolError, match="without sending a response"):
            await fetch(pool, f"http://127.0.0.1:{port}/x")
        await pool.aclose()
    assert seen == [0]


async def test_a_silent_server_times_out_the_head() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        await asyncio.sleep(2)

    async with serving(handler) as (port, _):
        pool = LeanPool()
        with pytest.raises(ReadTimeout):
            await pool.send("GET", f"http://127.0.0.1:{port}/", [], None, connect_timeout=5, read_timeout=0.2)
        await pool.aclose()


async def test_requests_it_cannot_write_are_refused_before_anything_is_sent() -> None:
    pool = LeanPool()
    with pytest.raises(ValueError, match="line break"):
        await fetch(pool, "http://127.0.0.1:9/x", x_evil="a\r\nInjected: 1")
    with pytest.raises(UnsupportedProtocol, match="ftp://"):
        await fetch(pool, "ftp://127.0.0.1/x")
    with pytest.raises(ValueError, match="cannot carry"):
        await fetch(pool, "http://127.0.0.1:9/x", x_name="caf\u00e9 \u2615")
    await pool.aclose()


async def test_the_request_head_on_the_wire() -> None:
    got: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        got.append(await read_request(reader))
        writer.write(OK)
        await writer.drain()

    async with serving(handler) as (port, _):
        pool = LeanPool()
        await fetch(pool, f"http://127.0.0.1:{port}/v1/x?a=1", Accept="text/event-stream", Host="evil")
        await pool.aclose()
    assert got[0].split(b"\r\n") == [
        b"POST /v1/x?a=1 HTTP/1.1",
        f"Host: 127.0.0.1:{port}".encode(),
        b"Accept: text/event-stream",
        b"Accept-Encoding: gzip, deflate",
        b"Content-Length: 2",
        b"",
        b"",
    ]


async def _connect_proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    method, target, _ = head.split(b"\r\n")[0].split(b" ")
    assert method == b"CONNECT"
    host, _, port = target.decode().rpartition(":")
    up_reader, up_writer = await asyncio.open_connection(host, int(port))
    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

    async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        dst.close()

    try:
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
    finally:
        up_writer.close()


@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning" if sys.version_info < (3, 11) else "default"
)
async def test_https_through_a_connect_proxy(
    certificate: tuple[Path, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(*certificate)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    for var in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(var, raising=False)

    async def origin(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while True:
            await read_request(reader)
            writer.write(OK)
            await writer.drain()

    async with serving(origin, tls) as (port, seen), serving(_connect_proxy) as (proxy_port, tunnels):
        monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy_port}")
        pool = LeanPool()
        assert await fetch(pool, f"https://127.0.0.1:{port}/x") == b"ok"
        assert await fetch(pool, f"https://127.0.0.1:{port}/x") == b"ok"
        await pool.aclose()
    assert tunnels == [0] and seen == [0]  # one tunnel, kept alive


def test_a_failed_name_lookup_is_worded_by_the_resolver() -> None:
    import socket

    from aiwire._io.aio import describe_io
    from aiwire._io.errors import ConnectError

    err = ConnectError("[Errno -2] Name or service not known")
    err.__cause__ = socket.gaierror(-2, "Name or service not known")
    assert describe_io(err) == "ConnectError: Name or service not known"  # not "Unknown error -2"
    refused = ConnectError("refused")
    refused.__cause__ = ConnectionRefusedError(111, "Connect call failed")
    assert describe_io(refused) == "ConnectError: Connection refused"
