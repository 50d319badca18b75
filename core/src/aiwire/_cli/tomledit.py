"""Set or remove one string value in ``config.toml``, keeping the rest of the
file (comments, order, layout) as the user wrote it.

The edit is line based, then checked: the file is parsed again and must
differ from before in that one value only. When it does not (the value is
written in a form this editor does not handle, such as an inline table), the
file is left alone and the error says what to add by hand.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from aiwire._plugins.config import ConfigFileError

__all__ = ["set_value"]

_HEADER = re.compile(r"^\s*\[")


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    return tomllib


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name)


def _edit(text: str, table: str | None, key: str, value: str | None) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    header = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]\s*(#.*)?$") if table else None
    start = 0
    if header is not None:
        found = next((i for i, line in enumerate(lines) if header.match(line)), None)
        if found is None:
            if value is None:
                return text
            sep = "\n" if lines and lines[-1].strip() else ""
            return "".join(lines) + f"{sep}[{table}]\n{_key(key)} = {json.dumps(value)}\n"
        start = found + 1
    end = next((i for i in range(start, len(lines)) if _HEADER.match(lines[i])), len(lines))
    pattern = re.compile(rf"^\s*({re.escape(key)}|{re.escape(json.dumps(key))}|'{re.escape(key)}')\s*=")
    for i in range(start, end):
        if pattern.match(lines[i]):
            if value is None:
                del lines[i]
            else:
                lines[i] = f"{_key(key)} = {json.dumps(value)}\n"
            return "".join(lines)
    if value is None:
        return text
    at = end
    while at > start and not lines[at - 1].strip():  # keep the blank line before the next table
        at -= 1
    lines.insert(at, f"{_key(key)} = {json.dumps(value)}\n")
    return "".join(lines)


def set_value(path: Path, table: str | None, key: str, value: str | None) -> None:
    """Set ``key = "value"`` in ``[table]`` (the top level when ``table`` is
    ``None``), or remove it when ``value`` is ``None``; atomically."""
    toml = _toml()
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    try:
        before = toml.loads(text) if text else {}
    except toml.TOMLDecodeError as exc:
        raise ConfigFileError(f"invalid aiwire configuration file {path}: {exc}; fix the syntax first") from None
    new = _edit(text, table, key, value)
    expected = json.loads(json.dumps(before))
    where = expected.setdefault(table, {}) if table else expected
    if value is None:
        where.pop(key, None)
        if table and not where:
            expected.pop(table)
    else:
        where[key] = value
    try:
        after = toml.loads(new)
    except toml.TOMLDecodeError:
        after = None
    if table and value is None and after is not None and after.get(table) == {}:
        after.pop(table)
    if after != expected:
        line = f'[{table}] {_key(key)} = "{value}"' if table else f'{_key(key)} = "{value}"'
        what = f"add {line}" if value is not None else f"remove {key} from [{table}]" if table else f"remove {key}"
        raise ConfigFileError(f"could not edit {path} automatically; edit it by hand: {what}")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(new)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
