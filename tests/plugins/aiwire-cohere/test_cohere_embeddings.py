"""The ``cohere-embed`` codec on real recorded traffic, against the official
cohere SDK (``ClientV2.embed``) answering from the same bytes."""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import Any

import httpx
import pytest
from _embedding_recordings import CONFORMANCE, body, load, needs, recordings, replay, sent_json

import aiwire
from aiwire.plugin import Credentials, EmbeddingOptions
from aiwire.testing.contract import EmbeddingContract, embedding_recordings
from aiwire_cohere.codec import INPUT_TYPES, CohereEmbedCodec

FILES = recordings("cohere-embed")
OK = [f for f in FILES if load(f)["response"]["status"] == 200]
ERRORS = [f for f in FILES if load(f)["response"]["status"] != 200]
pytestmark = needs("cohere-embed")
CODEC = CohereEmbedCodec()
_KINDS = {v: k for k, v in INPUT_TYPES.items()}


def _model(rec: dict[str, Any]) -> aiwire.Model:
    mid = rec["request"]["body"]["model"]
    try:
        return aiwire.get_model("cohere", mid)
    except LookupError:
        return aiwire.custom_model(mid, provider="cohere")


def _call(rec: dict[str, Any]) -> tuple[list[str], EmbeddingOptions]:
    req = rec["request"]["body"]
    truncate = {"NONE": False, "END": True}[req["truncate"]]
    return req["texts"], EmbeddingOptions(input_type=_KINDS[req["input_type"]], truncate=truncate)  # type: ignore[arg-type]


def _sdk(rec: dict[str, Any], seen: list[httpx.Request] | None = None) -> Any:
    import cohere

    req = rec["request"]["body"]
    with httpx.Client(transport=replay(rec, seen)) as http:
        client = cohere.ClientV2(api_key="co-test", base_url="https://api.cohere.com", httpx_client=http)
        return client.embed(
            model=req["model"],
            texts=req["texts"],
            input_type=req["input_type"],
            embedding_types=["float"],
            truncate=req["truncate"],
        )


def _without_nulls(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


@pytest.mark.parametrize("path", OK, ids=lambda p: p.stem.split("__")[-1])
def test_request_and_vectors_agree_with_the_sdk(path: Path) -> None:
    rec = load(path)
    model = _model(rec)
    texts, options = _call(rec)
    ours = CODEC.build_embedding_request(model, texts, options, Credentials("co-test"))
    assert ours.url == rec["request"]["url"]
    # the recorded client also sent max_tokens/output_dimension as null; we leave unset fields out
    assert ours.json == _without_nulls(rec["request"]["body"])
    assert ours.headers["authorization"] == "Bearer co-test"

    seen: list[httpx.Request] = []
    sdk = _sdk(rec, seen)
    assert _without_nulls(sent_json(seen[0])) == ours.json
    batch = CODEC.parse_embedding_response(model, options, body(rec), len(texts))
    assert len(batch.vectors) == len(sdk.embeddings.float_) == len(texts)
    for vec, values in zip(batch.vectors, sdk.embeddings.float_, strict=True):
        assert vec == array("f", values)
    assert batch.usage is not None and batch.usage.input == int(sdk.meta.billed_units.input_tokens)
    assert batch.usage.cost.total == pytest.approx(batch.usage.input * 0.12 / 1e6)
    assert batch.id == sdk.id


@pytest.mark.parametrize("path", OK, ids=lambda p: p.stem.split("__")[-1])
def test_end_to_end_through_aiwire_embed(path: Path) -> None:
    rec = load(path)
    texts, options = _call(rec)
    seen: list[httpx.Request] = []
    result = aiwire.embed_sync(
        _model(rec),
        texts,
        api_key="co-test",
        transport=replay(rec, seen),
        input_type=options.input_type,
        truncate=options.truncate,
    )
    assert sent_json(seen[0]) == _without_nulls(rec["request"]["body"])
    assert len(result.vectors) == len(texts) and result.dimensions == 1536


@pytest.mark.parametrize("path", ERRORS, ids=lambda p: p.stem.split("__")[-1])
def test_errors_read_like_the_sdk(path: Path) -> None:
    import cohere

    rec = load(path)
    with pytest.raises(cohere.core.api_error.ApiError) as sdk_error:
        _sdk(rec)
    info = CODEC.parse_error(404, {}, body(rec))
    assert info.message == sdk_error.value.body["message"]
    with pytest.raises(aiwire.errors.ProviderError, match="HTTP 404: model 'nonexistent' not found"):
        aiwire.embed_sync(
            aiwire.custom_model("nonexistent", provider="cohere"), "x", api_key="co-test", transport=replay(rec)
        )


def test_defaults_options_and_limits() -> None:
    model = aiwire.get_model("cohere/embed-v4.0")
    req = CODEC.build_embedding_request(model, ["a"], EmbeddingOptions(dimensions=256), Credentials("k"))
    assert req.json["input_type"] == "search_document" and req.json["output_dimension"] == 256
    assert "truncate" not in req.json
    with pytest.raises(aiwire.errors.BadOptionsError, match="Cohere has no input_type 'similarity'"):
        aiwire.embed_sync(model, "x", input_type="similarity", api_key="k")
    with pytest.raises(
        aiwire.errors.BadOptionsError, match="makes vectors of 256, 512, 1024, 1536 dimensions, not 300"
    ):
        aiwire.embed_sync(model, "x", dimensions=300, api_key="k")

    sizes: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        n = len(sent_json(request)["texts"])
        sizes.append(n)
        return httpx.Response(
            200, json={"embeddings": {"float": [[0.25] * 4] * n}, "meta": {"billed_units": {"input_tokens": n}}}
        )

    r = aiwire.embed_sync(model, ["t"] * 200, api_key="k", transport=httpx.MockTransport(handle))
    assert sizes == [96, 96, 8] and r.usage is not None and r.usage.input == 200


def test_missing_key_names_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CO_API_KEY", raising=False)
    monkeypatch.delenv("COHERE_API_KEY", raising=False)
    with pytest.raises(aiwire.errors.MissingCredentialsError, match=r"\$CO_API_KEY or \$COHERE_API_KEY"):
        aiwire.embed_sync("cohere/embed-v4.0", "x")


class TestCohereEmbeddingsContract(EmbeddingContract):
    api = "cohere-embed"
    recordings = embedding_recordings(CONFORMANCE, "cohere-embed")
    model = aiwire.custom_model("embed-v4.0", provider="cohere")
