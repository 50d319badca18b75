"""The public call functions: ``stream``, ``complete`` and their sync twins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiwire._engine.call import prepare
from aiwire._io.drivers import AssistantStream, SyncAssistantStream, acomplete, scomplete
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
    :class:`~aiwire.errors.ProviderError` instead.
    """
    msg = await acomplete(prepare(model, context, options, stream=False))
    return msg.raise_for_error() if check else msg


def stream_sync(model: Model | str, context: ContextLike, **options: Any) -> SyncAssistantStream:
    """Blocking twin of :func:`stream`."""
    return SyncAssistantStream(prepare(model, context, options))


def complete_sync(model: Model | str, context: ContextLike, *, check: bool = False, **options: Any) -> AssistantMessage:
    """Blocking twin of :func:`complete`."""
    msg = scomplete(prepare(model, context, options, stream=False))
    return msg.raise_for_error() if check else msg
