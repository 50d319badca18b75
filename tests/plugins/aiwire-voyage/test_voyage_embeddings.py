"""The ``voyage-embeddings`` codec on real recorded traffic, against the
official voyageai SDK (``Client.embed``, which speaks ``requests``, so a
loopback server answers it with the recorded bytes)."""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Any

import httpx
import pytest
from _embedding_recordings import CONFORMANCE, body, load, needs, recordings, replay, sent_json, serve

import aiwire
from aiwire.plugin import Credentials, EmbeddingOptions
from aiwire.testing.contract import EmbeddingContract, embedding_recordings
from aiwire_voyage.codec import VoyageEmbeddingsCodec

FILES = recordings("voyage-embeddings")
OK = [f for f in FILES if load(f)["response"]["status"] == 200]
ERRORS = [f for f in FILES if load(f)["response"]["status"] != 200]
pytestmark = [needs("voyage-embeddings"), pytest.mark.network]
CODEC = VoyageEmbeddingsCodec()


def _model(rec: dict[str, Any]) -> aiwire.Model:
    mid = rec["request"]["body"]["model"]
    try:
        return aiwire.get_model("voyage", mid)
    except LookupError:
        return aiwire.custom_model(mid, provider="voyage")


def _call(rec: dict[str, Any]) -> tuple[list[str], EmbeddingOptions]:
    req = rec["request"]["body"]
    return req["input"], EmbeddingOptions(input_type=req["input_type"], truncate=req["truncation"])


def _without_nulls(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _sdk(rec: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    import voyageai

    req = rec["request"]["body"]
    with serve(rec) as server:
        client = voyageai.Client(api_key="pa-test", base_url=server.url, max_retries=0)
        result = client.embed(
            req["input"], model=req["model"], input_type=req["input_type"], truncation=req["truncation"]
        )
    return result, server.bodies[0]


@pytest.mark.parametrize("path", OK, ids=lambda p: p.stem.split("__")[-1])
def test_request_and_vectors_agree_with_the_sdk(path: Path) -> None:
    rec = load(path)
    model = _model(rec)
    texts, options = _call(rec)
    ours = CODEC.build_embedding_request(model, texts, options, Credentials("pa-test"))
    assert ours.url == rec["request"]["url"]
    assert ours.json == _without_nulls(rec["request"]["body"])
    assert ours.headers["authorization"] == "Bearer pa-test"

    sdk, sdk_sent = _sdk(rec)
    assert _without_nulls(sdk_sent) == ours.json
    batch = CODEC.parse_embedding_response(model, options, body(rec), len(texts))
    assert len(batch.vectors) == len(sdk.embeddings) == len(texts)
    for vec, values in zip(batch.vectors, sdk.embeddings, strict=True):
        assert vec == array("f", values)  # both decode the same base64 float32
    assert batch.usage is not None and batch.usage.input == sdk.total_tokens
    assert batch.usage.cost.total == pytest.approx(sdk.total_tokens * model.cost.input / 1e6)


@pytest.mark.parametrize("path", OK, ids=lambda p: p.stem.split("__")[-1])
def test_end_to_end_through_aiwire_embed(path: Path) -> None:
    rec = load(path)
    texts, options = _call(rec)
    seen: list[httpx.Request] = []
    result = aiwire.embed_sync(
        _model(rec),
        texts,
        api_key="pa-test",
        transport=replay(rec, seen),
        input_type=options.input_type,
        truncate=options.truncate,
        vector_format="bytes",
    )
    assert sent_json(seen[0]) == _without_nulls(rec["request"]["body"])
    assert all(len(v) == 4 * result.dimensions for v in result.vectors)


@pytest.mark.parametrize("path", ERRORS, ids=lambda p: p.stem.split("__")[-1])
def test_errors_read_like_the_sdk(path: Path) -> None:
    import voyageai

    rec = load(path)
    with pytest.raises(voyageai.error.InvalidRequestError) as sdk_error:
        _sdk(rec)
    info = CODEC.parse_error(400, {}, body(rec))
    assert info.message == sdk_error.value.user_message
    with pytest.raises(aiwire.errors.ProviderError, match="HTTP 400: Model nonexistent is not supported"):
        aiwire.embed_sync(
            aiwire.custom_model("nonexistent", provider="voyage"), "x", api_key="k", transport=replay(rec)
        )


def test_token_budget_splits_requests() -> None:
    sizes: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        n = len(sent_json(request)["input"])
        sizes.append(n)
        return httpx.Response(200, json={"data": [{"index": i, "embedding": [0.5]} for i in range(n)]})

    model = aiwire.get_model("voyage/voyage-3-large")  # 120K tokens a request
    texts = ["word " * 8000] * 40  # about 10K tokens each
    r = aiwire.embed_sync(model, texts, api_key="k", transport=httpx.MockTransport(handle))
    assert sizes == [12, 12, 12, 4] and len(r.vectors) == 40 and r.usage is None


def test_input_types_it_does_not_have_are_refused() -> None:
    with pytest.raises(aiwire.errors.BadOptionsError, match="Voyage takes input_type query or document"):
        aiwire.embed_sync("voyage/voyage-3.5", "x", input_type="clustering", api_key="k")


class TestVoyageEmbeddingsContract(EmbeddingContract):
    api = "voyage-embeddings"
    recordings = embedding_recordings(CONFORMANCE, "voyage-embeddings")
    model = aiwire.custom_model("voyage-3.5", provider="voyage")
