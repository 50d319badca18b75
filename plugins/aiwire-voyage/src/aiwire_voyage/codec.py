"""The ``voyage-embeddings`` codec: Voyage AI's ``POST {base_url}/embeddings``.

Vectors are asked for as base64 little-endian float32 (``encoding_format:
"base64"``) and decoded straight into ``array('f')``; usage is
``usage.total_tokens``. Up to 1000 texts a request, and at most a per-model
token total (``compat["max_batch_tokens"]``: 120K to 1M). Sans-IO;
:func:`aiwire.embed` drives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from aiwire.errors import BadOptionsError
from aiwire.plugin import (
    BaseCodec,
    Credentials,
    EmbeddingBatch,
    EmbeddingOptions,
    ErrorInfo,
    Request,
    generic_error_info,
    make_usage,
    vector_from_base64,
    vector_from_floats,
)
from aiwire.types import Model

__all__ = ["VoyageEmbeddingsCodec"]


class _Item(msgspec.Struct):
    embedding: str | list[float]
    index: int = 0


class _Usage(msgspec.Struct):
    total_tokens: int = 0


class _Response(msgspec.Struct):
    data: list[_Item]
    model: str | None = None
    usage: _Usage | None = None


_decode = msgspec.json.Decoder(_Response)


class VoyageEmbeddingsCodec(BaseCodec):
    """Voyage AI text embeddings."""

    api = "voyage-embeddings"
    embedding_options = frozenset({"dimensions", "input_type", "truncate", "provider_options"})
    max_batch = 1000
    max_batch_tokens = 120_000  # the smallest per-request total of Voyage's models; the catalog raises it per model

    def build_embedding_request(
        self, model: Model, inputs: list[str], options: EmbeddingOptions, credentials: Credentials
    ) -> Request:
        kind = options.input_type
        if kind not in (None, "query", "document"):
            raise BadOptionsError(f"Voyage takes input_type query or document (or none), not {kind!r}, for {model.ref}")
        body: dict[str, Any] = {"model": model.id, "input": inputs, "encoding_format": "base64"}
        if kind is not None:
            body["input_type"] = kind
        if options.truncate is not None:
            body["truncation"] = options.truncate
        if options.dimensions is not None:
            body["output_dimension"] = options.dimensions
        body.update(options.provider_options or {})
        headers = {"content-type": "application/json"}
        if credentials.api_key:
            headers["authorization"] = f"Bearer {credentials.api_key}"
        return Request(url=f"{model.base_url}/embeddings", headers=headers, json=body)

    def parse_embedding_response(
        self, model: Model, options: EmbeddingOptions, body: bytes, count: int
    ) -> EmbeddingBatch:
        data = _decode.decode(body)
        items = sorted(data.data, key=lambda item: item.index)
        vectors = [
            vector_from_base64(i.embedding) if isinstance(i.embedding, str) else vector_from_floats(i.embedding)
            for i in items
        ]
        usage = make_usage(model, input=data.usage.total_tokens) if data.usage is not None else None
        return EmbeddingBatch(vectors=vectors, usage=usage)

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        # Voyage answers {"detail": "..."}
        return generic_error_info(status, body)
