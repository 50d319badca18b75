"""A loopback OpenAI-compatible chat-completions server for the CLI tests.

Written from the documented wire format (``chat.completion.chunk`` SSE
events, ``[DONE]``), not recorded. Each request is kept; each reply says
which request number it answers, so a test can see the history it got.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Loopback:
    def __init__(
        self, answer: str = "loopback answer", statuses: list[int] | None = None, retry_after: str = "0"
    ) -> None:
        self.answer = answer
        self.retry_after = retry_after
        self.statuses = deque(statuses or [])
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                owner.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                status = owner.statuses.popleft() if owner.statuses else 200
                if status != 200:
                    data = json.dumps({"error": {"message": "slow down", "type": "rate_limit"}}).encode()
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("retry-after", owner.retry_after)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                text = f"{owner.answer} #{len(owner.requests)}"
                usage = {"prompt_tokens": 11, "completion_tokens": 5, "total_tokens": 16}
                if not body.get("stream"):
                    data = json.dumps(
                        {
                            "id": "c1",
                            "object": "chat.completion",
                            "model": body["model"],
                            "choices": [
                                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                            ],
                            "usage": usage,
                        }
                    ).encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                chunks: list[dict[str, Any]] = [
                    {
                        "choices": [
                            {"index": 0, "delta": {"role": "assistant", "content": text[:5]}, "finish_reason": None}
                        ]
                    },
                    {"choices": [{"index": 0, "delta": {"content": text[5:]}, "finish_reason": None}]},
                    {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": usage},
                ]
                out = b"".join(
                    b"data: "
                    + json.dumps({"id": "c1", "object": "chat.completion.chunk", "model": body["model"], **c}).encode()
                    + b"\n\n"
                    for c in chunks
                )
                out += b"data: [DONE]\n\n"
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Loopback:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
