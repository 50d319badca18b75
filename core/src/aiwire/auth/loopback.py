"""The one-request callback server on 127.0.0.1 that receives an OAuth redirect.

It binds the loopback interface only, answers the first request to its
callback path, and is closed on success, error, timeout or cancel. Requests
to other paths get a 404 and do not count. Nothing about the request is
logged: its query string holds the authorization code.
"""

from __future__ import annotations

import contextlib
import html
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from aiwire.auth.errors import LoginError

if TYPE_CHECKING:
    from aiwire.auth.oauth import LoginCallbacks

__all__ = ["CallbackServer", "parse_pasted"]

_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>aiwire login</title></head>"
    "<body style='font-family:sans-serif;margin:3em'><h2>{title}</h2><p>{body}</p></body></html>"
)


class _Server(HTTPServer):
    allow_reuse_address = False  # never share a port another program holds
    callback_path = "/"
    result: dict[str, str] | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != self.server.callback_path or self.server.result is not None:
            self._answer(404, "Not found", "This is aiwire's login callback; nothing else is served here.")
            return
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        self.server.result = params
        if "error" in params:
            why = params.get("error_description") or params["error"]
            self._answer(400, "Login failed", f"The provider said: {why}. You can close this tab.")
        else:
            self._answer(200, "Login complete", "aiwire received the authorization. You can close this tab.")

    def _answer(self, status: int, title: str, body: str) -> None:
        page = _PAGE.format(title=html.escape(title), body=html.escape(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line carries the authorization code


class CallbackServer:
    """Listen on ``127.0.0.1:port`` (0 picks a free port) for ``path``.

    Raises :class:`OSError` when the port is taken, so the caller can fall
    back to a pasted code.
    """

    def __init__(self, port: int = 0, path: str = "/callback") -> None:
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.callback_path = path
        self._server.timeout = 0.05
        self.port: int = self._server.server_address[1]
        self.path = path

    def redirect_uri(self, host: str = "localhost") -> str:
        return f"http://{host}:{self.port}{self.path}"

    def wait(self, callbacks: LoginCallbacks, timeout: float, manual_message: str | None = None) -> dict[str, str]:
        """Serve until the callback arrives, the user pastes it (through
        ``callbacks.manual_code``), the login is cancelled or ``timeout``."""
        pasted: list[str | None] = []
        if manual_message is not None:

            def ask() -> None:
                with contextlib.suppress(Exception):
                    pasted.append(callbacks.manual_code(manual_message))

            threading.Thread(target=ask, name="aiwire-login-paste", daemon=True).start()
        deadline = time.monotonic() + timeout
        try:
            while self._server.result is None:
                callbacks.check()
                if pasted and pasted[0]:
                    return parse_pasted(pasted[0])
                if time.monotonic() >= deadline:
                    raise LoginError(f"no answer from the browser within {timeout:g}s; run the login again")
                self._server.handle_request()
            return self._server.result
        finally:
            self.close()

    def close(self) -> None:
        self._server.server_close()

    def __enter__(self) -> CallbackServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def parse_pasted(text: str) -> dict[str, str]:
    """Read what a user pasted: the redirect URL, its query string,
    ``code#state`` (as Anthropic's hosted page shows it), or a bare code."""
    text = text.strip()
    if "://" in text:
        parts = urlsplit(text)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if not params and parts.fragment:
            params = dict(parse_qsl(parts.fragment, keep_blank_values=True))
        return params
    if "=" in text and ("code=" in text or "error=" in text):
        return dict(parse_qsl(text.lstrip("?"), keep_blank_values=True))
    if "#" in text:
        code, _, state = text.partition("#")
        return {"code": code, "state": state}
    return {"code": text} if text else {}
