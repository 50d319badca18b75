"""The contract suite for the embeddings codec kind (see :mod:`aiwire.testing.contract`).

Subclass :class:`EmbeddingContract` in a test module::

    from aiwire.testing.contract import EmbeddingContract, embedding_recordings

    class TestAcmeEmbeddings(EmbeddingContract):
        api = "acme-embed"
        recordings = embedding_recordings(CONFORMANCE, "acme-embed")

Every recorded response goes through the core's own path (``aiwire.embed``
with a transport that answers with the recording) and is checked for: one
float32 vector per input, all of one size, finite; usage that adds up;
vector formats that agree; batches joined in input order; a vector count that
does not match the inputs refused as an error; HTTP errors raised as
:class:`~aiwire.errors.ProviderError` with the vendor's message. The codec's
declarations (``embedding_options``, ``max_batch``) and request building are
checked too.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import httpx
import msgspec
import pytest

from aiwire._api.models import custom_model
from aiwire._plugins.registry import get_registry
from aiwire._wire.codec import EMBEDDING_OPTIONS, Credentials, EmbeddingOptions, Request
from aiwire.errors import BadOptionsError, ProviderError
from aiwire.testing._recordings import strings_in
from aiwire.types import EmbeddingResult, Model

__all__ = ["EmbeddingContract", "EmbeddingRecording", "check_embeddings", "embedding_recordings"]


class EmbeddingRecording(msgspec.Struct, kw_only=True, frozen=True):
    """One recorded embeddings response: its body, status, and how many
    inputs the request carried (``count``). ``dimensions`` and ``usage``
    (present or absent), when set, are checked too."""

    name: str
    body: bytes
    count: int = 1
    status: int = 200
    dimensions: int | None = None
    usage: bool | None = None

    @property
    def is_error(self) -> bool:
        return self.status >= 400

    def __repr__(self) -> str:
        return f"EmbeddingRecording({self.name!r}, {self.count} inputs, status={self.status})"


def _count(request: Any) -> int:
    """How many texts a recorded request body carried, whatever the vendor's shape."""
    if not isinstance(request, dict):
        return 1
    for key in ("input", "texts", "requests", "instances", "inputText"):
        value = request.get(key)
        if isinstance(value, list):
            return len(value)
        if isinstance(value, str):
            return 1
    return 1


def embedding_recordings(directory: str | Path, api: str) -> list[EmbeddingRecording]:
    """The shared conformance recordings of an embeddings ``api``
    (``openai-embeddings``, ``cohere-embed``...), or ``[]`` when ``directory`` is absent."""
    root = Path(directory)
    out: list[EmbeddingRecording] = []
    for path in sorted(root.glob(f"{api}/*.json")) if root.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        response = data["response"]
        out.append(
            EmbeddingRecording(
                name=path.stem.split("__")[-1],
                body=str(response["body_text"]).encode(),
                status=int(response["status"]),
                count=_count(data["request"].get("body")),
            )
        )
    return out


def check_embeddings(result: EmbeddingResult, count: int) -> None:
    """Assert what every successful embeddings result must satisfy."""
    assert result.stop_reason == "stop", result.error_message
    assert len(result.vectors) == count, f"{len(result.vectors)} vectors for {count} inputs"
    assert result.dimensions > 0 and all(len(v) == result.dimensions for v in result.vectors), (
        "vectors of different sizes"
    )
    for v in result.vectors:
        assert isinstance(v, array) and v.typecode == "f", f"a vector is {type(v).__name__}, not array('f')"
        assert all(math.isfinite(x) for x in v), "a vector holds NaN or infinity"
    if result.usage is not None:
        u = result.usage
        assert u.total == u.input + u.output + u.cache_read + u.cache_write, f"usage total is not the sum: {u}"
        assert min(u.input, u.output, u.cache_read, u.cache_write) >= 0 and u.cost.total >= 0, f"negative usage: {u}"


class _Replay(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers every request with one recorded response; keeps the requests."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body
        self.requests: list[httpx.Request] = []

    def _reply(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, headers={"content-type": "application/json"}, content=self.body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._reply(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._reply(request)


SYNTHETIC_ERROR = EmbeddingRecording(
    name="synthetic-http-400",
    status=400,
    body=b'{"error": {"type": "invalid_request_error", "message": "contract suite: synthetic vendor error"}}',
)


class EmbeddingContract:
    """Subclass as ``Test<Something>`` and set ``api`` and ``recordings``.

    ``model`` defaults to a custom model of ``api`` (set one when the codec
    reads the model: a provider, a base URL, compat switches).
    """

    api: ClassVar[str] = ""
    recordings: ClassVar[Sequence[EmbeddingRecording]] = ()
    model: ClassVar[Model | None] = None

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        ok = [r for r in self.recordings if not r.is_error]
        errors = [r for r in self.recordings if r.is_error] or [SYNTHETIC_ERROR]
        for name, items in (("recording", ok), ("http_error", errors)):
            if name in metafunc.fixturenames:
                metafunc.parametrize(name, items, ids=[r.name for r in items])

    def the_model(self) -> Model:
        if self.model is not None:
            return self.model
        return custom_model("contract-embed", api=self.api, base_url="http://contract.aiwire.invalid/v1", compat={})

    def codec(self) -> Any:
        return get_registry().codec(self.api)

    def embed(
        self, recording: EmbeddingRecording, inputs: list[str], **options: Any
    ) -> tuple[EmbeddingResult, _Replay]:
        from aiwire._api.client import Client

        transport = _Replay(recording.status, recording.body)
        with Client() as client:
            result = client.embed(
                self.the_model(),
                inputs,
                api_key="contract-key",
                transport=transport,
                max_retries=0,
                check=False,
                **options,
            )
        return result, transport

    @staticmethod
    def texts(count: int, offset: int = 0) -> list[str]:
        return [f"contract input {offset + i}" for i in range(count)]

    # -- declarations and requests --------------------------------------------------

    def test_api_is_registered_and_declares_its_limits(self) -> None:
        assert self.api, "set `api` on the contract class"
        assert self.api in get_registry().apis, f"no installed plugin registers the api {self.api!r}"
        codec = self.codec()
        assert callable(getattr(codec, "build_embedding_request", None)), "no build_embedding_request"
        assert callable(getattr(codec, "parse_embedding_response", None)), "no parse_embedding_response"
        declared = frozenset(getattr(codec, "embedding_options", ()))
        assert declared <= EMBEDDING_OPTIONS, (
            f"unknown embedding options declared: {sorted(declared - EMBEDDING_OPTIONS)}"
        )
        assert isinstance(getattr(codec, "max_batch", None), int) and codec.max_batch >= 1, (
            "max_batch must be an int >= 1"
        )
        assert [r for r in self.recordings if not r.is_error], "give the contract at least one recorded response"

    def test_requests_are_json_and_keep_the_key_out_of_the_url(self) -> None:
        codec = self.codec()
        model = self.the_model()
        declared = frozenset(getattr(codec, "embedding_options", ()))
        variants = [EmbeddingOptions()]
        if "dimensions" in declared:
            variants.append(EmbeddingOptions(dimensions=256))
        if "input_type" in declared:
            variants.append(EmbeddingOptions(input_type="query"))
        if "truncate" in declared:
            variants.append(EmbeddingOptions(truncate=False))
        for options in variants:
            try:
                request = codec.build_embedding_request(
                    model, ["first", "second"], options, Credentials("contract-key")
                )
            except BadOptionsError:
                continue  # a value this model's wire cannot express: refused clearly, which is allowed
            assert isinstance(request, Request), f"build_embedding_request returned {type(request).__name__}"
            assert "contract-key" not in request.url, "the key is in the URL"
            body = request.content if request.content is not None else msgspec.json.encode(request.json)
            assert b"first" in body and b"second" in body, "the inputs are not in the request body"

    # -- recorded responses ----------------------------------------------------------

    def test_recording_decodes(self, recording: EmbeddingRecording) -> None:
        result, transport = self.embed(recording, self.texts(recording.count))
        check_embeddings(result, recording.count)
        assert result.requests == len(transport.requests) == 1
        if recording.dimensions is not None:
            assert result.dimensions == recording.dimensions
        if recording.usage is not None:
            assert (result.usage is not None) == recording.usage, f"usage is {result.usage}"

    def test_vector_formats_agree(self, recording: EmbeddingRecording) -> None:
        arrays, _ = self.embed(recording, self.texts(recording.count))
        lists, _ = self.embed(recording, self.texts(recording.count), vector_format="list")
        raw, _ = self.embed(recording, self.texts(recording.count), vector_format="bytes")
        assert [v.tolist() for v in arrays.vectors] == lists.vectors
        assert [bytes(v) for v in raw.vectors] == [_le(v) for v in arrays.vectors]
        assert arrays.to_bytes() == b"".join(raw.vectors)
        assert msgspec.json.decode(msgspec.json.encode(lists.vectors)) == lists.vectors

    def test_batches_join_in_input_order(self, recording: EmbeddingRecording) -> None:
        # Twice the recorded inputs, one recorded answer per batch: the second half repeats the first.
        n = recording.count
        result, transport = self.embed(recording, self.texts(2 * n), batch_size=n)
        check_embeddings(result, 2 * n)
        assert len(transport.requests) == 2
        assert result.vectors[:n] == result.vectors[n:]
        sent = [r.content for r in transport.requests]
        assert b"contract input 0" in sent[0] and f"contract input {n}".encode() in sent[1]

    def test_a_vector_count_that_does_not_match_is_an_error(self, recording: EmbeddingRecording) -> None:
        model = self.the_model()
        limit = int(model.compat.get("max_batch") or self.codec().max_batch)
        if limit < recording.count + 1:
            pytest.skip(f"{model.ref} takes at most {limit} input(s) a request: no request can carry one too many")
        result, _ = self.embed(recording, self.texts(recording.count + 1), batch_size=recording.count + 1)
        assert result.stop_reason == "error" and result.vectors == []
        assert "vectors came back" in (result.error_message or ""), result.error_message

    def test_http_error_raises_with_the_vendors_message(self, http_error: EmbeddingRecording) -> None:
        result, _ = self.embed(http_error, self.texts(1))
        assert result.stop_reason == "error" and result.error_status == http_error.status
        assert result.vectors == []
        text = result.error_message or ""
        assert any(s and (s in text or text in s) for s in strings_in(http_error.body)), (
            f"the error message {text!r} is not the vendor's"
        )
        with pytest.raises(ProviderError):
            result.raise_for_error()


def _le(vector: array[float]) -> bytes:
    import sys

    if sys.byteorder == "little":
        return vector.tobytes()
    swapped = array("f", vector)
    swapped.byteswap()
    return swapped.tobytes()
