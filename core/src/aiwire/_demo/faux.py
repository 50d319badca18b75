"""The ``faux`` api: a tiny SSE wire protocol served by an in-process transport.

It goes through exactly the path a real provider does (request building, HTTP
via httpx, SSE framing, decoding, hooks), with the server replaced by an httpx
transport. The offline ``demo`` provider and :mod:`aiwire.testing` use it.

Wire format, one JSON object per SSE ``data:`` line::

    {"type": "block_start", "index": 0, "block": "text"}          (or thinking,
    {"type": "block_delta", "index": 0, "delta": "Hel"}            tool_call with
    {"type": "block_end", "index": 0}                              id and name)
    {"type": "usage", "input": 10, "output": 3}
    {"type": "end", "stop_reason": "stop"}
    {"type": "error", "message": "...", "error_type": "overloaded"}

Image generation (``POST /images``, ``"kind": "images"``) answers with one
JSON object: ``{"images": [...], "content": [...], "usage": {...}, "error": ...}``;
embeddings (``POST /embeddings``, ``"kind": "embeddings"``, ``"inputs": [...]``)
with ``{"vectors": [[...], ...], "usage": {...}}`` (the demo vectors of
:mod:`aiwire._demo.embed` unless a reply scripts its own).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Literal

import httpx
import msgspec

from aiwire._wire.codec import (
    CODEC_OPTIONS,
    EMBEDDING_OPTIONS,
    IMAGE_OPTIONS,
    BaseCodec,
    Credentials,
    EmbeddingBatch,
    EmbeddingOptions,
    ImageOptions,
    Options,
    Request,
    StreamDecoder,
    make_usage,
    vector_from_floats,
)
from aiwire.types import (
    AssistantContent,
    AssistantMessage,
    Context,
    ImageContent,
    ImageResult,
    Model,
    TextContent,
    ThinkingContent,
    ToolCall,
    Usage,
)

__all__ = ["FauxCodec", "FauxReply", "FauxTransport", "encode_reply"]


class FauxReply(msgspec.Struct, kw_only=True):
    """One scripted assistant turn.

    ``content`` blocks are streamed in order; ``chunk_size`` splits each text
    into deltas of that many characters, ``byte_chunk`` splits the HTTP body
    (0 = one event per chunk), ``delay`` sleeps between HTTP chunks.
    ``status`` other than 200 answers with an error body instead of a stream;
    ``error`` ends the stream with an in-stream error after the content;
    ``truncate`` ends the body without an end event. ``images`` answer an
    image generation request, ``vectors`` an embeddings request.
    """

    content: list[TextContent | ThinkingContent | ToolCall] = msgspec.field(default_factory=list)
    images: list[ImageContent] = msgspec.field(default_factory=list)
    stop_reason: Literal["stop", "length", "tool_use"] | None = None
    usage: Usage | None = None
    chunk_size: int = 4
    byte_chunk: int = 0
    delay: float = 0.0
    status: int = 200
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    error: str | None = None
    error_type: str | None = None
    truncate: bool = False
    vectors: list[list[float]] | None = None


_enc = msgspec.json.Encoder()


def _sse(obj: Any) -> bytes:
    return b"data: " + _enc.encode(obj) + b"\n\n"


def _split(text: str, size: int) -> list[str]:
    if size <= 0 or len(text) <= size:
        return [text] if text else []
    return [text[i : i + size] for i in range(0, len(text), size)]


def encode_reply(reply: FauxReply) -> list[bytes]:
    """The SSE events of ``reply``, one ``bytes`` per event."""
    out: list[bytes] = []
    for i, block in enumerate(reply.content):
        if isinstance(block, TextContent):
            out.append(_sse({"type": "block_start", "index": i, "block": "text"}))
            pieces = _split(block.text, reply.chunk_size)
        elif isinstance(block, ThinkingContent):
            start: dict[str, Any] = {"type": "block_start", "index": i, "block": "thinking"}
            if block.signature:
                start["signature"] = block.signature
            if block.redacted:
                start["redacted"] = True
            out.append(_sse(start))
            pieces = _split(block.thinking, reply.chunk_size)
        else:
            out.append(
                _sse({"type": "block_start", "index": i, "block": "tool_call", "id": block.id, "name": block.name})
            )
            pieces = _split(_enc.encode(block.arguments).decode(), reply.chunk_size)
        out.extend(_sse({"type": "block_delta", "index": i, "delta": piece}) for piece in pieces)
        out.append(_sse({"type": "block_end", "index": i}))
    if reply.usage is not None:
        u = reply.usage
        out.append(
            _sse(
                {
                    "type": "usage",
                    "input": u.input,
                    "output": u.output,
                    "cache_read": u.cache_read,
                    "cache_write": u.cache_write,
                }
            )
        )
    if reply.truncate:
        return out
    if reply.error is not None:
        out.append(_sse({"type": "error", "message": reply.error, "error_type": reply.error_type}))
        return out
    stop = reply.stop_reason or ("tool_use" if any(isinstance(b, ToolCall) for b in reply.content) else "stop")
    out.append(_sse({"type": "end", "stop_reason": stop}))
    return out


def _rechunk(events: list[bytes], size: int) -> list[bytes]:
    if size <= 0:
        return events
    body = b"".join(events)
    return [body[i : i + size] for i in range(0, len(body), size)]


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes], delay: float) -> None:
        self._chunks = chunks
        self._delay = delay

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            if self._delay:
                await asyncio.sleep(self._delay)
            yield chunk


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes], delay: float) -> None:
        self._chunks = chunks
        self._delay = delay

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            if self._delay:
                time.sleep(self._delay)
            yield chunk


Responder = Callable[[Mapping[str, Any]], FauxReply]


class FauxTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """An httpx transport (sync and async) that answers faux requests with
    the :class:`FauxReply` that ``responder(request_json)`` returns."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.requests: list[dict[str, Any]] = []

    def _reply(self, request: httpx.Request) -> tuple[FauxReply, list[bytes], dict[str, str]]:
        body = msgspec.json.decode(request.content) if request.content else {}
        self.requests.append({"url": str(request.url), "headers": dict(request.headers), "json": body})
        reply = self.responder(body)
        if body.get("kind") == "embeddings" and reply.vectors is None:
            from aiwire._demo.embed import demo_vectors

            inputs = body.get("inputs", [])
            reply = msgspec.structs.replace(reply, vectors=demo_vectors(inputs, body["options"].get("dimensions")))
        headers = {"content-type": "text/event-stream", **reply.headers}
        if reply.status != 200:
            err = {
                "error": {"type": reply.error_type or "faux_error", "message": reply.error or f"HTTP {reply.status}"}
            }
            return reply, [_enc.encode(err)], {**reply.headers, "content-type": "application/json"}
        if not body.get("stream", True):
            return reply, [_enc.encode(_whole(reply))], {**reply.headers, "content-type": "application/json"}
        return reply, _rechunk(encode_reply(reply), reply.byte_chunk), headers

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        reply, chunks, headers = self._reply(request)
        return httpx.Response(reply.status, headers=headers, stream=_AsyncBody(chunks, reply.delay))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply, chunks, headers = self._reply(request)
        return httpx.Response(reply.status, headers=headers, stream=_SyncBody(chunks, reply.delay))


def _whole(reply: FauxReply) -> dict[str, Any]:
    stop = reply.stop_reason or ("tool_use" if any(isinstance(b, ToolCall) for b in reply.content) else "stop")
    return {
        "content": msgspec.to_builtins(reply.content),
        "stop_reason": stop,
        "usage": msgspec.to_builtins(reply.usage) if reply.usage else None,
        "error": reply.error,
        "error_type": reply.error_type,
        "images": msgspec.to_builtins(reply.images),
        "vectors": reply.vectors,
    }


class FauxDecoder(StreamDecoder):
    def __init__(self, model: Model, options: Options | None = None) -> None:
        super().__init__(model, options)
        self._index: dict[int, int] = {}

    def feed(self, event: str, data: bytes) -> None:
        ev = msgspec.json.decode(data)
        kind = ev["type"]
        if kind == "block_delta":
            i = self._index[ev["index"]]
            block = self.block(i)
            if isinstance(block, TextContent):
                self.add_text(i, ev["delta"])
            elif isinstance(block, ThinkingContent):
                self.add_thinking(i, ev["delta"])
            else:
                self.add_tool_arguments(i, ev["delta"])
        elif kind == "block_start":
            b = ev["block"]
            if b == "text":
                i = self.open_text()
            elif b == "thinking":
                i = self.open_thinking(signature=ev.get("signature"), redacted=ev.get("redacted", False))
            else:
                i = self.open_tool_call(ev["id"], ev["name"])
            self._index[ev["index"]] = i
        elif kind == "block_end":
            self.close_block(self._index[ev["index"]])
        elif kind == "usage":
            self.set_usage(
                input=ev["input"],
                output=ev["output"],
                cache_read=ev.get("cache_read", 0),
                cache_write=ev.get("cache_write", 0),
            )
        elif kind == "end":
            self.finish(ev["stop_reason"])
        elif kind == "error":
            self.fail(ev["message"], error_type=ev.get("error_type"))


def _headers(credentials: Credentials) -> dict[str, str]:
    headers = {"content-type": "application/json"}
    if credentials.api_key:
        headers["authorization"] = f"Bearer {credentials.api_key}"
    return headers


class FauxCodec(BaseCodec):
    """Codec of the ``faux`` api. The request body carries the whole context."""

    api = "faux"
    supported_options = CODEC_OPTIONS  # every option is echoed into the request body
    image_options = IMAGE_OPTIONS
    embedding_options = EMBEDDING_OPTIONS
    max_batch = 2048

    def build_request(
        self, model: Model, context: Context, options: Options, credentials: Credentials, *, stream: bool = True
    ) -> Request:
        body: dict[str, Any] = {
            "model": model.id,
            "stream": stream,
            # A tool result's details are the application's, anything at all: sent as their repr.
            "context": msgspec.to_builtins(context, enc_hook=repr),
            "options": msgspec.to_builtins(
                {k: v for k in sorted(self.supported_options) if (v := getattr(options, k)) is not None}
            ),
        }
        if options.provider_options:
            body.update(options.provider_options)
        return Request(url=f"{model.base_url}/stream", headers=_headers(credentials), json=body)

    def decoder(self, model: Model, options: Options) -> StreamDecoder:
        return FauxDecoder(model, options)

    def structured_output(self, model: Model, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
        """Native JSON output, unless the model sets ``compat={"structured_output": False}``."""
        if model.compat.get("structured_output") is False:
            return None
        return {"output_format": {"name": name, "schema": schema}}

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        data = msgspec.json.decode(body)
        content = msgspec.convert(data["content"], list[AssistantContent])
        msg = AssistantMessage(content=content, api=model.api, provider=model.provider, model=model.id)
        msg.stop_reason = data["stop_reason"]
        if data.get("usage"):
            dec = FauxDecoder(model, options)
            dec.message = msg
            u = data["usage"]
            dec.set_usage(
                input=u.get("input", 0),
                output=u.get("output", 0),
                cache_read=u.get("cache_read", 0),
                cache_write=u.get("cache_write", 0),
            )
        if data.get("error"):
            msg.stop_reason = "error"
            msg.error_message = data["error"]
        return msg

    def build_image_request(
        self, model: Model, context: Context, options: ImageOptions, credentials: Credentials
    ) -> Request:
        body: dict[str, Any] = {
            "model": model.id,
            "kind": "images",
            "stream": False,
            # A tool result's details are the application's, anything at all: sent as their repr.
            "context": msgspec.to_builtins(context, enc_hook=repr),
            "options": {
                k: v for k, v in msgspec.to_builtins(options).items() if v is not None and k != "provider_options"
            },
        }
        if options.provider_options:
            body.update(options.provider_options)
        return Request(url=f"{model.base_url}/images", headers=_headers(credentials), json=body)

    def parse_image_response(self, model: Model, options: ImageOptions, body: bytes) -> ImageResult:
        data = msgspec.json.decode(body)
        text = "".join(b.get("text", "") for b in data.get("content") or () if b.get("type") == "text")
        result = ImageResult(
            images=msgspec.convert(data.get("images") or [], list[ImageContent]),
            text=text,
            api=model.api,
            provider=model.provider,
            model=model.id,
        )
        u = data.get("usage")
        if u:
            result.usage = make_usage(model, input=u.get("input", 0), output=u.get("output", 0))
        if data.get("error"):
            result.stop_reason = "error"
            result.error_message = data["error"]
            result.error_type = data.get("error_type")
        return result

    def build_embedding_request(
        self, model: Model, inputs: list[str], options: EmbeddingOptions, credentials: Credentials
    ) -> Request:
        body: dict[str, Any] = {
            "model": model.id,
            "kind": "embeddings",
            "stream": False,
            "inputs": inputs,
            "options": {
                k: v for k, v in msgspec.to_builtins(options).items() if v is not None and k != "provider_options"
            },
        }
        if options.provider_options:
            body.update(options.provider_options)
        return Request(url=f"{model.base_url}/embeddings", headers=_headers(credentials), json=body)

    def parse_embedding_response(
        self, model: Model, options: EmbeddingOptions, body: bytes, count: int
    ) -> EmbeddingBatch:
        data = msgspec.json.decode(body)
        if data.get("error"):
            raise ValueError(data["error"])
        u = data.get("usage")
        usage = make_usage(model, input=u.get("input", 0)) if u else None
        return EmbeddingBatch(vectors=[vector_from_floats(v) for v in data["vectors"]], usage=usage)
