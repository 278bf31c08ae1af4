"""``history search``: FTS5 queries (words, "phrases", prefix*), newest hits first; a LIKE
search where this Python's SQLite has no FTS5 (or the archive has no index)."""

from __future__ import annotations

import re
import sqlite3
import sys
from typing import Any

from smscli.archive.reading import SessionFilter
from smscli.archive.store import Archive, explain
from smscli.errors import UsageError
from smscli.values import Value

OPEN, CLOSE = "\x01", "\x02"  # around each match in a snippet; never shown as they are
SNIPPET_TOKENS = 12
_LIKE_CONTEXT = 40  # characters either side of the first match in a LIKE snippet


class Hit(Value):
    """One message that matched. (Not a dataclass: see smscli/values.py.)"""

    __slots__ = ("session_id", "index", "ts", "type", "raw", "body", "snippet")
    session_id: str
    index: int | None
    ts: int | None
    type: str
    raw: str  # the message as stored: compact JSON
    body: str
    snippet: str  # the body around the match, each match between OPEN and CLOSE

    def __init__(self, session_id: str, index: int | None, ts: int | None, type: str,
                 raw: str, body: str, snippet: str) -> None:
        self.session_id, self.index, self.ts, self.type = session_id, index, ts, type
        self.raw, self.body, self.snippet = raw, body, snippet

    def pieces(self) -> list[tuple[str, bool]]:
        """The snippet as (text, matched) pieces; a body that holds the marker characters
        itself is shown whole-cloth, unmarked, rather than marked wrongly."""
        if OPEN in self.body or CLOSE in self.body:
            return [(_window(self.body, 0), False)]
        out: list[tuple[str, bool]] = []
        for i, part in enumerate(re.split("[\x01\x02]", self.snippet)):
            if part:
                out.append((part, i % 2 == 1))
        return out


def search(archive: Archive, query: str, *, limit: int = 20,
           sessions: SessionFilter | None = None, session_id: str | None = None,
           types: list[str] | None = None, since: int | None = None,
           until: int | None = None, like: bool | None = None) -> list[Hit]:
    """The newest ``limit`` messages that match, with their snippets, all read from one
    moment of the archive (a writer's half-done transaction is never seen)."""
    if not query.strip():
        raise UsageError("the search query is empty", "give a word, a \"phrase\" or a prefix*")
    where, args = (sessions or SessionFilter()).where("s")
    parts = [where]
    if session_id is not None:
        parts.append("s.id = ?")
        args.append(session_id)
    if types:
        parts.append(f"lower(m.type) IN ({', '.join('?' for _ in types)})")
        args += [t.lower() for t in types]
    if since is not None:
        parts.append("m.ts >= ?")
        args.append(since)
    if until is not None:
        parts.append("m.ts <= ?")
        args.append(until)
    filters = " AND ".join(parts)
    use_like = (not archive.has_fts) if like is None else like
    if not use_like:
        from smscli.archive.store import fts5_available

        use_like = not fts5_available()
    if use_like:
        _say_like(archive)
        return _like_search(archive, query, filters, args, limit)
    sql = ("SELECT s.id, m.idx, m.ts, m.type, m.raw, m.body, "
           f"snippet(messages_fts, 0, char(1), char(2), '…', {SNIPPET_TOKENS}) "
           "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
           "JOIN sessions s ON s.sid = m.sid "
           f"WHERE messages_fts MATCH ? AND {filters} "
           "ORDER BY messages_fts.rowid DESC LIMIT ?")
    conn = archive.conn
    try:
        conn.execute("BEGIN")
        try:
            rows = conn.execute(sql, [query, *args, limit]).fetchall()
        finally:
            conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "fts5" in text or "no such column" in text or "unterminated" in text:
            raise UsageError(f"cannot search for {query!r}: {text}",
                             'quote words with other characters: "e-mail", a phrase: '
                             '"refund please", a prefix: refun*') from None
        raise explain(exc, archive.path) from None
    except sqlite3.Error as exc:
        raise explain(exc, archive.path) from None
    return [Hit(*row) for row in rows]


def _say_like(archive: Archive) -> None:
    """Once per open archive, i.e. once per command."""
    if archive.said_like:
        return
    archive.said_like = True
    why = ("this archive has no full-text index" if archive.has_fts is False
           and _fts_ok() else "this Python's SQLite has no FTS5")
    print(f"smscli: note: {why}; searching with LIKE (slower; quotes make a phrase, a "
          "trailing * is ignored)", file=sys.stderr, flush=True)


def _fts_ok() -> bool:
    from smscli.archive.store import fts5_available

    return fts5_available()


def like_terms(query: str) -> list[str]:
    """The words and "phrases" of a query, for the LIKE search; operators are dropped."""
    if query.count('"') % 2:
        raise UsageError(f"cannot search for {query!r}: a quote is not closed",
                         'close the phrase: "refund please"')
    terms = []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', query):
        term = phrase if phrase else word.rstrip("*")
        if word in ("AND", "OR", "NOT"):
            continue
        if term.strip():
            terms.append(term)
    if not terms:
        raise UsageError(f"cannot search for {query!r}: it holds no words")
    return terms


def _like_search(archive: Archive, query: str, filters: str, args: list[Any],
                 limit: int) -> list[Hit]:
    terms = like_terms(query)
    likes = " AND ".join("m.body LIKE ? ESCAPE '\\'" for _ in terms)
    patterns = ["%" + t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                for t in terms]
    sql = ("SELECT s.id, m.idx, m.ts, m.type, m.raw, m.body FROM messages m "
           f"JOIN sessions s ON s.sid = m.sid WHERE {likes} AND {filters} "
           "ORDER BY m.id DESC LIMIT ?")
    with archive.transaction(write=False) as conn:
        rows = conn.execute(sql, [*patterns, *args, limit]).fetchall()
    return [Hit(session_id, index, ts, kind, raw, body, _like_snippet(body, terms))
            for session_id, index, ts, kind, raw, body in rows]


def _like_snippet(body: str, terms: list[str]) -> str:
    """The body around the first match, every match in it marked (ASCII case folded, as
    LIKE folds)."""
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)),
                         re.IGNORECASE)
    first = pattern.search(body)
    start = max(0, first.start() - _LIKE_CONTEXT) if first else 0
    end = min(len(body), (first.end() if first else 0) + _LIKE_CONTEXT)
    window = body[start:end]
    marked = pattern.sub(lambda m: OPEN + m.group(0) + CLOSE, window)
    return ("…" if start else "") + marked + ("…" if end < len(body) else "")


def _window(body: str, start: int) -> str:
    end = start + 2 * _LIKE_CONTEXT
    return body[start:end] + ("…" if end < len(body) else "")
