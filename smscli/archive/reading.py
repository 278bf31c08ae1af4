"""Reading the archive: sessions with the live commands' filters, transcripts, pruning."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Generator, Iterator
from typing import Any

from smscli.archive.store import Archive, load_json
from smscli.errors import NotFoundError
from smscli.values import Frozen, Value


class SessionFilter(Frozen):
    """--state, --customer, --agent (any of each, case-insensitive; names match in part),
    and --since/--until (epoch ms) against the session's span: its first to its last sign
    of life, from its messages' times and the times the recorder saw it. (These classes are
    not dataclasses: `history search` loads this module; see smscli/values.py.)"""

    __slots__ = ("states", "customers", "agents", "since", "until")
    states: tuple[str, ...]
    customers: tuple[str, ...]
    agents: tuple[str, ...]
    since: int | None
    until: int | None

    def __init__(self, states: tuple[str, ...] = (), customers: tuple[str, ...] = (),
                 agents: tuple[str, ...] = (), since: int | None = None,
                 until: int | None = None) -> None:
        self._set(states=states, customers=customers, agents=agents, since=since, until=until)

    def where(self, table: str = "") -> tuple[str, list[Any]]:
        """The SQL condition and its arguments; ``table`` names the sessions table."""
        t = f"{table}." if table else ""
        parts: list[str] = []
        args: list[Any] = []
        if self.states:
            parts.append(f"lower(coalesce({t}state, '')) IN ({_marks(self.states)})")
            args += [s.lower() for s in self.states]
        for column, names in (("customer", self.customers), ("agents", self.agents)):
            if names:
                parts.append("(" + " OR ".join(f"{t}{column} LIKE ? ESCAPE '\\'"
                                               for _ in names) + ")")
                args += [f"%{_like(name)}%" for name in names]
        if self.since is not None:
            parts.append(f"{ended(t)} >= ?")
            args.append(self.since)
        if self.until is not None:
            parts.append(f"{started(t)} <= ?")
            args.append(self.until)
        return (" AND ".join(parts) or "1"), args


def started(t: str = "") -> str:
    return f"coalesce(min({t}first_msg, {t}first_seen), {t}first_msg, {t}first_seen)"


def ended(t: str = "") -> str:
    return f"coalesce(max({t}last_msg, {t}last_seen), {t}last_msg, {t}last_seen)"


class ArchivedSession(Value):
    __slots__ = ("id", "session", "from_server", "state", "first_seen", "last_seen",
                 "left_server_at", "first_message", "last_message", "origin", "states")
    id: str
    session: dict  # the latest object the server sent, or one made from the transcript
    from_server: bool  # False: only a transcript was imported, ``session`` is made up
    state: str
    first_seen: int | None
    last_seen: int | None
    left_server_at: int | None
    first_message: int | None
    last_message: int | None
    origin: str
    states: list[tuple[int, str]]

    def __init__(self, id: str, session: dict, from_server: bool, state: str,
                 first_seen: int | None, last_seen: int | None, left_server_at: int | None,
                 first_message: int | None, last_message: int | None, origin: str,
                 states: list[tuple[int, str]] | None = None) -> None:
        self.id, self.session, self.from_server, self.state = id, session, from_server, state
        self.first_seen, self.last_seen, self.left_server_at = first_seen, last_seen, \
            left_server_at
        self.first_message, self.last_message, self.origin = first_message, last_message, origin
        self.states = [] if states is None else states

    @property
    def recorded(self) -> int | None:
        """The last time the archive learnt anything of the session (epoch ms)."""
        times = [t for t in (self.last_seen, self.left_server_at) if t is not None]
        return max(times) if times else self.last_message


_COLUMNS = ("id, raw, state, first_seen, last_seen, left_server_at, first_msg, last_msg, "
            "origin, customer, agents, sid")


def _session(row: tuple) -> ArchivedSession:
    (session_id, raw, state, first_seen, last_seen, gone, first_msg, last_msg, origin,
     customers, agents, _sid) = row
    if raw is not None:
        session = load_json(raw)
    else:
        people = [{"type": "Customer", "nickname": n} for n in customers.split("\n") if n]
        people += [{"type": "Agent", "nickname": n} for n in agents.split("\n") if n]
        session = {"id": session_id, "participants": people}
        if state:
            session["state"] = state
    return ArchivedSession(session_id, session if isinstance(session, dict) else {},
                           raw is not None, state or "", first_seen, last_seen, gone,
                           first_msg, last_msg, origin)


def list_sessions(archive: Archive, wanted: SessionFilter | None = None
                  ) -> list[ArchivedSession]:
    """The archived sessions that match, oldest first."""
    wanted = wanted or SessionFilter()
    where, args = wanted.where()
    with archive.transaction(write=False) as conn:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM sessions WHERE {where} "
                            f"ORDER BY {started()}, sid", args).fetchall()
    return [_session(row) for row in rows]


def get_session(archive: Archive, session_id: str) -> ArchivedSession:
    """One archived session with its state changes; NotFoundError when it is not there."""
    with archive.transaction(write=False) as conn:
        row = conn.execute(f"SELECT {_COLUMNS} FROM sessions WHERE id = ?",
                           (session_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no session {session_id} in the archive {archive.path}",
                                "list what it holds with: smscli history list")
        found = _session(row)
        found.states = [(at, state) for at, state in conn.execute(
            "SELECT at, state FROM state_changes WHERE sid = ? ORDER BY at, rowid", (row[-1],))]
    return found


def message_count(archive: Archive, session_id: str) -> int:
    with archive.transaction(write=False) as conn:
        row = conn.execute("SELECT count(*) FROM messages JOIN sessions USING (sid) "
                           "WHERE sessions.id = ?", (session_id,)).fetchone()
    return int(row[0])


def message_texts(archive: Archive, session_id: str, types: list[str] | None = None,
                  no_typing: bool = False, since: int | None = None,
                  until: int | None = None) -> Iterator[str]:
    """The session's messages as stored (compact JSON, as the server sent them), in the
    server's order, all from one moment of the archive."""
    parts = ["sid = ?"]
    args: list[Any] = []
    if types:
        parts.append(f"lower(type) IN ({_marks(types)})")
        args += [t.lower() for t in types]
    if no_typing:
        from smscli.models import TYPING_TYPES

        parts.append(f"type NOT IN ({_marks(TYPING_TYPES)})")
        args += sorted(TYPING_TYPES)
    if since is not None:
        parts.append("ts >= ?")
        args.append(since)
    if until is not None:
        parts.append("ts <= ?")
        args.append(until)
    with archive.transaction(write=False) as conn:
        row = conn.execute("SELECT sid FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no session {session_id} in the archive {archive.path}",
                                "list what it holds with: smscli history list")
        query = f"SELECT raw FROM messages WHERE {' AND '.join(parts)} ORDER BY id"
        for (raw,) in conn.execute(query, [row[0], *args]):
            yield raw


def messages(archive: Archive, session_id: str, **filters: Any
             ) -> Generator[Any, None, None]:
    """The session's messages as the values the server's JSON decodes to."""
    for text in message_texts(archive, session_id, **filters):
        yield load_json(text)


def prune(archive: Archive, older_than_ms: int) -> tuple[int, int]:
    """Delete the sessions whose last sign of life is before ``older_than_ms``, with their
    messages, state changes and full-text entries, so that nothing of them stays in the
    file; returns (sessions, messages) deleted."""
    with archive.transaction() as conn:
        conn.execute("PRAGMA secure_delete = ON")  # freed pages are zeroed, not left behind
        sids = [sid for (sid,) in conn.execute(
            f"SELECT sid FROM sessions WHERE coalesce({ended()}, 0) < ?", (older_than_ms,))]
        deleted = 0
        for sid in sids:
            deleted += conn.execute("DELETE FROM messages WHERE sid = ?", (sid,)).rowcount
            conn.execute("DELETE FROM state_changes WHERE sid = ?", (sid,))
            conn.execute("DELETE FROM sessions WHERE sid = ?", (sid,))
        if sids and archive.has_fts:
            # FTS5 deletes by writing tombstones; merging every segment drops the old terms.
            conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')")
    if sids:
        # The WAL holds copies of the deleted pages until it is checkpointed; with a reader
        # busy, the checkpoint is partial, and the next one finishes it.
        with contextlib.suppress(sqlite3.Error):
            archive.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return len(sids), deleted


def _marks(values: Any) -> str:
    return ", ".join("?" for _ in values)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
