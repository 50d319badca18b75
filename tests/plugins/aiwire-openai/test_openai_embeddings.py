"""The ``openai-embeddings`` codec on real recorded traffic, against the
official openai SDK: the same request body, the same vectors (bit for bit:
both decode the same base64 float32), the same usage and error message."""

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
from aiwire_openai.embeddings import OpenAIEmbeddingsCodec

FILES = recordings("openai-embeddings")
OK = [f for f in FILES if load(f)["response"]["status"] == 200]
ERRORS = [f for f in FILES if load(f)["response"]["status"] != 200]
pytestmark = needs("openai-embeddings")
CODEC = OpenAIEmbeddingsCodec()


def _model(rec: dict[str, Any]) -> aiwire.Model:
    mid = rec["request"]["body"]["model"]
    try:
        return aiwire.get_model("openai", mid)
    except LookupError:
        return aiwire.custom_model(mid, provider="openai", api="openai-embeddings")


def _options(rec: dict[str, Any]) -> EmbeddingOptions:
    return EmbeddingOptions(dimensions=rec["request"]["body"].get("dimensions"))


def _sdk(rec: dict[str, Any], seen: list[httpx.Request]) -> Any:
    import openai

    req = rec["request"]["body"]
    extra = {"dimensions": req["dimensions"]} if "dimensions" in req else {}
    with httpx.Client(transport=replay(rec, seen)) as http:
        client = openai.OpenAI(api_key="sk-test", base_url="https://api.openai.com/v1", http_client=http, max_retries=0)
        return client.embeddings.create(model=req["model"], input=req["input"], **extra)


@pytest.mark.parametrize("path", OK, ids=lambda p: p.stem)
def test_request_and_vectors_agree_with_the_sdk(path: Path) -> None:
    rec = load(path)
    model, options = _model(rec), _options(rec)
    ours = CODEC.build_embedding_request(model, rec["request"]["body"]["input"], options, Credentials("sk-test"))
    assert ours.url == rec["request"]["url"]
    assert ours.json == rec["request"]["body"]  # the recorded body is the SDK's: base64, dimensions, input, model
    assert ours.headers["authorization"] == "Bearer sk-test"

    seen: list[httpx.Request] = []
    sdk = _sdk(rec, seen)
    assert sent_json(seen[0]) == ours.json
    batch = CODEC.parse_embedding_response(model, options, body(rec), len(rec["request"]["body"]["input"]))
    assert len(batch.vectors) == len(sdk.data)
    for vec, item in zip(batch.vectors, sdk.data, strict=True):
        assert isinstance(vec, array) and vec.typecode == "f"
        assert vec.tolist() == item.embedding  # the same float32 values, widened the same way
    assert batch.usage is not None
    assert batch.usage.input == sdk.usage.prompt_tokens
    assert batch.usage.cost.total == pytest.approx(sdk.usage.prompt_tokens * model.cost.input / 1e6)


@pytest.mark.parametrize("path", OK, ids=lambda p: p.stem)
def test_end_to_end_through_aiwire_embed(path: Path) -> None:
    rec = load(path)
    seen: list[httpx.Request] = []
    req = rec["request"]["body"]
    extra = {"dimensions": req["dimensions"]} if "dimensions" in req else {}
    result = aiwire.embed_sync(
        _model(rec), req["input"], api_key="sk-test", transport=replay(rec, seen), vector_format="list", **extra
    )
    assert sent_json(seen[0]) == req
    want = [item.embedding for item in _sdk(rec, []).data]
    assert result.vectors == want
    assert result.dimensions == len(want[0]) and result.requests == 1
    assert result.usage is not None and result.usage.input > 0


@pytest.mark.parametrize("path", ERRORS, ids=lambda p: p.stem)
def test_errors_read_like_the_sdk(path: Path) -> None:
    import openai

    rec = load(path)
    with pytest.raises(openai.APIStatusError) as sdk_error:
        _sdk(rec, [])
    info = CODEC.parse_error(rec["response"]["status"], {}, body(rec))
    assert info.message == sdk_error.value.body["message"]  # type: ignore[index]
    assert info.type == "invalid_request_error"
    with pytest.raises(aiwire.errors.ProviderError, match="HTTP 404: The model `nonexistent` does not exist") as ours:
        aiwire.embed_sync(
            aiwire.custom_model("nonexistent", provider="openai", api="openai-embeddings"),
            rec["request"]["body"]["input"],
            api_key="sk-test",
            transport=replay(rec),
        )
    assert ours.value.status == 404


def test_float_vectors_from_compatible_hosts() -> None:
    model = aiwire.custom_model("nomic-embed-text", provider="ollama")
    request = CODEC.build_embedding_request(model, ["a", "b"], EmbeddingOptions(), Credentials(kind="none"))
    assert "encoding_format" not in request.json and request.url == "http://localhost:11434/v1/embeddings"
    body = msgspec.json.encode(
        {"data": [{"index": 1, "embedding": [0.5, 2.0]}, {"index": 0, "embedding": [1.0, -1.0]}], "model": "m"}
    )
    batch = CODEC.parse_embedding_response(model, EmbeddingOptions(), body, 2)
    assert [v.tolist() for v in batch.vectors] == [[1.0, -1.0], [0.5, 2.0]]  # put back in input order
    assert batch.usage is None


def test_a_local_model_id_embeds_through_the_chat_provider() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        n = len(sent_json(request)["input"])
        data = [{"index": i, "embedding": [float(i)] * 3} for i in range(n)]
        return httpx.Response(200, json={"data": data, "usage": {"prompt_tokens": n, "total_tokens": n}})

    result = aiwire.embed_sync("ollama/nomic-embed-text", ["x", "y"], transport=httpx.MockTransport(handle))
    assert str(seen[0].url) == "http://localhost:11434/v1/embeddings"
    assert [v.tolist() for v in result.vectors] == [[0.0] * 3, [1.0] * 3]


def test_azure_goes_to_the_deployment_with_the_api_key_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_RESOURCE_NAME", "acme")
    model = aiwire.get_model("azure", "text-embedding-3-small")
    request = CODEC.build_embedding_request(
        model, ["a"], EmbeddingOptions(provider_options={"azure_deployment": "emb"}), Credentials("k")
    )
    assert request.headers["api-key"] == "k" and "authorization" not in request.headers
    assert request.json["model"] == "emb" and request.json["encoding_format"] == "base64"
    assert "azure_deployment" not in request.json


def test_options_the_api_does_not_take_are_refused() -> None:
    with pytest.raises(aiwire.errors.BadOptionsError, match="does not support embedding option.*input_type"):
        aiwire.embed_sync("openai/text-embedding-3-small", "x", input_type="query", api_key="sk-test")
    with pytest.raises(aiwire.errors.BadOptionsError, match="makes vectors of 1536 dimensions, not 256"):
        aiwire.embed_sync("openai/text-embedding-ada-002", "x", dimensions=256, api_key="sk-test")


def test_catalog_rows() -> None:
    m = aiwire.get_model("openai/text-embedding-3-small")
    assert (m.api, m.output, m.compat["dimensions"], m.context_window) == (
        "openai-embeddings",
        ("embedding",),
        1536,
        8191,
    )
    assert m.cost.input == 0.02
    assert aiwire.get_model("mistral/mistral-embed").compat["dimensions"] == 1024


def test_a_chat_call_on_an_embedding_model_says_what_to_do() -> None:
    with pytest.raises(aiwire.errors.BadOptionsError, match="an embeddings api: call aiwire.embed"):
        aiwire.complete_sync("openai/text-embedding-3-small", "hi", api_key="sk-test")


class TestOpenAIEmbeddingsContract(EmbeddingContract):
    api = "openai-embeddings"
    recordings = embedding_recordings(CONFORMANCE, "openai-embeddings")
    model = aiwire.custom_model("text-embedding-3-small", provider="openai", api="openai-embeddings")
