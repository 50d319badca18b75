"""The auth store: stored logins and API keys in one JSON file, private to the user.

Location: ``$AIWIRE_HOME/auth.json`` when ``AIWIRE_HOME`` is set, else the
platform's user config folder (``$XDG_CONFIG_HOME/aiwire`` or
``~/.config/aiwire`` on Linux, ``~/Library/Application Support/aiwire`` on
macOS, ``%APPDATA%\\aiwire`` on Windows).

The file is created 0600 in a 0700 folder and replaced atomically. If the
permissions of the file or of its folder are opened up, the store is refused
(never silently fixed), because someone else may already have read it.
Temporary files left by a writer that was killed mid-write
(``.auth-*.tmp``, tokens inside) are deleted the next time the store is
opened for writing, and by the first read when they are over a minute old. A file that does not parse is moved
aside as ``auth.json.corrupt-<timestamp>`` and never overwritten. Writers
and token refreshes hold a cross-process lock (``auth.json.lock``) and
re-read the file once they have it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec

from aiwire._plugins.config import aiwire_home
from aiwire.auth._lock import FileLock
from aiwire.auth.errors import InsecureStoreError

__all__ = ["AuthStore", "StoredLogin", "auth_home", "default_store"]


class StoredLogin(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One login: tokens, expiry (epoch seconds) and flow-specific ``extra``
    (account or project ids, enterprise domain...). ``invalid`` says why the
    last refresh was refused; such a login needs ``aiwire login`` again."""

    access: str
    refresh: str | None = None
    expires: float | None = None
    extra: dict[str, Any] = msgspec.field(default_factory=dict)
    created: float = 0.0
    updated: float = 0.0
    invalid: str | None = None

    def __repr__(self) -> str:
        return f"StoredLogin(access='***', refresh={'***' if self.refresh else None}, expires={self.expires!r})"

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        """Whether the access token expires within ``seconds`` from now."""
        if self.expires is None:
            return False
        return self.expires - seconds <= (time.time() if now is None else now)


class _File(msgspec.Struct, kw_only=True):
    version: int = 1
    logins: dict[str, StoredLogin] = msgspec.field(default_factory=dict)
    keys: dict[str, str] = msgspec.field(default_factory=dict)
    """API keys by provider id (``aiwire keys set``)."""


_decoder = msgspec.json.Decoder(_File)


def auth_home() -> Path:
    """The folder of the auth store (``AIWIRE_HOME`` overrides); the same
    folder holds ``config.toml``."""
    return aiwire_home()


class AuthStore:
    """Stored logins by login id (``anthropic``, ``github-copilot``...).

    Reads are cached until the file changes (one ``stat`` per lookup).
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else auth_home() / "auth.json"
        self._cache: tuple[tuple[int, int, int], _File] | None = None
        self._mutex = threading.Lock()
        self._swept = False

    def __repr__(self) -> str:
        return f"AuthStore({str(self.path)!r})"

    # -- reading --------------------------------------------------------------

    def logins(self) -> dict[str, StoredLogin]:
        """Every stored login (a fresh dict; the records are shared)."""
        return dict(self._read().logins)

    def keys(self) -> dict[str, str]:
        """Stored API keys by provider id (a fresh dict)."""
        return dict(self._read().keys)

    def key(self, provider: str) -> str | None:
        """The stored API key of ``provider``, if any."""
        return self._read().keys.get(provider)

    def set_key(self, provider: str, key: str) -> None:
        """Store (or replace) the API key of ``provider``."""
        with self.lock():
            current = self._read()
            self.write_locked(current.logins, {**current.keys, provider: key})

    def delete_key(self, provider: str) -> bool:
        """Forget the API key of ``provider``; ``False`` when there was none."""
        with self.lock():
            current = self._read()
            if provider not in current.keys:
                return False
            self.write_locked(current.logins, {k: v for k, v in current.keys.items() if k != provider})
            return True

    def _read(self) -> _File:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return _File()
        self._check_mode(st)
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        cached = self._cache
        if cached is not None and cached[0] == key:
            return cached[1]
        self._check_folder()
        if not self._swept:
            self._swept = True
            self._sweep(older_than=60.0)
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return _File()
        try:
            file = _decoder.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._set_aside(exc)
            return _File()
        self._cache = (key, file)
        return file

    def get(self, login_id: str) -> StoredLogin | None:
        return self.logins().get(login_id)

    def _check_mode(self, st: os.stat_result) -> None:
        if sys.platform == "win32":
            return  # NTFS ACLs, not mode bits, protect the profile folder
        if st.st_mode & 0o077:
            raise InsecureStoreError(
                f"refusing to use {self.path}: its permissions are {stat.filemode(st.st_mode)}, so other users "
                f"may read your logins. Run `chmod 600 {self.path}` if you trust it, or delete it and log in again."
            )

    def _check_folder(self) -> None:
        if sys.platform == "win32":
            return
        try:
            st = os.stat(self.path.parent)
        except FileNotFoundError:
            return
        if st.st_mode & 0o077:
            folder = self.path.parent
            raise InsecureStoreError(
                f"refusing to use the auth store in {folder}: the folder's permissions are "
                f"{stat.filemode(st.st_mode)}, so other users may list or replace your logins. "
                f"Run `chmod 700 {folder}` if you trust it, or choose another folder with AIWIRE_HOME."
            )

    def _sweep(self, older_than: float = 0.0) -> None:
        """Delete temporary files of writers that died mid-write (they hold tokens).

        Under the lock no write is in progress, so every one is stale; without
        it, only those older than ``older_than`` seconds are removed.
        """
        folder = self.path.parent
        limit = time.time() - older_than
        try:
            names = [n for n in os.listdir(folder) if n.startswith(".auth-") and n.endswith(".tmp")]
        except OSError:
            return
        for name in names:
            with contextlib.suppress(OSError):
                tmp = folder / name
                if older_than <= 0 or tmp.stat().st_mtime < limit:
                    tmp.unlink()

    def _set_aside(self, exc: Exception) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.path, target)
        self._cache = None
        warnings.warn(
            f"the auth store {self.path} could not be read ({type(exc).__name__}); it was moved to {target} "
            "and a new one will be created. Log in again with `aiwire login`.",
            RuntimeWarning,
            stacklevel=3,
        )

    # -- writing ------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, timeout: float = 60.0) -> Iterator[None]:
        """Hold the cross-process lock (and the in-process one) for a block."""
        self._ensure_dir()
        with self._mutex, FileLock(self.path.with_name(self.path.name + ".lock"), timeout):
            self._sweep()
            self._swept = True
            yield

    def update(self, change: Callable[[dict[str, StoredLogin]], None]) -> dict[str, StoredLogin]:
        """Re-read under the lock, apply ``change`` to the logins, write atomically."""
        with self.lock():
            logins = self.logins()
            change(logins)
            self.write_locked(logins)
            return logins

    def put(self, login_id: str, login: StoredLogin) -> None:
        now = time.time()
        login.updated = now
        if not login.created:
            login.created = now

        def change(logins: dict[str, StoredLogin]) -> None:
            logins[login_id] = login

        self.update(change)

    def delete(self, login_id: str) -> bool:
        """Forget a login; ``False`` when there was none."""
        found = False

        def change(logins: dict[str, StoredLogin]) -> None:
            nonlocal found
            found = logins.pop(login_id, None) is not None

        self.update(change)
        return found

    def write_locked(self, logins: dict[str, StoredLogin], keys: dict[str, str] | None = None) -> None:
        """Write the whole store atomically (the stored keys are kept unless
        ``keys`` is given). Call only while holding :meth:`lock`."""
        if keys is None:
            keys = self._read().keys
        data = msgspec.json.format(msgspec.json.encode(_File(logins=logins, keys=keys)), indent=1) + b"\n"
        import tempfile  # only when writing: it is slow to import

        fd, tmp = tempfile.mkstemp(prefix=".auth-", suffix=".tmp", dir=self.path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        self._cache = None

    def _ensure_dir(self) -> None:
        folder = self.path.parent
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._check_folder()


def default_store() -> AuthStore:
    """The store at :func:`auth_home` as it is now (``AIWIRE_HOME`` is read on
    every call; a client holds its own store when given one)."""
    return AuthStore(auth_home() / "auth.json")
