"""The embeddings contract suite run on the core's own faux api, and the
suite's own checks shown to fail on broken codecs."""

from __future__ import annotations

import msgspec
import pytest

import aiwire
from aiwire.testing.contract import EmbeddingContract, EmbeddingRecording, check_embeddings

_BODY = msgspec.json.encode({"vectors": [[0.5, -0.25, 1.0], [1.5, 2.0, -3.0]], "usage": {"input": 7}})


class TestFauxEmbeddingsContract(EmbeddingContract):
    api = "faux"
    recordings = (
        EmbeddingRecording(name="two-vectors", body=_BODY, count=2, dimensions=3, usage=True),
        EmbeddingRecording(name="no-usage", body=b'{"vectors": [[1.0, 0.0]]}', count=1, usage=False),
        EmbeddingRecording(name="http-404", status=404, body=b'{"error": {"message": "no such model"}}'),
    )


def test_check_embeddings_catches_ragged_and_non_finite_vectors() -> None:
    from array import array

    r = aiwire.EmbeddingResult(vectors=[array("f", [1.0, 2.0]), array("f", [1.0])], dimensions=2)
    with pytest.raises(AssertionError, match="different sizes"):
        check_embeddings(r, 2)
    r = aiwire.EmbeddingResult(vectors=[array("f", [float("nan")])], dimensions=1)
    with pytest.raises(AssertionError, match="NaN"):
        check_embeddings(r, 1)
    r = aiwire.EmbeddingResult(vectors=[[1.0]], dimensions=1)
    with pytest.raises(AssertionError, match="not array"):
        check_embeddings(r, 1)
    with pytest.raises(AssertionError, match="1 vectors for 2 inputs"):
        check_embeddings(aiwire.EmbeddingResult(vectors=[array("f", [1.0])], dimensions=1), 2)
