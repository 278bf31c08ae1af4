"""For ``messages ID`` and ``sessions show ID``: a session the server no longer knows, from
the archive, if it is there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smscli.errors import SmscliError


@dataclass(frozen=True)
class Fallback:
    path: Path
    session_id: str
    session: dict  # the latest object the server sent (or one made from an import)
    from_server: bool
    recorded: datetime | None  # the last time the archive learnt of the session

    def messages(self, **filters: Any) -> Iterator[Any]:
        """The archived transcript in the server's order, as the server's JSON decodes;
        ``types``, ``no_typing``, ``since`` and ``until`` (epoch ms) as history messages."""
        from smscli.archive.reading import messages
        from smscli.archive.store import Archive

        with Archive(self.path) as archive:
            yield from messages(archive, self.session_id, **filters)

    def note(self, times: Any = None) -> str:
        """The line for stderr: "not on the server any more; from the archive, recorded …"."""
        when = "at an unknown time"
        if self.recorded is not None:
            moment = times.human(self.recorded) if times is not None else \
                self.recorded.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            when = moment
        return (f"session {self.session_id} is not on the server any more; from the "
                f"archive ({self.path}), recorded {when}")


def find(session_id: str, path: Any = None, *, demo: bool = False) -> Fallback | None:
    """The archived session, or None: no archive, not in it, or the archive unreadable (the
    caller's own not-found error then stands)."""
    from smscli.archive.paths import resolve_path
    from smscli.archive.reading import get_session
    from smscli.archive.store import Archive

    where = resolve_path(path, demo=demo)
    if not where.is_file():
        return None
    try:
        with Archive(where) as archive:
            found = get_session(archive, session_id)
    except SmscliError:
        return None
    recorded = found.recorded
    return Fallback(where, session_id, found.session, found.from_server,
                    None if recorded is None else
                    datetime.fromtimestamp(recorded / 1000, UTC))
