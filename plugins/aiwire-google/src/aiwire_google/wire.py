"""Typed views of Gemini ``GenerateContentResponse`` chunks (msgspec Structs).

Only the fields the decoder reads are declared; msgspec skips the rest while
decoding, which is what keeps a streamed chunk cheap. Part kinds aiwire has
no type for (``executableCode``, ``inlineData``...) are kept as raw dicts so
they can be echoed back verbatim.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "Candidate",
    "Chunk",
    "Content",
    "FunctionCall",
    "Part",
    "PromptFeedback",
    "SafetyRating",
    "UsageMetadata",
    "decode_chunk",
]


class _Wire(msgspec.Struct, rename="camel", gc=False):
    pass


class FunctionCall(_Wire):
    name: str = ""
    args: dict[str, Any] | None = None
    id: str | None = None


class Part(_Wire):
    text: str | None = None
    thought: bool = False
    thought_signature: str | None = None
    function_call: FunctionCall | None = None
    executable_code: dict[str, Any] | None = None
    code_execution_result: dict[str, Any] | None = None
    inline_data: dict[str, Any] | None = None
    file_data: dict[str, Any] | None = None


OTHER_PART_KINDS = ("executable_code", "code_execution_result", "inline_data", "file_data")
"""Part fields kept as :class:`~aiwire.types.ProviderContent`, in wire (camel) form below."""
WIRE_NAMES = {
    "executable_code": "executableCode",
    "code_execution_result": "codeExecutionResult",
    "inline_data": "inlineData",
    "file_data": "fileData",
}


class Content(_Wire):
    parts: list[Part] = msgspec.field(default_factory=list)
    role: str | None = None


class SafetyRating(_Wire):
    category: str = ""
    probability: str | None = None
    blocked: bool = False


class Candidate(_Wire):
    content: Content | None = None
    finish_reason: str | None = None
    finish_message: str | None = None
    safety_ratings: list[SafetyRating] | None = None
    grounding_metadata: dict[str, Any] | None = None


class UsageMetadata(_Wire):
    prompt_token_count: int = 0
    candidates_token_count: int = 0
    thoughts_token_count: int = 0
    cached_content_token_count: int = 0
    tool_use_prompt_token_count: int = 0
    total_token_count: int = 0


class PromptFeedback(_Wire):
    block_reason: str | None = None
    block_reason_message: str | None = None
    safety_ratings: list[SafetyRating] | None = None


class ChunkError(_Wire):
    code: int | None = None
    message: str = ""
    status: str | None = None


class Chunk(_Wire):
    """One ``GenerateContentResponse`` (a whole response, or one SSE chunk)."""

    candidates: list[Candidate] | None = None
    usage_metadata: UsageMetadata | None = None
    prompt_feedback: PromptFeedback | None = None
    response_id: str | None = None
    model_version: str | None = None
    error: ChunkError | None = None


_decoder = msgspec.json.Decoder(Chunk)


def decode_chunk(data: bytes | str) -> Chunk:
    """Decode one chunk's JSON."""
    return _decoder.decode(data)
