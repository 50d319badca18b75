"""aiwire's codec contract suite, pointed at acme-chat and its cassettes."""

from __future__ import annotations

from pathlib import Path

from aiwire.testing.contract import CodecContract, from_cassettes

CASSETTES = Path(__file__).parent / "cassettes"

EXPECT = {
    "text_reply[0]": {"stop_reason": "stop", "usage": True, "text": "capital of France"},
    "tool_calls[0]": {"stop_reason": "tool_use", "usage": True, "tool_calls": 2},
    "overloaded_mid_stream[0]": {"stop_reason": "error", "text": "Once upon a time"},
    "length_no_usage[0]": {"stop_reason": "length", "usage": False},
    "complete_reply[0]": {"stop_reason": "stop", "usage": True, "text": "Paris is the capital"},
}


class TestAcmeContract(CodecContract):
    api = "acme-chat"
    recordings = [r.expect(**EXPECT.get(r.name, {})) for r in from_cassettes(CASSETTES, streaming_only=True)]
    responses = [r.expect(**EXPECT.get(r.name, {})) for r in from_cassettes(CASSETTES, responses_only=True)]
