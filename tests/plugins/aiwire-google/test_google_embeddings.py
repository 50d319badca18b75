"""The ``google-embeddings`` codec on real recorded traffic (Gemini API
``batchEmbedContents``, Vertex AI ``:predict`` and ``:embedContent``),
against the official google-genai SDK answering from the same bytes."""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from _embedding_recordings import CONFORMANCE, body, load, needs, recordings, replay, sent_json

import aiwire
from aiwire.plugin import Credentials, EmbeddingOptions
from aiwire.testing.contract import EmbeddingContract, embedding_recordings
from aiwire_google.embeddings import TASK_TYPES, GoogleEmbeddingsCodec

FILES = recordings("google-embeddings")
OK = [f for f in FILES if load(f)["response"]["status"] == 200]
ERRORS = [f for f in FILES if load(f)["response"]["status"] != 200]
pytestmark = needs("google-embeddings")
CODEC = GoogleEmbeddingsCodec()
_TYPES = {v: k for k, v in TASK_TYPES.items()}
_PREFIXES = {
    "task: search result | query: ": "query",
    "title: none | text: ": "document",
    "task: classification | query: ": "classification",
    "task: clustering | query: ": "clustering",
    "task: sentence similarity | query: ": "similarity",
}


def _model(rec: dict[str, Any]) -> aiwire.Model:
    url = rec["request"]["url"]
    mid = url.rsplit("/models/", 1)[1].split(":", 1)[0]
    base = url.rsplit("/models/", 1)[0]
    if rec["provider"] == "google-vertex":
        compat = {"vertex_method": "embedContent"} if url.endswith(":embedContent") else {}
        return aiwire.custom_model(mid, provider="google-vertex", api="google-embeddings", base_url=base, compat=compat)
    return aiwire.custom_model(mid, provider="google", api="google-embeddings", base_url=base)


def _call(rec: dict[str, Any]) -> tuple[list[str], EmbeddingOptions]:
    """The texts and options that produce the recorded request."""
    req = rec["request"]["body"]
    if "requests" in req:
        items = req["requests"]
        texts = [i["content"]["parts"][0]["text"] for i in items]
        task, dims = items[0].get("taskType"), items[0].get("outputDimensionality")
    elif "instances" in req:
        texts = [i["content"] for i in req["instances"]]
        task, dims = req["instances"][0].get("task_type"), None
    else:
        texts, task, dims = [req["content"]["parts"][0]["text"]], None, None
    input_type = _TYPES.get(task) if task else None
    if input_type is None and texts[0].startswith(tuple(_PREFIXES)) and _model(rec).id == "gemini-embedding-2":
        # our input_type writes Google's documented prefix for this model; strip it to get the text back
        prefix = next(p for p in _PREFIXES if texts[0].startswith(p))
        if all(t.startswith(prefix) for t in texts):
            input_type, texts = _PREFIXES[prefix], [t[len(prefix) :] for t in texts]
    return texts, EmbeddingOptions(input_type=input_type, dimensions=dims)  # type: ignore[arg-type]


def _sdk(rec: dict[str, Any]) -> Any:
    """The SDK's reading of the recorded body (its own response converters and types)."""
    import json

    from google.genai import models, types

    if rec["provider"] == "google-vertex":  # one input: a real call, answered by the recording
        return _sdk_call(rec, vertex=True).embeddings
    raw = json.loads(body(rec))
    response = models._EmbedContentResponse_from_mldev(raw)
    return types.EmbedContentResponse._from_response(response=response, kwargs={}).embeddings


def _sdk_call(rec: dict[str, Any], *, vertex: bool = False) -> Any:
    """A real SDK call answered by the recording."""
    from google import genai
    from google.genai import types

    with httpx.Client(transport=replay(rec)) as http:
        client = genai.Client(vertexai=vertex, api_key="k", http_options=types.HttpOptions(httpx_client=http))
        return client.models.embed_content(model=_model(rec).id, contents="Hello, world!")


@pytest.mark.parametrize("path", OK, ids=lambda p: p.stem.split("__")[-1])
def test_request_matches_the_recording_and_vectors_the_sdk(path: Path) -> None:
    rec = load(path)
    model = _model(rec)
    texts, options = _call(rec)
    ours = CODEC.build_embedding_request(model, texts, options, Credentials("k"))
    assert ours.url == rec["request"]["url"]
    assert ours.json == rec["request"]["body"]
    assert ours.headers["x-goog-api-key"] == "k"

    batch = CODEC.parse_embedding_response(model, options, body(rec), len(texts))
    sdk = _sdk(rec)
    assert len(batch.vectors) == len(sdk) == len(texts)
    for vec, emb in zip(batch.vectors, sdk, strict=True):
        assert vec.typecode == "f"
        # JSON numbers into float32, as the SDK's float64 values rounded to float32
        assert vec.tolist() == pytest.approx(emb.values, rel=1e-6, abs=1e-9)
        assert vec == array("f", emb.values)
    if rec["provider"] == "google-vertex":
        assert batch.usage is not None
        assert batch.usage.input == int(sum(e.statistics.token_count for e in sdk))
    else:
        assert batch.usage is None  # batchEmbedContents reports none


@pytest.mark.parametrize("path", OK, ids=lambda p: p.stem.split("__")[-1])
def test_end_to_end_through_aiwire_embed(path: Path) -> None:
    rec = load(path)
    texts, options = _call(rec)
    seen: list[httpx.Request] = []
    kwargs = {k: v for k, v in msgspec.structs.asdict(options).items() if v is not None}
    result = aiwire.embed_sync(_model(rec), texts, api_key="k", transport=replay(rec, seen), **kwargs)
    assert sent_json(seen[0]) == rec["request"]["body"]
    assert len(result.vectors) == len(texts) and result.dimensions == len(result.vectors[0])


@pytest.mark.parametrize("path", ERRORS, ids=lambda p: p.stem.split("__")[-1])
def test_errors_read_like_the_sdk(path: Path) -> None:
    from google.genai import errors as genai_errors

    rec = load(path)
    with pytest.raises(genai_errors.ClientError) as sdk_error:
        _sdk_call(rec)
    info = CODEC.parse_error(rec["response"]["status"], {}, body(rec))
    assert info.message == sdk_error.value.message
    assert info.type == sdk_error.value.status == "NOT_FOUND"


def test_catalog_rows_and_batch_limits() -> None:
    m = aiwire.get_model("google/gemini-embedding-001")
    assert (m.api, m.output, m.compat["dimensions"], m.cost.input) == ("google-embeddings", ("embedding",), 3072, 0.15)
    assert aiwire.get_model("google-vertex/gemini-embedding-001").compat["max_batch"] == 1


def test_gemini_batches_of_100_and_vertex_predict_one_at_a_time() -> None:
    sizes: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        data = sent_json(request)
        if "requests" in data:
            sizes.append(len(data["requests"]))
            return httpx.Response(200, json={"embeddings": [{"values": [0.5]}] * len(data["requests"])})
        sizes.append(len(data["instances"]))
        assert data["parameters"] == {"outputDimensionality": 8, "autoTruncate": False}
        pred = {"embeddings": {"values": [0.5] * 8, "statistics": {"token_count": 3, "truncated": False}}}
        return httpx.Response(200, json={"predictions": [pred] * len(data["instances"])})

    transport = httpx.MockTransport(handle)
    r = aiwire.embed_sync("google/gemini-embedding-001", ["t"] * 250, api_key="k", transport=transport)
    assert sizes == [100, 100, 50] and r.requests == 3 and r.usage is None
    sizes.clear()
    r = aiwire.embed_sync(
        "google-vertex/gemini-embedding-001", ["a", "b"], api_key="k", transport=transport, dimensions=8, truncate=False
    )
    assert sizes == [1, 1] and r.usage is not None and r.usage.input == 6
    assert r.usage.cost.total == pytest.approx(6 * 0.15 / 1e6)


def test_truncate_is_refused_on_the_gemini_api() -> None:
    with pytest.raises(aiwire.errors.BadOptionsError, match="always truncates"):
        aiwire.embed_sync("google/gemini-embedding-001", "x", api_key="k", truncate=True)


def test_a_gemini_chat_model_is_not_an_embedding_model() -> None:
    with pytest.raises(aiwire.errors.BadOptionsError, match="is not an embedding model"):
        aiwire.embed_sync("google/gemini-2.5-flash", "x", api_key="k")


_ALL = embedding_recordings(CONFORMANCE, "google-embeddings")
_VERTEX = {"TestGoogle.test_vertex_query": "predict", "test_google_task_prefix_vertex": "embedContent"}


class TestGeminiEmbeddingsContract(EmbeddingContract):
    api = "google-embeddings"
    recordings = [r for r in _ALL if r.name not in _VERTEX]
    model = aiwire.custom_model("gemini-embedding-001", provider="google", api="google-embeddings")


class TestVertexPredictContract(EmbeddingContract):
    api = "google-embeddings"
    recordings = [r for r in _ALL if _VERTEX.get(r.name) == "predict"]
    model = aiwire.custom_model(
        "gemini-embedding-001",
        provider="google-vertex",
        api="google-embeddings",
        base_url="https://aiplatform.googleapis.com/v1beta1/projects/p/locations/global/publishers/google",
    )


class TestVertexEmbedContentContract(EmbeddingContract):
    api = "google-embeddings"
    recordings = [r for r in _ALL if _VERTEX.get(r.name) == "embedContent"]
    model = aiwire.custom_model(
        "gemini-embedding-2",
        provider="google-vertex",
        api="google-embeddings",
        base_url="https://aiplatform.googleapis.com/v1beta1/projects/p/locations/global/publishers/google",
        compat={"vertex_method": "embedContent", "max_batch": 1},
    )
