"""Byte framers: split a response body into ``(event, data)`` pairs.

Three framings are public building blocks (``aiwire.plugin``): server-sent
events (:class:`SSEFramer`), a streamed top-level JSON array
(:class:`JSONArrayFramer`, as Gemini's ``streamGenerateContent`` without
``alt=sse``) and newline-delimited JSON (:class:`NDJSONFramer`). Each has
``feed(chunk) -> list[(event, data)]`` and ``close() -> list[(event, data)]``,
works on raw bytes (a network read holding many events costs one Python call,
not one per line), gives the same pairs however the body is split, and caps
how much one unfinished line or element may buffer: past ``max_size`` bytes
(16 MiB by default) it raises :class:`FramingError` instead of growing without
bound. ``httpx_sse`` is the reference the SSE framer must match
(tests/core/test_sse.py checks both on every byte split).
"""

from __future__ import annotations

import functools
import json
import re

__all__ = ["DEFAULT_MAX_SIZE", "FramingError", "JSONArrayFramer", "NDJSONFramer", "SSEFramer"]

DEFAULT_MAX_SIZE = 16 * 1024 * 1024
"""How many bytes one line, event or element may hold by default (16 MiB)."""


class FramingError(ValueError):
    """The body cannot be framed: not the declared framing, or one line or
    element larger than the framer's ``max_size``."""


def _too_large(what: str, limit: int) -> FramingError:
    return FramingError(
        f"{what} exceeds {limit} bytes (the framer's max_size); the body is not what the codec declared, "
        "or pass a larger max_size to the framer"
    )


# ``event:`` lines seen before and their names: a stream repeats a few names
# thousands of times, so each is decoded once (bounded: a server cannot grow it).
_EVENT_NAMES: dict[bytes, str] = {}


class SSEFramer:
    """Feed byte chunks; get ``(event, data)`` pairs for completed events.

    ``event`` defaults to ``message``; multi-line ``data`` is joined with
    ``\\n``; comments (``:``) and ``id``/``retry`` fields are ignored;
    ``\\r\\n``, ``\\r`` and ``\\n`` line endings are all accepted. A line, or
    the data of one event, longer than ``max_size`` raises :class:`FramingError`.
    """

    __slots__ = ("_buf", "_cr_pending", "_data", "_data_size", "_event", "_max", "_pending", "_pending_size")

    def __init__(self, *, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self._buf = b""
        # Chunks of one long line that has no end yet; joined once when it
        # ends, so a multi-megabyte line read in small chunks stays linear.
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._event = ""
        self._data: list[bytes] = []
        self._data_size = 0
        self._cr_pending = False
        self._max = max_size

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        """Take the next bytes of the body; return the complete ``(event, data)`` pairs in them."""
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
                self._pending_size = len(self._buf)
                self._buf = b""
            self._pending.append(chunk)
            self._pending_size += len(chunk)
            if self._pending_size > self._max:
                raise _too_large("an SSE line", self._max)
            return []
        if self._pending:
            # _buf was moved into _pending when the long line began.
            self._pending.append(chunk)
            buf = b"".join(self._pending)
            self._pending = []
            self._pending_size = 0
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
        rest = buf[end + 1 :]
        if len(rest) > self._max:
            raise _too_large("an SSE line", self._max)
        self._buf = rest
        return self._lines(buf[:end].split(b"\n"))

    def close(self) -> list[tuple[str, bytes]]:
        """End of body: an unterminated event is dropped, per the spec."""
        self._buf = b""
        self._pending = []
        self._pending_size = 0
        self._event = ""
        self._data = []
        self._data_size = 0
        return []

    def _lines(self, lines: list[bytes]) -> list[tuple[str, bytes]]:
        out: list[tuple[str, bytes]] = []
        data = self._data
        size = self._data_size
        event = self._event
        for line in lines:
            if not line:
                if data:
                    out.append((event or "message", data[0] if len(data) == 1 else b"\n".join(data)))
                    data = []
                    size = 0
                event = ""
                continue
            if line[:5] == b"data:":
                data.append(line[6:] if line[5:6] == b" " else line[5:])  # one copy of the data, not two
                size += len(line) - 5
                if size > self._max:
                    raise _too_large("the data of an SSE event", self._max)
            elif line[:6] == b"event:":
                name = _EVENT_NAMES.get(line)
                if name is None:
                    v = line[6:]
                    name = (v[1:] if v[:1] == b" " else v).decode("utf-8", "replace")
                    if len(_EVENT_NAMES) < 64:
                        _EVENT_NAMES[line] = name
                event = name
            elif line[:1] == b":":
                continue
            elif line == b"data":
                data.append(b"")
            elif line == b"event":
                event = ""
            # id, retry and unknown fields are ignored.
        self._data = data
        self._data_size = size
        self._event = event
        return out


_WS = b" \t\r\n"


class _Patterns:
    """The array scanner's patterns, compiled by the first JSON-array body:
    a process that only reads SSE never compiles them."""

    __slots__ = ("skip", "string_rest", "token", "token_inner")

    def __init__(self) -> None:
        # Outside strings: a whole string (or one that runs to the end of the buffer,
        # group "open"; group "bs" is a lone trailing backslash), or a structural byte.
        self.token = re.compile(rb'"(?:[^"\\]+|\\.)*(?:"|(?P<open>(?P<bs>\\)?\Z))|[\[\]{},]', re.DOTALL)
        # The same inside an element, where commas do not matter.
        self.token_inner = re.compile(rb'"(?:[^"\\]+|\\.)*(?:"|(?P<open>(?P<bs>\\)?\Z))|[\[\]{}]', re.DOTALL)
        # Inside a string cut by a chunk boundary: the rest of it.
        self.string_rest = re.compile(rb'(?:[^"\\]+|\\.)*(?:"|(?P<open>(?P<bs>\\)?\Z))', re.DOTALL)
        # Between elements, as text: whitespace and commas.
        self.skip = re.compile(r"[ \t\r\n,]*")


@functools.cache
def _compiled() -> _Patterns:
    return _Patterns()


# C-speed whole-element reading (the fast path); strict=False accepts what the
# byte scanner accepts (control characters inside strings).
_JSON = json.JSONDecoder(strict=False)


class JSONArrayFramer:
    """Feed byte chunks of one top-level JSON array; get ``(event, element)``
    pairs, ``element`` being the bytes of one array element, as soon as it is
    complete (an object is yielded at its closing brace, not when the next
    comma arrives). ``event`` is the same for every element (``message``).

    Only the structure is checked (strings, nesting, separators): decoding an
    element is the decoder's job. A body that is not an array, data after the
    array, or one element larger than ``max_size`` raises
    :class:`FramingError`. ``close()`` drops an element the body cut short.
    """

    __slots__ = ("_buf", "_closed", "_depth", "_event", "_in_string", "_max", "_p", "_pos", "_sep", "_start")

    def __init__(self, *, event: str = "message", max_size: int = DEFAULT_MAX_SIZE) -> None:
        self._p = _compiled()
        self._event = event
        self._max = max_size
        self._buf = bytearray()
        self._pos = 0  # where scanning resumes
        self._depth = 0  # 0 before the array, 1 inside it, more inside an element
        self._in_string = False
        self._start = -1  # start of the object or array element being read
        self._sep = 0  # just after the last separator at depth 1 (scalar elements start there)
        self._closed = False

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        """Take the next bytes of the body; return each complete top-level array element as ``('', bytes)``."""
        if not chunk:
            return []
        if self._closed:
            if chunk.strip(_WS):
                raise FramingError(f"data after the end of the JSON array: {bytes(chunk[:40])!r}")
            return []
        buf = self._buf
        buf += chunk
        out: list[tuple[str, bytes]] = []
        n = len(buf)
        pos, depth, start, sep = self._pos, self._depth, self._start, self._sep
        event = self._event
        token, token_inner = self._p.token, self._p.token_inner
        if self._in_string:
            m = self._p.string_rest.match(buf, pos)
            assert m is not None  # the pattern matches the empty string
            if m.group("open") is not None:
                self._pos = n - 1 if m.group("bs") else n
                return self._keep(out)
            self._in_string = False
            pos = m.end()
        fast = True
        while pos < n:
            if depth == 1 and fast:
                # Between elements: read whole elements with the C scanner
                # until one is cut short (or is a scalar); the byte scanner
                # below takes it from there, so each byte is scanned at most
                # twice and long elements in many reads stay linear.
                fast = False
                pos = sep = self._skim(buf, sep, out)
                if self._closed:
                    pos = n
                    break
                continue
            if depth == 0:
                while pos < n and buf[pos] in _WS:
                    pos += 1
                if pos == n:
                    break
                if buf[pos] != 0x5B:  # [
                    raise FramingError(f"expected a JSON array, the body starts with {bytes(buf[pos : pos + 40])!r}")
                depth = 1
                pos += 1
                sep = pos
                continue
            m = (token if depth == 1 else token_inner).search(buf, pos)
            if m is None:
                pos = n
                break
            i = m.start()
            c = buf[i]
            if c == 0x22:  # a string
                if m.group("open") is not None:
                    self._in_string = True
                    pos = n - 1 if m.group("bs") else n
                    break
                pos = m.end()
                continue
            pos = i + 1
            if c == 0x7B or c == 0x5B:  # { [
                if depth == 1:
                    start = i
                depth += 1
            elif c == 0x7D or c == 0x5D:  # } ]
                depth -= 1
                if depth == 1:
                    out.append((event, bytes(buf[start:pos])))
                    start = -1
                    sep = pos
                elif depth == 0:
                    scalar = bytes(buf[sep:i]).strip(_WS)
                    if scalar:
                        out.append((event, scalar))
                    self._closed = True
                    if bytes(buf[pos:]).strip(_WS):
                        raise FramingError(f"data after the end of the JSON array: {bytes(buf[pos : pos + 40])!r}")
                    pos = n
                    break
            elif depth == 1:  # a comma between elements
                scalar = bytes(buf[sep:i]).strip(_WS)
                if scalar:
                    out.append((event, scalar))
                sep = pos
        self._pos, self._depth, self._start, self._sep = pos, depth, start, sep
        return self._keep(out)

    def _skim(self, buf: bytearray, pos: int, out: list[tuple[str, bytes]]) -> int:
        """Append the complete object and array elements from ``pos`` on;
        return where the byte scanner must continue (an element it must read,
        or the end). Sets ``_closed`` at the array's end."""
        raw = bytes(buf[pos:])
        ascii = raw.isascii()
        text = raw.decode("ascii") if ascii else raw.decode("utf-8", "surrogateescape")
        scan = _JSON.raw_decode
        skip = self._p.skip.match
        event = self._event
        size = len(text)
        c = 0  # in text
        b = 0  # in raw
        while True:
            k = skip(text, c).end()  # type: ignore[union-attr]  # matches the empty string
            b += k - c  # whitespace and commas are one byte each
            c = k
            if c == size:
                return pos + b
            ch = text[c]
            if ch == "]":
                self._closed = True
                if raw[b + 1 :].strip(_WS):
                    raise FramingError(f"data after the end of the JSON array: {raw[b + 1 : b + 41]!r}")
                return pos + b
            if ch != "{" and ch != "[":
                return pos + b  # a scalar element: the byte scanner reads it
            try:
                _, e = scan(text, c)
            except (ValueError, RecursionError):
                return pos + b  # cut short by the read (or not JSON)
            length = e - c if ascii else len(text[c:e].encode("utf-8", "surrogateescape"))
            out.append((event, raw[b : b + length]))
            b += length
            c = e

    def _keep(self, out: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        """Drop what was consumed; check what is left against ``max_size``."""
        buf = self._buf
        if self._closed:
            buf.clear()
            self._pos = self._sep = 0
            return out
        if self._start >= 0:
            cut = self._start
        elif self._depth == 1:
            cut = self._sep
        else:
            cut = self._pos
        if cut:
            del buf[:cut]
            self._pos -= cut
            self._sep = max(self._sep - cut, 0)
            if self._start >= 0:
                self._start -= cut
        if len(buf) > self._max:
            raise _too_large("a JSON array element", self._max)
        return out

    def close(self) -> list[tuple[str, bytes]]:
        """End of body: an element the body cut short is dropped (the
        decoder's ``end_of_stream`` reports a stream that did not finish)."""
        self._buf = bytearray()
        self._pos = self._depth = self._sep = 0
        self._start = -1
        self._in_string = False
        self._closed = False
        return []


class NDJSONFramer:
    """Feed byte chunks of newline-delimited JSON; get ``(event, line)``
    pairs, one per non-blank line (a trailing ``\\r`` is removed). A last
    line without a newline is yielded by ``close()``. A line longer than
    ``max_size`` raises :class:`FramingError`."""

    __slots__ = ("_buf", "_event", "_max", "_scan")

    def __init__(self, *, event: str = "message", max_size: int = DEFAULT_MAX_SIZE) -> None:
        self._event = event
        self._max = max_size
        self._buf = bytearray()
        self._scan = 0  # bytes of _buf already known to hold no newline

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        """Take the next bytes of the body; return each complete non-empty line as ``('', bytes)``."""
        if not chunk:
            return []
        buf = self._buf
        buf += chunk
        end = buf.rfind(b"\n", self._scan)
        if end < 0:
            self._scan = len(buf)
            if self._scan > self._max:
                raise _too_large("an NDJSON line", self._max)
            return []
        event = self._event
        out = [(event, line) for line in _lines(bytes(buf[:end]))]
        del buf[: end + 1]
        self._scan = len(buf)
        if self._scan > self._max:
            raise _too_large("an NDJSON line", self._max)
        return out

    def close(self) -> list[tuple[str, bytes]]:
        """The body ended: return a last line that had no newline."""
        rest = bytes(self._buf)
        self._buf = bytearray()
        self._scan = 0
        return [(self._event, line) for line in _lines(rest)]


def _lines(block: bytes) -> list[bytes]:
    out = []
    for line in block.split(b"\n"):
        line = line.strip(_WS)
        if line:
            out.append(line)
    return out
