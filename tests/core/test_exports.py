from __future__ import annotations

import aiwire


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert aiwire.__all__ == sorted(aiwire.__all__)
    for name in aiwire.__all__:
        assert getattr(aiwire, name) is not None, name


def test_robustness_names_are_exported() -> None:
    from aiwire import classify, handoff, tools

    assert aiwire.is_context_overflow is classify.is_context_overflow
    assert aiwire.transform_context is handoff.transform_context
    assert aiwire.ToolArgumentsError is tools.ToolArgumentsError
    assert issubclass(aiwire.ExtractError, aiwire.errors.AiwireError)
