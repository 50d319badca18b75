"""A loopback LLM server for CLI and configuration tests.

It records each request (method, path, headers, JSON body) and answers a
short streamed reply in the wire format the path names: ``/chat/completions``
(OpenAI Chat Completions), ``/responses`` (OpenAI Responses) or
``/messages`` (Anthropic Messages). The bodies are written from the vendors'
documented event formats, not recorded. Any other path, and any path
under ``/missing``, answers 404.
"""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any

import msgspec


class Seen(msgspec.Struct):
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def _sse(events: list[tuple[str | None, Any]]) -> bytes:
    out = []
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        out.append(f"{head}data: {data if isinstance(data, str) else json.dumps(data)}\n\n")
    return "".join(out).encode()


def whole(path: str, text: str) -> bytes | None:
    """The non-streamed reply."""
    if path.endswith("/chat/completions"):
        choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        usage = {"prompt_tokens": 3, "completion_tokens": 2}
        return json.dumps({"id": "c1", "choices": [choice], "usage": usage}).encode()
    if path.endswith("/responses"):
        done = {"id": "msg_1", "type": "message", "role": "assistant"}
        done["content"] = [{"type": "output_text", "text": text, "annotations": []}]
        usage = {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
        return json.dumps({"id": "resp_1", "status": "completed", "usage": usage, "output": [done]}).encode()
    if path.endswith("/messages"):
        msg = {"id": "m1", "type": "message", "role": "assistant", "model": "m", "stop_reason": "end_turn"}
        msg.update(content=[{"type": "text", "text": text}], usage={"input_tokens": 3, "output_tokens": 1})
        return json.dumps(msg).encode()
    return None


def reply(path: str, text: str) -> bytes | None:
    """The streamed reply."""
    if path.endswith("/chat/completions"):
        chunk = {"id": "c1", "object": "chat.completion.chunk"}
        return _sse(
            [
                (None, {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]}),
                (None, {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
                (None, {**chunk, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}),
                (None, "[DONE]"),
            ]
        )
    if path.endswith("/responses"):
        usage = {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
        item = {"id": "msg_1", "type": "message", "role": "assistant", "content": []}
        done = {**item, "content": [{"type": "output_text", "text": text, "annotations": []}]}
        response = {"id": "resp_1", "status": "completed", "usage": usage, "output": [done]}

        def e(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
            return (kind, {"type": kind, **fields})

        return _sse(
            [
                e("response.created", response={"id": "resp_1", "status": "in_progress"}),
                e("response.output_item.added", output_index=0, item=item),
                e("response.output_text.delta", item_id="msg_1", output_index=0, content_index=0, delta=text),
                e("response.output_item.done", output_index=0, item=done),
                e("response.completed", response=response),
            ]
        )
    if path.endswith("/messages"):
        start = {"id": "m1", "type": "message", "role": "assistant", "model": "m", "content": []}
        start["usage"] = {"input_tokens": 3, "output_tokens": 1}
        return _sse(
            [
                ("message_start", {"type": "message_start", "message": start}),
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                ),
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
                ),
                ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {}}),
                ("message_stop", {"type": "message_stop"}),
            ]
        )
    return None


class LLMServer:
    """``with LLMServer("hello") as server: server.url`` (``http://127.0.0.1:PORT``)."""

    def __init__(self, text: str = "hello from loopback") -> None:
        self.text = text
        self.seen: list[Seen] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                size = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(size) if size else b""
                sent = json.loads(raw or b"null")
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.seen.append(Seen(self.command, self.path, headers, sent))
                streamed = isinstance(sent, dict) and sent.get("stream")
                path = self.path.split("?")[0]
                body = None if path.startswith("/missing") else (reply if streamed else whole)(path, owner.text)
                if body is None:
                    data = json.dumps({"error": {"message": f"no route {self.path}"}}).encode()
                    self.send_response(404)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream" if streamed else "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> LLMServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
