"""The bytes-level SSE framer against httpx-sse, the reference, on every split."""

from __future__ import annotations

from httpx_sse._decoders import SSEDecoder, SSELineDecoder
from hypothesis import given, settings
from hypothesis import strategies as st

from aiwire._sse import SSEFramer


def reference(chunks: list[bytes]) -> list[tuple[str, bytes]]:
    lines = SSELineDecoder()
    dec = SSEDecoder()
    out = []
    for chunk in chunks:
        for line in lines.decode(chunk.decode("utf-8")):
            sse = dec.decode(line)
            if sse is not None and sse.data:
                out.append((sse.event, sse.data.encode()))
    for line in lines.flush():
        sse = dec.decode(line)
        if sse is not None and sse.data:
            out.append((sse.event, sse.data.encode()))
    return out


def ours(chunks: list[bytes]) -> list[tuple[str, bytes]]:
    f = SSEFramer()
    out = []
    for chunk in chunks:
        out += f.feed(chunk)
    return out + f.close()


def split(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    parts, last = [], 0
    for p in points:
        parts.append(body[last:p])
        last = p
    parts.append(body[last:])
    return [p for p in parts if p]


BODY = (
    b": comment\n"
    b'event: message_start\ndata: {"a": 1}\n\n'
    b"data: line one\ndata: line two\n\n"
    b"event: ping\r\ndata: {}\r\n\r\n"
    b"id: 7\nretry: 100\ndata:no-space\n\n"
    b"data: \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80\r\r"
    b"data: [DONE]\n\n"
)


def test_known_body() -> None:
    assert ours([BODY]) == [
        ("message_start", b'{"a": 1}'),
        ("message", b"line one\nline two"),
        ("ping", b"{}"),
        ("message", b"no-space"),
        ("message", "été 😀".encode()),
        ("message", b"[DONE]"),
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 10_000), max_size=12))
def test_every_split_matches_the_reference(cuts: list[int]) -> None:
    chunks = split(BODY, cuts)
    assert ours(chunks) == ours([BODY])
    # httpx-sse decodes text, so compare on splits that keep UTF-8 whole.
    try:
        [c.decode() for c in chunks]
    except UnicodeDecodeError:
        return
    assert ours(chunks) == reference(chunks)
