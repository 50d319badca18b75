"""Embeddings: the ``openai-embeddings`` api (``POST {base_url}/embeddings``).

OpenAI, Azure and the OpenAI-compatible servers (vLLM, Ollama, llama.cpp,
LM Studio, Mistral, Together...) speak it. Vectors are asked for as base64
little-endian float32 (``encoding_format: "base64"``) where the host is known
to take it (``compat["embeddings_base64"]``, on for OpenAI and Azure) and
decoded straight into ``array('f')``; a host that answers lists of floats
anyway is read the same way. :func:`aiwire.embed` drives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from aiwire.plugin import (
    BaseCodec,
    Credentials,
    EmbeddingBatch,
    EmbeddingOptions,
    ErrorInfo,
    Request,
    make_usage,
    vector_from_base64,
    vector_from_floats,
)
from aiwire.types import Model

from ._common import AZURE_OPTION_KEYS, auth_headers, endpoint, error_info
from .compat import resolve_compat

__all__ = ["OpenAIEmbeddingsCodec"]


class _Item(msgspec.Struct):
    embedding: str | list[float]
    index: int = 0


class _Usage(msgspec.Struct):
    prompt_tokens: int = 0
    total_tokens: int = 0


class _Response(msgspec.Struct):
    data: list[_Item]
    model: str | None = None
    usage: _Usage | None = None


_decode = msgspec.json.Decoder(_Response)


class OpenAIEmbeddingsCodec(BaseCodec):
    """``POST {base_url}/embeddings`` with ``input`` as a list of strings."""

    api = "openai-embeddings"
    embedding_options = frozenset({"dimensions", "provider_options"})
    max_batch = 2048
    max_batch_tokens = 300_000  # OpenAI's cap on the tokens of one request, summed over its inputs

    def build_embedding_request(
        self, model: Model, inputs: list[str], options: EmbeddingOptions, credentials: Credentials
    ) -> Request:
        compat = resolve_compat(model.provider, model.compat)
        raw = options.provider_options or {}
        own = {k: v for k, v in raw.items() if k in AZURE_OPTION_KEYS}
        url, name = endpoint(model, compat, own, "/embeddings")
        body: dict[str, Any] = {"model": name, "input": inputs}
        if model.compat.get("embeddings_base64", compat.embeddings_base64):
            body["encoding_format"] = "base64"
        if options.dimensions is not None:
            body["dimensions"] = options.dimensions
        body.update({k: v for k, v in raw.items() if k not in AZURE_OPTION_KEYS})
        return Request(url=url, headers=auth_headers(compat, credentials, stream=False), json=body)

    def parse_embedding_response(
        self, model: Model, options: EmbeddingOptions, body: bytes, count: int
    ) -> EmbeddingBatch:
        data = _decode.decode(body)
        items = sorted(data.data, key=lambda item: item.index)
        vectors = [
            vector_from_base64(item.embedding)
            if isinstance(item.embedding, str)
            else vector_from_floats(item.embedding)
            for item in items
        ]
        usage = make_usage(model, input=data.usage.prompt_tokens) if data.usage is not None else None
        return EmbeddingBatch(vectors=vectors, usage=usage, provider_data={"model": data.model} if data.model else None)

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        return error_info(status, body)
