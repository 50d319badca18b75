"""Embeddings: the ``google-embeddings`` api.

Three routes, chosen per model:

- the Gemini API: ``POST {base_url}/models/{id}:batchEmbedContents``, one
  request item per input (at most 100), vectors in ``embeddings[].values``;
  it reports no usage;
- Vertex AI ``:predict`` (``gemini-embedding-001``, ``text-embedding-005``...):
  ``instances[{content, task_type}]`` and ``parameters``, vectors and token
  counts in ``predictions[].embeddings``;
- Vertex AI ``:embedContent`` for one input (``compat["vertex_method"] =
  "embedContent"``, Gemini Embedding 2 on Vertex).

``input_type`` becomes ``taskType`` (``task_type`` on ``:predict``), except
on Gemini Embedding 2, which takes no task type: there it becomes the prompt
prefix Google documents (``task: search result | query: ...``, ``title: none
| text: ...``; ``compat["task_prefix"]``).
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
    make_usage,
    vector_from_floats,
)
from aiwire.types import Model

from .codec import auth_headers, parse_google_error

__all__ = ["GoogleEmbeddingsCodec", "TASK_TYPES"]

TASK_TYPES = {
    "query": "RETRIEVAL_QUERY",
    "document": "RETRIEVAL_DOCUMENT",
    "classification": "CLASSIFICATION",
    "clustering": "CLUSTERING",
    "similarity": "SEMANTIC_SIMILARITY",
}
_PREFIXES = {
    "query": "task: search result | query: ",
    "document": "title: none | text: ",
    "classification": "task: classification | query: ",
    "clustering": "task: clustering | query: ",
    "similarity": "task: sentence similarity | query: ",
}


class _Values(msgspec.Struct):
    values: list[float]


class _Batch(msgspec.Struct):
    embeddings: list[_Values]


class _One(msgspec.Struct):
    embedding: _Values
    usageMetadata: dict[str, Any] | None = None


class _Statistics(msgspec.Struct):
    token_count: float = 0


class _PredictEmbedding(msgspec.Struct):
    values: list[float]
    statistics: _Statistics | None = None


class _Prediction(msgspec.Struct):
    embeddings: _PredictEmbedding


class _Predict(msgspec.Struct):
    predictions: list[_Prediction]


def _route(model: Model) -> str:
    """``gemini``, ``predict`` or ``embedContent``."""
    if "aiplatform.googleapis.com" not in model.base_url and model.provider != "google-vertex":
        return "gemini"
    return "embedContent" if model.compat.get("vertex_method") == "embedContent" else "predict"


def _prefixed(model: Model) -> bool:
    return bool(model.compat.get("task_prefix", model.id.removeprefix("models/") == "gemini-embedding-2"))


class GoogleEmbeddingsCodec(BaseCodec):
    """Gemini and Vertex AI text embeddings."""

    api = "google-embeddings"
    embedding_options = frozenset({"dimensions", "input_type", "truncate", "provider_options"})
    max_batch = 100  # batchEmbedContents: "at most 100 requests can be in one batch"

    def build_embedding_request(
        self, model: Model, inputs: list[str], options: EmbeddingOptions, credentials: Credentials
    ) -> Request:
        model_id = model.id.removeprefix("models/")
        route = _route(model)
        texts, task = inputs, None
        if options.input_type is not None:
            if _prefixed(model):
                texts = [_PREFIXES[options.input_type] + t for t in inputs]
            else:
                task = TASK_TYPES[options.input_type]
        extra = dict(options.provider_options or {})
        headers = {"content-type": "application/json", **auth_headers(credentials)}
        base = f"{model.base_url}/models/{model_id}"
        if route == "gemini":
            if options.truncate is not None:
                raise BadOptionsError(
                    f"the Gemini API always truncates over-long inputs; remove truncate= for {model.ref}"
                )
            items = []
            for text in texts:
                item: dict[str, Any] = {"content": {"parts": [{"text": text}]}, "model": f"models/{model_id}"}
                if task:
                    item["taskType"] = task
                if options.dimensions is not None:
                    item["outputDimensionality"] = options.dimensions
                items.append({**item, **extra})
            return Request(url=f"{base}:batchEmbedContents", headers=headers, json={"requests": items})
        if route == "embedContent":
            if len(texts) != 1:
                raise BadOptionsError(f"{model.ref} embeds one input a request on Vertex AI; set compat max_batch=1")
            body: dict[str, Any] = {"content": {"parts": [{"text": texts[0]}]}}
            config = {"taskType": task, "outputDimensionality": options.dimensions, "autoTruncate": options.truncate}
            config = {k: v for k, v in config.items() if v is not None}
            if config:
                body["embedContentConfig"] = config
            return Request(url=f"{base}:embedContent", headers=headers, json={**body, **extra})
        instances = [{"content": t, **({"task_type": task} if task else {})} for t in texts]
        params = {"outputDimensionality": options.dimensions, "autoTruncate": options.truncate}
        predict: dict[str, Any] = {"instances": instances}
        if any(v is not None for v in params.values()):
            predict["parameters"] = {k: v for k, v in params.items() if v is not None}
        return Request(url=f"{base}:predict", headers=headers, json={**predict, **extra})

    def parse_embedding_response(
        self, model: Model, options: EmbeddingOptions, body: bytes, count: int
    ) -> EmbeddingBatch:
        route = _route(model)
        if route == "gemini":
            data = msgspec.json.decode(body, type=_Batch)
            return EmbeddingBatch(vectors=[vector_from_floats(e.values) for e in data.embeddings])
        if route == "embedContent":
            one = msgspec.json.decode(body, type=_One)
            meta = one.usageMetadata or {}
            tokens = meta.get("promptTokenCount")
            usage = make_usage(model, input=int(tokens)) if tokens is not None else None
            return EmbeddingBatch(vectors=[vector_from_floats(one.embedding.values)], usage=usage)
        pred = msgspec.json.decode(body, type=_Predict)
        stats = [p.embeddings.statistics for p in pred.predictions]
        usage = None
        if stats and all(s is not None for s in stats):
            usage = make_usage(model, input=int(sum(s.token_count for s in stats if s is not None)))
        return EmbeddingBatch(vectors=[vector_from_floats(p.embeddings.values) for p in pred.predictions], usage=usage)

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        return parse_google_error(status, body)
