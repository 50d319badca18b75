"""Best-effort parsing of JSON that is still arriving (streamed tool arguments).

Placeholder implementation: correct but not yet linear in the argument size.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["PartialJSON", "parse_arguments"]

_decode = msgspec.json.decode


class PartialJSON:
    """Feed fragments; ``feed`` returns the best-effort value so far."""

    __slots__ = ("_parts", "value")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.value: Any = {}

    def feed(self, fragment: str) -> Any:
        self._parts.append(fragment)
        text = "".join(self._parts)
        parsed = _complete(text)
        if parsed is not None:
            self.value = parsed
        return self.value

    @property
    def text(self) -> str:
        return "".join(self._parts)


def _complete(text: str) -> Any:
    """Close open strings, arrays and objects, dropping a dangling tail."""
    stack: list[str] = []
    in_str = False
    esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
    candidate = text
    if in_str:
        if esc:
            candidate = candidate[:-1]
        candidate += '"'
    for _ in range(len(candidate) + 1):
        try:
            return _decode(candidate + "".join(reversed(stack)))
        except msgspec.DecodeError:
            pass
        stripped = candidate.rstrip()
        if not stripped:
            return None
        # Drop the last incomplete token and retry.
        cut = max(stripped.rfind(","), stripped.rfind(":"), stripped.rfind("{"), stripped.rfind("["))
        if cut < 0:
            return None
        tail = stripped[cut]
        candidate = stripped[:cut] if tail in ",:" else stripped[: cut + 1]
        if tail == ":":
            # drop the key too
            k = candidate.rstrip()
            q = k.rfind('"', 0, len(k) - 1)
            candidate = k[:q] if q >= 0 else k
            candidate = candidate.rstrip().rstrip(",")
        if tail in "{[":
            pass
    return None


def parse_arguments(text: str) -> tuple[dict[str, Any], str | None]:
    """Strictly parse final tool arguments.

    Returns ``(arguments, None)``, or ``({}, text)`` when the text is not a
    JSON object, so the caller keeps the raw text. Empty text means ``{}``.
    """
    if not text.strip():
        return {}, None
    try:
        value = _decode(text)
    except msgspec.DecodeError:
        return {}, text
    if not isinstance(value, dict):
        return {}, text
    return value, None
