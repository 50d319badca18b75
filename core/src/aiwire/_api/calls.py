"""The public call functions: ``stream``, ``complete`` and their sync twins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwire._api.models import get_model
from aiwire._engine.call import Call, prepare
from aiwire._io.drivers import AssistantStream, SyncAssistantStream, acomplete, scomplete
from aiwire._plugins.registry import get_registry
from aiwire.types import AssistantMessage, Context, Model

__all__ = ["complete", "complete_sync", "stream", "stream_sync"]

ContextLike = Context | str | Mapping[str, Any]


def stream(model: Model | str, context: ContextLike, **options: Any) -> AssistantStream:
    """Start one assistant turn and stream its events.

    ``model`` is a :class:`~aiwire.Model` or ``"provider/model-id"``;
    ``context`` a :class:`~aiwire.Context` (or a prompt string). Setup
    problems (unknown model, missing key, bad options or tools) raise at once;
    everything after becomes events. See :class:`~aiwire._wire.codec.Options` for
    the options.
    """
    return AssistantStream(prepare(model, context, options))


async def complete(
    model: Model | str, context: ContextLike, *, check: bool = False, **options: Any
) -> AssistantMessage:
    """One assistant turn without streaming; returns the final message.

    A failed turn is returned with ``stop_reason`` error (its
    ``error_message`` says why); pass ``check=True`` to raise
    :class:`~aiwire.errors.ProviderError` instead. A provider that answers
    only streamed requests (``ProviderSpec.stream_only``) is streamed, and
    the stream's final message returned.
    """
    call, collect = _prepare_complete(model, context, options)
    msg = await (AssistantStream(call).result() if collect else acomplete(call))
    return msg.raise_for_error() if check else msg


def stream_sync(model: Model | str, context: ContextLike, **options: Any) -> SyncAssistantStream:
    """Blocking twin of :func:`stream`."""
    return SyncAssistantStream(prepare(model, context, options))


def complete_sync(model: Model | str, context: ContextLike, *, check: bool = False, **options: Any) -> AssistantMessage:
    """Blocking twin of :func:`complete`."""
    call, collect = _prepare_complete(model, context, options)
    msg = SyncAssistantStream(call).result() if collect else scomplete(call)
    return msg.raise_for_error() if check else msg


def _prepare_complete(model: Model | str, context: ContextLike, options: Mapping[str, Any]) -> tuple[Call, bool]:
    """The call for ``complete()``, and whether it must collect a stream: a
    provider declared ``stream_only`` answers only streamed requests."""
    m = get_model(model) if isinstance(model, str) else model
    spec = get_registry().providers.get(m.provider) if isinstance(m, Model) else None
    collect = spec is not None and spec.stream_only
    return prepare(m, context, options, stream=collect), collect
