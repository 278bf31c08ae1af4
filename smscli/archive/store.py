"""The archive file: schema, opening safely, transactions and errors.

One SQLite file in WAL mode (readers never wait for the writer, nor it for them). Every
write is one transaction: a process killed in the middle loses only what it had not yet
committed and never leaves half a row. The writes themselves (the recorder's and imports')
are in writing.py; reading.py and search.py read.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from smscli.errors import NotFoundError, SmscliError

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


def now_ms() -> int:
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
