"""The JSON array and NDJSON framers on every byte split, and the size cap of
all three framers (the SSE framer's equivalence with httpx-sse is in
test_sse.py)."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiwire.plugin import DEFAULT_MAX_SIZE, FramingError, JSONArrayFramer, NDJSONFramer, SSEFramer

Pairs = list[tuple[str, bytes]]


def run(framer: JSONArrayFramer | NDJSONFramer | SSEFramer, chunks: list[bytes]) -> Pairs:
    out = [pair for chunk in chunks for pair in framer.feed(chunk)]
    return out + framer.close()


def every_split(body: bytes) -> list[list[bytes]]:
    """Whole, one byte at a time, and every split into two and three parts."""
    splits = [[body], [body[i : i + 1] for i in range(len(body))]]
    for i in range(len(body) + 1):
        splits.append([body[:i], body[i:]])
    rng = random.Random(7)
    for _ in range(200):
        a, b = sorted(rng.randrange(len(body) + 1) for _ in range(2))
        splits.append([body[:a], body[a:b], body[b:]])
    return splits


# -- JSON array ------------------------------------------------------------------

GEMINI_LIKE = (
    b'[{"candidates": [{"content": {"parts": [{"text": "He said \\"[hi]\\", {ok}, \\\\"}]}}]}\r\n'
    b',\r\n{"candidates": [{"content": {"parts": [{"text": "caf\xc3\xa9 \\u00e9 ]}"}]}, "finishReason": "STOP"}],'
    b' "usageMetadata": {"promptTokenCount": 3}}\r\n]'
)


def test_json_array_elements_on_every_split() -> None:
    want = [json.dumps(e, separators=(",", ":")) for e in json.loads(GEMINI_LIKE)]
    for chunks in every_split(GEMINI_LIKE):
        got = run(JSONArrayFramer(), chunks)
        assert [name for name, _ in got] == ["message", "message"]
        assert [json.dumps(json.loads(d), separators=(",", ":")) for _, d in got] == want, chunks


def test_json_array_yields_an_object_at_its_closing_brace() -> None:
    framer = JSONArrayFramer(event="chunk")
    assert framer.feed(b'[{"a": [1, {"b": "}"}]}') == [("chunk", b'{"a": [1, {"b": "}"}]}')]
    assert framer.feed(b',  {"c"') == []
    assert framer.feed(b": 2}") == [("chunk", b'{"c": 2}')]
    assert framer.feed(b"]\n") == []
    assert framer.feed(b"  \n") == []


def test_json_array_non_ascii_and_a_long_element_in_small_reads() -> None:
    values = [{"t": '中文 ] } " \\ 😀', "n": [1, {"x": "]"}]}, "s", 3, [], {}]
    body = json.dumps(values, ensure_ascii=False).encode()
    for chunks in every_split(body):
        assert [json.loads(d) for _, d in run(JSONArrayFramer(), chunks)] == values
    big = b'[{"text": "' + b"x" * 300_000 + b'", "more": [{"a": 1}]}, {"b": 2}]'
    got = run(JSONArrayFramer(), [big[i : i + 1000] for i in range(0, len(big), 1000)])
    assert [json.loads(d)["text" if i == 0 else "b"] for i, (_, d) in enumerate(got)] == ["x" * 300_000, 2]


def test_json_array_scalars_empty_array_and_nesting() -> None:
    body = b' \n[1, "a,]b", true, null, [2, [3]], -4.5e1 ]'
    want = [b"1", b'"a,]b"', b"true", b"null", b"[2, [3]]", b"-4.5e1"]
    for chunks in every_split(body):
        assert [d for _, d in run(JSONArrayFramer(), chunks)] == want
    assert run(JSONArrayFramer(), [b"[]"]) == []
    assert run(JSONArrayFramer(), [b""]) == []


def test_json_array_cut_short_drops_the_partial_element() -> None:
    framer = JSONArrayFramer()
    assert framer.feed(b'[{"a": 1}, {"b": "unterminated') == [("message", b'{"a": 1}')]
    assert framer.close() == []


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b'{"error": {"message": "not an array"}}', "expected a JSON array"),
        (b"[1] x", "data after the end of the JSON array"),
    ],
)
def test_json_array_rejects_other_bodies(body: bytes, match: str) -> None:
    with pytest.raises(FramingError, match=match):
        run(JSONArrayFramer(), [body])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
            max_leaves=8,
        ),
        max_size=6,
    ),
    st.randoms(use_true_random=False),
)
def test_json_array_round_trips_any_values(values: list[object], rng: random.Random) -> None:
    body = json.dumps(values, indent=rng.choice([None, 1])).encode()
    cuts = sorted(rng.randrange(len(body) + 1) for _ in range(rng.randrange(6)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    assert [json.loads(d) for _, d in run(JSONArrayFramer(), chunks)] == values


# -- NDJSON ------------------------------------------------------------------------

NDJSON = b'{"a": 1}\n\n{"b": "x\\ny"}\r\n  \n[1, 2]\n{"last": true}'


def test_ndjson_lines_on_every_split() -> None:
    want = [b'{"a": 1}', b'{"b": "x\\ny"}', b"[1, 2]", b'{"last": true}']
    for chunks in every_split(NDJSON):
        got = run(NDJSONFramer(), chunks)
        assert [d for _, d in got] == want, chunks
        assert {name for name, _ in got} == {"message"}


def test_ndjson_event_name_and_close() -> None:
    framer = NDJSONFramer(event="line")
    assert framer.feed(b'{"a"') == []
    assert framer.feed(b": 1}\n{") == [("line", b'{"a": 1}')]
    assert framer.close() == [("line", b"{")]
    assert framer.close() == []


# -- size caps -----------------------------------------------------------------------


def test_default_cap_is_16_mib() -> None:
    assert DEFAULT_MAX_SIZE == 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("make", "opening"),
    [
        (lambda n: SSEFramer(max_size=n), b"data: "),
        (lambda n: JSONArrayFramer(max_size=n), b'[{"text": "'),
        (lambda n: NDJSONFramer(max_size=n), b'{"text": "'),
    ],
    ids=["sse", "json-array", "ndjson"],
)
def test_an_endless_line_raises_instead_of_buffering(make: object, opening: bytes) -> None:
    framer = make(1000)  # type: ignore[operator]
    framer.feed(opening)
    fed = len(opening)
    with pytest.raises(FramingError, match="exceeds 1000 bytes"):
        while fed < 10_000:
            framer.feed(b"x" * 100)
            fed += 100
    assert fed <= 1100


@pytest.mark.parametrize("framer", [SSEFramer(), JSONArrayFramer(), NDJSONFramer()], ids=["sse", "json", "ndjson"])
def test_the_default_cap_stops_a_huge_line_early(framer: SSEFramer | JSONArrayFramer | NDJSONFramer) -> None:
    # A 400 MiB line without a line end is refused after about 16 MiB.
    mib = b"y" * (1024 * 1024)
    framer.feed(b'data: "' if isinstance(framer, SSEFramer) else b'["')
    with pytest.raises(FramingError):
        for _ in range(400):
            framer.feed(mib)
    buffered = getattr(framer, "_pending_size", 0) or len(getattr(framer, "_buf", b""))
    assert buffered <= DEFAULT_MAX_SIZE + len(mib)


def test_sse_cap_counts_multi_line_event_data() -> None:
    framer = SSEFramer(max_size=100)
    with pytest.raises(FramingError, match="the data of an SSE event"):
        framer.feed(b"data: 0123456789\n" * 20)


def test_sse_cap_after_a_line_end_in_the_same_chunk() -> None:
    framer = SSEFramer(max_size=100)
    with pytest.raises(FramingError, match="an SSE line"):
        framer.feed(b"data: ok\n\ndata: " + b"z" * 200)


def test_lines_under_the_cap_pass() -> None:
    big = b"q" * 900
    assert SSEFramer(max_size=1000).feed(b"data: " + big + b"\n\n") == [("message", big)]
    assert NDJSONFramer(max_size=1000).feed(b'"' + big + b'"\n') == [("message", b'"' + big + b'"')]
    assert JSONArrayFramer(max_size=1000).feed(b'["' + big + b'"]') == [("message", b'"' + big + b'"')]


# -- through the engine ------------------------------------------------------------

FAUX_EVENTS = [
    {"type": "block_start", "index": 0, "block": "text"},
    {"type": "block_delta", "index": 0, "delta": "Hel"},
    {"type": "block_delta", "index": 0, "delta": "lo ]}"},
    {"type": "block_end", "index": 0},
    {"type": "usage", "input": 3, "output": 2},
    {"type": "end", "stop_reason": "stop"},
]


@pytest.mark.parametrize(
    ("framer", "body"),
    [
        (JSONArrayFramer, ("[" + ",\r\n".join(json.dumps(e) for e in FAUX_EVENTS) + "]").encode()),
        (NDJSONFramer, "".join(json.dumps(e) + "\n" for e in FAUX_EVENTS).encode()),
    ],
    ids=["json-array", "ndjson"],
)
def test_a_codec_declaring_a_framer_streams_through_the_engine(framer: type, body: bytes) -> None:
    import httpx

    import aiwire
    from aiwire._demo.faux import FauxCodec
    from aiwire.plugin import ProviderSpec, RegisterApi, RegisterProvider, hookimpl

    class FramedCodec(FauxCodec):
        api = "faux-framed"
        framing = framer

    class Plugin:
        AIWIRE_PLUGIN_API = 2

        @hookimpl
        def register_apis(self, register: RegisterApi) -> None:
            register("faux-framed", FramedCodec())

        @hookimpl
        def register_providers(self, register: RegisterProvider) -> None:
            register(ProviderSpec(id="framed", api="faux-framed", base_url="http://framed.invalid", auth="none"))

    def reply(request: httpx.Request) -> httpx.Response:
        # Trickle the body in 7-byte reads, as a slow server would.
        chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
        return httpx.Response(200, content=iter(chunks))

    aiwire.register_plugin(Plugin(), "framed")
    try:
        model = aiwire.custom_model("f-1", provider="framed")
        events = list(aiwire.stream_sync(model, "hi", transport=httpx.MockTransport(reply)))
    finally:
        aiwire.unregister_plugin("framed")
    msg = events[-1].message
    assert (msg.stop_reason, msg.text, msg.usage.output if msg.usage else None) == ("stop", "Hello ]}", 2)
    assert [type(e).__name__ for e in events][:2] == ["Start", "TextStart"]
