"""Both transports behave the same: streams, HTTP errors, broken connections,
timeouts and cancellation, against a real loopback HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ssl
import sys
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import msgspec
import pytest

import aiwire
from aiwire import events as ev
from aiwire._api.client import default_client
from aiwire._io import transport as _transport
from aiwire.errors import BadOptionsError
from aiwire.types import AssistantMessage

pytestmark = pytest.mark.network

TRANSPORTS = ["asyncio", "httpx", "aiohttp"]


def sse(obj: object) -> bytes:
    return b"data: " + msgspec.json.encode(obj) + b"\n\n"


TEXT = [
    sse({"type": "block_start", "index": 0, "block": "text"}),
    *(sse({"type": "block_delta", "index": 0, "delta": f"w{i} "}) for i in range(50)),
    sse({"type": "block_end", "index": 0}),
    sse({"type": "usage", "input": 5, "output": 50}),
    sse({"type": "end", "stop_reason": "stop"}),
]


class Server:
    """A loopback HTTP/1.1 server; the path picks the behaviour."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.closed = asyncio.Event()
        self.requests = 0
        self._server: asyncio.Server | None = None
        self._tls = tls
        self.port = 0

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 1)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            self.requests += 1
            path = head.split(b" ")[1].decode()
            await getattr(self, "_" + path.strip("/").split("/")[0])(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.closed.set()
        finally:
            writer.close()

    @staticmethod
    async def _chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        await writer.drain()

    @staticmethod
    def _head(writer: asyncio.StreamWriter, status: str = "200 OK", ctype: str = "text/event-stream") -> None:
        writer.write(f"HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ntransfer-encoding: chunked\r\n\r\n".encode())

    async def _ok(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._head(writer)
        for event in TEXT:
            await self._chunk(writer, event)
        await self._chunk(writer, b"")

    async def _gzip(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A proxy compressing SSE: every event flushed as its own piece of one gzip stream.
        # `connection: close` because the server closes after each response: without it
        # the next call may race the close on the pooled connection (max_retries=0 here).
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\n"
            b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        )
        z = zlib.compressobj(wbits=31)
        for event in TEXT:
            await self._chunk(writer, z.compress(event) + z.flush(zlib.Z_SYNC_FLUSH))
        await self._chunk(writer, z.flush())
        await self._chunk(writer, b"")

    async def _gziperror(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = gzip.compress(b'{"error": {"type": "invalid_request_error", "message": "max_tokens: too large"}}')
        writer.write(
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
            b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()

    async def _error(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = b'{"error": {"type": "invalid_request_error", "message": "max_tokens: too large"}}'
        writer.write(
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
            % (len(body), body)
        )
        await writer.drain()

    async def _cut(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._head(writer)
        for event in TEXT[:10]:
            await self._chunk(writer, event)
        writer.transport.abort()

    async def _stall(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._head(writer)
        for event in TEXT[:3]:
            await self._chunk(writer, event)
        await asyncio.sleep(10)

    async def _slow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._head(writer)
        await self._chunk(writer, TEXT[0])
        for i in range(1000):
            if reader.at_eof():
                # The client closed its end: the connection was released.
                self.closed.set()
                return
            await self._chunk(writer, sse({"type": "block_delta", "index": 0, "delta": f"{i} "}))
            await asyncio.sleep(0.01)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with Server() as s:
        yield s
    await default_client().aclose()


def model(server: Server, path: str) -> aiwire.Model:
    return aiwire.custom_model("m", api="faux", base_url=f"http://127.0.0.1:{server.port}/{path}")


async def run(server: Server, path: str, transport: str, **options: object) -> tuple[list[ev.Event], AssistantMessage]:
    s = aiwire.stream(model(server, path), "hi", transport=transport, max_retries=0, **options)
    events = [e async for e in s]
    return events, await s


def summary(msg: AssistantMessage) -> tuple[object, ...]:
    return (msg.stop_reason, msg.text, msg.error_status, msg.error_type, msg.usage)


async def both(fn: Callable[[str], Awaitable[AssistantMessage]]) -> AssistantMessage:
    """Run ``fn`` with each transport and check the outcomes agree."""
    results = [await fn(t) for t in TRANSPORTS]
    assert summary(results[0]) == summary(results[1])
    return results[0]


async def test_stream(server: Server) -> None:
    async def one(t: str) -> AssistantMessage:
        events, msg = await run(server, "ok", t)
        assert isinstance(events[0], ev.Start) and isinstance(events[-1], ev.Done)
        assert sum(isinstance(e, ev.TextDelta) for e in events) == 50
        return msg

    msg = await both(one)
    assert msg.stop_reason == "stop" and msg.text.startswith("w0 w1 ")
    assert msg.usage is not None and msg.usage.output == 50


async def test_http_error_carries_vendor_message(server: Server) -> None:
    async def one(t: str) -> AssistantMessage:
        events, msg = await run(server, "error", t)
        assert [type(e) for e in events] == [ev.Start, ev.Error]
        assert msg.error_message == "max_tokens: too large"
        return msg

    msg = await both(one)
    assert (msg.stop_reason, msg.error_status, msg.error_type) == ("error", 400, "invalid_request_error")


@pytest.mark.parametrize("entry", ["asyncio", "httpx", "aiohttp", "sync"])
async def test_gzip_stream_and_gzip_error_body_are_decompressed(entry: str, server: Server) -> None:
    if entry == "sync":
        msg = await asyncio.to_thread(lambda: aiwire.stream_sync(model(server, "gzip"), "hi").result())
        err = await asyncio.to_thread(aiwire.complete_sync, model(server, "gziperror"), "hi", max_retries=0)
    else:
        _, msg = await run(server, "gzip", entry)
        _, err = await run(server, "gziperror", entry)
    assert msg.stop_reason == "stop", msg.error_message
    assert msg.text == "".join(f"w{i} " for i in range(50))
    assert (err.error_status, err.error_message) == (400, "max_tokens: too large")


async def test_connection_cut_mid_stream(server: Server) -> None:
    async def one(t: str) -> AssistantMessage:
        _, msg = await run(server, "cut", t)
        assert msg.error_message is not None
        assert msg.error_message.startswith("the connection failed mid-stream"), msg.error_message
        return msg

    msg = await both(one)
    assert msg.stop_reason == "error" and msg.text.startswith("w0 ")


async def test_read_timeout(server: Server) -> None:
    async def one(t: str) -> AssistantMessage:
        _, msg = await run(server, "stall", t, timeout=0.3)
        assert msg.error_message is not None and "Timeout" in msg.error_message, msg.error_message
        return msg

    msg = await both(one)
    assert msg.stop_reason == "error" and msg.text == "w0 w1 "


async def test_connection_refused() -> None:
    async with Server() as gone:
        port = gone.port
    dead = aiwire.custom_model("m", api="faux", base_url=f"http://127.0.0.1:{port}/ok")

    async def one(t: str) -> AssistantMessage:
        s = aiwire.stream(dead, "hi", transport=t, max_retries=0)
        events = [e async for e in s]
        assert [type(e) for e in events] == [ev.Start, ev.Error]
        assert events[1].message.error_message is not None
        assert events[1].message.error_message.startswith("request to http://127.0.0.1"), events
        return await s

    await both(one)
    await default_client().aclose()


async def test_abort_while_reading_ends_aborted_and_releases_the_connection(server: Server) -> None:
    async def one(t: str) -> AssistantMessage:
        server.closed.clear()
        s = aiwire.stream(model(server, "slow"), "hi", transport=t)
        events = []
        async for e in s:
            events.append(e)
            if isinstance(e, ev.TextDelta) and len(events) == 3:
                # Abort while the driver waits for the next read (the server is slow).
                asyncio.get_running_loop().call_later(0.05, s.abort)
        assert isinstance(events[-1], ev.Error) and events[-1].reason == "aborted"
        msg = await s
        assert msg.text.startswith("0 1 ")
        await asyncio.wait_for(server.closed.wait(), 5)
        return msg

    results = [await one(t) for t in TRANSPORTS]
    assert [m.stop_reason for m in results] == ["aborted"] * len(TRANSPORTS)


async def test_task_cancel_and_early_break(server: Server) -> None:
    async def cancel(t: str) -> AssistantMessage:
        server.closed.clear()
        s = aiwire.stream(model(server, "slow"), "hi", transport=t)

        reading = asyncio.Event()

        async def consume() -> None:
            async for e in s:
                if isinstance(e, ev.TextDelta):
                    reading.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(reading.wait(), 10)  # the response is being read
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(server.closed.wait(), 5)
        assert s.message is not None
        return s.message

    async def brk(t: str) -> AssistantMessage:
        server.closed.clear()
        s = aiwire.stream(model(server, "slow"), "hi", transport=t)
        async for e in s:
            if isinstance(e, ev.TextDelta):
                break
        await asyncio.wait_for(server.closed.wait(), 5)
        assert s.message is not None
        return s.message

    for fn in (cancel, brk):
        results = [await fn(t) for t in TRANSPORTS]
        assert [m.stop_reason for m in results] == ["aborted"] * len(TRANSPORTS)


async def test_default_transport_from_env_and_function(monkeypatch: pytest.MonkeyPatch, server: Server) -> None:
    monkeypatch.delenv("AIWIRE_TRANSPORT", raising=False)
    assert _transport.default_transport() == "asyncio"  # aiwire's own, with no extra and no option
    s = aiwire.stream(model(server, "ok"), "hi")
    assert (await s).stop_reason == "stop"
    assert "asyncio" in default_client()._pool._loops[asyncio.get_running_loop()][0]
    monkeypatch.setenv("AIWIRE_TRANSPORT", "httpx")
    assert _transport.default_transport() == "httpx"
    monkeypatch.setenv("AIWIRE_TRANSPORT", "carrier-pigeon")
    with pytest.raises(BadOptionsError, match="carrier-pigeon"):
        _transport.default_transport()
    aiwire.set_default_transport("httpx")  # the default client's choice wins over the environment
    try:
        assert default_client()._pool.transport == "httpx"
        assert (await aiwire.stream(model(server, "ok"), "hi")).stop_reason == "stop"
    finally:
        aiwire.set_default_transport(None)
    assert default_client()._pool.transport is None


def test_sync_calls_use_httpx_for_any_name() -> None:
    pool = _transport.Pool()
    client = pool.sync_client("aiohttp")
    assert client is pool.sync_client(None)
    with pytest.raises(BadOptionsError, match="transport"):
        pool.sync_client("nope")
    pool.close()


def test_missing_aiohttp_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util
    import sys

    real = importlib.util.find_spec
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # not imported, and not installed:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "aiohttp" else real(name, *a))
    monkeypatch.delenv("AIWIRE_TRANSPORT", raising=False)
    with pytest.raises(BadOptionsError, match=r"needs aiohttp.*pip install 'aiwire\[aiohttp\]'"):
        aiwire.set_default_transport("aiohttp")
    assert _transport.default_transport() == "asyncio"  # the default never needs it


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    pytest.importorskip("cryptography", reason="cryptography makes the loopback server's certificate")
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aiwire loopback")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


# CPython 3.10's asyncio SSL layer (rewritten in 3.11) leaves the transport of
# a failed TLS handshake to the garbage collector, which warns about it there.
_PY310_SSL = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(name, marks=[_PY310_SSL] if sys.version_info < (3, 11) else [])
        for name in ("asyncio", "httpx", "aiohttp", "sync")
    ],
)
async def test_https_trusts_ssl_cert_file_and_names_a_bad_certificate(
    entry: str, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(*certificate)

    async def call(server: Server) -> AssistantMessage:
        m = aiwire.custom_model("m", api="faux", base_url=f"https://127.0.0.1:{server.port}/ok")
        if entry == "sync":

            def blocking() -> AssistantMessage:
                with aiwire.Client() as client:  # a new client reads SSL_CERT_FILE
                    return client.stream(m, "hi", max_retries=0).result()

            return await asyncio.to_thread(blocking)
        async with aiwire.AsyncClient(transport=entry) as client:
            return await client.stream(m, "hi", max_retries=0)

    async with Server(tls) as server:
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        untrusted = await call(server)
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        trusted = await call(server)
    assert untrusted.stop_reason == "error"
    assert "ConnectError" in (untrusted.error_message or "") and "CERTIFICATE_VERIFY_FAILED" in (
        untrusted.error_message or ""
    ), untrusted.error_message
    assert trusted.stop_reason == "stop", trusted.error_message
    assert trusted.text.startswith("w0 w1 ")
