"""Vendor replies for end-to-end tests, written from the documented wire formats
of each api (Anthropic Messages, Chat Completions, Responses, Gemini)."""

from __future__ import annotations

from typing import Any

from _vendor_server import sse


def chat_stream(text: str, *, model: str = "gpt-4.1") -> bytes:
    """A Chat Completions stream: role chunk, text, finish, usage chunk, [DONE]."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": model}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    usage = {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}
    return sse(
        (None, chunk({"role": "assistant", "content": ""})),
        (None, chunk({"content": text})),
        (None, chunk({}, "stop")),
        (None, {**base, "choices": [], "usage": usage}),
        done=True,
    )


def chat_whole(text: str, *, model: str = "gpt-4.1") -> dict[str, Any]:
    return {
        "id": "chatcmpl-2", "object": "chat.completion", "created": 1, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9},
    }  # fmt: skip


def responses_stream(text: str, *, model: str = "gpt-5-mini") -> bytes:
    """A Responses stream: created, one message item with its text, completed."""
    msg = {"id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant", "content": []}
    done = {**msg, "status": "completed", "content": [{"type": "output_text", "text": text, "annotations": []}]}
    usage = {"input_tokens": 7, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 2,
             "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 9}  # fmt: skip

    def e(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
        return (kind, {"type": kind, **fields})

    return sse(
        e("response.created", response={"id": "resp_1", "object": "response", "status": "in_progress", "model": model}),
        e("response.output_item.added", output_index=0, item=msg),
        e("response.content_part.added", item_id="msg_1", output_index=0, content_index=0,
          part={"type": "output_text", "text": "", "annotations": []}),
        e("response.output_text.delta", item_id="msg_1", output_index=0, content_index=0, delta=text),
        e("response.output_text.done", item_id="msg_1", output_index=0, content_index=0, text=text),
        e("response.output_item.done", output_index=0, item=done),
        e("response.completed", response={"id": "resp_1", "object": "response", "status": "completed",
                                          "model": model, "output": [done], "usage": usage}),
    )  # fmt: skip


def anthropic_stream(text: str, *, model: str = "claude-sonnet-4-5") -> bytes:
    def e(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
        return (kind, {"type": kind, **fields})

    return sse(
        e("message_start", message={"id": "msg_01", "type": "message", "role": "assistant", "content": [],
                                    "model": model, "stop_reason": None, "stop_sequence": None,
                                    "usage": {"input_tokens": 7, "output_tokens": 1}}),
        e("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        e("content_block_delta", index=0, delta={"type": "text_delta", "text": text}),
        e("content_block_stop", index=0),
        e("message_delta", delta={"stop_reason": "end_turn", "stop_sequence": None}, usage={"output_tokens": 2}),
        e("message_stop"),
    )  # fmt: skip


def anthropic_whole(text: str, *, model: str = "claude-sonnet-4-5") -> dict[str, Any]:
    return {
        "id": "msg_02", "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 7, "output_tokens": 2},
    }  # fmt: skip


def responses_whole(text: str, *, model: str = "gpt-5-mini") -> dict[str, Any]:
    """A whole (non-streamed) Responses body."""
    return {
        "id": "resp_2", "object": "response", "status": "completed", "model": model,
        "output": [{"id": "msg_2", "type": "message", "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": text, "annotations": []}]}],
        "usage": {"input_tokens": 7, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 2,
                  "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 9},
    }  # fmt: skip
