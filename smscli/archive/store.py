"""The archive file: schema, opening safely, and the writes the recorder and imports make.

One SQLite file in WAL mode (readers never wait for the writer, nor it for them). Every
write is one transaction: a process killed in the middle loses only what it had not yet
committed and never leaves half a row. Messages are stored once each, by the session and
the message's identity (``models.message_key``), with the JSON the server sent.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from smscli.errors import NotFoundError, SmscliError
from smscli.values import Frozen

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 15_000  # a reader or writer waits this long for the other, never fails at once
FTS_OFF_ENV = "SMSCLI_ARCHIVE_NO_FTS"  # forces the LIKE search (tests, a broken FTS5)

_TABLES = """
CREATE TABLE sessions(
  sid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  raw TEXT,                 -- the latest session object, compact JSON; NULL: only a transcript
  state TEXT,
  customer TEXT NOT NULL DEFAULT '',  -- every customer and agent nickname seen, one per line
  agents TEXT NOT NULL DEFAULT '',
  first_seen INTEGER,       -- epoch ms: first and last seen on the server's list
  last_seen INTEGER,
  left_server_at INTEGER,   -- epoch ms: when it was no longer on the server's list
  first_msg INTEGER,        -- epoch ms: the earliest and latest message times
  last_msg INTEGER,
  origin TEXT NOT NULL      -- 'record' or 'import'
);
CREATE TABLE state_changes(
  sid INTEGER NOT NULL REFERENCES sessions(sid) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  state TEXT NOT NULL
);
CREATE INDEX state_changes_sid ON state_changes(sid);
CREATE TABLE messages(
  id INTEGER PRIMARY KEY,   -- arrival order, which is the server's order
  sid INTEGER NOT NULL REFERENCES sessions(sid) ON DELETE CASCADE,
  idx INTEGER,              -- the positive index, else NULL
  ts INTEGER,               -- epoch ms
  type TEXT NOT NULL,
  body TEXT NOT NULL,       -- what the message says (models.message_body): what search sees
  key BLOB NOT NULL,        -- a hash of models.message_key
  raw TEXT NOT NULL         -- the message as the server sent it, compact JSON
);
CREATE UNIQUE INDEX messages_key ON messages(sid, key);
CREATE INDEX messages_sid ON messages(sid);
"""
# New messages enter the index in one INSERT ... SELECT per transaction (_insert_messages):
# four times faster than a trigger row by row. Deletes go through a trigger.
_FTS = """
CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='id');
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
"""


class ArchiveError(SmscliError):
    """The archive cannot be read or written: one line, exit 1."""

    kind = "archive"


def fts5_available() -> bool:
    """Whether this Python's SQLite has FTS5 (and it is not switched off for a test)."""
    if os.environ.get(FTS_OFF_ENV, "") not in ("", "0"):
        return False
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    except sqlite3.Error:
        return False
    return True


def epoch_ms(moment: datetime | float | None) -> int | None:
    """A time as epoch milliseconds: a datetime, or seconds since the epoch (time.time())."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return int(moment.timestamp() * 1000)
    return int(moment * 1000)


def explain(error: sqlite3.Error, path: Path) -> ArchiveError:
    """An SQLite error in the words of someone holding an archive file."""
    text = str(error)
    name = getattr(error, "sqlite_errorname", "") or ""
    if "not a database" in text or name == "SQLITE_NOTADB":
        return ArchiveError(f"{path} is not an smscli archive (not an SQLite database)",
                            "give another --archive path, or move that file away")
    if "malformed" in text or name.startswith("SQLITE_CORRUPT"):
        return ArchiveError(f"the archive {path} is damaged ({text})",
                            "restore it from a backup, or try: sqlite3 FILE .recover")
    if "readonly" in text or "read-only" in text or name.startswith("SQLITE_READONLY"):
        return ArchiveError(f"the archive {path} is read-only",
                            "check the permissions of the file and its directory")
    if "full" in text or name == "SQLITE_FULL" or "disk I/O" in text:
        return ArchiveError(f"cannot write the archive {path}: the disk is full or a file "
                            f"size limit was reached ({text})",
                            "nothing half-written was kept; free some space and run it again")
    if "locked" in text or name.startswith("SQLITE_BUSY"):
        return ArchiveError(f"the archive {path} stayed locked by another process",
                            "another smscli writes to it; try again")
    if "unable to open" in text or name.startswith("SQLITE_CANTOPEN"):
        return ArchiveError(f"cannot open the archive {path}",
                            "check that the path and its directory are accessible")
    if "no such module: fts5" in text:
        return ArchiveError(f"the archive {path} has a full-text index, and this Python's "
                            "SQLite has no FTS5 to update it",
                            "write to it with a Python whose SQLite has FTS5")
    return ArchiveError(f"archive {path}: {text}")


def message_identity(raw: Any) -> bytes:
    """The stored identity of a message within its session: a hash of ``message_key``."""
    global _encode_key
    import hashlib

    from smscli.models import message_key

    key = message_key(raw)
    if _encode_key is None:
        import msgspec

        _encode_key = msgspec.json.Encoder().encode
    try:
        data = _encode_key(key)  # the same key always takes the same one of the two ways
    except (TypeError, ValueError, UnicodeEncodeError):  # a lone surrogate
        text = json.dumps(key, ensure_ascii=False, separators=(",", ":"))
        data = text.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()


_encode_key: Any = None


def compact_json(value: Any) -> str:
    from smscli.render.machine import compact_server_json

    return compact_server_json(value)


class Position(Frozen):
    """Where a session's archived transcript ends, as a follow cursor keeps it: the highest
    index, and the keys of the messages from its first arrival on (follow/engine.py). (Not a
    dataclass: `history search` loads this module; see smscli/values.py.)"""

    __slots__ = ("last_index", "tail_keys", "messages")
    last_index: int
    tail_keys: frozenset[tuple]
    messages: int

    def __init__(self, last_index: int, tail_keys: frozenset[tuple], messages: int) -> None:
        self._set(last_index=last_index, tail_keys=tail_keys, messages=messages)


class Archive:
    """An open archive file. ``write=False`` never creates nor changes anything."""

    def __init__(self, path: Path, *, write: bool = False) -> None:
        self.path = path
        self.write = write
        self.conn = self._connect()
        self.has_fts = self._table_exists("messages_fts")
        self.said_like = False  # the LIKE search has been announced on stderr

    # -- opening --------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        from smscli.archive.paths import create_private

        path = self.path
        if path.is_dir():
            raise ArchiveError(f"the archive {path} is a directory", "give a file path")
        if not path.exists():
            if not self.write:
                raise NotFoundError(f"no archive at {path}",
                                    "record sessions with smscli record, or import a "
                                    "transcript with: smscli history import FILE")
            try:
                create_private(path)
            except OSError as exc:
                raise ArchiveError(f"cannot create the archive {path}: "
                                   f"{exc.strerror or exc}",
                                   "check the path, or give another with --archive") from None
        try:
            return self._open(f"file:{_uri_path(path)}?mode={'rwc' if self.write else 'rw'}")
        except sqlite3.Error as exc:
            error = exc
        if not self.write and not Path(f"{path}-wal").exists() and _unwritable(path):
            # A WAL archive in a place we cannot write (read-only media, another user's
            # directory) cannot get its -shm file. With no -wal file there is no writer and
            # every commit is in the file itself: read it as a file that cannot change.
            try:
                return self._open(f"file:{_uri_path(path)}?mode=ro&immutable=1")
            except sqlite3.Error:
                pass
        if self.write and _unwritable(path):
            raise ArchiveError(f"the archive {path} is read-only",
                               "check the permissions of the file and its directory")
        raise explain(error, path) from None

    def _open(self, uri: str) -> sqlite3.Connection:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._prepare(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise ArchiveError(f"{self.path} is an SQLite database, but not an smscli "
                                   "archive", "give another --archive path")
            if not self.write:
                raise NotFoundError(f"the archive {self.path} is empty",
                                    "import a transcript with: smscli history import FILE")
            self._create(conn)
        elif version > SCHEMA_VERSION:
            raise ArchiveError(f"the archive {self.path} was written by a newer smscli "
                               f"(schema {version})", "upgrade smscli to read it")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: a process crash loses no commit
        if self.write:
            conn.execute("PRAGMA cache_size = -65536")  # 64 MB: big imports touch many pages
        else:
            conn.execute("PRAGMA query_only = ON")

    def _create(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:  # not another's
                for statement in _statements(_TABLES + (_FTS if fts5_available() else "")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _table_exists(self, name: str) -> bool:
        row = self._query("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        return row is not None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------------------

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction: all of it is committed, or none of it (an error rolls back).
        A read transaction sees one moment of the file, whatever a writer does meanwhile."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                _rollback(conn)
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(conn)
            raise explain(exc, self.path) from None

    def _query(self, sql: str, args: Iterable[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.conn.execute(sql, tuple(args))
        except sqlite3.Error as exc:
            raise explain(exc, self.path) from None

    # -- writes: the recorder's API -------------------------------------------------------

    def record_session(self, session: dict, seen_at: datetime | float) -> None:
        """The session as the server's list has it now: its latest object, a state change
        when the state differs from the last one kept, who took part, when it was seen."""
        with self.transaction() as conn:
            self._upsert_session(conn, session, epoch_ms(seen_at), origin="record")

    def record_messages(self, session_id: str, messages: Iterable[Any]) -> int:
        """Store the messages not stored yet, in the order given; returns how many were new."""
        with self.transaction() as conn:
            sid = self._sid(conn, session_id, origin="record")
            return self._insert_messages(conn, sid, messages)

    def mark_gone(self, session_id: str, at: datetime | float) -> None:
        """The session is no longer on the server's list (completed and forgotten)."""
        with self.transaction() as conn:
            conn.execute("UPDATE sessions SET left_server_at = ? WHERE id = ?",
                         (epoch_ms(at), session_id))

    def last_position(self, session_id: str) -> Position | None:
        """Where a restarted recorder resumes the session's transcript; None if unknown."""
        from smscli.models import message_key

        with self.transaction(write=False) as conn:
            row = conn.execute("SELECT sid FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                return None
            sid = row[0]
            count, last = conn.execute("SELECT count(*), max(idx) FROM messages WHERE sid = ?",
                                       (sid,)).fetchone()
            if last is None:
                tail = conn.execute("SELECT raw FROM messages WHERE sid = ?", (sid,))
            else:
                tail = conn.execute(
                    "SELECT raw FROM messages WHERE sid = ? AND id >= (SELECT min(id) FROM "
                    "messages WHERE sid = ? AND idx = ?)", (sid, sid, last))
            keys = frozenset(message_key(load_json(raw)) for (raw,) in tail)
        return Position(last or 0, keys, count)

    def record_batch(self, steps: Iterable[tuple[str, str, Any, float]],
                     shown: Callable[[Any], Any] | None = None) -> int:
        """What a recorder saw in one burst, in one transaction, in the order seen; returns
        how many messages were new. Steps are (kind, session id, value, seen at): "session"
        (the session object as listed), "messages" (a list, in server order), "gone"
        (value unused). ``shown``: what is kept of each message and session object (the
        redaction); a message's identity is that of the message as the server sent it."""
        new = 0
        with self.transaction() as conn:
            for kind, session_id, value, at in steps:
                if kind == "session":
                    kept = value if shown is None else {**shown(value), "id": session_id}
                    self._upsert_session(conn, kept, epoch_ms(at), origin="record")
                elif kind == "messages":
                    sid = self._sid(conn, session_id, origin="record")
                    new += self._insert_messages(conn, sid, value, shown)
                elif kind == "gone":
                    conn.execute("UPDATE sessions SET left_server_at = ? WHERE id = ?",
                                 (epoch_ms(at), session_id))
                else:
                    raise ValueError(f"unknown step {kind!r}")
        return new

    # -- writes: imports ------------------------------------------------------------------

    def import_batch(self, steps: Iterable[tuple[str, Any]], at: float) -> dict[str, int]:
        """What a file held, in one transaction: ("session", object) and ("messages",
        (session id, messages)) steps, in order; returns the new messages per session."""
        new: dict[str, int] = {}
        with self.transaction() as conn:
            for kind, value in steps:
                if kind == "session":
                    self._upsert_session(conn, value, epoch_ms(at), origin="import",
                                         seen=False)
                    new.setdefault(str(value.get("id")), 0)
                else:
                    session_id, messages = value
                    sid = self._sid(conn, session_id, origin="import")
                    new[session_id] = (new.get(session_id, 0)
                                       + self._insert_messages(conn, sid, messages))
        return new

    # -- the parts ------------------------------------------------------------------------

    def _sid(self, conn: sqlite3.Connection, session_id: str, origin: str) -> int:
        row = conn.execute("SELECT sid FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is not None:
            return int(row[0])
        cursor = conn.execute("INSERT INTO sessions(id, origin) VALUES (?, ?)",
                              (session_id, origin))
        return int(cursor.lastrowid or 0)

    def _upsert_session(self, conn: sqlite3.Connection, session: dict, at: int | None,
                        origin: str, seen: bool = True) -> None:
        from smscli.models import Session

        parsed = Session.from_raw(session)
        if not parsed.id:
            raise ArchiveError("a session object without an id cannot be archived")
        sid = self._sid(conn, parsed.id, origin)
        old_state, customers, agents = conn.execute(
            "SELECT state, customer, agents FROM sessions WHERE sid = ?", (sid,)).fetchone()
        customers = _joined(customers, [_clean(n) for n in
                                        parsed.nicknames("Customer") + parsed.nicknames("Client")])
        agents = _joined(agents, [_clean(n) for n in parsed.nicknames("Agent")])
        conn.execute(
            "UPDATE sessions SET raw = ?, state = ?, customer = ?, agents = ? WHERE sid = ?",
            (compact_json(session), _clean(parsed.state), customers, agents, sid))
        if seen and at is not None:
            conn.execute(
                "UPDATE sessions SET first_seen = coalesce(min(first_seen, ?1), ?1), "
                "last_seen = coalesce(max(last_seen, ?1), ?1), left_server_at = NULL "
                "WHERE sid = ?2", (at, sid))
        if parsed.state and parsed.state != old_state:
            conn.execute("INSERT INTO state_changes(sid, at, state) VALUES (?, ?, ?)",
                         (sid, at if at is not None else _now_ms(), parsed.state))

    def _insert_messages(self, conn: sqlite3.Connection, sid: int, messages: Iterable[Any],
                         shown: Callable[[Any], Any] | None = None) -> int:
        last = conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
        times: list[int] = []
        people: dict[str, list[str]] = {}
        rows = _message_rows(sid, messages, times, people, shown)
        conn.executemany("INSERT OR IGNORE INTO messages(sid, idx, ts, type, body, key, raw) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        # New rows take ids above the highest (there is no AUTOINCREMENT to skip any).
        new = conn.execute("SELECT count(*) FROM messages WHERE id > ?", (last,)).fetchone()[0]
        if new and self.has_fts:
            conn.execute("INSERT INTO messages_fts(rowid, body) SELECT id, body FROM messages "
                         "WHERE id > ?", (last,))
        if times:
            conn.execute(
                "UPDATE sessions SET first_msg = coalesce(min(first_msg, ?1), ?1), "
                "last_msg = coalesce(max(last_msg, ?2), ?2) WHERE sid = ?3",
                (min(times), max(times), sid))
        if people:
            customers, agents = conn.execute(
                "SELECT customer, agents FROM sessions WHERE sid = ?", (sid,)).fetchone()
            conn.execute("UPDATE sessions SET customer = ?, agents = ? WHERE sid = ?",
                         (_joined(customers, people.get("Customer", []) +
                                  people.get("Client", [])),
                          _joined(agents, people.get("Agent", [])), sid))
        return new


def _message_rows(sid: int, messages: Iterable[Any], times: list[int],
                  people: dict[str, list[str]],
                  shown: Callable[[Any], Any] | None = None) -> Iterator[tuple]:
    """The rows to insert; gathers the messages' times and who sent them on the way.
    ``shown``: what is stored of a message (its identity is the message's own)."""
    from smscli.models import message_body, message_type, positive_index

    for original in messages:
        raw = original if shown is None else shown(original)
        ts = message_time(raw)
        if ts is not None:
            times.append(ts)
        sender = raw.get("from") if isinstance(raw, dict) else None
        if isinstance(sender, dict):
            kind, name = sender.get("type"), sender.get("nickname")
            if isinstance(kind, str) and isinstance(name, str):
                name = _clean(name)
                names = people.setdefault(kind, [])
                if name not in names:
                    names.append(name)
        body = message_body(raw) if isinstance(raw, dict) else compact_json(raw)
        yield (sid, positive_index(raw), ts, _clean(message_type(raw)), _clean(body),
               message_identity(original), compact_json(raw))


def message_time(raw: Any) -> int | None:
    """A message's time as epoch ms: timestampSeconds (milliseconds in every sample), else
    the timestamp text."""
    if not isinstance(raw, dict):
        return None
    from smscli.models import as_int, parse_timestamp

    millis = as_int(raw.get("timestampSeconds"))
    if millis is not None and abs(millis) >= 100_000_000_000:
        return millis
    moment = parse_timestamp(raw.get("timestamp"), raw.get("timestampSeconds"))
    return None if moment is None else int(moment.timestamp() * 1000)


_SURROGATES = re.compile("[\ud800-\udfff]")


def _clean(text: str) -> str:
    """Text SQLite can hold: a lone surrogate (not UTF-8) becomes U+FFFD. Only the columns
    we search and filter on get this; the raw JSON keeps it, \\u-escaped."""
    return _SURROGATES.sub("\ufffd", text) if _SURROGATES.search(text) else text


def _joined(kept: str, names: list[str]) -> str:
    """Nicknames seen so far and now, each once, in the order first seen."""
    seen = [name for name in kept.split("\n") if name] if kept else []
    for name in names:
        if name and name not in seen:
            seen.append(name)
    return "\n".join(seen)


def _uri_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(path.absolute()))


def _unwritable(path: Path) -> bool:
    """The file, or the directory its -wal and -shm files go in, cannot be written."""
    return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _rollback(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if the connection still has one (a reader abandoned
    after the archive was closed has none left to undo)."""
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def load_json(text: str) -> Any:
    from smscli.envelope import parse_json

    return parse_json(text.encode("utf-8", "surrogatepass"))


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)


def _statements(script: str) -> Iterator[str]:
    """The statements of a schema script (triggers hold semicolons of their own)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
