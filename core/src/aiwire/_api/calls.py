"""The module-level call functions: ``stream``, ``complete`` and their sync
twins, on the default :class:`~aiwire.AsyncClient` (created on first use)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiwire._api.client import default_client
from aiwire._io.aio import AssistantStream
from aiwire.types import AssistantMessage, Context, Model

if TYPE_CHECKING:
    from aiwire._io.sync import AbortHandle, SyncAssistantStream

__all__ = ["complete", "complete_sync", "stream", "stream_sync"]

ContextLike = Context | str | Mapping[str, Any]


def stream(model: Model | str, context: ContextLike, **options: Any) -> AssistantStream:
    """Start one assistant turn and stream its events.

    ``model`` is a :class:`~aiwire.Model` or ``"provider/model-id"``;
    ``context`` a :class:`~aiwire.Context` (or a prompt string). Setup
    problems (unknown model, missing key, bad options or tools) raise at once;
    everything after becomes events. See :class:`~aiwire.Options` for the
    options.
    """
    return default_client().stream(model, context, **options)


async def complete(
    model: Model | str, context: ContextLike, *, check: bool = False, **options: Any
) -> AssistantMessage:
    """One assistant turn without streaming; returns the final message.

    A failed turn is returned with ``stop_reason`` error (its
    ``error_message`` says why); pass ``check=True`` to raise
    :class:`~aiwire.errors.ProviderError` instead. A stream-only host is
    streamed and collected.
    """
    return await default_client().complete(model, context, check=check, **options)


def stream_sync(model: Model | str, context: ContextLike, **options: Any) -> SyncAssistantStream:
    """Blocking twin of :func:`stream`."""
    return default_client().blocking.stream(model, context, **options)


def complete_sync(
    model: Model | str,
    context: ContextLike,
    *,
    check: bool = False,
    abort: AbortHandle | None = None,
    **options: Any,
) -> AssistantMessage:
    """Blocking twin of :func:`complete`. ``abort``: an
    :class:`~aiwire.AbortHandle` whose ``abort()``, from another thread, ends
    the call at once (``stop_reason == "aborted"``)."""
    return default_client().blocking.complete(model, context, check=check, abort=abort, **options)
