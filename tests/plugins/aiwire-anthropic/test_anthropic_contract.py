"""aiwire's codec contract suite on the anthropic-messages codec: its
streaming cassettes plus the shared conformance recordings of the api."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwire.testing.contract import CodecContract, from_cassettes, from_conformance

ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE = ROOT.parent / "shared" / "conformance"
API = "anthropic-messages"

EXPECT: dict[str, dict[str, object]] = {
    "text_documented[0]": {"stop_reason": "stop", "usage": True, "text": "How can I help?"},
    "thinking_signature_documented[0]": {"stop_reason": "stop", "text": "12,231"},
    "tool_use_streamed_documented[0]": {"stop_reason": "tool_use", "tool_calls": 1},
    "parallel_tools_documented[0]": {"stop_reason": "tool_use", "tool_calls": 2},
    "max_tokens_documented[0]": {"stop_reason": "length"},
    "overloaded_midstream_documented[0]": {"stop_reason": "error", "text": "Partial"},
    "retry_529_then_ok_documented[1]": {"stop_reason": "stop", "text": "Back again."},
}
CASSETTES = [
    r.expect(**EXPECT.get(r.name, {}))
    for r in from_cassettes(ROOT / "cassettes" / "aiwire-anthropic", streaming_only=True)
]
SHARED = from_conformance(CONFORMANCE, API)


class TestAnthropicContract(CodecContract):
    api = API
    recordings = [*CASSETTES, *SHARED]
    responses = [
        *from_cassettes(ROOT / "cassettes" / "aiwire-anthropic", responses_only=True),
        *from_conformance(CONFORMANCE, API, responses_only=True),
    ]


def test_expectations_name_real_recordings() -> None:
    assert set(EXPECT) <= {r.name for r in CASSETTES}


def test_shared_conformance_recordings_are_in_the_suite() -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"no shared conformance recordings at {CONFORMANCE}: the contract ran on the cassettes only")
    assert any(not r.is_error for r in SHARED) and any(r.is_error for r in SHARED)
