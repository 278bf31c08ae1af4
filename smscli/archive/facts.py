"""What the archive knows of a session beyond the server's object, after ``history show``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import IO, Any

from smscli.archive.reading import ArchivedSession
from smscli.safety import escape, escape_plain_field


def _moment(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def write_facts(found: ArchivedSession, count: int, options: Any, out: IO[str]) -> None:
    """Table: a few lines for people; plain: more TSV rows in the shape of session_detail."""
    times = options.times
    rows = [("messages", str(count)),
            ("firstSeen", times.iso(_moment(found.first_seen))),
            ("lastSeen", times.iso(_moment(found.last_seen))),
            ("leftServer", times.iso(_moment(found.left_server_at))),
            ("origin", found.origin)]
    if options.format == "plain":
        for key, value in rows:
            out.write(f"{key}\t{escape_plain_field(value)}\n")
        for at, state in found.states:
            out.write(f"stateChange\t{times.iso(_moment(at))}\t{escape_plain_field(state)}\n")
        return
    out.write("\nIn the archive\n")
    labels = {"messages": "Messages", "firstSeen": "First seen", "lastSeen": "Last seen",
              "leftServer": "Left the server", "origin": "From"}
    for key, value in rows:
        if key == "origin":
            value = "smscli record" if value == "record" else "an imported transcript"
        out.write(f"  {labels[key]:<16} {escape(value) or '-'}\n")
    for at, state in found.states:
        out.write(f"  {'State':<16} {times.human(_moment(at))}  {escape(state)}\n")
