"""Write the cassettes in ``cassettes/aiwire-anthropic/`` (run it after changing one).

    .venv/bin/python tests/plugins/aiwire-anthropic/anthropic_cassettes.py

No live traffic could be recorded here, so every cassette is written from the
documented Messages API wire format (streaming events, error shapes, usage
fields) and the shapes seen in real recordings: each data line is padded with
spaces before its closing brace as Anthropic does, and ``ping`` events are
interleaved. Every file says so in its first line and ends in
``_documented.yaml``. Ids and signatures are made up. Credentials are
``REDACTED``, as the scrubbing ``vcr_config`` would have written them.

Re-recording against the real API: delete a cassette, export
``ANTHROPIC_API_KEY`` and run its test with ``--record-mode=once``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vcr.serializers import yamlserializer

ROOT = Path(__file__).resolve().parents[3]
OUT = ROOT / "cassettes" / "aiwire-anthropic"
URL = "https://api.anthropic.com/v1/messages"
ORIGIN = (
    "# origin: written by hand from the documented Anthropic Messages API wire format "
    "(tests/plugins/aiwire-anthropic/anthropic_cassettes.py); not recorded traffic\n"
)


def sse(*events: dict[str, Any], pad: bool = True) -> str:
    out = []
    for n, e in enumerate(events):
        data = json.dumps(e, separators=(",", ":"))
        if pad and n % 2:
            data = data[:-1] + " " * (3 + n % 7) + "}"
        out.append(f"event: {e['type']}\ndata: {data}\n\n")
        if n == 1:
            out.append('event: ping\ndata: {"type": "ping"}\n\n')
    return "".join(out)


def usage(inp: int, out: int, read: int = 0, write: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "input_tokens": inp,
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
        "output_tokens": out,
        **extra,
    }


def start(model: str, u: dict[str, Any], id: str = "msg_01DocumentedExample") -> dict[str, Any]:
    msg = {"id": id, "type": "message", "role": "assistant", "model": model, "content": []}
    msg |= {"stop_reason": None, "stop_sequence": None, "usage": u}
    return {"type": "message_start", "message": msg}


def block(i: int, cb: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": i, "content_block": cb}


def delta(i: int, d: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": i, "delta": d}


def text(i: int, *parts: str) -> list[dict[str, Any]]:
    return [
        block(i, {"type": "text", "text": ""}),
        *(delta(i, {"type": "text_delta", "text": p}) for p in parts),
        stop(i),
    ]


def tool(i: int, id: str, name: str, *fragments: str) -> list[dict[str, Any]]:
    return [
        block(i, {"type": "tool_use", "id": id, "name": name, "input": {}}),
        *(delta(i, {"type": "input_json_delta", "partial_json": f}) for f in fragments),
        stop(i),
    ]


def stop(i: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": i}


def end(reason: str | None, out: int, **u: Any) -> list[dict[str, Any]]:
    md = {"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": None}}
    md["usage"] = {"output_tokens": out, **u}
    return [md, {"type": "message_stop"}]


def response(status: int, body: str, content_type: str, **headers: str) -> dict[str, Any]:
    hdrs = {"content-type": [content_type], "request-id": ["req_011Documented"]}
    hdrs |= {k.replace("_", "-"): [v] for k, v in headers.items()}
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}
    reason |= {413: "Payload Too Large", 429: "Too Many Requests", 500: "Internal Server Error", 529: ""}
    return {"status": {"code": status, "message": reason[status]}, "headers": hdrs, "body": {"string": body}}


def request(model: str, stream: bool = True) -> dict[str, Any]:
    body = {"model": model, "max_tokens": 1024, "messages": [{"role": "user", "content": "(see test)"}]}
    if stream:
        body["stream"] = True
    return {
        "method": "POST",
        "uri": URL,
        "body": json.dumps(body),
        "headers": {
            "anthropic-version": ["2023-06-01"],
            "content-type": ["application/json"],
            "x-api-key": ["REDACTED"],
        },
    }


def write(name: str, *interactions: tuple[dict[str, Any], dict[str, Any]]) -> None:
    data = {"interactions": [{"request": q, "response": r} for q, r in interactions], "version": 1}
    (OUT / f"{name}_documented.yaml").write_text(ORIGIN + yamlserializer.serialize(data))


def stream(model: str, *events: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    return request(model), response(200, sse(*events), "text/event-stream; charset=utf-8")


def error(status: int, kind: str, message: str, **headers: str) -> dict[str, Any]:
    body = json.dumps({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_011Doc"})
    return response(status, body, "application/json", **headers)


SONNET = "claude-sonnet-4-5"
SIG = "EqQBCkYIBxgCKkBDocumentedSignatureOnlyForTests0123456789abcdefABCDEF=="
ERRORS = {
    400: ("invalid_request_error", "messages: text content blocks must be non-empty"),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "model: claude-sonet-4-5"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write(
        "text",
        stream(SONNET, start(SONNET, usage(12, 1)), *text(0, "Hello", "! How can I", " help?"), *end("end_turn", 9)),
    )
    write(
        "thinking_signature",
        stream(
            SONNET,
            start(SONNET, usage(40, 3)),
            block(0, {"type": "thinking", "thinking": "", "signature": ""}),
            delta(0, {"type": "thinking_delta", "thinking": "The user wants 27 * 453."}),
            delta(0, {"type": "thinking_delta", "thinking": ""}),
            delta(0, {"type": "thinking_delta", "thinking": " That is 12231."}),
            delta(0, {"type": "signature_delta", "signature": SIG}),
            stop(0),
            *text(1, "27 * 453 = ", "12,231."),
            *end("end_turn", 88),
        ),
    )
    write(
        "redacted_thinking",
        stream(
            SONNET,
            start(SONNET, usage(60, 2)),
            block(
                0,
                {
                    "type": "redacted_thinking",
                    "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP",
                },
            ),
            stop(0),
            *text(1, "I cannot share every step, but the answer is 42."),
            *end("end_turn", 70),
        ),
    )
    write(
        "tool_use_streamed",
        stream(
            SONNET,
            start(SONNET, usage(380, 4)),
            *text(0, "I'll check the weather."),
            *tool(
                1, "toolu_01DocWeather", "get_weather", "", '{"locat', 'ion": "San Fr', 'ancisco, CA"', ', "unit": "c"}'
            ),
            *end("tool_use", 71),
        ),
    )
    write(
        "parallel_tools",
        stream(
            SONNET,
            start(SONNET, usage(420, 4)),
            *tool(0, "toolu_01DocParis", "get_weather", '{"location":', ' "Paris"}'),
            *tool(1, "toolu_01DocTokyo", "get_time", '{"timezone": "Asia/', 'Tokyo"}'),
            *end("tool_use", 96),
        ),
    )
    write("image_input", stream(SONNET, start(SONNET, usage(1570, 1)), *text(0, "A red square."), *end("end_turn", 7)))
    cache = usage(
        5,
        1,
        read=1200,
        write=2400,
        cache_creation={"ephemeral_5m_input_tokens": 400, "ephemeral_1h_input_tokens": 2000},
    )
    write("cache_usage", stream(SONNET, start(SONNET, cache), *text(0, "Cached."), *end("end_turn", 4)))
    write(
        "max_tokens",
        stream(
            SONNET,
            start(SONNET, usage(30, 1)),
            *text(0, "Once upon a time, there was"),
            *end("max_tokens", 8),
        ),
    )
    write(
        "overloaded_midstream",
        stream(
            SONNET,
            start(SONNET, usage(25, 1)),
            block(0, {"type": "text", "text": ""}),
            delta(0, {"type": "text_delta", "text": "Partial ans"}),
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        ),
    )
    for status, (kind, message) in ERRORS.items():
        write(f"error_{status}", (request(SONNET), error(status, kind, message)))
    write(
        "retry_529_then_ok",
        (request(SONNET), error(529, "overloaded_error", "Overloaded", retry_after_ms="0")),
        stream(SONNET, start(SONNET, usage(12, 1)), *text(0, "Back again."), *end("end_turn", 4)),
    )
    whole = {
        "id": "msg_01DocComplete",
        "type": "message",
        "role": "assistant",
        "model": SONNET,
        "content": [
            {"type": "thinking", "thinking": "Simple greeting.", "signature": SIG},
            {"type": "text", "text": "Hi there!"},
            {"type": "tool_use", "id": "toolu_01DocWhole", "name": "get_time", "input": {"timezone": "UTC"}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": usage(50, 30, read=10),
    }
    write("complete", (request(SONNET, stream=False), response(200, json.dumps(whole), "application/json")))


if __name__ == "__main__":
    main()
