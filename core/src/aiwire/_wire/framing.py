"""Server-sent events framing on bytes (WHATWG event-stream rules).

Works on raw bytes so that a network read holding many events costs one
Python call, not one per line. ``httpx_sse`` is the reference this framer
must match (tests/core/test_sse.py checks both on every byte split).
"""

from __future__ import annotations

__all__ = ["SSEFramer"]


class SSEFramer:
    """Feed byte chunks; get ``(event, data)`` pairs for completed events.

    ``event`` defaults to ``message``; multi-line ``data`` is joined with
    ``\\n``; comments (``:``) and ``id``/``retry`` fields are ignored;
    ``\\r\\n``, ``\\r`` and ``\\n`` line endings are all accepted.
    """

    __slots__ = ("_buf", "_cr_pending", "_data", "_event", "_pending")

    def __init__(self) -> None:
        self._buf = b""
        # Chunks of one long line that has no end yet; joined once when it
        # ends, so a multi-megabyte line read in small chunks stays linear.
        self._pending: list[bytes] = []
        self._event = ""
        self._data: list[bytes] = []
        self._cr_pending = False

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        if not chunk:
            return []
        if self._cr_pending:
            # A "\r" ended the previous chunk; a "\n" now is the same line end.
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
            self._cr_pending = False
            if not chunk:
                return []
        if b"\n" not in chunk and b"\r" not in chunk:
            if self._buf:
                self._pending.append(self._buf)
                self._buf = b""
            self._pending.append(chunk)
            return []
        if self._pending:
            # _buf was moved into _pending when the long line began.
            self._pending.append(chunk)
            buf = b"".join(self._pending)
            self._pending = []
        else:
            buf = self._buf + chunk if self._buf else chunk
        if b"\r" in buf:
            if buf.endswith(b"\r"):
                self._cr_pending = True
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        end = buf.rfind(b"\n")
        if end < 0:
            self._buf = buf
            return []
        self._buf = buf[end + 1 :]
        return self._lines(buf[:end].split(b"\n"))

    def close(self) -> list[tuple[str, bytes]]:
        """End of body: an unterminated event is dropped, per the spec."""
        self._buf = b""
        self._pending = []
        self._event = ""
        self._data = []
        return []

    def _lines(self, lines: list[bytes]) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = []
        data = self._data
        event = self._event
        for line in lines:
            if not line:
                if data:
                    out.append((event or "message", data[0] if len(data) == 1 else b"\n".join(data)))
                    data = []
                event = ""
                continue
            if line[:5] == b"data:":
                v = line[5:]
                data.append(v[1:] if v[:1] == b" " else v)
            elif line[:6] == b"event:":
                v = line[6:]
                event = (v[1:] if v[:1] == b" " else v).decode("utf-8", "replace")
            elif line[:1] == b":":
                continue
            elif line == b"data":
                data.append(b"")
            elif line == b"event":
                event = ""
            # id, retry and unknown fields are ignored.
        self._data = data
        self._event = event
        return out
