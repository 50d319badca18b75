"""aiwire's codec contract suite on both wire apis of aiwire-openai
(``openai-completions`` and ``openai-responses``): the streaming cassettes of
each plus the shared conformance recordings of each."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiwire.testing.contract import CodecContract, Recording, from_cassettes, from_conformance

ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE = ROOT.parent / "shared" / "conformance"

EXPECT: dict[str, dict[str, object]] = {
    "openai_chat_parallel_tools_documented[0]": {"stop_reason": "tool_use", "tool_calls": 2, "usage": True},
    "groq_stream_error_documented[0]": {"stop_reason": "error"},
    "ollama_chat_documented[0]": {"stop_reason": "stop", "usage": False, "text": "Hello there!"},
    "openrouter_reasoning_details_documented[0]": {"stop_reason": "stop", "text": "4"},
    "azure_responses_documented[0]": {"stop_reason": "stop", "usage": True, "text": "Hi from Azure"},
    "openai_responses_incomplete_documented[0]": {"stop_reason": "length"},
    "openai_responses_reasoning_documented[0]": {"stop_reason": "stop", "text": "Paris."},
    # Shared conformance recordings that are in-stream errors (HTTP 200).
    "test_groq__test_tool_use_failed_error_streaming__i00": {"stop_reason": "error"},
    "test_openrouter__test_openrouter_stream_error": {"stop_reason": "error"},
}
_ALL = [
    r.expect(**EXPECT.get(r.name, {}))
    for r in from_cassettes(ROOT / "cassettes" / "aiwire-openai", streaming_only=True)
    if not r.name.startswith("images_")  # the image apis have their own tests
]


def _is_responses(r: Recording) -> bool:
    return b'"type":"response.' in r.body or b'"type": "response.' in r.body


# A vendor error body has the same shape on both apis, so each gets them all.
ERRORS = [r for r in _ALL if r.is_error]
CHAT = [r for r in _ALL if not r.is_error and not _is_responses(r)]
RESPONSES = [r for r in _ALL if not r.is_error and _is_responses(r)]
SHARED_CHAT = [r.expect(**EXPECT.get(r.name, {})) for r in from_conformance(CONFORMANCE, "openai-chat")]
SHARED_RESPONSES = [r.expect(**EXPECT.get(r.name, {})) for r in from_conformance(CONFORMANCE, "openai-responses")]
_REPLIES = [
    r
    for r in from_cassettes(ROOT / "cassettes" / "aiwire-openai", responses_only=True)
    if not r.name.startswith("images_")
]


class TestOpenAICompletionsContract(CodecContract):
    api = "openai-completions"
    recordings = [*CHAT, *ERRORS, *SHARED_CHAT]
    responses = [
        *(r for r in _REPLIES if not _is_responses(r)),
        *from_conformance(CONFORMANCE, "openai-chat", responses_only=True),
    ]


class TestOpenAIResponsesContract(CodecContract):
    api = "openai-responses"
    recordings = [*RESPONSES, *ERRORS, *SHARED_RESPONSES]
    responses = [
        *(r for r in _REPLIES if _is_responses(r)),
        *from_conformance(CONFORMANCE, "openai-responses", responses_only=True),
    ]


def test_cassettes_split_between_the_apis() -> None:
    assert set(EXPECT) <= {r.name for r in [*_ALL, *SHARED_CHAT, *SHARED_RESPONSES]} or not CONFORMANCE.is_dir()
    assert len(CHAT) >= 4 and len(RESPONSES) >= 3 and ERRORS


@pytest.mark.parametrize("shared", [SHARED_CHAT, SHARED_RESPONSES], ids=["openai-chat", "openai-responses"])
def test_shared_conformance_recordings_are_in_the_suite(shared: list[Recording]) -> None:
    if not CONFORMANCE.is_dir():
        pytest.skip(f"no shared conformance recordings at {CONFORMANCE}: the contract ran on the cassettes only")
    assert any(not r.is_error for r in shared) and any(r.is_error for r in shared)
