"""The AWS event-stream framer (``application/vnd.amazon.eventstream``).

AWS streaming APIs (Bedrock ``ConverseStream`` and
``InvokeModelWithResponseStream`` among them) send binary frames, big-endian::

    total length (u32) | headers length (u32) | CRC32 of those 8 bytes
    | headers | payload | CRC32 of every byte before it

A header is ``name length (u8) | name | value type (u8) | value``; values are
typed (booleans, integers, byte arrays, strings, timestamps, UUIDs). This
framer checks both CRCs of every frame and yields ``(name, payload)`` pairs:

* ``:message-type: event`` frames: the ``:event-type`` header, payload as is;
* ``exception`` frames (a service error inside a 200 stream): ``exception:``
  plus the ``:exception-type`` header, payload as is (a JSON ``{"message"}``);
* ``error`` frames: ``error:`` plus the ``:error-code`` header, payload the
  ``:error-message`` header (UTF-8) when the frame's payload is empty.

A broken frame (a CRC mismatch, a header that runs past its section, a frame
larger than ``max_size``, the body ending inside a frame) raises
:class:`FramingError` naming the frame and its byte offset. The frames read
before it in the same chunk are still returned first; the error is raised by
the next ``feed`` or by ``close``, so a decoder keeps everything that arrived
intact. Nothing after a broken frame is read: its length cannot be trusted.
"""

from __future__ import annotations

from struct import Struct
from zlib import crc32

from aiwire._wire.framing import DEFAULT_MAX_SIZE, FramingError

__all__ = ["EventStreamFramer", "decode_headers"]

_PRELUDE = Struct(">III")
_U16 = Struct(">H")
# Value type -> fixed value size (types 6 and 7 carry a u16 length instead).
_FIXED = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
_MIN_FRAME = 16  # prelude (12) + message CRC (4)


def decode_headers(block: bytes | memoryview) -> dict[str, object]:
    """The headers of one frame: strings as ``str``, byte arrays and UUIDs as
    ``bytes``, booleans as ``bool``, integers and timestamps (milliseconds)
    as ``int``. Raises :class:`ValueError` when the block is malformed."""
    out: dict[str, object] = {}
    b = bytes(block)
    n = len(b)
    i = 0
    while i < n:
        k = b[i]
        i += 1
        name_end = i + k
        if k == 0 or name_end + 1 > n:
            raise ValueError(f"a header name runs past the headers section at byte {i - 1}")
        name = b[i:name_end].decode("utf-8", "replace")
        kind = b[name_end]
        i = name_end + 1
        value: object
        if kind == 7 or kind == 6:
            if i + 2 > n:
                raise ValueError(f"header {name!r}: its length runs past the headers section")
            size = _U16.unpack_from(b, i)[0]
            i += 2
            raw = b[i : i + size]
            if len(raw) != size:
                raise ValueError(f"header {name!r}: its value runs past the headers section")
            value = raw.decode("utf-8", "replace") if kind == 7 else raw
            i += size
        elif kind in _FIXED:
            size = _FIXED[kind]
            raw = b[i : i + size]
            if len(raw) != size:
                raise ValueError(f"header {name!r}: its value runs past the headers section")
            i += size
            if kind <= 1:
                value = kind == 0
            elif kind == 9:
                value = raw
            else:
                value = int.from_bytes(raw, "big", signed=True)
        else:
            raise ValueError(f"header {name!r} has unknown value type {kind}")
        out[name] = value
    return out


class EventStreamFramer:
    """Feed byte chunks of an AWS event stream; get ``(name, payload)``
    pairs for each complete frame whose CRCs check out (see the module doc
    for the names). A frame longer than ``max_size`` bytes, a CRC mismatch
    or malformed headers raise :class:`FramingError`; so does ``close()``
    when the body ends inside a frame."""

    __slots__ = ("_buf", "_error", "_frames", "_max", "_names", "_offset")

    def __init__(self, *, max_size: int = DEFAULT_MAX_SIZE) -> None:
        self._buf = bytearray()
        self._max = max_size
        self._offset = 0  # byte offset of _buf[0] in the body
        self._frames = 0  # frames read so far
        self._error: FramingError | None = None
        # Header blocks repeat (one per event type): each is decoded once.
        self._names: dict[bytes, str] = {}

    def feed(self, chunk: bytes) -> list[tuple[str, bytes]]:
        """Take the next bytes of the body; return each complete, CRC-checked frame as ``(event, payload)``."""
        if self._error is not None:
            raise self._error
        if not chunk:
            return []
        buf = self._buf
        buf += chunk
        out: list[tuple[str, bytes]] = []
        n = len(buf)
        pos = 0
        view = memoryview(buf)
        names = self._names
        try:
            while n - pos >= 12:
                total, hlen, pcrc = _PRELUDE.unpack_from(buf, pos)
                if crc32(view[pos : pos + 8]) != pcrc:
                    self._broken(pos, "prelude CRC32 mismatch (the frame's length cannot be trusted)")
                    break
                if total > self._max:
                    self._broken(pos, f"{total} bytes exceed the framer's max_size ({self._max}); pass a larger one")
                    break
                if total < _MIN_FRAME or hlen > total - _MIN_FRAME:
                    self._broken(pos, f"impossible lengths (total {total}, headers {hlen})")
                    break
                end = pos + total
                if end > n:
                    break  # the rest of the frame is in a later chunk
                if crc32(view[pos : end - 4]) != int.from_bytes(view[end - 4 : end], "big"):
                    self._broken(pos, "message CRC32 mismatch")
                    break
                hstart = pos + 12
                pstart = hstart + hlen
                hblock = bytes(view[hstart:pstart])
                name = names.get(hblock)
                if name is None:
                    name = self._name(hblock, pos)
                    if name is None:
                        break
                    if len(names) < 64:
                        names[hblock] = name
                payload = bytes(view[pstart : end - 4])
                if name[:6] == "error:" and not payload:
                    payload = self._error_message(hblock)
                out.append((name, payload))
                self._frames += 1
                pos = end
        finally:
            view.release()
        if self._error is not None:
            self._buf = bytearray()
            if not out:
                raise self._error
            return out
        if pos:
            del buf[:pos]
            self._offset += pos
        return out

    def close(self) -> list[tuple[str, bytes]]:
        """End of body: raises :class:`FramingError` if it ended inside a
        frame or a broken frame is still unreported."""
        error = self._error
        buf = self._buf
        self._buf = bytearray()
        if error is not None:
            raise error
        if buf:
            where = f"frame {self._frames + 1} at byte {self._offset}"
            if len(buf) < 12:
                raise FramingError(f"the event stream ended inside the prelude of {where} ({len(buf)} of 12 bytes)")
            total = _PRELUDE.unpack_from(buf)[0]
            raise FramingError(f"the event stream ended inside {where}: {len(buf)} of its {total} bytes arrived")
        return []

    def _broken(self, pos: int, why: str) -> None:
        self._error = FramingError(f"broken event-stream frame {self._frames + 1} at byte {self._offset + pos}: {why}")

    def _name(self, headers: bytes, pos: int) -> str | None:
        try:
            h = decode_headers(headers)
        except ValueError as exc:
            self._broken(pos, str(exc))
            return None
        kind = h.get(":message-type", "event")
        if kind == "event":
            name = h.get(":event-type")
            return name if isinstance(name, str) else "message"
        if kind == "exception":
            return f"exception:{h.get(':exception-type', '')}"
        if kind == "error":
            return f"error:{h.get(':error-code', '')}"
        return f"{kind}:"

    @staticmethod
    def _error_message(headers: bytes) -> bytes:
        msg = decode_headers(headers).get(":error-message")
        return msg.encode() if isinstance(msg, str) else b""
