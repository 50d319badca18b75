"""``ToolCallDelta.arguments`` is computed when read: nothing is parsed per
fragment, a reader on every delta stays linear, and the event still encodes,
compares, copies and prints as a plain struct with a dict."""

from __future__ import annotations

import copy
import io
import json
import pickle
from typing import Any

import msgspec
import pytest

import aiwire
from aiwire import events as ev
from aiwire._cli.render import JsonPrinter
from aiwire._wire import partial_json as pj
from aiwire._wire.codec import StreamDecoder
from aiwire.agent import MessageUpdate
from aiwire.testing import FauxProvider
from aiwire.types import ToolCall


class Work:
    """Counts the partial parser's work: scans, characters scanned, characters
    decoded (by msgspec, or read by the C reader of whole containers: all the
    rest of the text when the container turns out to be incomplete)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.scans = self.scanned = self.decoded = 0
        scan, decode, whole = pj.PartialJSON._scan, pj._decode, pj._whole

        def counting_scan(p: pj.PartialJSON, s: str) -> None:
            self.scans += 1
            self.scanned += len(s)
            scan(p, s)

        def counting_decode(s: Any) -> Any:
            self.decoded += len(s)
            return decode(s)

        def counting_whole(s: str, i: int) -> Any:
            got = whole(s, i)
            self.decoded += len(s) - i if got is None else got[1] - i
            return got

        monkeypatch.setattr(pj.PartialJSON, "_scan", counting_scan)
        monkeypatch.setattr(pj, "_decode", counting_decode)
        monkeypatch.setattr(pj, "_whole", counting_whole)


def decoder() -> StreamDecoder:
    return StreamDecoder(aiwire.custom_model("m", api="faux", base_url="http://127.0.0.1:9"))


def stream(fragments: list[str], *, read: bool) -> tuple[list[ev.ToolCallDelta], ToolCall, list[Any]]:
    """Fragments through a decoder, drained every 8 (a network read); ``read``
    reads ``arguments`` on every delta as it is handed over."""
    dec = decoder()
    i = dec.open_tool_call("c1", "f")
    deltas: list[ev.ToolCallDelta] = []
    seen: list[Any] = []
    for n, f in enumerate(fragments):
        dec.add_tool_arguments(i, f)
        if n % 8 == 7 or n == len(fragments) - 1:
            for e in dec.drain():
                if isinstance(e, ev.ToolCallDelta):
                    deltas.append(e)
                    if read:
                        seen.append(e.arguments)
    dec.close_block(i)
    end = dec.drain()[-1]
    assert isinstance(end, ev.ToolCallEnd)
    return deltas, end.tool_call, seen


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


ARGS = {"path": "src/app.py", "content": 'def f(x):\n    return "x\\ty"  # café\n' * 20, "edits": [{"line": 3}]}


def test_nothing_is_parsed_unless_arguments_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    work = Work(monkeypatch)
    n = len(json.dumps(ARGS))
    deltas, call, _ = stream(pieces(json.dumps(ARGS), 7), read=False)
    assert len(deltas) > 100
    assert (work.scans, work.decoded) == (0, n)  # only the strict parse at toolcall_end
    assert call.arguments == ARGS
    # Read after the call ended: one C decode of the whole text for every delta, still no scan.
    assert deltas[3].arguments == ARGS
    assert all(d.arguments is deltas[0].arguments for d in deltas)
    assert (work.scans, work.decoded) == (0, 2 * n)


def test_nothing_is_parsed_on_a_whole_stream_nobody_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    work = Work(monkeypatch)
    with FauxProvider() as faux:
        faux.reply(ToolCall(id="c1", name="f", arguments=ARGS), chunk_size=5, byte_chunk=64)
        faux.reply(ToolCall(id="c1", name="f", arguments=ARGS), chunk_size=5, byte_chunk=64)
        events = list(aiwire.stream_sync(faux.model, "hi"))
        assert sum(isinstance(e, ev.ToolCallDelta) for e in events) > 100
        assert work.scans == 0 and work.decoded == len(msgspec.json.encode(ARGS).decode())  # the strict parse
        seen = [json.dumps(e.arguments) for e in aiwire.stream_sync(faux.model, "hi") if e.type == "toolcall_delta"]
    assert work.scans > 0
    assert json.loads(seen[0]) == {} and json.loads(seen[-1]) == ARGS


def test_reading_on_every_delta_shows_each_read_and_ends_exact() -> None:
    text = json.dumps(ARGS)
    deltas, call, seen = stream(pieces(text, 5), read=True)
    root = deltas[0].arguments
    assert all(v is root for v in seen)  # one live object
    assert call.arguments == ARGS and root == ARGS
    assert type(call.arguments) is dict  # the final value is not the live one
    # A read sees every fragment drained so far: the 8th delta's read holds 40 characters.
    prefix = pj.PartialJSON()
    prefix.feed(text[:40])
    dec = decoder()
    i = dec.open_tool_call("c1", "f")
    for f in pieces(text, 5)[:8]:
        dec.add_tool_arguments(i, f)
    first = [e for e in dec.drain() if isinstance(e, ev.ToolCallDelta)]
    assert first[0].arguments == prefix.value


@pytest.mark.parametrize("size", [5, 1])
def test_reading_on_every_delta_is_linear(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """Work counters, not time: every character is scanned once, and the
    characters handed to the C decoder grow in proportion to the arguments."""

    def work_for(n: int) -> tuple[int, int]:
        work = Work(monkeypatch)
        body = "x\\n" * n
        rows = [{"id": i, "t": [i, {"ok": True}]} for i in range(n // 20)]  # nested containers, whole or cut
        text = json.dumps({"rows": rows, "content": "", "more": [1, 2]}).replace('""', '"' + body + '"')
        _, call, seen = stream(pieces(text, size), read=True)
        assert len(call.arguments["content"]) == 2 * n and seen[-1] == call.arguments
        assert work.scanned == len(text)  # each character scanned exactly once
        return work.scanned, work.decoded

    small, large = work_for(10_000), work_for(40_000)
    assert large[0] < 4.1 * small[0]
    assert large[1] < 4.5 * small[1]  # quadratic would be 16x


def test_encoding_repr_equality_and_copies() -> None:
    deltas, _, _ = stream(pieces('{"q": "abc", "n": [1, 2]}', 4), read=False)
    d = deltas[-1]
    # Encoders see the live object as last brought up to date; reading brings it.
    assert d.arguments == {"q": "abc", "n": [1, 2]}
    assert json.loads(aiwire.dumps(d)) == {
        "type": "toolcall_delta",
        "content_index": 0,
        "delta": d.delta,
        "arguments": {"q": "abc", "n": [1, 2]},
    }
    assert msgspec.to_builtins(d)["arguments"] == {"q": "abc", "n": [1, 2]}
    assert "arguments={'q': 'abc', 'n': [1, 2]}" in repr(d)
    plain = ev.ToolCallDelta(content_index=0, delta=d.delta, arguments={"q": "abc", "n": [1, 2]})
    assert d == plain and plain.arguments == {"q": "abc", "n": [1, 2]}
    assert aiwire.loads(aiwire.dumps(d), ev.Event) == plain
    for c in (copy.copy(d.arguments), copy.deepcopy(d.arguments), pickle.loads(pickle.dumps(d.arguments))):
        assert type(c) is dict and c == d.arguments
    assert pickle.loads(pickle.dumps(d)) == plain
    hand = ev.ToolCallDelta(content_index=1, delta="x", arguments=None)
    hand.arguments = {"set": True}
    assert hand.arguments == {"set": True}


def test_invalid_arguments_still_get_a_best_effort_view(monkeypatch: pytest.MonkeyPatch) -> None:
    work = Work(monkeypatch)
    deltas, call, _ = stream(pieces('{"a": 1, "b": [tru', 3), read=False)
    assert call.arguments == {} and call.invalid_arguments == '{"a": 1, "b": [tru'
    assert work.scans == 0  # not even for invalid arguments, until read
    assert deltas[0].arguments == {"a": 1, "b": []}


def test_snapshot_reads_the_open_call() -> None:
    dec = decoder()
    i = dec.open_tool_call("c1", "f")
    for f in pieces('{"city": "Paris", "n": 3}', 4)[:4]:  # 16 characters: the string has closed
        dec.add_tool_arguments(i, f)
    snap = dec.snapshot().content[0]
    assert isinstance(snap, ToolCall) and snap.arguments == {"city": "Paris"}


def test_the_cli_json_printer_writes_current_arguments() -> None:
    deltas, _, _ = stream(pieces('{"q": "abc"}', 3), read=False)
    out = io.StringIO()
    JsonPrinter(out, io.StringIO())(MessageUpdate(event=deltas[0]))
    assert json.loads(out.getvalue())["event"]["arguments"] == {"q": "abc"}
