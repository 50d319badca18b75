from __future__ import annotations

import os
import stat
import sys
import time
from pathlib import Path

import msgspec
import pytest

from aiwire.auth import AuthStore, InsecureStoreError, StoredLogin, auth_home, default_store

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def test_auth_home_follows_aiwire_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path / "h"))
    assert auth_home() == tmp_path / "h"
    assert default_store().path == tmp_path / "h" / "auth.json"


@posix_only
def test_store_is_private_and_round_trips(tmp_path: Path) -> None:
    store = AuthStore(tmp_path / "cfg" / "auth.json")
    store.put("acme", StoredLogin(access="a1", refresh="r1", expires=123.0, extra={"account": "x"}))
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.path.parent).st_mode) == 0o700
    got = AuthStore(store.path).get("acme")
    assert got is not None and (got.access, got.refresh, got.expires, got.extra) == (
        "a1",
        "r1",
        123.0,
        {"account": "x"},
    )
    assert got.created and got.updated
    assert "a1" not in repr(got) and "r1" not in repr(got)
    # No temporary files are left behind by the atomic write.
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["auth.json", "auth.json.lock"]


@posix_only
def test_opened_permissions_are_refused(tmp_path: Path) -> None:
    store = AuthStore(tmp_path / "auth.json")
    store.put("acme", StoredLogin(access="a"))
    os.chmod(store.path, 0o644)
    with pytest.raises(InsecureStoreError, match="chmod 600"):
        store.get("acme")
    os.chmod(store.path, 0o600)
    assert store.get("acme") is not None


def test_corrupt_store_is_kept_aside_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"{not json")
    os.close(fd)
    store = AuthStore(path)
    with pytest.warns(RuntimeWarning, match="moved to"):
        assert store.logins() == {}
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("auth.json.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == b"{not json"
    store.put("acme", StoredLogin(access="a"))
    assert aside[0].read_bytes() == b"{not json"


def test_delete_and_cache_follow_the_file(tmp_path: Path) -> None:
    a, b = AuthStore(tmp_path / "auth.json"), AuthStore(tmp_path / "auth.json")
    a.put("one", StoredLogin(access="1"))
    assert b.get("one") is not None
    b.put("two", StoredLogin(access="2"))
    assert sorted(a.logins()) == ["one", "two"]  # a re-reads after b's write
    assert a.delete("one") and not a.delete("one")
    raw = msgspec.json.decode((tmp_path / "auth.json").read_bytes())
    assert list(raw["logins"]) == ["two"] and raw["version"] == 1


def test_expires_within() -> None:
    login = StoredLogin(access="x", expires=1000.0)
    assert login.expires_within(300, now=800)
    assert not login.expires_within(300, now=600)
    assert not StoredLogin(access="x").expires_within(300)


@posix_only
def test_world_readable_folder_is_refused(tmp_path: Path) -> None:
    """Issue 19 defect 12: an existing 0755 folder was accepted, for reads and for writes."""
    folder = tmp_path / "cfg"
    folder.mkdir(mode=0o700)
    store = AuthStore(folder / "auth.json")
    store.put("acme", StoredLogin(access="a"))
    os.chmod(folder, 0o755)
    with pytest.raises(InsecureStoreError, match="chmod 700"):
        AuthStore(store.path).get("acme")
    with pytest.raises(InsecureStoreError, match="chmod 700"):
        store.put("other", StoredLogin(access="b"))
    fresh = tmp_path / "shared"
    fresh.mkdir(mode=0o755)
    os.chmod(fresh, 0o755)
    with pytest.raises(InsecureStoreError, match="folder"):
        AuthStore(fresh / "auth.json").put("acme", StoredLogin(access="a"))
    assert not (fresh / "auth.json").exists()
    os.chmod(folder, 0o700)
    assert AuthStore(store.path).get("acme") is not None


@posix_only
def test_temporary_file_of_a_killed_writer_is_removed(tmp_path: Path) -> None:
    """Issue 19 defect 12: a ``.auth-*.tmp`` left by a writer killed mid-write (tokens in it) stayed forever."""
    store = AuthStore(tmp_path / "cfg" / "auth.json")
    store.put("acme", StoredLogin(access="a"))
    folder = store.path.parent

    def leftover(name: str, age: float) -> Path:
        tmp = folder / name
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, b'{"version": 1, "logins": {"acme": {"access": "sk-half-written')
        os.close(fd)
        when = time.time() - age
        os.utime(tmp, (when, when))
        return tmp

    old = leftover(".auth-old.tmp", 3600)
    new = leftover(".auth-new.tmp", 0)  # maybe another process writing right now: left alone by a read
    assert AuthStore(store.path).get("acme") is not None
    assert not old.exists() and new.exists()
    # Under the lock no write is in progress: everything left over goes.
    AuthStore(store.path).put("other", StoredLogin(access="b"))
    assert sorted(p.name for p in folder.iterdir()) == ["auth.json", "auth.json.lock"]
