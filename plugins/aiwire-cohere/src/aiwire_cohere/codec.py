"""The ``cohere-embed`` codec: Cohere's Embed API v2 (``POST {base_url}/v2/embed``).

Request: ``{model, texts, input_type, embedding_types: ["float"], truncate,
output_dimension}``; response: ``embeddings.float`` (one list per text) and
``meta.billed_units.input_tokens``. Cohere's v3 and later models need an
``input_type``; aiwire sends ``search_document`` when the call names none.
Sans-IO; :func:`aiwire.embed` drives it.
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
    vector_from_floats,
)
from aiwire.types import Model

__all__ = ["DEFAULT_INPUT_TYPE", "INPUT_TYPES", "CohereEmbedCodec"]

INPUT_TYPES = {
    "query": "search_query",
    "document": "search_document",
    "classification": "classification",
    "clustering": "clustering",
}
DEFAULT_INPUT_TYPE = "search_document"


class _ByType(msgspec.Struct):
    floats: list[list[float]] | None = msgspec.field(default=None, name="float")


class _Billed(msgspec.Struct):
    input_tokens: float | None = None


class _Meta(msgspec.Struct):
    billed_units: _Billed | None = None


class _Response(msgspec.Struct):
    embeddings: _ByType | list[list[float]]
    id: str | None = None
    meta: _Meta | None = None


_decode = msgspec.json.Decoder(_Response)


class CohereEmbedCodec(BaseCodec):
    """Cohere's ``/v2/embed``: float vectors, billed input tokens."""

    api = "cohere-embed"
    embedding_options = frozenset({"dimensions", "input_type", "truncate", "provider_options"})
    max_batch = 96  # texts per call

    def build_embedding_request(
        self, model: Model, inputs: list[str], options: EmbeddingOptions, credentials: Credentials
    ) -> Request:
        kind = options.input_type
        if kind is not None and kind not in INPUT_TYPES:
            raise BadOptionsError(
                f"Cohere has no input_type {kind!r}; use one of {', '.join(INPUT_TYPES)} for {model.ref}"
            )
        body: dict[str, Any] = {
            "model": model.id,
            "texts": inputs,
            "input_type": INPUT_TYPES[kind] if kind else DEFAULT_INPUT_TYPE,
            "embedding_types": ["float"],
        }
        if options.truncate is not None:
            body["truncate"] = "END" if options.truncate else "NONE"
        if options.dimensions is not None:
            body["output_dimension"] = options.dimensions
        body.update(options.provider_options or {})
        headers = {"content-type": "application/json", "accept": "application/json"}
        if credentials.api_key:
            headers["authorization"] = f"Bearer {credentials.api_key}"
        return Request(url=f"{model.base_url}/v2/embed", headers=headers, json=body)

    def parse_embedding_response(
        self, model: Model, options: EmbeddingOptions, body: bytes, count: int
    ) -> EmbeddingBatch:
        data = _decode.decode(body)
        rows = data.embeddings if isinstance(data.embeddings, list) else data.embeddings.floats
        if rows is None:
            raise ValueError("the response has no float embeddings (embedding_types must include 'float')")
        billed = data.meta.billed_units if data.meta is not None else None
        tokens = billed.input_tokens if billed is not None else None
        usage = make_usage(model, input=int(tokens)) if tokens is not None else None
        return EmbeddingBatch(vectors=[vector_from_floats(r) for r in rows], usage=usage, id=data.id)

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        # Cohere answers {"id": ..., "message": ...}
        return generic_error_info(status, body)
