"""Cost of a turn from the model's prices (USD per million tokens)."""

from __future__ import annotations

from aiwire.types import Cost, Model, Usage

__all__ = ["compute_cost"]


def compute_cost(model: Model, usage: Usage) -> Cost:
    """Price ``usage`` with ``model.cost``; cache reads and writes included."""
    p = model.cost
    c_in = usage.input * p.input / 1e6
    c_out = usage.output * p.output / 1e6
    c_read = usage.cache_read * p.cache_read / 1e6
    c_write = usage.cache_write * p.cache_write / 1e6
    return Cost(
        input=c_in,
        output=c_out,
        cache_read=c_read,
        cache_write=c_write,
        total=c_in + c_out + c_read + c_write,
    )
