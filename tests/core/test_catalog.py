from __future__ import annotations

import json
from pathlib import Path

import pytest

import aiwire.catalog as catalog
from aiwire.types import Model

DATA = {
    "acme": {
        "models": {
            "a-1": {
                "id": "a-1",
                "name": "A One",
                "tool_call": True,
                "reasoning": True,
                "modalities": {"input": ["text", "image", "pdf"], "output": ["text"]},
                "cost": {"input": 1, "output": 2, "cache_read": 0.1},
                "limit": {"context": 1000, "output": 100},
            },
            "old": {"id": "old", "tool_call": True, "status": "deprecated"},
            "no-tools": {"id": "no-tools", "tool_call": False},
        }
    }
}


def test_from_models_dev_keeps_tool_models_and_maps_fields() -> None:
    [m] = catalog.from_models_dev(DATA, "acme", api="acme-wire", base_url="https://acme.invalid")
    assert (m.id, m.name, m.provider, m.reasoning, m.input) == ("a-1", "A One", "acme", True, ("text", "image"))
    assert (m.cost.input, m.cost.cache_read, m.context_window, m.max_tokens) == (1.0, 0.1, 1000, 100)
    assert catalog.from_models_dev(DATA, "acme", api=lambda raw: None, base_url="u") == []
    with pytest.raises(KeyError, match="no provider 'nope'"):
        catalog.from_models_dev(DATA, "nope", api="x", base_url="u")


def test_write_and_load_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "acme_cat"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    models = [Model(id="b", provider="p", api="a", base_url="u"), Model(id="a", provider="p", api="a", base_url="u")]
    catalog.write_catalog(models, pkg / "catalog.json")
    written = json.loads((pkg / "catalog.json").read_text())
    assert "models.dev" in written["notice"] and "MIT" in written["notice"]
    monkeypatch.syspath_prepend(str(tmp_path))
    assert [m.id for m in catalog.load_catalog("acme_cat")] == ["a", "b"]


def test_reads_the_shared_snapshot() -> None:
    snapshot = Path(__file__).resolve().parents[3] / "shared" / "models-dev" / "models.json"
    if not snapshot.exists():
        pytest.skip(f"needs the models.dev snapshot at {snapshot} (../shared beside the clone)")
    data = catalog.read_models_dev(snapshot)
    assert catalog.from_models_dev(data, "anthropic", api="anthropic-messages", base_url="https://api.anthropic.com")
