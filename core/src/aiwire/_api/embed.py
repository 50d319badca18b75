"""Embeddings: the checks before a call, batching, and the public functions.

An embedding call is one or more :class:`~aiwire._engine.call.PreparedCall`
of kind ``embeddings``, one per batch of inputs (at most the model's batch
limit each). Each request is built by the codec's ``build_embedding_request``
and its body decoded by ``parse_embedding_response``; credentials, headers,
request hooks, the pooled HTTP clients, the retry policy and secret masking
are the chat ones, run by the same exchange engine. The async functions send
the batches concurrently (``max_concurrency`` at a time, 4 by default), the
blocking ones one after the other; either way the vectors come back in input
order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from aiwire._engine.call import PreparedCall, make_options
from aiwire._wire.codec import EMBEDDING_OPTIONS, EmbeddingBatch, EmbeddingOptions
from aiwire._wire.embedding import VectorFormat, check_inputs, convert_vectors, split_batches, sum_usage
from aiwire.errors import BadOptionsError
from aiwire.types import Context, EmbeddingResult, Model

if TYPE_CHECKING:
    from aiwire._api.client import AsyncClient, Client, _BaseClient
    from aiwire._plugins.registry import Registry

__all__ = ["embed", "embed_sync", "embedding_model", "plan_embedding"]

_CORE_OPTIONS = frozenset(
    {
        "api_key",
        "timeout",
        "max_retries",
        "max_retry_delay",
        "headers",
        "on_payload",
        "on_response",
        "on_retry",
        "transport",
    }
)
_CALL_OPTIONS = frozenset({"vector_format", "batch_size", "max_concurrency"})
_ALL = _CORE_OPTIONS | EMBEDDING_OPTIONS | _CALL_OPTIONS
_FROM_CLIENT = _ALL - {"provider_options"}
_DEFAULT = EmbeddingOptions()
_FORMATS = ("array", "bytes", "list")
DEFAULT_CONCURRENCY = 4


class _Plan(msgspec.Struct, kw_only=True):
    model: Model
    calls: list[PreparedCall]
    vector_format: VectorFormat
    concurrency: int


def _split(kwargs: Mapping[str, Any]) -> tuple[dict[str, Any], EmbeddingOptions, dict[str, Any]]:
    unknown = sorted(set(kwargs) - _ALL)
    if unknown:
        raise BadOptionsError(
            f"unknown embedding option(s) {', '.join(unknown)}; valid options are: {', '.join(sorted(_ALL))}. "
            "Put vendor-specific fields in provider_options={...}"
        )
    try:
        options = msgspec.convert({k: v for k, v in kwargs.items() if k in EMBEDDING_OPTIONS}, EmbeddingOptions)
    except msgspec.ValidationError as exc:
        raise BadOptionsError(f"bad embedding option: {exc}") from None
    local = {k: v for k, v in kwargs.items() if k in _CALL_OPTIONS}
    fmt = local.get("vector_format", "array")
    if fmt not in _FORMATS:
        raise BadOptionsError(f"vector_format={fmt!r}: use one of {', '.join(_FORMATS)}")
    for name in ("batch_size", "max_concurrency"):
        value = local.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise BadOptionsError(f"{name}={value!r}: pass an int >= 1 (or None for the default)")
    return {k: v for k, v in kwargs.items() if k in _CORE_OPTIONS}, options, local


def embedding_model(registry: Registry, model: Model) -> tuple[Model, Any]:
    """The model as its embeddings api sees it, and that api's codec.

    The api is ``compat["embedding_api"]``, else the model's own api when its
    codec embeds, else the ``embedding_api`` its chat codec names for models
    outside the catalog (any model id on an OpenAI-compatible local server).
    A catalog model that does not embed is refused, before any request."""
    known = registry.models.get((model.provider, model.id))
    if known is not None and "embedding" not in known.output:
        outputs = ", ".join(known.output) or "nothing"
        raise BadOptionsError(
            f"{model.ref} is not an embedding model (its output is {outputs}); pick one whose output is "
            "embedding (`aiwire models --embeddings` lists them)"
        )
    api = model.compat.get("embedding_api") or model.api
    codec = registry.codec(api)
    if not callable(getattr(codec, "build_embedding_request", None)):
        fallback = getattr(codec, "embedding_api", None)
        if not fallback:
            raise BadOptionsError(
                f"the {api} api of {model.ref} cannot embed; an embedding model names its api in "
                'compat["embedding_api"] (for example openai-embeddings)'
            )
        api, codec = fallback, registry.codec(fallback)
    if api != model.api:
        model = msgspec.structs.replace(model, api=api)
    return model, codec


def _check_options(model: Model, codec: Any, options: EmbeddingOptions) -> None:
    supported: frozenset[str] = getattr(codec, "embedding_options", frozenset())
    unsupported = sorted(n for n in EMBEDDING_OPTIONS - supported if getattr(options, n) != getattr(_DEFAULT, n))
    if unsupported:
        raise BadOptionsError(
            f"the {model.api} api does not support embedding option(s) {', '.join(unsupported)}; "
            "remove them, or pass vendor fields in provider_options"
        )
    dims = options.dimensions
    allowed = model.compat.get("dimension_options")
    if dims is not None and allowed is not None and dims not in allowed:
        raise BadOptionsError(
            f"{model.ref} makes vectors of {', '.join(map(str, allowed))} dimensions, not {dims}; pick one of those"
        )
    native = model.compat.get("dimensions")
    if dims is not None and allowed is None and isinstance(native, int) and dims > native:
        raise BadOptionsError(f"{model.ref} makes vectors of at most {native} dimensions; dimensions={dims} is more")


def plan_embedding(
    client: _BaseClient, model: Model | str, inputs: str | Sequence[str], options: Mapping[str, Any]
) -> _Plan:
    """Check everything and build every batch's request, before any I/O."""
    client._check_open()
    # A client's defaults are chat options too (temperature, provider_options meant for chat
    # bodies): embeddings take the ones only they know and the core ones.
    opts = {**{k: v for k, v in client.options.items() if k in _FROM_CLIENT}, **options}
    core, wire, local = _split(opts)
    reg = client.registry
    m, codec = embedding_model(reg, client._model(model))
    _check_options(m, codec, wire)
    texts = check_inputs(
        m, inputs, truncate=wire.truncate, can_truncate="truncate" in getattr(codec, "embedding_options", ())
    )
    limit = int(m.compat.get("max_batch") or getattr(codec, "max_batch", 0) or len(texts))
    size = min(local.get("batch_size") or limit, limit)
    max_tokens = int(m.compat.get("max_batch_tokens") or getattr(codec, "max_batch_tokens", 0) or 0)
    call_options = make_options(core)
    calls = [
        PreparedCall(
            reg,
            m,
            Context(),
            call_options,
            kind="embeddings",
            embedding_options=wire,
            inputs=batch,
            store=client.auth_store,
        )
        for batch in split_batches(texts, size, max_tokens)
    ]
    return _Plan(
        model=calls[0].model,
        calls=calls,
        vector_format=local.get("vector_format", "array"),
        concurrency=local.get("max_concurrency") or DEFAULT_CONCURRENCY,
    )


def join_results(plan: _Plan, results: Sequence[EmbeddingResult | None]) -> EmbeddingResult:
    """One result from the batches' (in input order); the first failure wins."""
    m = plan.model
    done = [r for r in results if r is not None]
    for r in done:
        if r.stop_reason != "stop":
            return msgspec.structs.replace(r, vectors=[], dimensions=0, requests=len(done))
    vectors = [v for r in done for v in r.vectors]
    usage = sum_usage(m, [EmbeddingBatch(vectors=[], usage=r.usage) for r in done])
    return EmbeddingResult(
        vectors=convert_vectors(vectors, plan.vector_format),
        dimensions=done[0].dimensions if done else 0,
        api=m.api,
        provider=m.provider,
        model=m.id,
        usage=usage,
        requests=len(done),
        provider_data=done[0].provider_data if len(done) == 1 else None,
    )


async def run_embed(
    client: AsyncClient, model: Model | str, inputs: str | Sequence[str], options: Mapping[str, Any]
) -> EmbeddingResult:
    """Send every batch, ``concurrency`` at a time; once one fails, the batches
    not yet started are skipped (those in flight finish)."""
    from aiwire._io.aio import _collect, _Run

    plan = plan_embedding(client, model, inputs, options)
    results: list[EmbeddingResult | None] = [None] * len(plan.calls)
    gate = asyncio.Semaphore(plan.concurrency)
    failed = False

    async def one(i: int, call: PreparedCall) -> None:
        nonlocal failed
        async with gate:
            if failed:
                return
            result = await _collect(_Run(call, client._pool, emit=False))
            assert isinstance(result, EmbeddingResult)
            results[i] = result
            failed = failed or result.stop_reason != "stop"

    if len(plan.calls) == 1:
        await one(0, plan.calls[0])
    else:
        await asyncio.gather(*(one(i, c) for i, c in enumerate(plan.calls)))
    return join_results(plan, results)


def run_embed_sync(
    client: Client, model: Model | str, inputs: str | Sequence[str], options: Mapping[str, Any]
) -> EmbeddingResult:
    """Send every batch in turn; stop at the first failure."""
    from aiwire._io.sync import _collect, _SyncRun

    plan = plan_embedding(client, model, inputs, options)
    results: list[EmbeddingResult | None] = []
    for call in plan.calls:
        result = _collect(_SyncRun(call, client._pool, emit=False))
        assert isinstance(result, EmbeddingResult)
        results.append(result)
        if result.stop_reason != "stop":
            break
    return join_results(plan, results)


async def embed(
    model: Model | str, inputs: str | Sequence[str], *, check: bool = True, **options: Any
) -> EmbeddingResult:
    """Embed one text or a list of texts; one vector per input, in order.

    Options: ``dimensions``, ``input_type`` (``query``, ``document``,
    ``classification``, ``clustering``, ``similarity``), ``truncate``,
    ``provider_options`` (see :class:`~aiwire.plugin.EmbeddingOptions`;
    an option the model's api does not take raises at once);
    ``vector_format`` (``"array"``: ``array('f')`` per vector, the default;
    ``"bytes"``: little-endian float32; ``"list"``: lists of floats);
    ``batch_size`` (at most the model's limit) and ``max_concurrency``
    (batches in flight, 4 by default); plus the core ones: ``api_key``,
    ``headers``, ``timeout``, ``max_retries``, ``max_retry_delay``,
    ``on_payload``, ``on_response``, ``on_retry``, ``transport``.

    Empty inputs, an input over the model's limit and a model that does not
    embed raise before any request. A failed request raises
    :class:`~aiwire.errors.ProviderError`; with ``check=False`` it is
    returned as a result with ``stop_reason`` error instead.
    """
    from aiwire._api.client import default_client

    return await default_client().embed(model, inputs, check=check, **options)


def embed_sync(
    model: Model | str, inputs: str | Sequence[str], *, check: bool = True, **options: Any
) -> EmbeddingResult:
    """Blocking twin of :func:`embed` (its batches are sent one after another)."""
    from aiwire._api.client import default_client

    return default_client().blocking.embed(model, inputs, check=check, **options)
