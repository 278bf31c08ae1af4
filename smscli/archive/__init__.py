"""The local archive of SMS sessions (SQLite): what the recorder keeps and `history` reads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smscli.archive.lookup import Fallback


def fallback(session_id: str, path: Any = None, *, demo: bool = False) -> Fallback | None:
    """The archived session and transcript for a session the server no longer knows, or None
    (no archive, the session is not in it, or the archive cannot be read). See lookup.py."""
    from smscli.archive.lookup import find

    return find(session_id, path, demo=demo)
