"""Embeddings without I/O: checking inputs, splitting them into batches,
converting vectors, and joining the batches' results into one.

Vectors travel as ``array('f')`` (float32, 4 bytes a value) from the codec to
the caller; ``bytes`` and lists of floats are made from them only when asked.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence
from typing import Any, Literal

from aiwire._wire.codec import EmbeddingBatch
from aiwire._wire.cost import compute_cost
from aiwire.errors import InvalidInputError
from aiwire.types import Model, Usage

__all__ = [
    "BYTES_PER_TOKEN",
    "VectorFormat",
    "check_inputs",
    "convert_vectors",
    "estimate_tokens",
    "split_batches",
    "sum_usage",
]

VectorFormat = Literal["array", "bytes", "list"]

BYTES_PER_TOKEN = 4
"""aiwire has no tokenizer: an input's size is estimated as one token per
this many UTF-8 bytes (the usual rule for the BPE tokenizers of embedding
models; it overestimates only very repetitive text)."""

_BIG_ENDIAN = sys.byteorder == "big"


def estimate_tokens(text: str) -> int:
    """The estimated token count of ``text`` (see :data:`BYTES_PER_TOKEN`)."""
    return -(-len(text.encode("utf-8", "surrogatepass")) // BYTES_PER_TOKEN)


def check_inputs(
    model: Model, inputs: object, *, truncate: bool | None = None, can_truncate: bool = False
) -> list[str]:
    """The inputs as a list of non-empty strings, each within the model's
    input limit (``model.context_window`` tokens, estimated) unless the
    provider is asked to ``truncate``; anything else raises
    :class:`~aiwire.errors.InvalidInputError` naming the input and the fix."""
    if isinstance(inputs, str):
        items: list[Any] = [inputs]
    elif isinstance(inputs, Sequence) and not isinstance(inputs, (bytes, bytearray)):
        items = list(inputs)
    else:
        raise InvalidInputError(
            f"inputs must be a str or a list of str, not {type(inputs).__name__}; "
            'pass embed(model, ["first text", "second text"])'
        )
    if not items:
        raise InvalidInputError("inputs is empty: pass at least one text to embed")
    limit = model.context_window
    for n, text in enumerate(items):
        if not isinstance(text, str):
            raise InvalidInputError(f"inputs[{n}] is not a str but {type(text).__name__}; embed texts only")
        if not text.strip():
            raise InvalidInputError(f"inputs[{n}] is empty; providers refuse empty texts: drop it or put text in it")
        if limit and not truncate:
            tokens = estimate_tokens(text)
            if tokens > limit:
                raise InvalidInputError(
                    f"inputs[{n}] is about {tokens} tokens ({len(text)} characters), over the {limit}-token input "
                    f"limit of {model.ref}; split it into smaller pieces"
                    + (", or pass truncate=True to let the provider cut it" if can_truncate else "")
                )
    return items


def split_batches(inputs: list[str], size: int, max_tokens: int = 0) -> list[list[str]]:
    """``inputs`` in consecutive batches of at most ``size`` inputs and (when
    ``max_tokens`` is set) at most that many estimated tokens, order kept."""
    if not max_tokens:
        return [inputs[i : i + size] for i in range(0, len(inputs), size)]
    out: list[list[str]] = []
    batch: list[str] = []
    tokens = 0
    for text in inputs:
        n = estimate_tokens(text)
        if batch and (len(batch) >= size or tokens + n > max_tokens):
            out.append(batch)
            batch, tokens = [], 0
        batch.append(text)
        tokens += n
    if batch:
        out.append(batch)
    return out


def sum_usage(model: Model, batches: Sequence[EmbeddingBatch]) -> Usage | None:
    """The usage of every batch added up, cost recomputed from the total
    (``None`` when no batch reported usage)."""
    reported = [b.usage for b in batches if b.usage is not None]
    if not reported:
        return None
    u = Usage(
        input=sum(r.input for r in reported),
        output=sum(r.output for r in reported),
        cache_read=sum(r.cache_read for r in reported),
        cache_write=sum(r.cache_write for r in reported),
    )
    u.total = u.input + u.output + u.cache_read + u.cache_write
    u.cost = compute_cost(model, u)
    provider_total = sum(r.cost.total for r in reported)
    if provider_total and not u.cost.total:  # the provider priced it; the catalog did not
        u.cost.total = provider_total
    return u


def _as_array(vector: Any) -> array[float]:
    if isinstance(vector, array) and vector.typecode == "f":
        return vector
    if isinstance(vector, (bytes, bytearray, memoryview)):
        out = array("f")
        out.frombytes(bytes(vector))
        if _BIG_ENDIAN:
            out.byteswap()
        return out
    return array("f", vector)


def _to_bytes(vector: array[float]) -> bytes:
    if _BIG_ENDIAN:
        vector = array("f", vector)
        vector.byteswap()
    return vector.tobytes()


def convert_vectors(vectors: list[Any], fmt: VectorFormat) -> list[Any]:
    """Vectors from a codec in the caller's ``vector_format``."""
    arrays = [_as_array(v) for v in vectors]
    if fmt == "array":
        return arrays
    if fmt == "bytes":
        return [_to_bytes(v) for v in arrays]
    return [v.tolist() for v in arrays]
