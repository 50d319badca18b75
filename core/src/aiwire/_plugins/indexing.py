"""Writing the plugin index from a registry discovery just built (imported
only when the index is rebuilt; reading it is :mod:`aiwire._plugins.index`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from aiwire._plugins.index import CatalogRef, Entry, Index, stamp_files

if TYPE_CHECKING:
    from aiwire._plugins.registry import Registry

__all__ = ["build_index"]


def build_index(reg: Registry, key: list[Any], loaded: list[tuple[str, str]], before: set[str]) -> Index:
    """The index of the plugins ``reg`` discovered: ``loaded`` holds their
    names and import paths, ``before`` the modules imported before discovery."""
    entries: list[Entry] = []
    files: set[str] = set()
    tops = {path.partition(":")[0].split(".")[0] for _, path in loaded}
    for name, info in reg.plugins.items():
        if info.status == "disabled":
            entries.append(
                Entry(
                    name=name,
                    module=info.module,
                    distribution=info.distribution,
                    version=info.version,
                    status="disabled",
                )
            )
    for name, path in loaded:
        entry, catalog_files = _entry(reg, name, path)
        entries.append(entry)
        files.update(catalog_files)
    # An editable plugin changes without its dist-info: stamp every module
    # file discovery imported, and the plugins' own modules.
    # (Files under the interpreter's prefixes belong to installed
    # distributions, which the key covers.)
    prefixes = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix})
    for modname, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            continue
        if modname.split(".")[0] in tops or (modname not in before and not file.startswith(prefixes)):
            files.add(file)
    entries.sort(key=lambda e: e.name)
    return Index(key=key, files=stamp_files(sorted(files)), entries=entries)


def _entry(reg: Registry, name: str, path: str) -> tuple[Entry, list[str]]:
    from aiwire._plugins.hooks import CommandSpec, InstallHint, OAuthSpec, ProviderSpec
    from aiwire._plugins.registry import _PackagedCatalog

    info = reg.plugins[name]
    base = Entry(
        name=name,
        module=path,
        distribution=info.distribution,
        version=info.version,
        hooks=list(info.hooks),
        api=info.api,
    )
    eager = msgspec.structs.replace(base, eager=True)
    apis = [(a.id, a.codec) for a in reg.apis.values() if a.plugin == name]
    providers = [p for p in reg.providers.values() if p.plugin == name]
    oauth = [o for o in reg.oauth.values() if o.plugin == name]
    hints = [h for h in reg.hints if h.plugin == name]
    commands = [c for c in reg.commands.values() if c.plugin == name]
    sources = [src for plugin, src in reg._model_sources if plugin == name]
    if (
        not all(isinstance(c, str) for _, c in apis)
        or not all(isinstance(o.flow, str) for o in oauth)
        or not all(isinstance(c.target, str) for c in commands)
        or not all(isinstance(s, _PackagedCatalog) for s in sources)
        or not _is_data(providers, ProviderSpec)
        or not _is_data(oauth, OAuthSpec)
        or not _is_data(hints, InstallHint)
        or not _is_data(commands, CommandSpec)
    ):
        return eager, []
    catalogs, files = [], []
    for src in sources:
        assert isinstance(src, _PackagedCatalog)
        try:
            held: tuple[str, ...] | None = tuple(sorted({m.provider for m in src()}))
        except Exception:
            held = None  # reported when the catalog is used, as without the index
        catalogs.append(CatalogRef(package=src.package, name=src.name, providers=held))
        file = _catalog_file(src.package, src.name)
        if file is not None:
            files.append(file)
    entry = msgspec.structs.replace(
        base, apis=apis, providers=providers, oauth=oauth, hints=hints, commands=commands, catalogs=catalogs
    )
    return entry, files


def _is_data(items: list[Any], kind: type) -> bool:
    """Whether each spec comes back equal from JSON (no objects in it)."""
    try:
        return all(msgspec.json.decode(msgspec.json.encode(i), type=kind) == i for i in items)
    except (TypeError, ValueError, msgspec.MsgspecError):
        return False


def _catalog_file(package: str, name: str) -> str | None:
    from importlib import resources

    try:
        file = resources.files(package).joinpath(name)
    except Exception:
        return None
    return str(file) if isinstance(file, Path) and file.is_file() else None
