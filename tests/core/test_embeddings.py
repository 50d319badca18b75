"""Embeddings through the core: input checks, batching and order, vector
formats, usage and cost, errors, retries, secrets and hooks, driven by the
demo model and the faux api."""

from __future__ import annotations

import asyncio
import math
import struct
from array import array
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import msgspec
import pytest

import aiwire
from aiwire import errors
from aiwire._demo.faux import FauxReply
from aiwire._wire.codec import Request, vector_from_base64
from aiwire.testing import FauxProvider
from aiwire.types import EmbeddingResult, ModelCost

DEMO = "demo/aiwire-demo-embed"


@pytest.fixture
def embedder() -> Iterator[FauxProvider]:
    with FauxProvider(
        "embedder", model_id="embed-1", output=("embedding",), cost=ModelCost(input=0.5), context_window=100
    ) as provider:
        yield provider


def _cos(a: array[float], b: array[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


# -- the demo model ----------------------------------------------------------------


def test_demo_vectors_are_compact_unit_length_and_similar_for_shared_words() -> None:
    r = aiwire.embed_sync(DEMO, ["the cat sat", "the cat ran", "stock prices fell"])
    assert (len(r), r.dimensions, r.requests, r.stop_reason) == (3, 64, 1, "stop")
    assert all(isinstance(v, array) and v.typecode == "f" and len(v) == 64 for v in r.vectors)
    assert math.isclose(_cos(r.vectors[0], r.vectors[0]), 1.0, rel_tol=1e-5)
    assert _cos(r.vectors[0], r.vectors[1]) > _cos(r.vectors[0], r.vectors[2])
    assert r.usage is not None and r.usage.input > 0


def test_a_single_string_is_one_vector() -> None:
    r = aiwire.embed_sync(DEMO, "hello")
    assert len(r.vectors) == 1


def test_vector_formats_hold_the_same_numbers() -> None:
    texts = ["alpha beta", "gamma"]
    arrays = aiwire.embed_sync(DEMO, texts).vectors
    as_bytes = aiwire.embed_sync(DEMO, texts, vector_format="bytes").vectors
    as_lists = aiwire.embed_sync(DEMO, texts, vector_format="list").vectors
    for a, b, lst in zip(arrays, as_bytes, as_lists, strict=True):
        assert isinstance(b, bytes) and list(struct.unpack(f"<{len(a)}f", b)) == a.tolist()
        assert isinstance(lst, list) and lst == a.tolist()


def test_to_bytes_is_every_row_in_order() -> None:
    r = aiwire.embed_sync(DEMO, ["one", "two", "three"])
    raw = r.to_bytes()
    assert len(raw) == 3 * 64 * 4
    assert raw[64 * 4 : 128 * 4] == r.vectors[1].tobytes()


def test_list_results_round_trip_through_json() -> None:
    r = aiwire.embed_sync(DEMO, ["x y"], vector_format="list")
    assert aiwire.loads(aiwire.dumps(r), EmbeddingResult) == r


def test_dimensions_are_sent_and_honoured() -> None:
    r = aiwire.embed_sync(DEMO, "x", dimensions=16)
    assert r.dimensions == 16


# -- batching ---------------------------------------------------------------------


def test_batches_follow_the_model_limit_and_keep_order() -> None:
    texts = [f"text number {i}" for i in range(37)]
    whole = aiwire.embed_sync(DEMO, texts)  # demo max_batch is 16
    assert whole.requests == 3
    one_by_one = [aiwire.embed_sync(DEMO, t).vectors[0] for t in texts[:5]]
    assert whole.vectors[:5] == one_by_one


async def test_async_batches_run_concurrently_in_order(embedder: FauxProvider) -> None:
    def reply(body: Mapping[str, Any]) -> FauxReply:
        # each vector encodes its text's number; the later batches answer first
        nums = [float(t.split()[-1]) for t in body["inputs"]]
        return FauxReply(vectors=[[n, 0.0] for n in nums], delay=0.02 / (1 + nums[0]))

    for _ in range(5):
        embedder.reply(reply)
    texts = [f"item {i}" for i in range(10)]
    r = await aiwire.embed(embedder.model, texts, batch_size=2, max_concurrency=5)
    assert r.requests == 5
    assert [v[0] for v in r.vectors] == list(range(10))
    assert [len(req["json"]["inputs"]) for req in embedder.requests] == [2] * 5


def test_usage_is_summed_and_priced(embedder: FauxProvider) -> None:
    embedder.reply(FauxReply(vectors=[[1.0]], usage=aiwire.Usage(input=1000)))
    embedder.reply(FauxReply(vectors=[[2.0]], usage=aiwire.Usage(input=3000)))
    r = aiwire.embed_sync(embedder.model, ["a", "b"], batch_size=1)
    assert r.usage is not None and r.usage.input == 4000 and r.usage.total == 4000
    assert r.usage.cost.total == pytest.approx(4000 * 0.5 / 1e6)


def test_batch_size_cannot_exceed_the_limit() -> None:
    r = aiwire.embed_sync(DEMO, ["a"] * 20, batch_size=100)
    assert r.requests == 2


# -- bad input, before any request ---------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "match"),
    [
        ([], "inputs is empty"),
        ("", r"inputs\[0\] is empty"),
        (["ok", "   "], r"inputs\[1\] is empty"),
        (["ok", 3], r"inputs\[1\] is not a str but int"),
        (b"bytes", "must be a str or a list of str"),
        (["word " * 1000], r"inputs\[0\] is about .* over the 512-token input limit of demo/aiwire-demo-embed"),
    ],
)
def test_bad_inputs_raise_before_any_request(inputs: Any, match: str, embedder: FauxProvider) -> None:
    with pytest.raises(errors.InvalidInputError, match=match):
        aiwire.embed_sync(DEMO, inputs)


def test_over_limit_input_makes_no_request(embedder: FauxProvider) -> None:
    with pytest.raises(errors.InvalidInputError, match="over the 100-token input limit"):
        aiwire.embed_sync(embedder.model, ["fine", "x" * 1000])
    assert embedder.requests == []
    # truncate=True hands long inputs to the provider, which may cut them
    aiwire.embed_sync(embedder.model, ["x" * 1000], truncate=True)
    assert len(embedder.requests) == 1


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"colour": "red"}, "unknown embedding option"),
        ({"vector_format": "numpy"}, "vector_format='numpy'"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"dimensions": 0}, "bad embedding option"),
        ({"dimensions": 65}, "at most 64 dimensions"),
        ({"input_type": "poem"}, "bad embedding option"),
    ],
)
def test_bad_options_raise(options: dict[str, Any], match: str) -> None:
    with pytest.raises(errors.BadOptionsError, match=match):
        aiwire.embed_sync(DEMO, "x", **options)


def test_a_chat_model_is_refused() -> None:
    with pytest.raises(errors.BadOptionsError, match="demo/aiwire-demo is not an embedding model"):
        aiwire.embed_sync("demo/aiwire-demo", "x")


def test_an_api_that_cannot_embed_is_named() -> None:
    model = aiwire.custom_model("m", api="faux-chat-only", base_url="http://x.invalid")

    class _ChatOnly(aiwire.plugin.BaseCodec):
        api = "faux-chat-only"

    class _Plugin:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl
        def register_apis(self, register: Any) -> None:
            register("faux-chat-only", lambda: _ChatOnly())

    aiwire.register_plugin(_Plugin(), "test-chat-only")
    try:
        with pytest.raises(errors.BadOptionsError, match="the faux-chat-only api of custom/m cannot embed"):
            aiwire.embed_sync(model, "x")
    finally:
        aiwire.unregister_plugin("test-chat-only")


# -- failures after setup -----------------------------------------------------------------


def test_http_error_raises_provider_error_with_the_secret_masked(embedder: FauxProvider) -> None:
    embedder.reply(FauxReply(status=400, error="bad key sk-secret-123456 given", error_type="invalid_request_error"))
    with pytest.raises(errors.ProviderError, match=r"HTTP 400: bad key \*\*\* given") as info:
        aiwire.embed_sync(embedder.model, "x", api_key="sk-secret-123456")
    result = info.value.message
    assert isinstance(result, EmbeddingResult) and result.vectors == []


def test_check_false_returns_the_error_result(embedder: FauxProvider) -> None:
    embedder.reply(FauxReply(vectors=[[1.0]]))
    embedder.reply(FauxReply(status=404, error="no such model"))
    r = aiwire.embed_sync(embedder.model, ["a", "b", "c"], batch_size=1, check=False)
    assert (r.stop_reason, r.error_status, r.vectors) == ("error", 404, [])
    assert len(embedder.requests) == 2  # the third batch is never sent


async def test_retries_then_succeeds(embedder: FauxProvider) -> None:
    embedder.reply(FauxReply(status=429, error="slow down", headers={"retry-after": "0"}))
    embedder.reply(FauxReply(vectors=[[0.5, 0.5]]))
    retries: list[str] = []
    r = await aiwire.embed(embedder.model, "x", on_retry=lambda n, d, why: retries.append(why))
    assert retries == ["HTTP 429"] and r.vectors[0].tolist() == [0.5, 0.5]


def test_wrong_vector_count_is_a_decode_error(embedder: FauxProvider) -> None:
    embedder.reply(FauxReply(vectors=[[1.0]]))
    with pytest.raises(errors.ProviderError, match="2 inputs were sent but 1 vectors came back"):
        aiwire.embed_sync(embedder.model, ["a", "b"])


def test_undecodable_body(embedder: FauxProvider) -> None:
    def bad(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<html>nope</html>")

    with pytest.raises(errors.ProviderError, match="could not decode the faux response"):
        aiwire.embed_sync(embedder.model, "x", transport=httpx.MockTransport(bad))


# -- hooks and clients ------------------------------------------------------------------


class _Observer:
    AIWIRE_PLUGIN_API = 2

    def __init__(self) -> None:
        self.seen: list[str] = []

    @aiwire.hookimpl
    def prepare_request(self, model: aiwire.Model, request: Request) -> None:
        request.headers["x-traced"] = "1"
        self.seen.append("prepare")

    @aiwire.hookimpl
    def on_embeddings_end(self, model: aiwire.Model, result: EmbeddingResult) -> None:
        self.seen.append(f"end {result.stop_reason} {len(result.vectors)}")


def test_hooks_see_every_batch(embedder: FauxProvider) -> None:
    observer = _Observer()
    aiwire.register_plugin(observer, "test-embed-observer")
    try:
        aiwire.embed_sync(embedder.model, ["a", "b", "c"], batch_size=2, headers={"x-extra": "2"})
    finally:
        aiwire.unregister_plugin("test-embed-observer")
    # every batch is built (and checked) before the first is sent
    assert observer.seen == ["prepare", "prepare", "end stop 2", "end stop 1"]
    assert embedder.requests[0]["headers"]["x-traced"] == "1"
    assert embedder.requests[0]["headers"]["x-extra"] == "2"


def test_client_defaults_apply_and_chat_ones_are_ignored(embedder: FauxProvider) -> None:
    with aiwire.Client(options={"temperature": 0.2, "headers": {"x-team": "a"}}) as client:
        r = client.embed(embedder.model, "x", vector_format="list")
    assert isinstance(r.vectors[0], list)
    assert embedder.requests[0]["headers"]["x-team"] == "a"


def test_client_chat_provider_options_stay_out_of_embeddings(embedder: FauxProvider) -> None:
    # A client's provider_options are meant for chat bodies (top_k...); an embeddings
    # vendor would refuse them. Per-call provider_options still reach the body.
    with aiwire.Client(options={"provider_options": {"top_k": 5}, "headers": {"x-team": "a"}}) as client:
        client.embed(embedder.model, "x")
        client.embed(embedder.model, "y", provider_options={"encoding": "float"})
    first, second = (r["json"] for r in embedder.requests)
    assert "top_k" not in first and "top_k" not in second
    assert second["encoding"] == "float"
    assert embedder.requests[0]["headers"]["x-team"] == "a"


async def test_async_client() -> None:
    async with aiwire.AsyncClient() as client:
        r = await client.embed(DEMO, ["a", "b"], dimensions=8)
    assert [len(v) for v in r.vectors] == [8, 8]


def test_closed_client_refuses() -> None:
    client = aiwire.Client()
    client.close()
    with pytest.raises(RuntimeError, match="closed"):
        client.embed(DEMO, "x")


def test_vector_from_base64_reads_little_endian_float32() -> None:
    import base64

    raw = struct.pack("<3f", 1.5, -2.0, 0.25)
    assert vector_from_base64(base64.b64encode(raw)).tolist() == [1.5, -2.0, 0.25]
    with pytest.raises(ValueError, match="multiple of 4"):
        vector_from_base64(base64.b64encode(b"abc"))


def test_cancelling_the_caller_cancels_the_batches(embedder: FauxProvider) -> None:
    embedder.reply(FauxReply(vectors=[[1.0]], delay=5))

    async def main() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(aiwire.embed(embedder.model, "x"), 0.05)

    asyncio.run(main())


def test_msgspec_encodes_list_vectors_only() -> None:
    r = aiwire.embed_sync(DEMO, "x")
    with pytest.raises(TypeError):
        msgspec.json.encode(r)


def test_batches_also_respect_a_token_budget() -> None:
    from aiwire._wire.embedding import split_batches

    texts = ["a" * 40, "b" * 40, "c" * 40, "d"]  # 10, 10, 10 and 1 estimated tokens
    assert split_batches(texts, 10, max_tokens=20) == [texts[:2], texts[2:]]
    assert split_batches(texts, 2) == [texts[:2], texts[2:]]
    assert split_batches(texts, 10, max_tokens=5) == [[t] for t in texts]
