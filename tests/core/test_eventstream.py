"""The AWS event-stream framer: the recorded Bedrock streams at every byte
split, agreeing frame by frame with botocore's own decoder, and broken
frames (bad CRCs, truncation, oversize, malformed headers) reported as one
FramingError after every intact frame before them."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from pathlib import Path

import pytest

from aiwire.plugin import EventStreamFramer, FramingError

CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
Pairs = list[tuple[str, bytes]]


def recorded_streams() -> list[tuple[str, bytes]]:
    out = []
    for path in sorted(CONFORMANCE.glob("bedrock-*/*.json")):
        data = json.loads(path.read_text())
        if data["response"].get("body_format") == "eventstream":
            out.append((path.stem, base64.b64decode(data["response"]["body_base64"])))
    return out


STREAMS = recorded_streams()


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One frame with string headers, as AWS encodes it."""
    block = b"".join(
        bytes([len(k)]) + k.encode() + b"\x07" + struct.pack(">H", len(v.encode())) + v.encode()
        for k, v in headers.items()
    )
    prelude = struct.pack(">II", 16 + len(block) + len(payload), len(block))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + block + payload
    return head + struct.pack(">I", zlib.crc32(head))


def event(name: str, payload: dict[str, object]) -> bytes:
    return frame(
        {":event-type": name, ":content-type": "application/json", ":message-type": "event"},
        json.dumps(payload).encode(),
    )


def run(chunks: list[bytes]) -> tuple[Pairs, str | None]:
    """Every pair, and the error message if the framer raised."""
    framer = EventStreamFramer()
    out: Pairs = []
    try:
        for chunk in chunks:
            out += framer.feed(chunk)
        out += framer.close()
    except FramingError as exc:
        return out, str(exc)
    return out, None


def splits(body: bytes) -> list[list[bytes]]:
    """Whole, one byte at a time, and every split into two parts."""
    return [[body], [body[i : i + 1] for i in range(len(body))]] + [[body[:i], body[i:]] for i in range(len(body) + 1)]


def test_the_conformance_set_has_streams() -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip("the shared conformance recordings are not on this machine")
    assert len(STREAMS) >= 10


@pytest.mark.parametrize(("name", "body"), STREAMS, ids=[n for n, _ in STREAMS])
def test_recorded_streams_agree_with_botocore_at_every_split(name: str, body: bytes) -> None:
    from botocore.eventstream import EventStreamBuffer

    reference = EventStreamBuffer()
    reference.add_data(body)
    expected = [(m.headers[":event-type"], m.payload) for m in reference]
    assert expected and all(json.loads(p) for _, p in expected)
    for chunks in splits(body):
        assert run(chunks) == (expected, None)


def test_exception_and_error_frames_are_named_by_their_type() -> None:
    body = (
        event("messageStart", {"role": "assistant"})
        + frame(
            {
                ":exception-type": "throttlingException",
                ":content-type": "application/json",
                ":message-type": "exception",
            },
            b'{"message":"Too many tokens, please wait before trying again."}',
        )
        + frame({":message-type": "error", ":error-code": "InternalFailure", ":error-message": "boom"}, b"")
    )
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(body)
    assert len(list(buffer)) == 3  # the test's encoder writes what botocore reads
    for chunks in splits(body):
        assert run(chunks) == (
            [
                ("messageStart", b'{"role": "assistant"}'),
                ("exception:throttlingException", b'{"message":"Too many tokens, please wait before trying again."}'),
                ("error:InternalFailure", b"boom"),
            ],
            None,
        )


def corrupt(body: bytes, at: int) -> bytes:
    return body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :]


GOOD = [event("messageStart", {"role": "assistant"}), event("contentBlockDelta", {"delta": {"text": "Hi"}})]
THIRD = event("contentBlockDelta", {"delta": {"text": " there"}})
START = len(GOOD[0]) + len(GOOD[1])
BROKEN = {
    "message CRC": (corrupt(b"".join(GOOD) + THIRD, START + 20), "frame 3 at byte 247: message CRC32 mismatch"),
    "last CRC byte": (corrupt(b"".join(GOOD) + THIRD, START + len(THIRD) - 1), "frame 3 at byte 247: message CRC32"),
    "prelude CRC": (corrupt(b"".join(GOOD) + THIRD, START + 9), "frame 3 at byte 247: prelude CRC32 mismatch"),
    "length field": (corrupt(b"".join(GOOD) + THIRD, START + 3), "frame 3 at byte 247: prelude CRC32 mismatch"),
    "truncated frame": (b"".join(GOOD) + THIRD[:-5], "ended inside frame 3 at byte 247: 127 of its 132 bytes arrived"),
    "truncated prelude": (b"".join(GOOD) + THIRD[:7], "ended inside the prelude of frame 3 at byte 247 (7 of 12"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_frame_is_one_error_after_every_intact_frame(case: str) -> None:
    body, wording = BROKEN[case]
    assert START == 247
    for chunks in splits(body):
        pairs, error = run(chunks)
        assert pairs == [
            ("messageStart", b'{"role": "assistant"}'),
            ("contentBlockDelta", b'{"delta": {"text": "Hi"}}'),
        ]
        assert error is not None and wording in error, (chunks, error)


def test_nothing_after_a_broken_frame_is_read() -> None:
    framer = EventStreamFramer()
    body = corrupt(GOOD[0], 20) + GOOD[1]
    with pytest.raises(FramingError, match="frame 1 at byte 0: message CRC32 mismatch"):
        framer.feed(body)
    with pytest.raises(FramingError, match="frame 1"):
        framer.feed(GOOD[1])
    with pytest.raises(FramingError, match="frame 1"):
        framer.close()


def test_a_frame_over_max_size_is_refused_from_its_prelude() -> None:
    big = event("contentBlockDelta", {"delta": {"text": "x" * 5000}})
    framer = EventStreamFramer(max_size=4096)
    with pytest.raises(FramingError, match=r"frame 1 at byte 0: 5\d\d\d bytes exceed the framer's max_size \(4096\)"):
        framer.feed(big[:12])  # refused before the rest is buffered
    assert EventStreamFramer(max_size=8192).feed(big)[0][0] == "contentBlockDelta"


def test_malformed_headers_and_impossible_lengths() -> None:
    block = b"\x05:evil\x63"  # value type 0x63 does not exist
    prelude = struct.pack(">II", 16 + len(block), len(block))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + block
    bad_type = head + struct.pack(">I", zlib.crc32(head))
    assert run([GOOD[0] + bad_type]) == (
        [("messageStart", b'{"role": "assistant"}')],
        f"broken event-stream frame 2 at byte {len(GOOD[0])}: header ':evil' has unknown value type 99",
    )
    prelude = struct.pack(">II", 16, 8)  # headers longer than the frame
    head = prelude + struct.pack(">I", zlib.crc32(prelude))
    _, error = run([head + struct.pack(">I", zlib.crc32(head))])
    assert error == "broken event-stream frame 1 at byte 0: impossible lengths (total 16, headers 8)"


def test_typed_header_values() -> None:
    from aiwire._wire.eventstream import decode_headers

    block = (
        b"\x01t\x00"
        + b"\x01f\x01"
        + b"\x01b\x02\xff"
        + b"\x01s\x03\x00\x07"
        + b"\x01i\x04\xff\xff\xff\xfe"
        + b"\x01l\x05"
        + (2**40).to_bytes(8, "big")
        + b"\x01a\x06\x00\x02\x00\x01"
        + b"\x01d\x08"
        + (1_700_000_000_000).to_bytes(8, "big")
        + b"\x01u\x09"
        + bytes(range(16))
    )
    assert decode_headers(block) == {
        "t": True,
        "f": False,
        "b": -1,
        "s": 7,
        "i": -2,
        "l": 2**40,
        "a": b"\x00\x01",
        "d": 1_700_000_000_000,
        "u": bytes(range(16)),
    }
    with pytest.raises(ValueError, match="runs past"):
        decode_headers(b"\x01s\x07\x00\x09abc")
