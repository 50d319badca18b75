"""Bedrock embeddings (Titan, Cohere v3/v4, Nova): every recorded InvokeModel
response in the conformance set decodes to the vectors boto3 reads from the
same bytes, with Titan's token count equal to Bedrock's own header; recorded
requests are rebuilt from aiwire's options; aiwire.embed signs, batches and
prices end to end against an in-process transport."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from bedrock_helpers import CONFORMANCE, load, model_id

import aiwire
from aiwire.plugin import Credentials, EmbeddingOptions
from aiwire_bedrock.embed import BedrockEmbeddingsCodec

pytest.importorskip("boto3", reason="boto3 is a test-only dependency (requirements-dev.txt)")

CODEC = BedrockEmbeddingsCodec()
DIR = CONFORMANCE / "bedrock-embeddings"
RECORDINGS = sorted(p for p in DIR.glob("*.json") if load(p)["response"]["status"] == 200) if DIR.is_dir() else []


def model_for(mid: str) -> aiwire.Model:
    try:
        return aiwire.get_model("amazon-bedrock", mid)
    except Exception:
        return aiwire.custom_model(mid, provider="amazon-bedrock", api="bedrock-embeddings")


def test_the_recordings_are_here() -> None:
    if not RECORDINGS:
        pytest.skip(f"no conformance recordings at {DIR}")
    assert len(RECORDINGS) >= 25


@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_every_recorded_response_agrees_with_boto3(path: Path) -> None:
    from bedrock_helpers import boto3_client

    recording = load(path)
    body = recording["response"]["body_text"].encode()
    model = model_for(model_id(recording))
    sent = recording["request"]["body"]
    count = len(sent["texts"]) if "texts" in sent else 1
    batch = CODEC.parse_embedding_response(model, EmbeddingOptions(), body, count)
    theirs = json.loads(
        boto3_client(200, body, "application/json").invoke_model(modelId="m", body=b"{}")["body"].read()
    )
    if "embedding" in theirs:
        expected = [theirs["embedding"]]
    elif isinstance(theirs["embeddings"], dict):
        expected = theirs["embeddings"]["float"]
    elif isinstance(theirs["embeddings"][0], dict):
        expected = [e["embedding"] for e in theirs["embeddings"]]
    else:
        expected = theirs["embeddings"]
    assert len(batch.vectors) == count == len(expected)
    for ours, ref in zip(batch.vectors, expected, strict=True):
        assert list(ours) == pytest.approx(ref, rel=1e-6, abs=1e-7)
    header = recording["response"]["headers"].get("x-amzn-bedrock-input-token-count")
    if "inputTextTokenCount" in theirs:
        assert batch.usage is not None and batch.usage.input == int(header) == theirs["inputTextTokenCount"]
        assert batch.usage.cost.input == pytest.approx(batch.usage.input * model.cost.input / 1e6)


CASES: list[tuple[str, list[str], dict[str, Any]]] = [
    ("test_titan_v1_minimal", ["Hello, world!"], {}),
    (
        "test_titan_v2_with_dimensions",
        ["Test embedding dimensions"],
        {"dimensions": 256, "provider_options": {"normalize": True}},
    ),
    ("test_cohere_v3_minimal", ["Hello, world!"], {"input_type": "query", "truncate": False}),
    ("test_cohere_v3_with_base_truncate", ["Test base truncate setting"], {"input_type": "query", "truncate": True}),
    ("test_cohere_v4_batch_documents", ["hello", "world"], {"input_type": "document", "truncate": False}),
    (
        "test_cohere_v4_with_dimensions",
        ["Test dimensions setting"],
        {"input_type": "query", "dimensions": 512, "truncate": False},
    ),
    ("test_nova_minimal", ["Hello, world!"], {"input_type": "query", "truncate": False}),
]


@pytest.mark.parametrize(("name", "inputs", "options"), CASES, ids=[c[0] for c in CASES])
def test_recorded_requests_are_rebuilt_from_options(name: str, inputs: list[str], options: dict[str, Any]) -> None:
    path = DIR / f"test_embeddings__TestBedrock.{name}.json"
    if not path.exists():
        pytest.skip(f"no recording {path.name}")
    recording = load(path)
    model = model_for(model_id(recording))
    request = CODEC.build_embedding_request(model, inputs, EmbeddingOptions(**options), Credentials("k"))
    assert request.url == recording["request"]["url"]
    assert request.json == recording["request"]["body"]


def test_embed_signs_batches_and_prices(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        texts = json.loads(request.content)["texts"]
        vectors = [[float(i), 0.5] for i, _ in enumerate(texts)]
        return httpx.Response(
            200,
            json={"id": "x", "embeddings": {"float": vectors}, "response_type": "embeddings_by_type", "texts": texts},
        )

    inputs = [f"text {i}" for i in range(100)]
    result = aiwire.embed_sync(
        "amazon-bedrock/cohere.embed-v4:0", inputs, input_type="query", transport=httpx.MockTransport(handler)
    )
    assert result.stop_reason == "stop" and result.requests == 2 and len(result.vectors) == 100
    assert [len(json.loads(r.content)["texts"]) for r in sent] == [96, 4]
    assert all(r.url.host == "bedrock-runtime.eu-central-1.amazonaws.com" for r in sent)
    assert all(r.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") for r in sent)
    assert json.loads(sent[0].content)["input_type"] == "search_query"


def test_titan_embeds_one_text_per_request_with_usage() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        text = json.loads(request.content)["inputText"]
        return httpx.Response(200, json={"embedding": [0.25] * 256, "inputTextTokenCount": len(text.split())})

    result = aiwire.embed_sync(
        "amazon-bedrock/amazon.titan-embed-text-v2:0",
        ["one two", "three"],
        dimensions=256,
        api_key="bedrock-key",
        transport=httpx.MockTransport(handler),
    )
    assert result.requests == 2 and result.dimensions == 256
    assert result.usage is not None and result.usage.input == 3
    assert result.usage.cost.total == pytest.approx(3 * 0.02 / 1e6)


def test_options_a_family_does_not_take_are_refused() -> None:
    with pytest.raises(aiwire.errors.BadOptionsError, match="Amazon Titan"):
        aiwire.embed_sync("amazon-bedrock/amazon.titan-embed-text-v2:0", "x", input_type="query", api_key="k")
    with pytest.raises(aiwire.errors.BadOptionsError, match="256, 512, 1024"):
        aiwire.embed_sync("amazon-bedrock/amazon.titan-embed-text-v2:0", "x", dimensions=300, api_key="k")
