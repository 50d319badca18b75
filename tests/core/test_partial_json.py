from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiwire._wire import partial_json as _partial_json
from aiwire._wire.partial_json import PartialJSON, parse_arguments

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def feed_all(text: str, cuts: list[int]) -> tuple[PartialJSON, list[Any]]:
    p = PartialJSON()
    seen = []
    last = 0
    for c in [*sorted(set(cuts)), len(text)]:
        if c > last:
            seen.append(msgspec.json.decode(msgspec.json.encode(p.feed(text[last:c]))))
            last = c
    return p, seen


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.text(max_size=8), json_values, max_size=5),
    st.lists(st.integers(0, 400), max_size=30),
    st.booleans(),
)
def test_any_split_ends_with_the_exact_value(obj: dict[str, Any], cuts: list[int], pretty: bool) -> None:
    text = json.dumps(obj, indent=2 if pretty else None, ensure_ascii=not pretty)
    p, _ = feed_all(text, cuts)
    assert p.value == json.loads(text)


def test_every_split_point_of_escapes_and_nesting() -> None:
    obj = {"path": 'a\\b"c\n\u00e9\U0001f600', "n": [1, -2.5e3, True, None, {"k": []}], "e": {}}
    text = json.dumps(obj)
    for cut in range(len(text) + 1):
        for text_form in (text, json.dumps(obj, ensure_ascii=False)):
            p, _ = feed_all(text_form, [cut])
            assert p.value == obj, cut


def test_one_character_at_a_time_shows_growing_strings() -> None:
    text = json.dumps({"city": "Paris", "tags": ["a", "bc"], "n": 12})
    p = PartialJSON()
    values = [msgspec.json.decode(msgspec.json.encode(p.feed(ch))) for ch in text]
    assert {"city": "Par"} in values
    assert {"city": "Paris", "tags": ["a", "b"]} in values
    # numbers show only once complete: never a truncated 1
    assert all(v.get("n") in (None, 12) for v in values)
    assert values[-1] == json.loads(text)


def test_escape_cut_in_half_is_never_shown_half() -> None:
    p = PartialJSON()
    assert p.feed('{"s": "ab\\') == {"s": "ab"}
    assert p.feed("u00") == {"s": "ab"}
    assert p.feed("e9\\ud83d") == {"s": "ab\u00e9"}
    assert p.feed("\\ude00x") == {"s": "ab\u00e9\U0001f600x"}
    assert p.feed('"}') == {"s": "ab\u00e9\U0001f600x"}


@pytest.mark.parametrize("garbage", ["{]", '{"a" 1}', '{"a": tru e}', '{"a": 1}}', "nonsense", '{"a": "x\x01"}'])
def test_garbage_keeps_the_last_good_value_and_never_raises(garbage: str) -> None:
    p = PartialJSON()
    for ch in garbage:
        p.feed(ch)
    assert isinstance(p.value, (dict, list, str, int, float, bool, type(None)))
    args, raw = parse_arguments(garbage)
    if raw is not None:
        assert args == {} and raw == garbage


def test_text_keeps_every_fragment() -> None:
    p = PartialJSON()
    p.feed('{"a"')
    p.feed(": 1}")
    assert p.text == '{"a": 1}'


def test_work_is_linear_in_the_argument_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count characters handed to the JSON decoder while a 200 KB string
    arrives one character at a time: a re-parse per fragment would be
    quadratic (about 2e10), the scanner stays within a small multiple of n."""
    decoded = 0
    real = _partial_json._decode

    def counting(s: str) -> Any:
        nonlocal decoded
        decoded += len(s)
        return real(s)

    monkeypatch.setattr(_partial_json, "_decode", counting)
    body = "x\\n" * 70_000
    text = '{"content": "' + body + '", "more": [1, 2]}'
    p = PartialJSON()
    for ch in text:
        p.feed(ch)
    assert p.value["more"] == [1, 2]
    assert len(p.value["content"]) == 140_000
    assert decoded < 8 * len(text) + 600 * 512


def test_parse_arguments_is_strict() -> None:
    assert parse_arguments("") == ({}, None)
    assert parse_arguments('{"a": 1}') == ({"a": 1}, None)
    assert parse_arguments("[1]") == ({}, "[1]")
    assert parse_arguments('{"a": ') == ({}, '{"a": ')


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.text(max_size=8), json_values, max_size=5),
    st.lists(st.integers(0, 400), max_size=30),
    st.lists(st.integers(0, 400), max_size=8),
    st.booleans(),
)
def test_pushed_fragments_settled_per_read_match_scanning_the_same_text(
    obj: dict[str, Any], cuts: list[int], reads: list[int], pretty: bool
) -> None:
    """The core pushes a network read's fragments and settles once. After each
    settle the value is the one the character scanner gives for the same reads
    (whole nested containers decoded by msgspec or not); the root handed out
    first is the root throughout; the end is the exact value."""
    from unittest import mock

    text = json.dumps(obj, indent=2 if pretty else None)
    bounds = [*sorted(set(cuts)), len(text)]
    fragments = [text[a:b] for a, b in zip([0, *bounds], bounds, strict=False) if b > a]
    settle_after = {r % max(1, len(fragments)) for r in reads} | {len(fragments) - 1}
    p, scanner = PartialJSON(), PartialJSON()
    root = p.value
    upto = done = 0
    for i, f in enumerate(fragments):
        assert p.push(f) is root
        upto += len(f)
        if i in settle_after:
            p.settle()
            # The scanner alone, given the same reads: what a partial string shows
            # depends on where reads end, so both see the same ends.
            with mock.patch.object(_partial_json, "_whole", lambda s, i: None):
                scanner.feed(text[done:upto])
            done = upto
            assert msgspec.json.encode(p.value) == msgspec.json.encode(scanner.value)
    assert p.value == obj and p.value is root


def test_nesting_deeper_than_the_c_reader_goes_is_scanned() -> None:
    """The C reader of whole containers gives up past Python's recursion
    limit; the character scanner takes over without raising."""

    def innermost(value: Any) -> tuple[int, Any]:
        seen = 0
        while isinstance(value, list) and value:
            value, seen = value[0], seen + 1
        return seen, value

    depth = 5000
    text = '{"a": ' + "[" * depth + "1" + "]" * depth + "}"
    p = PartialJSON()
    p.push(text[:5004])  # '{"a": ' and 4998 brackets
    assert innermost(p.value["a"]) == (4997, [])
    p.push(text[5004:])
    assert innermost(p.value["a"]) == (depth, 1)


def test_nan_in_a_nested_container_is_not_json() -> None:
    p = PartialJSON()
    p.push('{"a": [1, NaN], "b": 2}')
    assert p.value == {"a": [1]}  # the scanner stops where the text stopped being JSON
