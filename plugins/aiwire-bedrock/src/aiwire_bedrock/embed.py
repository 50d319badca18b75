"""Embeddings on Bedrock: the ``bedrock-embeddings`` api (InvokeModel).

Each family has its own body, picked from the model id: Amazon Titan Text
(``inputText``, one text per request; v2 takes ``dimensions``), Cohere Embed
v3 and v4 (``texts``, up to 96 per request, ``input_type``, ``truncate``; v4
takes ``output_dimension``) and Amazon Nova multimodal embeddings
(``singleEmbeddingParams``, one text per request). Requests are signed like
chat ones (the plugin's ``prepare_request`` hook). :func:`aiwire.embed`
drives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import msgspec

from aiwire.errors import BadOptionsError
from aiwire.plugin import (
    BaseCodec,
    Credentials,
    EmbeddingBatch,
    EmbeddingOptions,
    ErrorInfo,
    Request,
    make_usage,
    vector_from_floats,
)
from aiwire.types import Model

from . import EMBED_API
from ._errors import error_info
from ._request import base_url, family

__all__ = ["EMBED_API", "BedrockEmbeddingsCodec", "embedding_family"]

_COHERE_TYPES = {
    "query": "search_query",
    "document": "search_document",
    "classification": "classification",
    "clustering": "clustering",
    "similarity": "clustering",
}
_NOVA_PURPOSES = {
    "query": "GENERIC_RETRIEVAL",
    "document": "GENERIC_INDEX",
    "classification": "CLASSIFICATION",
    "clustering": "CLUSTERING",
    "similarity": "GENERIC_INDEX",
}


def embedding_family(model: Model) -> str:
    """``titan``, ``cohere`` or ``nova`` (``compat["embedding_family"]`` wins)."""
    fam = model.compat.get("embedding_family")
    if isinstance(fam, str):
        return fam
    if family(model) == "cohere":
        return "cohere"
    if "nova" in model.id:
        return "nova"
    return "titan"


class BedrockEmbeddingsCodec(BaseCodec):
    """``POST {base}/model/{id}/invoke`` with the family's own body."""

    api = EMBED_API
    embedding_options = frozenset({"dimensions", "input_type", "truncate", "provider_options"})
    # Titan and Nova take one text per request; Cohere rows raise it to 96 in the catalog.
    max_batch = 1

    def build_embedding_request(
        self, model: Model, inputs: list[str], options: EmbeddingOptions, credentials: Credentials
    ) -> Request:
        fam = embedding_family(model)
        if fam == "cohere":
            body = self._cohere(model, inputs, options)
        elif len(inputs) != 1:
            raise BadOptionsError(
                f"{model.ref} embeds one text per request; set compat max_batch=1 on a custom model of this family"
            )
        elif fam == "nova":
            body = self._nova(inputs[0], options)
        else:
            body = self._titan(model, inputs[0], options)
        body.update(options.provider_options or {})
        headers = {"content-type": "application/json", "accept": "application/json"}
        if credentials.api_key:
            headers["authorization"] = f"Bearer {credentials.api_key}"
        url = f"{base_url(model)}/model/{quote(model.id, safe='')}/invoke"
        return Request(url=url, headers=headers, json=body)

    def _titan(self, model: Model, text: str, options: EmbeddingOptions) -> dict[str, Any]:
        for name in ("input_type", "truncate"):
            if getattr(options, name) is not None:
                raise BadOptionsError(f"{model.ref} (Amazon Titan) has no {name}; remove it")
        body: dict[str, Any] = {"inputText": text}
        if options.dimensions is not None:
            body["dimensions"] = options.dimensions
        return body

    def _cohere(self, model: Model, texts: list[str], options: EmbeddingOptions) -> dict[str, Any]:
        body: dict[str, Any] = {"texts": texts, "input_type": _COHERE_TYPES[options.input_type or "document"]}
        if options.truncate is not None:
            body["truncate"] = "END" if options.truncate else "NONE"
        if options.dimensions is not None:
            body["output_dimension"] = options.dimensions
        return body

    def _nova(self, text: str, options: EmbeddingOptions) -> dict[str, Any]:
        params: dict[str, Any] = {
            "embeddingPurpose": _NOVA_PURPOSES[options.input_type or "document"],
            "text": {"value": text, "truncationMode": "END" if options.truncate else "NONE"},
        }
        if options.dimensions is not None:
            params["embeddingDimension"] = options.dimensions
        return {"taskType": "SINGLE_EMBEDDING", "singleEmbeddingParams": params}

    def parse_embedding_response(
        self, model: Model, options: EmbeddingOptions, body: bytes, count: int
    ) -> EmbeddingBatch:
        data = msgspec.json.decode(body)
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object from {model.ref}, got {type(data).__name__}")
        usage = None
        if "embedding" in data:  # Titan
            vectors = [vector_from_floats(data["embedding"])]
            tokens = data.get("inputTextTokenCount")
            usage = make_usage(model, input=int(tokens)) if tokens is not None else None
        elif isinstance(data.get("embeddings"), dict):  # Cohere embeddings_by_type
            vectors = [vector_from_floats(v) for v in data["embeddings"]["float"]]
        elif data.get("embeddings") and isinstance(data["embeddings"][0], dict):  # Nova
            vectors = [vector_from_floats(e["embedding"]) for e in data["embeddings"]]
        else:  # Cohere embeddings_floats
            vectors = [vector_from_floats(v) for v in data.get("embeddings") or []]
        extra = {k: data[k] for k in ("id", "response_type") if k in data}
        return EmbeddingBatch(vectors=vectors, usage=usage, id=data.get("id"), provider_data=extra or None)

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        return error_info(status, headers, body)
