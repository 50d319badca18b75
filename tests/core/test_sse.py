"""The bytes-level SSE framer against httpx-sse, the reference framer.

httpx-sse is driven the way it runs inside ``EventSource.aiter_sse``: an
incremental UTF-8 text decoder (httpx's ``aiter_text``), then its own line
decoder and event decoder. Both framers see the same byte chunks.

One deliberate difference: httpx-sse also yields events that had no ``data``
line (``event: x`` alone, or a blank line after an ``id``); the WHATWG rules
drop those, and so does ``SSEFramer``. The comparison therefore leaves out
events with empty data on both sides, and ``test_events_without_data_are_dropped``
pins the difference itself.
"""

from __future__ import annotations

import codecs
import json
import random
from pathlib import Path

import pytest
from httpx_sse._decoders import SSEDecoder, SSELineDecoder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiwire._wire.framing import SSEFramer

CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"

Events = list[tuple[str, str]]


def reference(chunks: list[bytes]) -> Events:
    text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines = SSELineDecoder()
    sse = SSEDecoder()
    out: Events = []

    def take(line_list: list[str]) -> None:
        for line in line_list:
            event = sse.decode(line.rstrip("\n"))
            if event is not None and event.data:
                out.append((event.event, event.data))

    for chunk in chunks:
        text = text_decoder.decode(chunk)
        if text:
            take(lines.decode(text))
    tail = text_decoder.decode(b"", final=True)
    if tail:
        take(lines.decode(tail))
    take(lines.flush())
    return out


def framed(chunks: list[bytes]) -> Events:
    framer = SSEFramer()
    raw = [pair for chunk in chunks for pair in framer.feed(chunk)]
    raw += framer.close()
    return [(name, data.decode("utf-8", "replace")) for name, data in raw if data]


def split_at(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    pieces, last = [], 0
    for p in [*points, len(body)]:
        pieces.append(body[last:p])
        last = p
    return [p for p in pieces if p]


def _sse_recordings() -> list[Path]:
    if not CONFORMANCE.is_dir():
        return []
    return sorted(
        p for p in CONFORMANCE.glob("*/*.json") if json.loads(p.read_text())["response"]["body_format"] == "sse"
    )


RECORDINGS = _sse_recordings()


def _body(path: Path) -> bytes:
    return json.loads(path.read_text())["response"]["body_text"].encode()


@pytest.mark.conformance
def test_every_sse_recording_is_present() -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"{CONFORMANCE} is absent (the shared conformance recordings live beside the clone)")
    assert len(RECORDINGS) >= 40


@pytest.mark.conformance
@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_recording_matches_httpx_sse(path: Path) -> None:
    body = _body(path)
    whole = reference([body])
    assert whole, "the recording has no events"
    assert framed([body]) == whole
    # Byte by byte, then every split the 1 and 2 byte boundaries allow near
    # line ends, then seeded random splits: the hard cases are "\r" | "\n" and
    # multi-byte UTF-8 cut in two.
    assert framed([body[i : i + 1] for i in range(len(body))]) == whole
    rng = random.Random(path.stem)
    for _ in range(20):
        cuts = [rng.randrange(len(body) + 1) for _ in range(rng.randrange(1, 60))]
        chunks = split_at(body, cuts)
        assert framed(chunks) == whole == reference(chunks)


@pytest.mark.conformance
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(min_value=0), cuts=st.lists(st.integers(min_value=0), max_size=40))
def test_recordings_under_hypothesis_splits(index: int, cuts: list[int]) -> None:
    if not RECORDINGS:
        pytest.skip(f"{CONFORMANCE} is absent (the shared conformance recordings live beside the clone)")
    body = _body(RECORDINGS[index % len(RECORDINGS)])
    chunks = split_at(body, cuts)
    assert framed(chunks) == reference(chunks) == reference([body])


# -- generated streams: every field kind, every line ending -------------------

_value = st.text(alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=12)
_eol = st.sampled_from(["\n", "\r\n", "\r"])
_field_line = st.one_of(
    st.tuples(st.sampled_from(["data: ", "data:", "data"]), _value),
    st.tuples(st.sampled_from(["event: ", "event:", "event"]), _value),
    st.tuples(st.sampled_from(["id: ", "retry: ", ": ", ":", "unknown: "]), _value),
)


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        for name, value in draw(st.lists(_field_line, min_size=1, max_size=4)):
            parts.append(name + ("" if name in ("data", "event") else value) + draw(_eol))
        parts.append(draw(_eol))
    return "".join(parts).encode()


@settings(max_examples=300, deadline=None)
@given(body=sse_streams(), cuts=st.lists(st.integers(min_value=0), max_size=20))
def test_generated_streams_match_httpx_sse(body: bytes, cuts: list[int]) -> None:
    chunks = split_at(body, cuts)
    assert framed(chunks) == reference(chunks) == reference([body])


def test_events_without_data_are_dropped() -> None:
    body = b"event: ping\n\nid: 7\n\n\ndata: x\n\n"
    assert SSEFramer().feed(body) == [("message", b"x")]


def test_a_long_line_in_small_chunks_is_joined_once() -> None:
    payload = b"x" * 300_000
    body = b"event: big\ndata: " + payload + b"\n\n"
    framer = SSEFramer()
    out = []
    for i in range(0, len(body), 1000):
        out += framer.feed(body[i : i + 1000])
    assert out == [("big", payload)]


def test_unterminated_event_is_dropped_at_close() -> None:
    framer = SSEFramer()
    assert framer.feed(b"data: a\n\ndata: b\n") == [("message", b"a")]
    assert framer.close() == []
