"""Machine formats: JSON as the server sent it, ndjson one object per line, and plain TSV."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from smscli.models import Message, Session, as_text
from smscli.render import TimeFormat
from smscli.safety import escape_plain_field


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class JsonWriter:
    """One JSON document per invocation: an array for lists and transcripts."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def session_list(self, sessions: list[Any]) -> None:
        self.out.write(json.dumps(sessions, ensure_ascii=False, indent=2) + "\n")

    def session_detail(self, session: Any) -> None:
        self.out.write(json.dumps(session, ensure_ascii=False, indent=2) + "\n")

    def transcript(self, messages: Iterable[Any]) -> int:
        # Streamed element by element so a long transcript never sits in memory.
        # Nothing is written before the first message arrives, so an error leaves stdout empty.
        count = 0
        for raw in messages:
            self.out.write(("[\n" if count == 0 else ",\n") + _compact(raw))
            count += 1
        self.out.write("\n]\n" if count else "[]\n")
        return count


class NdjsonWriter:
    """One compact JSON object per line, flushed per line so ``jq`` sees each at once."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def _line(self, value: Any) -> None:
        self.out.write(_compact(value) + "\n")
        self.out.flush()

    def session_list(self, sessions: list[Any]) -> None:
        for session in sessions:
            self._line(session)

    def session_detail(self, session: Any) -> None:
        self._line(session)

    def transcript(self, messages: Iterable[Any]) -> int:
        count = 0
        for raw in messages:
            self._line(raw)
            count += 1
        return count


class PlainWriter:
    """Tab-separated, no header, no colour, nothing cut: one record per line for cut/awk/grep."""

    def __init__(self, out: IO[str], times: TimeFormat) -> None:
        self.out = out
        self.times = times

    def _row(self, *fields: str) -> None:
        self.out.write("\t".join(escape_plain_field(f) for f in fields) + "\n")

    def session_list(self, sessions: list[Any]) -> None:
        for raw in sessions:
            s = Session.from_raw(raw)
            self._row(s.id, s.state, ",".join(s.nicknames("Customer")),
                      ",".join(s.nicknames("Agent")), self.times.iso(s.received),
                      str(len(s.capabilities)))

    def session_detail(self, raw: Any) -> None:
        s = Session.from_raw(raw)
        self._row("id", s.id)
        self._row("state", s.state)
        self._row("uri", s.uri)
        self._row("received", self.times.iso(s.received))
        for p in s.participants:
            self._row("participant", p.type, p.nickname, p.participant_id, p.visibility)
        for capability in s.capabilities:
            self._row("capability", capability)
        for key, value in s.user_data.items():
            self._row("userData", as_text(key), as_text(value))

    def transcript(self, messages: Iterable[Any]) -> int:
        count = 0
        for raw in messages:
            m = Message.from_raw(raw)
            sender = m.sender
            self._row("" if m.index is None else str(m.index), self.times.iso(m.time),
                      sender.type if sender else "", sender.nickname if sender else "",
                      m.type, m.body)
            count += 1
        return count
