"""The offline demo's embeddings: a hashing-trick bag of words, so that texts
sharing words have similar vectors. Deterministic, stdlib only, and no model:
good for examples and tests, useless for real retrieval."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable

__all__ = ["DEMO_DIMENSIONS", "demo_vectors"]

DEMO_DIMENSIONS = 64
_WORD = re.compile(r"\w+")


def _vector(text: str, dims: int) -> list[float]:
    out = [0.0] * dims
    for word in _WORD.findall(text.lower()) or [text]:
        h = hashlib.blake2b(word.encode(), digest_size=8).digest()
        slot = int.from_bytes(h[:4], "little") % dims
        out[slot] += 1.0 if h[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in out)) or 1.0
    return [v / norm for v in out]


def demo_vectors(texts: Iterable[str], dims: int | None = None) -> list[list[float]]:
    """One unit-length vector of ``dims`` (default 64) per text."""
    return [_vector(t, dims or DEMO_DIMENSIONS) for t in texts]
