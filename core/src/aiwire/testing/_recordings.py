"""Recorded responses for the codec contract suite, and their loaders."""

from __future__ import annotations

import base64
import importlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

__all__ = ["Recording", "from_cassettes", "from_conformance", "from_sse_files"]


class Recording(msgspec.Struct, kw_only=True, frozen=True):
    """One recorded HTTP response body and what it must decode to.

    ``status`` 400 and above makes it an HTTP error recording: the contract
    checks that it becomes one ``error`` event carrying the vendor's message.
    The optional expectations are checked when set: ``stop_reason`` of the
    final message, ``usage`` present (True) or absent (False), the number of
    ``tool_calls``, and a fragment the final ``text`` must contain.
    """

    name: str
    body: bytes
    status: int = 200
    stop_reason: str | None = None
    usage: bool | None = None
    tool_calls: int | None = None
    text: str | None = None

    def expect(self, **fields: Any) -> Recording:
        """A copy with expectations set: ``rec.expect(stop_reason="stop", usage=True)``."""
        return msgspec.structs.replace(self, **fields)

    @property
    def is_error(self) -> bool:
        return self.status >= 400

    def __repr__(self) -> str:
        return f"Recording({self.name!r}, {len(self.body)} bytes, status={self.status})"


def from_sse_files(directory: str | Path, pattern: str = "*.sse", **expect: Any) -> list[Recording]:
    """Every file matching ``pattern`` in ``directory``, as a 200 stream."""
    return [Recording(name=p.stem, body=p.read_bytes(), **expect) for p in sorted(Path(directory).glob(pattern))]


def from_cassettes(
    directory: str | Path, pattern: str = "*.yaml", *, streaming_only: bool = False, responses_only: bool = False
) -> list[Recording]:
    """The responses of vcrpy / pytest-recording cassettes in ``directory``.

    Each interaction becomes one recording named ``<cassette>[<n>]``. With
    ``streaming_only``, successful responses whose body is one JSON document
    (answers to non-streaming calls) are left out; HTTP errors are kept. With
    ``responses_only``, only those answers are kept (the contract suite's
    ``responses``, for ``parse_response``).
    """
    # vcrpy brings PyYAML; imported by name so that no stubs are needed.
    yaml: Any = importlib.import_module("yaml")
    out: list[Recording] = []
    for path in sorted(Path(directory).rglob(pattern)):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for n, interaction in enumerate(data.get("interactions", [])):
            response = interaction["response"]
            body = response.get("body", {}).get("string", b"")
            if isinstance(body, str):
                body = body.encode()
            status = int(response["status"]["code"])
            whole = status < 400 and body.lstrip()[:1] in (b"{", b"[")
            if (streaming_only and whole) or (responses_only and not whole):
                continue
            out.append(Recording(name=f"{path.stem}[{n}]", body=body, status=status))
    return out


def from_conformance(
    directory: str | Path, api: str, *, streaming_only: bool = True, responses_only: bool = False
) -> list[Recording]:
    """The shared conformance recordings of ``api`` (``anthropic-messages``,
    ``openai-chat``, ``bedrock-converse``...): SSE and AWS event streams and
    HTTP error bodies, or with ``responses_only`` the successful non-streamed
    JSON replies. Returns an empty list when ``directory`` is absent."""
    root = Path(directory)
    if not root.is_dir():
        return []
    out: list[Recording] = []
    for path in sorted(root.glob("*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        response = data["response"]
        if data.get("api") != api:
            continue
        is_stream = response["body_format"] in ("sse", "eventstream")
        if responses_only:
            if is_stream or response["status"] >= 400 or response["body_format"] != "json":
                continue
        elif streaming_only and not (is_stream or response["status"] >= 400):
            continue
        if response["body_format"] == "eventstream":  # binary AWS frames, stored base64
            body = base64.b64decode(response["body_base64"])
        else:
            body = response["body_text"].encode()
        out.append(Recording(name=path.stem, body=body, status=response["status"]))
    return out


def strings_in(body: bytes) -> Iterable[str]:
    """Every string in a JSON body (keys excluded), or the body as text."""
    try:
        data = msgspec.json.decode(body)
    except msgspec.DecodeError:
        yield body.decode("utf-8", "replace")
        return
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
