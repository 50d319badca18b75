"""aiwire's codec contract suite on the bedrock-converse codec, with every
recorded ConverseStream body and HTTP error of the shared conformance set."""

from __future__ import annotations

import pytest
from bedrock_helpers import CONFORMANCE

from aiwire.testing.contract import CodecContract, from_conformance

API = "bedrock-converse"
SHARED = from_conformance(CONFORMANCE, API)


class TestBedrockContract(CodecContract):
    api = API
    recordings = SHARED


def test_shared_conformance_recordings_are_in_the_suite() -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"no shared conformance recordings at {CONFORMANCE}")
    assert sum(not r.is_error for r in SHARED) == 10 and any(r.is_error for r in SHARED)
