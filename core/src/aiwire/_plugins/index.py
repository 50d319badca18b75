"""The plugin index: what the installed plugins registered, cached on disk.

Discovery reads the ``aiwire`` entry points (importing ``importlib.metadata``
alone costs about 20 ms) and imports every plugin to run its register hooks.
The index keeps the result, so that a later process imports a plugin only
when something it registered is used: its codec, login flow, command or
catalog, or its request hooks (imported on the first call). It lives in
``plugins-index-<environment>.json`` under the user's cache folder
(:func:`index_path`; one per Python environment, so that two virtualenvs do
not overwrite each other's) and is ignored and rewritten when its key no
longer matches:

- this aiwire and Python, ``AIWIRE_PLUGINS`` and ``AIWIRE_DISABLE_PLUGINS``;
- the ``*.dist-info`` / ``*.egg-info`` folders on ``sys.path``, in order: their
  names and the mtime of the folder holding them (installing, removing,
  upgrading or reinstalling a distribution changes them);
- the mtime of every module file discovery imported and every packaged
  catalog the index describes (an editable plugin whose source changed).

It is written only when every plugin loaded cleanly (a broken plugin is
reported by every process, as before). A plugin that registers objects
instead of data (import paths, specs, packaged catalogs) is recorded as
*eager*: each process imports it and runs its register hooks, as without the
index. ``AIWIRE_PLUGIN_INDEX=0`` turns the index off.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import msgspec

from aiwire._plugins.hooks import CommandSpec, InstallHint, OAuthSpec, ProviderSpec

__all__ = ["CatalogRef", "Entry", "Index", "index_path", "load", "save", "stamp_files"]

FORMAT = 1


class CatalogRef(msgspec.Struct, frozen=True, kw_only=True):
    """A catalog shipped as package data, and the providers it holds."""

    package: str
    name: str
    providers: tuple[str, ...] | None = None
    """``None`` when not known (then it is loaded for any provider)."""


class Entry(msgspec.Struct, kw_only=True):
    """One installed plugin and what it registered."""

    name: str
    module: str
    distribution: str = ""
    version: str = ""
    status: str = "ok"
    hooks: list[str] = msgspec.field(default_factory=list)
    api: int | None = None
    eager: bool = False
    """Not indexable: imported and registered by every process."""
    apis: list[tuple[str, str]] = msgspec.field(default_factory=list)
    providers: list[ProviderSpec] = msgspec.field(default_factory=list)
    oauth: list[OAuthSpec] = msgspec.field(default_factory=list)
    hints: list[InstallHint] = msgspec.field(default_factory=list)
    commands: list[CommandSpec] = msgspec.field(default_factory=list)
    catalogs: list[CatalogRef] = msgspec.field(default_factory=list)


class Index(msgspec.Struct, kw_only=True):
    format: int = FORMAT
    key: list[Any]
    files: list[tuple[str, int]] = msgspec.field(default_factory=list)
    entries: list[Entry] = msgspec.field(default_factory=list)


def index_path() -> Path | None:
    """Where the index lives, or ``None`` when ``AIWIRE_PLUGIN_INDEX=0``:
    ``$AIWIRE_HOME/cache/`` when ``AIWIRE_HOME`` is set, else the platform's
    user cache folder (``$XDG_CACHE_HOME/aiwire`` or ``~/.cache/aiwire``,
    ``~/Library/Caches/aiwire``, ``%LOCALAPPDATA%\\aiwire\\Cache``)."""
    if os.environ.get("AIWIRE_PLUGIN_INDEX", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    home = os.environ.get("AIWIRE_HOME")
    if home:
        base = Path(home).expanduser() / "cache"
    elif sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        base = Path(local) / "aiwire" / "Cache"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches" / "aiwire"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aiwire"
    return base / f"plugins-index-{_environment()}.json"


def _environment() -> str:
    """A short stable name of this interpreter and environment (FNV-1a: no
    hashlib import)."""
    h = 0x811C9DC5
    for byte in f"{sys.prefix}\0{sys.version}".encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return f"{h:08x}"


def current_key(version: str) -> list[Any]:
    """What the index must have been built under (see the module docstring)."""
    dists: list[tuple[str, int, list[str]]] = []
    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        found = sorted(n for n in names if n.endswith((".dist-info", ".egg-info")))
        if found:
            # The folder's mtime changes whenever an entry in it is added or
            # removed: a reinstall under the same name too.
            dists.append((entry, _mtime(folder), found))
    env = [os.environ.get("AIWIRE_PLUGINS"), os.environ.get("AIWIRE_DISABLE_PLUGINS")]
    # Not sys.path itself: its first entry is the script's folder (or the
    # working directory), which differs between a script and the CLI without
    # changing what is installed; the dists, in sys.path order, are what count.
    return [FORMAT, version, sys.version, sys.prefix, env, dists]


def stamp_files(paths: list[str]) -> list[tuple[str, int]]:
    """``(path, mtime)`` of each file; -1 for one that is gone."""
    return [(path, _mtime(path)) for path in paths]


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


_decoder = msgspec.json.Decoder(Index)


def load(path: Path, key: list[Any]) -> Index | None:
    """The index at ``path`` when it exists, parses and matches ``key`` and
    the files it stamped; else ``None``."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        index = _decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    # The key went through JSON: compare it in the same form.
    if index.format != FORMAT or index.key != msgspec.json.decode(msgspec.json.encode(key)):
        return None
    if stamp_files([p for p, _ in index.files]) != [tuple(f) for f in index.files]:
        return None
    return index


def save(path: Path, index: Index) -> None:
    """Write the index atomically; a folder that cannot be written means no
    index, never an error."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        _private_folders(path.parent)
        tmp.write_bytes(msgspec.json.encode(index))
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _private_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents readable by the user alone,
    as aiwire's other folders are: ``$AIWIRE_HOME`` made here with the
    default mode would be refused by the auth store."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for f in reversed(missing):
        f.mkdir(mode=0o700, exist_ok=True)
