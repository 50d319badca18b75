"""aiwire's codec contract suite on the google-generative-ai codec: its
streaming cassettes plus the shared conformance recordings of the api."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwire.testing.contract import CodecContract, from_cassettes, from_conformance

ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE = ROOT.parent / "shared" / "conformance"

EXPECT: dict[str, dict[str, object]] = {
    "text_stream_documented[0]": {"stop_reason": "stop", "usage": True, "text": "Bonjour"},
    "thoughts_stream_documented[0]": {"stop_reason": "stop", "text": "97 is prime"},
    "function_call_stream_documented[0]": {"stop_reason": "tool_use", "tool_calls": 1},
    "max_tokens_stream_documented[0]": {"stop_reason": "length"},
    "safety_stream_documented[0]": {"stop_reason": "error"},
}
CASSETTES = [
    r.expect(**EXPECT.get(r.name, {}))
    for r in from_cassettes(ROOT / "cassettes" / "aiwire-google", streaming_only=True)
]
SHARED = from_conformance(CONFORMANCE, "google-gemini")


class TestGoogleContract(CodecContract):
    api = "google-generative-ai"
    recordings = [*CASSETTES, *SHARED]
    responses = [
        *from_cassettes(ROOT / "cassettes" / "aiwire-google", responses_only=True),
        *from_conformance(CONFORMANCE, "google-gemini", responses_only=True),
    ]


def test_expectations_name_real_recordings() -> None:
    assert set(EXPECT) <= {r.name for r in CASSETTES}


def test_shared_conformance_recordings_are_in_the_suite() -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"no shared conformance recordings at {CONFORMANCE}: the contract ran on the cassettes only")
    assert any(not r.is_error for r in SHARED) and any(r.is_error for r in SHARED)
