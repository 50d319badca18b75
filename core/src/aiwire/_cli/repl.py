"""The interactive ``aiwire chat`` session.

Line editing and history come from ``readline`` where Python has it (the
history file is ``$AIWIRE_HOME/chat_history``). A message spans several
lines when its first line starts with ``\"\"\"`` (it ends at a line ending
with ``\"\"\"``) or while lines end with a backslash. ``!exit`` or Ctrl-D
leaves; Ctrl-C cancels the answer being written and returns to the prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiwire._cli.session import Chat

__all__ = ["read_message", "repl"]

PROMPT = "> "
MORE = "... "
QUOTE = '"""'
EXITS = ("!exit", "!quit")
HELP = (
    'Type a message and press Enter. A line of """ starts a multi-line message (end it with """); '
    "a line ending in \\ continues on the next. Ctrl-C cancels an answer; !exit or Ctrl-D leaves."
)


def read_message(read: Callable[[str], str] = input) -> str:
    """One message from the user, possibly multi-line (see the module docstring)."""
    first = read(PROMPT)
    if first.lstrip().startswith(QUOTE):
        body = first.lstrip()[len(QUOTE) :]
        if body.rstrip().endswith(QUOTE):
            return body.rstrip()[: -len(QUOTE)]
        lines = [body] if body else []
        while True:
            line = read(MORE)
            if line.rstrip().endswith(QUOTE):
                lines.append(line.rstrip()[: -len(QUOTE)])
                return "\n".join(lines).strip("\n")
            lines.append(line)
    lines = []
    line = first
    while line.endswith("\\"):
        lines.append(line[:-1])
        line = read(MORE)
    lines.append(line)
    return "\n".join(lines)


def _history() -> tuple[Any, Path | None]:
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input()
        return None, None
    from aiwire.auth.store import auth_home

    path = auth_home() / "chat_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)
    return readline, path


def repl(make: Callable[[], Chat], images: Sequence[Any] = ()) -> int:
    """Run the session until ``!exit`` or end of input."""
    readline, history = _history()
    loop = asyncio.new_event_loop()
    chat = make()
    err = sys.stderr
    err.write(f"Chatting with {chat.model.ref}. {HELP}\n")
    err.flush()
    try:
        while True:
            try:
                text = read_message()
            except EOFError:
                err.write("\n")
                break
            except KeyboardInterrupt:
                err.write("\n(Ctrl-D or !exit leaves)\n")
                continue
            if text.strip() in EXITS:
                break
            if not text.strip():
                continue
            loop.run_until_complete(chat.send(text, images))
            images = ()
    finally:
        loop.run_until_complete(chat.aclose())
        loop.close()
        if readline is not None and history is not None:
            try:
                history.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                readline.write_history_file(history)
                history.chmod(0o600)  # it holds what you typed
            except OSError:
                pass
    if chat.cid is not None:
        err.write(f"Conversation {chat.cid} is in the log; continue it with `aiwire chat -c`.\n")
    return 0
