"""aiwire's codec contract suite on the bedrock-converse codec, with every
recorded ConverseStream body and HTTP error of the shared conformance set."""

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


def test_the_cassette_is_in_the_suite() -> None:
    assert len(CASSETTES) == 1 and not CASSETTES[0].is_error


def test_shared_conformance_recordings_are_in_the_suite() -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"no shared conformance recordings at {CONFORMANCE}")
    assert sum(not r.is_error for r in SHARED) == 10 and any(r.is_error for r in SHARED)
