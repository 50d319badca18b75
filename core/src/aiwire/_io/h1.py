"""One HTTP/1.1 client connection as an asyncio protocol: it sends a
request and parses the response head and body (``Content-Length``, chunked
or close-delimited) as bytes arrive, sans any I/O of its own.

Parsing happens in ``data_received``: one pass over everything a socket read
brought, leaving the body's bytes in ``out`` for the reader to take at once
(many SSE events per read), instead of a call per HTTP chunk.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiwire._io.errors import ReadError, RemoteProtocolError

if TYPE_CHECKING:
    from aiwire._io.lean import LeanPool

__all__ = ["HEAD_LIMIT", "HIGH_WATER", "IDLE", "H1Connection"]

HEAD_LIMIT = 65536  # bytes of a response head (or a chunk-size line) at most
HIGH_WATER = 1 << 20  # stop reading the socket while the reader is this far behind

IDLE, _HEAD, _BODY, _DONE = range(4)
_LENGTH, _CHUNKED, _CLOSE = range(3)
_SIZE, _DATA, _CRLF, _TRAILER = range(4)


class H1Connection(asyncio.Protocol):
    """One connection, and the response it is reading; ``pool`` is told when
    it closes while idle."""

    __slots__ = (
        "buf",
        "cstate",
        "eof",
        "error",
        "got_bytes",
        "head",
        "headers",
        "idle_since",
        "keep",
        "key",
        "left",
        "lost",
        "mode",
        "no_body",
        "out",
        "paused",
        "pool",
        "reason",
        "size",
        "state",
        "status",
        "transport",
        "waiter",
    )

    def __init__(self, pool: LeanPool, key: Any) -> None:
        self.pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.state = IDLE
        self.buf = b""  # an incomplete head, chunk-size line or chunk end
        self.head: asyncio.Future[None] | None = None
        self.status = 0
        self.reason = ""
        self.headers: list[tuple[str, str]] = []
        self.no_body = False  # a HEAD or CONNECT request: whatever the head says, no body follows
        self.mode = _CLOSE
        self.left = 0
        self.cstate = _SIZE
        self.keep = False
        self.out: list[bytes] = []
        self.size = 0
        self.paused = False
        self.waiter: asyncio.Future[None] | None = None
        self.error: BaseException | None = None
        self.eof = False
        self.got_bytes = False
        self.idle_since = 0.0

    # -- asyncio callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        state = self.state
        if state == _BODY:
            self._body(data)
        elif state == _HEAD:
            self._head(data)
        else:  # bytes nobody asked for: this connection cannot carry another request
            self.keep = False
            if state == IDLE and self.transport is not None:
                self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.keep = False
        state = self.state
        if state == _HEAD:
            err: Exception = (
                _read_error(exc)
                if exc is not None
                else RemoteProtocolError("Server disconnected without sending a response.")
            )
            head = self.head
            if head is not None and not head.done():
                head.set_exception(err)
        elif state == _BODY:
            if exc is None and self.mode == _CLOSE:
                self._finish()
                return
            self.error = (
                _read_error(exc)
                if exc is not None
                else RemoteProtocolError("peer closed connection without sending complete message body")
            )
            self._wake()
        elif state == IDLE:
            self.pool._forget(self)

    # -- the response -------------------------------------------------------------------

    def begin(self, data: bytes, body: bytes | None, no_body: bool = False) -> asyncio.Future[None]:
        """Send one request; the future resolves when the response head is in."""
        self.state = _HEAD
        self.buf = b""
        self.out = []
        self.size = 0
        self.error = None
        self.eof = False
        self.got_bytes = False
        self.no_body = no_body
        self.head = head = asyncio.get_running_loop().create_future()
        tr = self.transport
        assert tr is not None
        if body and len(body) > 65536:
            tr.write(data)
            tr.write(body)
        else:
            tr.write(data + body if body else data)
        return head

    def _head(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > HEAD_LIMIT:
                    self._fail_head(RemoteProtocolError("the response head is over 64 KiB"))
                else:
                    self.buf = buf
                return
            try:
                self._parse_head(buf[:end])
            except ValueError as exc:
                self._fail_head(RemoteProtocolError(f"malformed response head: {exc}"))
                return
            buf = buf[end + 4 :]
            if not 100 <= self.status < 200:
                break
        self.buf = b""
        self.state = _BODY
        head = self.head
        if head is not None and not head.done():
            head.set_result(None)
        if self.mode == _LENGTH and self.left == 0:
            self._finish()
            if buf:
                self.keep = False
        elif buf:
            self._body(buf)

    def _parse_head(self, raw: bytes) -> None:
        lines = raw.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise ValueError(f"status line {lines[0][:60]!r}")
        self.status = status = int(code)
        self.reason = reason
        headers: list[tuple[str, str]] = []
        chunked = False
        length: int | None = None
        conn = ""
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                if line[:1] in (" ", "\t") and headers:  # an obsolete folded line
                    headers[-1] = (headers[-1][0], f"{headers[-1][1]} {line.strip()}")
                    continue
                raise ValueError(f"header line {line[:60]!r}")
            name = name.strip()
            value = value.strip()
            headers.append((name, value))
            low = name.lower()
            if low == "transfer-encoding":
                chunked = value.lower().rsplit(",", 1)[-1].strip() == "chunked"
            elif low == "content-length":
                n = int(value)  # a ValueError names the bad head
                if n < 0 or (length is not None and n != length):
                    raise ValueError(f"content-length {value!r}")
                length = n
            elif low == "connection":
                conn = value.lower()
        self.headers = headers
        self.keep = ("close" not in conn) if version == "HTTP/1.1" else ("keep-alive" in conn)
        if self.no_body or status in (204, 304) or 100 <= status < 200:
            self.mode, self.left = _LENGTH, 0
        elif chunked:
            self.mode, self.cstate, self.left = _CHUNKED, _SIZE, 0
        elif length is not None:
            self.mode, self.left = _LENGTH, length
        else:
            self.mode = _CLOSE
            self.keep = False

    def _body(self, data: bytes) -> None:
        mode = self.mode
        if mode == _CHUNKED:
            self._chunked(data)
        elif mode == _LENGTH:
            left = self.left
            n = len(data)
            if n < left:
                self.out.append(data)
                self.size += n
                self.left = left - n
            else:
                if n > left:
                    self.keep = False
                    data = data[:left]
                if data:
                    self.out.append(data)
                    self.size += len(data)
                self.left = 0
                self._finish()
                return
        else:
            self.out.append(data)
            self.size += len(data)
        self._wake()

    def _chunked(self, data: bytes) -> None:
        # One pass over everything the socket brought; the reader gets it all at once.
        if self.buf:
            data = self.buf + data
            self.buf = b""
        out = self.out
        pos = 0
        n = len(data)
        left = self.left
        cst = self.cstate
        size = self.size
        while pos < n:
            if cst == _SIZE:
                # The common case first: whole chunks (size line, data, CRLF) in this read.
                find = data.find
                while True:
                    i = find(b"\r\n", pos)
                    if i < 0:
                        break
                    try:
                        left = int(data[pos:i], 16)
                    except ValueError:  # an extension (";name=value"), or garbage: the careful path
                        break
                    end = i + 2 + left
                    if left <= 0 or end + 2 > n or data[end : end + 2] != b"\r\n":
                        break
                    out.append(data[i + 2 : end])
                    size += left
                    pos = end + 2
                left = 0
                if pos >= n:
                    break
            if cst == _DATA:
                end = pos + left
                if end <= n:
                    out.append(data[pos:end])
                    size += left
                    pos = end
                    left = 0
                    cst = _CRLF
                else:
                    out.append(data[pos:])
                    size += n - pos
                    left -= n - pos
                    pos = n
            elif cst == _SIZE:
                i = data.find(b"\r\n", pos)
                if i < 0:
                    if n - pos > HEAD_LIMIT:
                        self._fail_body(RemoteProtocolError("a chunk-size line is over 64 KiB"))
                        return
                    self.buf = data[pos:]
                    break
                line = data[pos:i]
                semi = line.find(b";")
                try:
                    left = int(line if semi < 0 else line[:semi], 16)
                except ValueError:
                    self._fail_body(RemoteProtocolError(f"bad chunk size {bytes(line[:40])!r}"))
                    return
                if left < 0:
                    self._fail_body(RemoteProtocolError(f"bad chunk size {bytes(line[:40])!r}"))
                    return
                pos = i + 2
                cst = _DATA if left else _TRAILER
            elif cst == _CRLF:
                if n - pos < 2:
                    self.buf = data[pos:]
                    break
                if data[pos : pos + 2] != b"\r\n":
                    self._fail_body(RemoteProtocolError("a chunk does not end with CRLF"))
                    return
                pos += 2
                cst = _SIZE
            else:  # trailer lines, up to an empty one
                i = data.find(b"\r\n", pos)
                if i < 0:
                    self.buf = data[pos:]
                    break
                if i == pos:
                    self.size = size
                    self.cstate = cst
                    if i + 2 < n:
                        self.keep = False
                    self._finish()
                    return
                pos = i + 2
        self.left = left
        self.cstate = cst
        self.size = size
        self._wake()

    def _wake(self) -> None:
        w = self.waiter
        if w is not None and not w.done():
            w.set_result(None)
        if self.size > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()

    def _finish(self) -> None:
        self.state = _DONE
        self.eof = True
        self._wake()

    def _fail_head(self, err: Exception) -> None:
        self.keep = False
        head = self.head
        if head is not None and not head.done():
            head.set_exception(err)
        self.close()

    def _fail_body(self, err: Exception) -> None:
        self.keep = False
        self.error = err
        self._wake()
        self.close()

    def close(self) -> None:
        self.keep = False
        if self.transport is not None:
            self.transport.close()


def _read_error(exc: BaseException) -> Exception:
    err = ReadError(str(exc) or type(exc).__name__)
    err.__cause__ = exc
    return err
