"""Case-insensitive HTTP headers.

HTTP header names are case-insensitive, but a plain ``dict`` is not: a codec
that sets ``authorization`` and a login that sets ``Authorization`` would put
two lines on the wire. :class:`Headers` keeps one entry per name (stored in
lower case, which HTTP/2 requires anyway), so the last writer wins whatever
the spelling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["Headers", "merge_headers"]


class Headers(dict[str, str]):
    """A ``dict`` of header names (lower-cased) to values.

    Every write lower-cases the name; lookups, ``in`` and ``del`` accept any
    spelling. ``repr`` shows the names only, since values carry credentials.
    """

    __slots__ = ()

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] | None = None, /, **kw: str) -> None:
        super().__init__()
        if items is not None:
            self.update(items)
        if kw:
            self.update(kw)

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key.lower() if isinstance(key, str) else key)

    def get(self, key: str, default: Any = None) -> Any:
        """The value for ``key`` in any case, or ``default``."""
        return super().get(key.lower(), default)

    def pop(self, key: str, *default: Any) -> Any:
        """Remove ``key`` (any case) and return its value, or ``default`` if given."""
        return super().pop(key.lower(), *default)

    def setdefault(self, key: str, default: str = "") -> str:
        """Set ``key`` to ``default`` unless a header of that name (any case) exists; return its value."""
        return super().setdefault(key.lower(), default)

    def update(self, *args: Any, **kw: str) -> None:
        """Set many headers; later names replace earlier ones case-insensitively."""
        for arg in args:
            pairs = arg.items() if isinstance(arg, Mapping) else arg
            for k, v in pairs:
                super().__setitem__(k.lower(), v)
        for k, v in kw.items():
            super().__setitem__(k.lower(), v)

    def copy(self) -> Headers:
        """A new :class:`Headers` with the same entries."""
        return Headers(self)

    def __repr__(self) -> str:
        return f"Headers({sorted(self)})"


def merge_headers(*layers: Mapping[str, str] | None) -> Headers:
    """One :class:`Headers` from ``layers``, later layers winning by name."""
    out = Headers()
    for layer in layers:
        if layer:
            out.update(layer)
    return out
