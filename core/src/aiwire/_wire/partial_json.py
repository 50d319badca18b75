"""Best-effort parsing of JSON that is still arriving (streamed tool arguments).

:class:`PartialJSON` is a resumable scanner: it keeps its position in the
grammar between fragments and builds the value as it goes, so each character
is looked at once. Objects and arrays appear as soon as they open; keys appear
when their value is complete, except strings, which are shown while they
grow. An in-progress string is decoded again only when it has grown by a
quarter since it was last shown (or while it is short), so the total work for
``n`` characters stays O(n), however small the fragments.

The value returned by :meth:`PartialJSON.feed` is live: the same containers
are filled in by later fragments. Copy it if you keep it.

:meth:`PartialJSON.push` defers the work: fragments wait until :meth:`settle`
(or reading ``value``), and a container that is already complete in the
waiting text is then read whole by the C JSON scanner instead of character by
character. Decoders push every fragment and nothing settles until someone
reads ``ToolCallDelta.arguments`` (:meth:`resolve`): a stream nobody reads the
partial arguments of never scans them, and one that reads them on every delta
scans each fragment once. A root object handed out before any parse (the
``root``; with ``live=True`` the one ``ToolCallDelta.arguments`` resolves) stays
the same object.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from aiwire.events import _LiveArguments

__all__ = ["PartialJSON", "parse_arguments"]

_decode = msgspec.json.decode

_WS = re.compile(r"[ \t\n\r]*")
# A string body up to (not including) its closing quote; stops before a
# backslash that ends the input, since its escaped character is still to come.
_STR_BODY = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.S)
_ATOM = re.compile(r"[-+.0-9eEa-z]*")
_INCOMPLETE_U = re.compile(r"\\u[0-9a-fA-F]{0,3}$")
_SIX = re.compile(r"\\u[0-9a-fA-F]{4}$")

_SMALL = 512  # strings up to this many raw characters are shown after every fragment


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# The standard library's C scanner reads one whole value at an index and says
# where it ends, building it as it goes: a nested container already complete
# in the text is read in one C call. NaN and Infinity are refused, as msgspec
# refuses them; the character scanner then says where the text went wrong.
_raw_decode = json.JSONDecoder(parse_constant=_no_constant).raw_decode


def _whole(s: str, i: int) -> tuple[Any, int] | None:
    """The container opening at ``s[i]`` and the index just past it, or None
    when it is still arriving (or is not JSON)."""
    try:
        value, end = _raw_decode(s, i)
    except (ValueError, RecursionError):  # too deep for it: the scanner has no limit
        return None
    return value, end


# Scanner modes.
_VALUE, _KEY, _COLON, _AFTER, _STRING, _ATOM_MODE, _DONE, _BROKEN = range(8)


class PartialJSON:
    """Feed fragments; ``feed`` returns the best-effort value so far."""

    __slots__ = (
        "_atom",
        "_closed",
        "_containers",
        "_done",
        "_esc",
        "_final",
        "_fragments",
        "_fresh",
        "_is_key",
        "_keys",
        "_mode",
        "_shown",
        "_slen",
        "_sparts",
        "_str_attached",
        "_value",
    )

    def __init__(self, *, live: bool = False) -> None:
        # A live root tells the ``ToolCallDelta`` events carrying it to resolve() here when read.
        self._value: Any = _LiveArguments(self) if live else {}
        self._fresh = True  # the root dict above was handed out and no value parsed yet
        self._fragments: list[str] = []
        self._done = 0  # fragments scanned so far
        self._final: str | None = None  # see close()
        self._closed = False
        self._mode = _VALUE
        self._containers: list[dict[str, Any] | list[Any]] = []
        self._keys: list[str | None] = []
        self._sparts: list[str] = []
        self._slen = 0
        self._shown = 0
        self._esc = False
        self._is_key = False
        self._str_attached = False
        self._atom: list[str] = []

    @property
    def root(self) -> dict[str, Any]:
        """The root object handed out before any parse (the value, if it is an object)."""
        root: dict[str, Any] = self._value
        return root

    @property
    def fragments(self) -> list[str]:
        """Every fragment fed or pushed so far (appending to it is pushing)."""
        return self._fragments

    @property
    def text(self) -> str:
        """Everything fed so far."""
        return "".join(self._fragments)

    @property
    def value(self) -> Any:
        """The best-effort value of everything fed or pushed so far."""
        if self._done < len(self._fragments):
            self.settle()
        return self._value

    def push(self, fragment: str) -> Any:
        """Queue ``fragment``; the live value, brought up to date by :meth:`settle`."""
        self._fragments.append(fragment)
        return self._value

    @property
    def pending(self) -> bool:
        return self._done < len(self._fragments)

    def settle(self) -> None:
        """Parse the queued fragments, in one pass."""
        frags = self._fragments
        done, n = self._done, len(frags)
        if done < n:
            self._done = n
            self._scan(frags[done] if n - done == 1 else "".join(frags[done:]))

    def feed(self, fragment: str) -> Any:
        if self._done < len(self._fragments):
            self.settle()
        self._fragments.append(fragment)
        self._done += 1
        self._scan(fragment)
        return self._value

    def resolve(self, root: dict[str, Any]) -> Any:
        """The value for a reader holding ``root`` (this parser's :attr:`root`),
        brought up to date over the fragments not yet scanned."""
        if self._closed:
            final = self._final
            if final is not None:
                self._final = None
                root.clear()
                root.update(_decode(final))
            return root
        if self._done < len(self._fragments):
            self.settle()
        return self._value

    def close(self, text: str) -> None:
        """The call ended and ``text``, all of it, is a JSON object (its strict
        parse succeeded). Fragments not scanned yet are then not scanned at
        all: the next :meth:`resolve` fills the root from one C decode of
        ``text``. The scanner state is dropped, so the root and this parser
        no longer refer to each other."""
        if self._done < len(self._fragments) and text.strip():
            self._final = text
            self._done = len(self._fragments)
        self._closed = True
        self._mode = _DONE
        self._value = None
        self._containers = []
        self._keys = []
        self._sparts = []
        self._atom = []

    def _scan(self, s: str) -> None:
        i = 0
        n = len(s)
        while i < n:
            mode = self._mode
            if mode == _STRING:
                i = self._string(s, i)
                continue
            if mode >= _DONE:
                break
            c = s[i]
            if mode == _ATOM_MODE:
                m = _ATOM.match(s, i)
                assert m is not None  # the pattern matches the empty string
                if m.end() > i:
                    self._atom.append(m.group())
                    i = m.end()
                    continue
                if not self._end_atom():
                    break
                continue
            if c in " \t\n\r":
                ws = _WS.match(s, i)
                assert ws is not None
                i = ws.end()
                continue
            i += 1
            if mode == _VALUE:
                if c == '"':
                    self._start_string(is_key=False)
                elif c in "{[" and self._containers and (got := _whole(s, i - 1)) is not None:
                    # A whole nested container is already here: read in C.
                    self._attach(got[0])
                    i = got[1]
                elif c == "{":
                    self._open({})
                elif c == "[":
                    self._open([])
                elif c == "]" and self._containers and isinstance(self._containers[-1], list):
                    self._close()  # lenient: "[]" and a trailing comma before "]"
                elif c in "-0123456789tfn":
                    self._mode = _ATOM_MODE
                    i -= 1
                else:
                    self._mode = _BROKEN
            elif mode == _KEY:
                if c == '"':
                    self._start_string(is_key=True)
                elif c == "}":
                    self._close()
                else:
                    self._mode = _BROKEN
            elif mode == _COLON:
                self._mode = _VALUE if c == ":" else _BROKEN
            elif mode == _AFTER:
                top = self._containers[-1]
                if c == ",":
                    self._mode = _KEY if isinstance(top, dict) else _VALUE
                elif c == ("}" if isinstance(top, dict) else "]"):
                    self._close()
                else:
                    self._mode = _BROKEN

    # -- strings -----------------------------------------------------------------

    def _start_string(self, *, is_key: bool) -> None:
        self._mode = _STRING
        self._is_key = is_key
        self._sparts = []
        self._slen = 0
        self._shown = 0
        self._str_attached = False

    def _string(self, s: str, i: int) -> int:
        parts = self._sparts
        if self._esc:
            parts.append(s[i])
            self._slen += 1
            self._esc = False
            i += 1
        body = _STR_BODY.match(s, i)
        assert body is not None
        j = body.end()
        if j > i:
            parts.append(s[i:j])
            self._slen += j - i
        n = len(s)
        if j < n and s[j] == '"':
            self._end_string()
            return j + 1
        if j < n:  # a backslash that ends the fragment
            parts.append("\\")
            self._slen += 1
            self._esc = True
            j = n
        if not self._is_key and (self._slen <= _SMALL or self._slen - self._shown >= self._shown >> 2):
            self._show_partial()
        return j

    def _show_partial(self) -> None:
        raw = "".join(self._sparts)
        self._sparts = [raw]  # later joins start from one piece
        self._shown = len(raw)
        text = _decode_prefix(raw, self._esc)
        if text is not None:
            self._attach(text, partial=True)

    def _end_string(self) -> None:
        raw = "".join(self._sparts)
        self._sparts = []
        try:
            text = _decode('"' + raw + '"')
        except msgspec.DecodeError:
            self._mode = _BROKEN
            return
        if self._is_key:
            self._keys[-1] = text
            self._mode = _COLON
        else:
            self._attach(text)

    # -- other values --------------------------------------------------------------

    def _end_atom(self) -> bool:
        token = "".join(self._atom)
        self._atom = []
        try:
            value = _decode(token)
        except msgspec.DecodeError:
            self._mode = _BROKEN
            return False
        self._attach(value)
        return True

    def _open(self, container: dict[str, Any] | list[Any]) -> None:
        if self._fresh and not self._containers and isinstance(container, dict):
            container = self._value  # the root already handed out stays the root
        self._fresh = False
        self._attach(container)
        self._containers.append(container)
        self._keys.append(None)
        self._mode = _KEY if isinstance(container, dict) else _VALUE

    def _close(self) -> None:
        self._containers.pop()
        self._keys.pop()
        self._mode = _AFTER if self._containers else _DONE

    def _attach(self, value: Any, *, partial: bool = False) -> None:
        """Put ``value`` where the grammar says; a partial string replaces its
        own earlier, shorter self."""
        replace = self._str_attached
        self._str_attached = partial
        if not partial:
            self._mode = _AFTER
        if not self._containers:
            self._fresh = False
            self._value = value
            if not partial and not isinstance(value, (dict, list)):
                self._mode = _DONE
            return
        top = self._containers[-1]
        if isinstance(top, dict):
            key = self._keys[-1]
            if key is not None:
                top[key] = value
        elif replace:
            top[-1] = value
        else:
            top.append(value)


def _decode_prefix(raw: str, pending_escape: bool) -> str | None:
    """Decode the escaped body of an unfinished string, dropping an escape
    sequence cut in half (and a high surrogate still waiting for its pair)."""
    if pending_escape:
        raw = raw[:-1]
    try:
        return str(_decode('"' + raw + '"'))
    except msgspec.DecodeError:
        pass
    cut = _INCOMPLETE_U.search(raw, max(0, len(raw) - 5))
    if cut is None and raw[-6:-4] == "\\u":
        cut = _SIX.search(raw, len(raw) - 6)
    if cut is None:
        return None
    try:
        return str(_decode('"' + raw[: cut.start()] + '"'))
    except msgspec.DecodeError:
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
