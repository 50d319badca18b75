"""A faux provider whose replies a test scripts in advance."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from aiwire._demo.faux import FauxReply, FauxTransport
from aiwire._plugins import registry as _plugins
from aiwire._plugins.hooks import ProviderSpec, hookimpl
from aiwire.types import ImageContent, Model, ModelCost, TextContent, ThinkingContent, ToolCall, Usage

__all__ = ["FauxProvider", "error", "image", "text", "thinking", "tool_call"]

_ids = itertools.count(1)


def text(value: str) -> TextContent:
    """A text block for a faux reply."""
    return TextContent(text=value)


def thinking(value: str, *, signature: str | None = None, redacted: bool = False) -> ThinkingContent:
    """A thinking block for a faux reply (optionally signed or redacted)."""
    return ThinkingContent(thinking=value, signature=signature, redacted=redacted)


def tool_call(name: str, arguments: dict[str, Any] | None = None, *, id: str | None = None) -> ToolCall:
    """A tool call for a faux reply; the id is generated unless given."""
    return ToolCall(id=id or f"faux_call_{next(_ids)}", name=name, arguments=arguments or {})


def image(data: bytes | str = b"\x89PNG faux", mime_type: str = "image/png") -> ImageContent:
    """An image block; ``data`` is raw bytes (encoded here) or base64 text."""
    import base64

    b64 = data if isinstance(data, str) else base64.b64encode(data).decode()
    return ImageContent(data=b64, mime_type=mime_type)


def error(message: str, *, status: int = 200, error_type: str | None = None) -> FauxReply:
    """A reply that fails: an HTTP error when ``status`` is not 200, else an
    in-stream error event."""
    return FauxReply(status=status, error=message, error_type=error_type)


class FauxProvider:
    """Registers a provider (default id ``faux``) answering from a script.

    Each :meth:`reply` queues one assistant turn; a call with nothing queued
    ends in an error event that says so. ``requests`` records what was sent.
    Use it as a context manager (or call :meth:`close`) to unregister it.
    """

    def __init__(
        self,
        provider: str = "faux",
        *,
        model_id: str = "faux-1",
        reasoning: bool = True,
        input: tuple[str, ...] = ("text", "image"),
        output: tuple[str, ...] = ("text",),
        cost: ModelCost | None = None,
        context_window: int = 128_000,
        max_tokens: int = 8192,
    ) -> None:
        self.provider = provider
        self.queue: deque[FauxReply | Callable[[Mapping[str, Any]], FauxReply]] = deque()
        self.transport = FauxTransport(self._respond)
        self.model = Model(
            id=model_id,
            provider=provider,
            api="faux",
            base_url=f"http://{provider}.aiwire.invalid",
            reasoning=reasoning,
            input=input,
            output=output,
            cost=cost or ModelCost(input=1.0, output=2.0, cache_read=0.1, cache_write=1.25),
            context_window=context_window,
            max_tokens=max_tokens,
        )
        self._plugin = _FauxPlugin(self)
        self._name = f"aiwire-faux-{provider}"
        _plugins.register_plugin(self._plugin, self._name)

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.transport.requests

    def reply(
        self,
        *content: TextContent
        | ThinkingContent
        | ToolCall
        | ImageContent
        | FauxReply
        | Callable[[Mapping[str, Any]], FauxReply],
        usage: Usage | None = None,
        **settings: Any,
    ) -> FauxProvider:
        """Queue one turn made of ``content`` blocks (or a ready FauxReply, or a
        function of the request body returning one). ``settings`` are
        :class:`~aiwire._demo.faux.FauxReply` fields: chunk_size, byte_chunk, delay,
        stop_reason, truncate, status, error... Image blocks answer an image
        generation (the model needs ``output=("text", "image")``). An
        embeddings request takes a reply's ``vectors=[[...], ...]`` setting;
        with nothing queued it gets deterministic demo vectors."""
        if len(content) == 1 and (isinstance(content[0], FauxReply) or callable(content[0])):
            self.queue.append(content[0])
            return self
        blocks = [c for c in content if isinstance(c, (TextContent, ThinkingContent, ToolCall))]
        if usage is None:
            out = sum(len(_block_text(b)) for b in blocks) // 4
            usage = Usage(input=10, output=max(1, out))
        images = [c for c in content if isinstance(c, ImageContent)]
        self.queue.append(FauxReply(content=blocks, images=images, usage=usage, **settings))
        return self

    def _respond(self, body: Mapping[str, Any]) -> FauxReply:
        if not self.queue and body.get("kind") == "embeddings":  # unscripted: the demo vectors
            return FauxReply(usage=Usage(input=sum(max(1, len(t) // 4) for t in body.get("inputs", []))))
        if not self.queue:
            return FauxReply(error="the faux provider has no scripted reply left; call faux.reply(...) first")
        item = self.queue.popleft()
        return item if isinstance(item, FauxReply) else item(body)

    def close(self) -> None:
        """Unregister the faux provider (``with FauxProvider(...)`` does it on exit)."""
        _plugins.unregister_plugin(self._name)

    def __enter__(self) -> FauxProvider:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _block_text(block: TextContent | ThinkingContent | ToolCall) -> str:
    if isinstance(block, TextContent):
        return block.text
    if isinstance(block, ThinkingContent):
        return block.thinking
    return block.name + str(block.arguments)


class _FauxPlugin:
    AIWIRE_PLUGIN_API = 2

    def __init__(self, owner: FauxProvider) -> None:
        self.owner = owner

    @hookimpl
    def register_providers(self, register: Any) -> None:
        o = self.owner
        register(ProviderSpec(id=o.provider, api="faux", base_url=o.model.base_url, auth="none", transport=o.transport))

    @hookimpl
    def register_models(self, register: Any) -> None:
        register([self.owner.model])
