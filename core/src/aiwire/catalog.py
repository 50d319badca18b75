"""Model catalogs: build them from models.dev data, ship them as JSON, load them fast.

A plugin generates its catalog once with a small script::

    data = aiwire.catalog.read_models_dev()            # the snapshot, or a URL/path
    models = aiwire.catalog.from_models_dev(data, "anthropic", api="anthropic-messages",
                                            base_url="https://api.anthropic.com")
    aiwire.catalog.write_catalog(models, "src/aiwire_anthropic/catalog.json")

and registers it by package name, so discovery never parses it (the core
loads ``catalog.json`` from the package on the first model lookup)::

    @aiwire.hookimpl
    def register_models(register):
        register("aiwire_anthropic")
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from aiwire.types import Model, ModelCost

__all__ = [
    "MODELS_DEV_NOTICE",
    "MODELS_DEV_URL",
    "from_models_dev",
    "load_catalog",
    "read_models_dev",
    "write_catalog",
]

MODELS_DEV_URL = "https://models.dev/api.json"
MODELS_DEV_NOTICE = (
    "Model data from the models.dev catalog (https://models.dev), MIT License, Copyright (c) 2025 models.dev."
)


class _CatalogFile(msgspec.Struct):
    notice: str
    source: str
    models: list[Model]


def read_models_dev(source: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read models.dev data: a path, an http(s) URL, or by default the
    snapshot in ``../shared/models-dev/models.json`` next to the repository
    (``$AIWIRE_MODELS_DEV`` overrides)."""
    src = str(source or os.environ.get("AIWIRE_MODELS_DEV") or _default_snapshot())
    if src.startswith(("http://", "https://")):
        import httpx

        resp = httpx.get(src, timeout=60, follow_redirects=True)
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data
    with open(src, "rb") as f:
        loaded: dict[str, Any] = json.load(f)
        return loaded


def _default_snapshot() -> Path:
    here = Path.cwd().resolve()
    for parent in (here, *here.parents):
        candidate = parent.parent / "shared" / "models-dev" / "models.json"
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        "models.dev snapshot not found: pass a path or URL (for example " + MODELS_DEV_URL + ") "
        "or set AIWIRE_MODELS_DEV"
    )


def from_models_dev(
    data: Mapping[str, Any],
    provider_key: str,
    *,
    api: str | Callable[[Mapping[str, Any]], str | None],
    base_url: str,
    provider: str | None = None,
    keep: Callable[[Mapping[str, Any]], bool] | None = None,
    compat: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> list[Model]:
    """Models of one models.dev provider as aiwire :class:`Model` records.

    ``api`` may be a function of the raw entry (return ``None`` to skip it).
    By default only models that support tool calls and are not deprecated are
    kept; ``keep`` replaces that rule.
    """
    section = data.get(provider_key)
    if section is None:
        raise KeyError(f"models.dev data has no provider {provider_key!r}")
    out: list[Model] = []
    for mid, raw in sorted(section.get("models", {}).items()):
        if keep is not None:
            if not keep(raw):
                continue
        elif not raw.get("tool_call") or raw.get("status") == "deprecated":
            continue
        api_id = api(raw) if callable(api) else api
        if api_id is None:
            continue
        mods = raw.get("modalities", {})
        cost = raw.get("cost", {})
        limit = raw.get("limit", {})
        out.append(
            Model(
                id=raw.get("id", mid),
                name=raw.get("name", mid),
                provider=provider or provider_key,
                api=api_id,
                base_url=base_url,
                reasoning=bool(raw.get("reasoning")),
                input=tuple(m for m in mods.get("input", ["text"]) if m in ("text", "image")),
                output=tuple(m for m in mods.get("output", ["text"]) if m in ("text", "image")),
                cost=ModelCost(
                    input=float(cost.get("input", 0)),
                    output=float(cost.get("output", 0)),
                    cache_read=float(cost.get("cache_read", 0)),
                    cache_write=float(cost.get("cache_write", 0)),
                ),
                context_window=int(limit.get("context", 0)),
                max_tokens=int(limit.get("output", 0)),
                headers=dict(headers or {}),
                compat=compat(raw) if compat else {},
            )
        )
    return out


def write_catalog(models: Iterable[Model], path: str | os.PathLike[str], *, source: str = MODELS_DEV_URL) -> None:
    """Write models as the JSON a plugin ships (with the data's notice)."""
    body = _CatalogFile(
        notice=MODELS_DEV_NOTICE, source=source, models=sorted(models, key=lambda m: (m.provider, m.id))
    )
    Path(path).write_bytes(msgspec.json.format(msgspec.json.encode(body), indent=1) + b"\n")


def load_catalog(package: str, name: str = "catalog.json") -> list[Model]:
    """Load a catalog shipped as package data (fast: one msgspec decode)."""
    from importlib import resources

    raw = resources.files(package).joinpath(name).read_bytes()
    return msgspec.json.decode(raw, type=_CatalogFile).models
