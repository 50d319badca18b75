"""aiwire's codec contract suite on the bedrock-converse codec, with the
ConverseStream cassette written from AWS's documented format and, when present
beside the clone, every recorded ConverseStream body and HTTP error of the
shared conformance set."""

from __future__ import annotations

import pytest
from bedrock_helpers import CONFORMANCE, ROOT

from aiwire.testing.contract import CodecContract, from_cassettes, from_conformance

API = "bedrock-converse"
SHARED = from_conformance(CONFORMANCE, API)
CASSETTES = from_cassettes(ROOT / "cassettes" / "aiwire-bedrock", streaming_only=True)


class TestBedrockContract(CodecContract):
    api = API
    recordings = [*CASSETTES, *SHARED]
    # Converse (not streamed) replies: complete() without streaming parses these.
    responses = from_conformance(CONFORMANCE, API, responses_only=True)


def test_the_cassette_is_in_the_suite() -> None:
    # Written from AWS's documented format by bedrock_cassettes.py: reasoning,
    # text and a tool call in one stream.
    assert [r.name for r in CASSETTES] == ["converse_stream_documented[0]"] and not CASSETTES[0].is_error
    assert b"reasoningContent" in CASSETTES[0].body and b"toolUse" in CASSETTES[0].body


def test_shared_conformance_recordings_are_in_the_suite() -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"no shared conformance recordings at {CONFORMANCE}")
    assert sum(not r.is_error for r in SHARED) == 10 and any(r.is_error for r in SHARED)
