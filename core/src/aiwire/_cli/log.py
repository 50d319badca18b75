"""The conversation log of ``aiwire chat``: SQLite at ``$AIWIRE_HOME/logs.db``.

WAL mode and ``BEGIN IMMEDIATE`` writes with a busy timeout, so concurrent
CLI processes wait for each other instead of corrupting anything. The schema
version is SQLite's ``user_version``; :data:`MIGRATIONS` brings an older
file up to date. A file that is not a database, or that a newer aiwire wrote,
is moved aside (and reported), never a traceback.

Turned off by ``--no-log``, ``AIWIRE_CHAT_LOG=off``, or ``aiwire logs off`` (which
leaves a ``logs-off`` file in ``AIWIRE_HOME``).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from aiwire.types import AssistantMessage, Message, TextContent, ToolResultMessage, Usage, UserMessage

if TYPE_CHECKING:
    import sqlite3

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Conversation", "ConversationLog", "disabled_reason", "log_path", "open_log"]

_V1 = """
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    title TEXT NOT NULL,
    system TEXT
);
CREATE TABLE responses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    created REAL NOT NULL,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    answer TEXT NOT NULL,
    messages TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cache_write_tokens INTEGER NOT NULL,
    cost REAL NOT NULL,
    duration REAL NOT NULL,
    first_token REAL,
    stop_reason TEXT NOT NULL,
    error TEXT
);
CREATE INDEX responses_conversation ON responses(conversation_id, id);
CREATE INDEX conversations_updated ON conversations(updated);
"""

MIGRATIONS: tuple[str, ...] = (_V1,)
"""SQL scripts; script ``n`` takes the schema from version ``n`` to ``n + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)

_messages = msgspec.json.Decoder(list[Message])
_encode = msgspec.json.Encoder().encode


def log_path() -> Path:
    from aiwire.auth.store import auth_home

    return auth_home() / "logs.db"


def disabled_reason() -> str | None:
    """Why logging is off (``AIWIRE_CHAT_LOG=off`` or ``aiwire logs off``), or None."""
    if os.environ.get("AIWIRE_CHAT_LOG", "").strip().lower() in ("off", "0", "false", "no"):
        return "AIWIRE_CHAT_LOG=off"
    if (log_path().parent / "logs-off").exists():
        return "`aiwire logs off`"
    return None


@dataclass
class Conversation:
    id: str
    system: str | None
    model: str
    messages: list[Message]


class LogError(Exception):
    """The log cannot be used (one readable line)."""


class ConversationLog:
    """An open log. Writes are short ``BEGIN IMMEDIATE`` transactions."""

    def __init__(self, path: Path, notice: Callable[[str], None]) -> None:
        self.path = path
        self.db = self._connect(notice)

    def _connect(self, notice: Callable[[str], None]) -> sqlite3.Connection:
        import sqlite3

        attempt = 0
        locked_until = time.monotonic() + 30
        while True:
            attempt += 1
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                db.execute("PRAGMA busy_timeout = 30000")
                db.execute("PRAGMA journal_mode = WAL")
                self._migrate(db)
                return db
            except _Newer as exc:
                db.close()
                if attempt == 2:
                    raise LogError(str(exc)) from None
                notice(
                    f"aiwire: {self.path} was written by a newer aiwire (schema {exc.version}); {self._aside('newer')}"
                )
            except sqlite3.DatabaseError as exc:
                db.close()
                if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                    # Switching a new file to WAL while another process does the
                    # same answers "locked" at once, without the busy wait: try again.
                    if time.monotonic() > locked_until:
                        raise LogError(f"cannot use the conversation log {self.path}: {exc}") from None
                    attempt -= 1
                    time.sleep(0.02)
                    continue
                if attempt == 2:
                    raise LogError(f"cannot use the conversation log {self.path}: {exc}") from None
                notice(f"aiwire: {self.path} is not a readable database ({exc}); {self._aside('corrupt')}")

    def _aside(self, why: str) -> str:
        target = self.path.with_name(f"{self.path.name}.{why}-{time.strftime('%Y%m%d-%H%M%S')}")
        for suffix in ("-wal", "-shm"):
            extra = self.path.with_name(self.path.name + suffix)
            if extra.exists():
                extra.replace(target.with_name(target.name + suffix))
        self.path.replace(target)
        return f"moved it to {target.name} and started a new log"

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _Newer(version)
        if version == SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have done it
            for n in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[n].split(";"):
                    if statement.strip():
                        db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()

    # -- writing -------------------------------------------------------------

    def record(
        self,
        cid: str | None,
        *,
        model: str,
        system: str | None,
        prompt: str,
        messages: list[Any],
        usage: Usage,
        duration: float,
        first_token: float | None,
    ) -> str:
        """Log one exchange (a new conversation when ``cid`` is None); returns the conversation id."""
        now = time.time()
        kept = [m for m in messages if isinstance(m, (UserMessage, AssistantMessage, ToolResultMessage))]
        replies = [m for m in kept if isinstance(m, AssistantMessage)]
        texts = ("".join(b.text for b in m.content if isinstance(b, TextContent)) for m in replies)
        answer = "\n".join(t for t in texts if t)
        last = replies[-1] if replies else None
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if cid is None:
                cid = uuid.uuid4().hex[:16]
                db.execute(
                    "INSERT INTO conversations (id, created, updated, title, system) VALUES (?, ?, ?, ?, ?)",
                    (cid, now, now, " ".join(prompt.split())[:80], system),
                )
            else:
                db.execute("UPDATE conversations SET updated = ? WHERE id = ?", (now, cid))
            db.execute(
                "INSERT INTO responses (conversation_id, created, model, prompt, answer, messages, input_tokens,"
                " output_tokens, cache_read_tokens, cache_write_tokens, cost, duration, first_token, stop_reason,"
                " error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cid,
                    now,
                    model,
                    prompt,
                    answer,
                    _encode(kept).decode(),
                    usage.input,
                    usage.output,
                    usage.cache_read,
                    usage.cache_write,
                    usage.cost.total,
                    duration,
                    first_token,
                    last.stop_reason if last else "error",
                    last.error_message if last else None,
                ),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return cid

    # -- reading -------------------------------------------------------------

    def resolve(self, cid: str | None) -> str:
        """The id of conversation ``cid`` (an id or a unique prefix), or of the latest."""
        if cid is None:
            row = self.db.execute("SELECT id FROM conversations ORDER BY updated DESC LIMIT 1").fetchone()
            if row is None:
                raise LogError("the conversation log is empty; start a conversation without -c")
            return str(row[0])
        rows = self.db.execute(
            "SELECT id FROM conversations WHERE id = ? OR id LIKE ? ESCAPE '\\' LIMIT 3",
            (cid, cid.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"),
        ).fetchall()
        exact = [r[0] for r in rows if r[0] == cid]
        if exact:
            return str(exact[0])
        if len(rows) != 1:
            why = "no conversation" if not rows else "more than one conversation"
            raise LogError(f"{why} with id {cid!r} in the log; list them with `aiwire logs`")
        return str(rows[0][0])

    def load(self, cid: str | None) -> Conversation:
        """A logged conversation with every message, ready to continue."""
        cid = self.resolve(cid)
        system = self.db.execute("SELECT system FROM conversations WHERE id = ?", (cid,)).fetchone()[0]
        messages: list[Message] = []
        model = ""
        for msgs, used in self.db.execute(
            "SELECT messages, model FROM responses WHERE conversation_id = ? ORDER BY id", (cid,)
        ):
            messages.extend(_messages.decode(msgs))
            model = used
        return Conversation(cid, system, model, messages)

    def conversations(self, limit: int | None) -> list[dict[str, Any]]:
        """Newest first: id, title, times, models, turns, usage, cost."""
        rows = self.db.execute(
            "SELECT c.id, c.title, c.created, c.updated, group_concat(DISTINCT r.model), count(r.id),"
            " sum(r.input_tokens), sum(r.output_tokens), sum(r.cost), sum(r.duration)"
            " FROM conversations c LEFT JOIN responses r ON r.conversation_id = c.id"
            " GROUP BY c.id ORDER BY c.updated DESC LIMIT ?",
            (-1 if limit is None else limit,),
        ).fetchall()
        keys = (
            "id",
            "title",
            "created",
            "updated",
            "models",
            "turns",
            "input_tokens",
            "output_tokens",
            "cost",
            "duration",
        )
        out = []
        for row in rows:
            item = dict(zip(keys, row, strict=True))
            item["models"] = (item["models"] or "").split(",") if item["models"] else []
            out.append(item)
        return out

    def responses(self, cid: str) -> list[dict[str, Any]]:
        cur = self.db.execute(
            "SELECT id, created, model, prompt, answer, messages, input_tokens, output_tokens, cache_read_tokens,"
            " cache_write_tokens, cost, duration, first_token, stop_reason, error"
            " FROM responses WHERE conversation_id = ? ORDER BY id",
            (cid,),
        )
        names = [d[0] for d in cur.description]
        out = []
        for row in cur:
            item = dict(zip(names, row, strict=True))
            item["messages"] = msgspec.json.decode(item["messages"])
            out.append(item)
        return out

    def system_of(self, cid: str) -> str | None:
        row = self.db.execute("SELECT system FROM conversations WHERE id = ?", (cid,)).fetchone()
        return None if row is None else row[0]


class _Newer(Exception):
    def __init__(self, version: int) -> None:
        super().__init__(f"schema version {version} is newer than this aiwire's {SCHEMA_VERSION}")
        self.version = version


def open_log(notice: Callable[[str], None], *, enabled: bool = True, create: bool = True) -> ConversationLog | None:
    """The log, or None when logging is off (or ``create`` is False and there
    is none yet). A log that cannot be opened is reported with ``notice``
    and the chat goes on without it."""
    if not enabled or (create and disabled_reason() is not None):
        return None
    path = log_path()
    if not create and not path.exists():
        return None
    try:
        # Private, like the auth store beside it (which refuses a folder others can read).
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))  # SQLite gives -wal/-shm the same mode
        return ConversationLog(path, notice)
    except (LogError, OSError) as exc:
        notice(f"aiwire: not logging this conversation: {exc}")
        return None
