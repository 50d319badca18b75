"""A loopback HTTP/1.1 server that misbehaves on cue, for the driver tests.

It listens on 127.0.0.1 on an ephemeral port, in one daemon thread per
connection, and answers each request with the next scripted :class:`Reply`
(a list of operations: send bytes, pause, send keep-alive pings, reset the
connection, close it, or hold back the response head). Every socket has a timeout and the server stops by
itself after ``lifetime`` seconds, so a broken test cannot hang the suite.

Streaming replies use chunked transfer encoding, as vendors do.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

Op = tuple[Any, ...]


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    chunked: bool = True


def sse(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def text_events(text: str, *, index: int = 0) -> list[bytes]:
    out = [sse({"type": "block_start", "index": index, "block": "text"})]
    out += [sse({"type": "block_delta", "index": index, "delta": text[i : i + 4]}) for i in range(0, len(text), 4)]
    out.append(sse({"type": "block_end", "index": index}))
    return out


USAGE = sse({"type": "usage", "input": 7, "output": 3})
END = sse({"type": "end", "stop_reason": "stop"})


def ok(text: str = "hello world") -> Reply:
    """A complete, well-formed faux stream."""
    return Reply(ops=[("send", b"".join([*text_events(text), USAGE, END])), ("end",)])


def error_reply(status: int, message: str = "try later", headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(
        {"error": {"type": "overloaded_error" if status >= 500 else "rate_limit_error", "message": message}}
    )
    return Reply(
        status=status,
        headers={"content-type": "application/json", **(headers or {})},
        ops=[("send", body.encode())],
        chunked=False,
    )


class FaultServer:
    def __init__(self, lifetime: float = 30.0) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.connections = 0
        self.client_gone = threading.Event()  # the client closed a connection mid-reply
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._deadline = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, *replies: Reply) -> FaultServer:
        self.replies.extend(replies)
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def _alive(self) -> bool:
        return not self._stop.is_set() and time.monotonic() < self._deadline

    def _serve(self) -> None:
        while self._alive():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        buf = b""
        try:
            while self._alive():
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
                length = int(headers.get("content-length", "0"))
                while len(buf) < length:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                body, buf = buf[:length], buf[length:]
                self.requests.append({"line": lines[0], "headers": headers, "json": json.loads(body or b"{}")})
                reply = self.replies.popleft() if self.replies else error_reply(500, "no scripted reply left")
                if not self._answer(conn, reply):
                    return
        except OSError:
            self.client_gone.set()
        finally:
            conn.close()

    def _answer(self, conn: socket.socket, reply: Reply) -> bool:
        """Run one reply; False when the connection is done."""
        head = [f"HTTP/1.1 {reply.status} X"]
        ops = reply.ops
        if reply.chunked:
            head += ["content-type: text/event-stream", "transfer-encoding: chunked"]
        else:
            size = sum(len(op[1]) for op in ops if op[0] == "send")
            head.append(f"content-length: {size}")
        head += [f"{k}: {v}" for k, v in reply.headers.items()]
        if ops and ops[0][0] == "reset":  # before the first byte of the response
            _reset(conn)
            return False
        if ops and ops[0][0] == "hold":  # no response head for up to op[1] s, or until the client leaves
            conn.settimeout(ops[0][1])
            try:
                while conn.recv(1024):
                    pass
                self.client_gone.set()
            except TimeoutError:
                pass
            return False
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        for op in ops:
            kind = op[0]
            if kind == "send":
                conn.sendall(_chunk(op[1]) if reply.chunked else op[1])
            elif kind == "sleep":
                time.sleep(op[1])
            elif kind == "pings":  # keep-alive comments every op[1] s for up to op[2] s
                stop = time.monotonic() + op[2]
                while time.monotonic() < stop and self._alive():
                    try:
                        conn.sendall(_chunk(b": ping\n\n" if len(op) < 4 else op[3]))
                    except OSError:
                        self.client_gone.set()
                        return False
                    time.sleep(op[1])
            elif kind == "wait_gone":  # hold the response open until the client leaves
                conn.settimeout(op[1])
                try:
                    while conn.recv(1024):
                        pass
                    self.client_gone.set()
                except TimeoutError:
                    pass
                return False
            elif kind == "reset":
                _reset(conn)
                return False
            elif kind == "close":
                return False
            elif kind == "end" and reply.chunked:
                conn.sendall(b"0\r\n\r\n")
        return True


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _reset(conn: socket.socket) -> None:
    """Close with RST instead of FIN."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
