from __future__ import annotations

import pytest

from aiwire._wire.codec import StreamDecoder
from aiwire._wire.cost import compute_cost
from aiwire.types import Model, ModelCost, Usage


def test_cost_includes_cache_reads_and_writes() -> None:
    model = Model(
        id="m",
        provider="p",
        api="a",
        base_url="u",
        cost=ModelCost(input=3, output=15, cache_read=0.3, cache_write=3.75),
    )
    cost = compute_cost(model, Usage(input=1_000_000, output=2_000_000, cache_read=500_000, cache_write=100_000))
    assert cost.input == pytest.approx(3)
    assert cost.output == pytest.approx(30)
    assert cost.cache_read == pytest.approx(0.15)
    assert cost.cache_write == pytest.approx(0.375)
    assert cost.total == pytest.approx(33.525)


def test_set_usage_keeps_fields_and_totals() -> None:
    model = Model(id="m", provider="p", api="a", base_url="u", cost=ModelCost(input=1, output=2))
    dec = StreamDecoder(model)
    dec.set_usage(input=10, cache_read=5)
    u = dec.set_usage(output=7)
    assert (u.input, u.output, u.cache_read, u.total) == (10, 7, 5, 22)
    assert u.cost.total == pytest.approx((10 * 1 + 7 * 2) / 1e6)
