"""Writing the archive: what the recorder saw and what a file held, each burst in one
transaction (docs/architecture.md, "Data flow of `smscli tail` and `smscli record`").

`WritableArchive` is the archive opened for writing (store.py opens, creates and reads);
messages are stored once each, by the session and the message's identity
(``models.message_key``, hashed), with the JSON the server sent.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smscli.archive.store import Archive, ArchiveError, epoch_ms, load_json, now_ms

if TYPE_CHECKING:
    from smscli.follow.position import Position


class WritableArchive(Archive):
    """An archive file opened for writing, created private if it is not there yet."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, write=True)

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
        """Where a restarted recorder resumes the session's transcript (the highest index,
        and the keys of the messages from its first arrival on); None if unknown."""
        from smscli.follow.position import Position
        from smscli.models import message_key

        with self.transaction(write=False) as conn:
            row = conn.execute("SELECT sid FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if row is None:
                return None
            sid = row[0]
            last = conn.execute("SELECT max(idx) FROM messages WHERE sid = ?",
                                (sid,)).fetchone()[0]
            if last is None:
                tail = conn.execute("SELECT raw FROM messages WHERE sid = ?", (sid,))
            else:
                tail = conn.execute(
                    "SELECT raw FROM messages WHERE sid = ? AND id >= (SELECT min(id) FROM "
                    "messages WHERE sid = ? AND idx = ?)", (sid, sid, last))
            keys = [message_key(load_json(raw)) for (raw,) in tail]
        return Position.resumed(last or 0, keys)

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
                         (sid, at if at is not None else now_ms(), parsed.state))

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
    from smscli.render.codec import compact_server_json

    return compact_server_json(value)

