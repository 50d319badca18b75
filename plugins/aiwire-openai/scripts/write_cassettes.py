"""Write cassettes/aiwire-openai/*_documented.yaml: traffic written by hand from
the vendors' documented wire formats (no live recording is possible here).

    python plugins/aiwire-openai/scripts/write_cassettes.py

Re-recording against the real APIs: run the cassette tests with real keys and
``--record-mode=rewrite``; aiwire's vcr_config scrubs credentials first.
"""

import json
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

OUT = Path(__file__).resolve().parents[3] / "cassettes" / "aiwire-openai"
OUT.mkdir(parents=True, exist_ok=True)


def sse(events: list[Any], done: bool = True, named: bool = False) -> str:
    out: list[str] = []
    for e in events:
        if isinstance(e, str):
            out.append(e)
        elif named:
            out.append(f"event: {e['type']}\ndata: {json.dumps(e, separators=(',', ':'))}\n\n")
        else:
            out.append(f"data: {json.dumps(e, separators=(',', ':'))}\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out)


def interaction(
    uri: str, body: str, *, status: int = 200, ctype: str = "text/event-stream", req: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "request": {
            "body": json.dumps(req or {}),
            "headers": {"authorization": ["REDACTED"], "content-type": ["application/json"]},
            "method": "POST",
            "uri": uri,
        },
        "response": {
            "status": {"code": status, "message": {200: "OK", 429: "Too Many Requests", 400: "Bad Request"}[status]},
            "headers": {"content-type": [ctype]},
            "body": {"string": body},
        },
    }


def write(name: str, origin: str, *interactions: dict[str, Any]) -> None:
    text = f"# origin: {origin}\n" + yaml.safe_dump(
        {"interactions": list(interactions), "version": 1}, sort_keys=False, width=1000
    )
    (OUT / name).write_text(text)


def chunk(
    delta: dict[str, Any] | None = None, finish: str | None = None, id: str = "chatcmpl-doc", **extra: Any
) -> dict[str, Any]:
    return {
        "id": id,
        "object": "chat.completion.chunk",
        "created": 1760000000,
        "model": "m",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}],
        **extra,
    }


def usage(p: int, c: int, cached: int = 0, reasoning: int | None = None, **extra: Any) -> dict[str, Any]:
    u = {
        "prompt_tokens": p,
        "completion_tokens": c,
        "total_tokens": p + c,
        "prompt_tokens_details": {"cached_tokens": cached},
        **extra,
    }
    if reasoning is not None:
        u["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return {"id": "chatcmpl-doc", "object": "chat.completion.chunk", "choices": [], "usage": u}


# 1. OpenAI Chat Completions: parallel tool calls, usage in the last chunk (documented streaming shape).
write(
    "openai_chat_parallel_tools_documented.yaml",
    "written by hand from OpenAI's documented Chat Completions streaming format (chat.completion.chunk)",
    interaction(
        "https://api.openai.com/v1/chat/completions",
        sse(
            [
                chunk(
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "index": 0,
                                "id": "call_paris",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": ""},
                            }
                        ],
                    }
                ),
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]}),
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": 1,
                                "id": "call_tokyo",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": ""},
                            }
                        ]
                    }
                ),
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": ' "Paris"}'}}]}),
                chunk({"tool_calls": [{"index": 1, "function": {"arguments": '{"city": "Tokyo"}'}}]}),
                chunk(finish="tool_calls"),
                usage(80, 30, cached=64),
            ]
        ),
    ),
)

# 2. OpenAI Responses: reasoning summary, encrypted reasoning, text with phase, usage.
rs = {"id": "rs_doc1", "type": "reasoning", "encrypted_content": "gAAAA-doc-encrypted", "summary": []}
msg = {
    "id": "msg_doc1",
    "type": "message",
    "status": "in_progress",
    "role": "assistant",
    "phase": "final_answer",
    "content": [],
}
resp = {"id": "resp_doc1", "object": "response", "status": "in_progress", "model": "gpt-5", "output": []}
done_usage = {
    "input_tokens": 30,
    "input_tokens_details": {"cached_tokens": 10},
    "output_tokens": 50,
    "output_tokens_details": {"reasoning_tokens": 40},
    "total_tokens": 80,
}
write(
    "openai_responses_reasoning_documented.yaml",
    "written by hand from OpenAI's documented Responses streaming events (response.*)",
    interaction(
        "https://api.openai.com/v1/responses",
        sse(
            [
                {"type": "response.created", "sequence_number": 0, "response": resp},
                {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0, "item": rs},
                {
                    "type": "response.reasoning_summary_part.added",
                    "sequence_number": 2,
                    "item_id": "rs_doc1",
                    "output_index": 0,
                    "summary_index": 0,
                    "part": {"type": "summary_text", "text": ""},
                },
                {
                    "type": "response.reasoning_summary_text.delta",
                    "sequence_number": 3,
                    "item_id": "rs_doc1",
                    "output_index": 0,
                    "summary_index": 0,
                    "delta": "**Answering** The capital ",
                },
                {
                    "type": "response.reasoning_summary_text.delta",
                    "sequence_number": 4,
                    "item_id": "rs_doc1",
                    "output_index": 0,
                    "summary_index": 0,
                    "delta": "of France is Paris.",
                },
                {
                    "type": "response.output_item.done",
                    "sequence_number": 5,
                    "output_index": 0,
                    "item": {
                        **rs,
                        "summary": [{"type": "summary_text", "text": "**Answering** The capital of France is Paris."}],
                    },
                },
                {"type": "response.output_item.added", "sequence_number": 6, "output_index": 1, "item": msg},
                {
                    "type": "response.content_part.added",
                    "sequence_number": 7,
                    "item_id": "msg_doc1",
                    "output_index": 1,
                    "content_index": 0,
                    "part": {"type": "output_text", "text": "", "annotations": []},
                },
                {
                    "type": "response.output_text.delta",
                    "sequence_number": 8,
                    "item_id": "msg_doc1",
                    "output_index": 1,
                    "content_index": 0,
                    "delta": "Paris",
                },
                {
                    "type": "response.output_text.delta",
                    "sequence_number": 9,
                    "item_id": "msg_doc1",
                    "output_index": 1,
                    "content_index": 0,
                    "delta": ".",
                },
                {
                    "type": "response.output_text.done",
                    "sequence_number": 10,
                    "item_id": "msg_doc1",
                    "output_index": 1,
                    "content_index": 0,
                    "text": "Paris.",
                },
                {
                    "type": "response.output_item.done",
                    "sequence_number": 11,
                    "output_index": 1,
                    "item": {
                        **msg,
                        "status": "completed",
                        "content": [{"type": "output_text", "text": "Paris.", "annotations": []}],
                    },
                },
                {
                    "type": "response.completed",
                    "sequence_number": 12,
                    "response": {**resp, "status": "completed", "usage": done_usage},
                },
            ],
            done=False,
            named=True,
        ),
    ),
)

# 3. Responses: truncated by max_output_tokens.
write(
    "openai_responses_incomplete_documented.yaml",
    "written by hand from OpenAI's documented Responses events (response.incomplete)",
    interaction(
        "https://api.openai.com/v1/responses",
        sse(
            [
                {"type": "response.created", "sequence_number": 0, "response": resp},
                {
                    "type": "response.output_text.delta",
                    "sequence_number": 1,
                    "item_id": "msg_doc2",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": "Once upon a",
                },
                {
                    "type": "response.incomplete",
                    "sequence_number": 2,
                    "response": {
                        **resp,
                        "status": "incomplete",
                        "incomplete_details": {"reason": "max_output_tokens"},
                        "usage": {"input_tokens": 5, "output_tokens": 3},
                    },
                },
            ],
            done=False,
            named=True,
        ),
    ),
)

# 4. Ollama (local, no key): reasoning field (gpt-oss style), no usage chunk since stream_options unsupported by older servers.
write(
    "ollama_chat_documented.yaml",
    "written by hand from Ollama's OpenAI-compatible /v1/chat/completions streaming format",
    interaction(
        "http://localhost:11434/v1/chat/completions",
        sse(
            [
                chunk({"role": "assistant", "content": "", "reasoning": "Simple greeting."}, id="chatcmpl-42"),
                chunk({"role": "assistant", "content": "Hello"}, id="chatcmpl-42"),
                chunk({"role": "assistant", "content": " there!"}, id="chatcmpl-42"),
                chunk({"role": "assistant", "content": ""}, finish="stop", id="chatcmpl-42"),
            ]
        ),
    ),
)

# 5. OpenRouter: comment lines, reasoning + reasoning_details, cost in usage.
write(
    "openrouter_reasoning_details_documented.yaml",
    "written by hand from OpenRouter's documented streaming (': OPENROUTER PROCESSING' comments, reasoning_details, usage.cost)",
    interaction(
        "https://openrouter.ai/api/v1/chat/completions",
        sse(
            [
                ": OPENROUTER PROCESSING\n\n",
                chunk(
                    {
                        "role": "assistant",
                        "content": "",
                        "reasoning": "Two plus two",
                        "reasoning_details": [
                            {
                                "type": "reasoning.text",
                                "text": "Two plus two",
                                "format": "anthropic-claude-v1",
                                "index": 0,
                            }
                        ],
                    },
                    id="gen-doc",
                ),
                ": OPENROUTER PROCESSING\n\n",
                chunk(
                    {
                        "role": "assistant",
                        "content": "",
                        "reasoning": " is four.",
                        "reasoning_details": [
                            {
                                "type": "reasoning.text",
                                "text": " is four.",
                                "signature": "sig-doc",
                                "format": "anthropic-claude-v1",
                                "index": 0,
                            }
                        ],
                    },
                    id="gen-doc",
                ),
                chunk({"role": "assistant", "content": "4"}, id="gen-doc"),
                chunk({"role": "assistant", "content": ""}, finish="stop", id="gen-doc"),
                {
                    **usage(
                        40,
                        20,
                        reasoning=12,
                        cost=0.00042,
                        cost_details={
                            "upstream_inference_prompt_cost": 0.00012,
                            "upstream_inference_completions_cost": 0.0003,
                        },
                    ),
                    "id": "gen-doc",
                },
            ]
        ),
    ),
)

# 6. Groq: in-stream `event: error` after some reasoning.
write(
    "groq_stream_error_documented.yaml",
    "written by hand from Groq's documented in-stream error event (event: error, tool_use_failed)",
    interaction(
        "https://api.groq.com/openai/v1/chat/completions",
        sse(
            [
                chunk({"role": "assistant", "content": ""}),
                chunk({"reasoning": "Call the tool"}),
                "event: error\ndata: "
                + json.dumps(
                    {
                        "error": {
                            "message": "Tool call validation failed: parameters for tool f did not match schema",
                            "type": "invalid_request_error",
                            "code": "tool_use_failed",
                        }
                    }
                )
                + "\n\n",
            ],
            done=False,
        ),
    ),
)

# 7. Mistral: thinking and text as typed content chunks.
write(
    "mistral_typed_chunks_documented.yaml",
    "written by hand from Mistral's documented chat streaming with typed content chunks (magistral thinking)",
    interaction(
        "https://api.mistral.ai/v1/chat/completions",
        sse(
            [
                chunk({"role": "assistant", "content": ""}),
                chunk({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "Look both ways."}]}]}),
                chunk({"content": "Use the crossing."}),
                chunk(
                    {"content": ""},
                    finish="stop",
                    usage={"prompt_tokens": 10, "completion_tokens": 12, "total_tokens": 22},
                ),
            ]
        ),
    ),
)

# 8. DeepSeek non-streamed complete(): reasoning_content + tool call, cache hit tokens.
write(
    "deepseek_complete_documented.yaml",
    "written by hand from DeepSeek's documented chat completion response (reasoning_content, prompt_cache_hit_tokens)",
    interaction(
        "https://api.deepseek.com/chat/completions",
        json.dumps(
            {
                "id": "ds-doc",
                "object": "chat.completion",
                "model": "deepseek-reasoner",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "tool_calls",
                        "message": {
                            "role": "assistant",
                            "content": "Rolling.",
                            "reasoning_content": "I should roll the die.",
                            "tool_calls": [
                                {
                                    "index": 0,
                                    "id": "call_00_doc",
                                    "type": "function",
                                    "function": {"name": "roll", "arguments": "{}"},
                                }
                            ],
                        },
                    }
                ],
                "usage": {
                    "prompt_tokens": 100,
                    "completion_tokens": 20,
                    "total_tokens": 120,
                    "prompt_cache_hit_tokens": 64,
                    "prompt_cache_miss_tokens": 36,
                    "prompt_tokens_details": {"cached_tokens": 64},
                    "completion_tokens_details": {"reasoning_tokens": 8},
                },
            }
        ),
        ctype="application/json",
    ),
)

# 9. Azure Responses with a deployment name (v1 API), and an HTTP 429 error body.
write(
    "azure_responses_documented.yaml",
    "written by hand from Azure OpenAI's documented v1 Responses endpoint (api-key header, deployment as model)",
    interaction(
        "https://docres.openai.azure.com/openai/v1/responses",
        sse(
            [
                {"type": "response.created", "sequence_number": 0, "response": {**resp, "id": "resp_az"}},
                {
                    "type": "response.output_text.delta",
                    "sequence_number": 1,
                    "item_id": "msg_az",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": "Hi from Azure",
                },
                {
                    "type": "response.output_item.done",
                    "sequence_number": 2,
                    "output_index": 0,
                    "item": {
                        "id": "msg_az",
                        "type": "message",
                        "role": "assistant",
                        "status": "completed",
                        "content": [{"type": "output_text", "text": "Hi from Azure", "annotations": []}],
                    },
                },
                {
                    "type": "response.completed",
                    "sequence_number": 3,
                    "response": {
                        **resp,
                        "id": "resp_az",
                        "status": "completed",
                        "usage": {"input_tokens": 4, "output_tokens": 4},
                    },
                },
            ],
            done=False,
            named=True,
        ),
    ),
)

write(
    "openai_rate_limited_documented.yaml",
    "written by hand from OpenAI's documented error body for HTTP 429",
    interaction(
        "https://api.openai.com/v1/chat/completions",
        json.dumps(
            {
                "error": {
                    "message": "Rate limit reached for gpt-4o",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            }
        ),
        status=429,
        ctype="application/json",
    ),
)
print("ok")
