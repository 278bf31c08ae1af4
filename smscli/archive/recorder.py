"""The recorder: what the tail engine (follow/tail.py) sees, kept in the archive.

Each TailEvent becomes a step of the archive's ``record_batch``: a session as it is now (its
first sight, a state change, who takes part, its user data, its end), messages, its leaving
the agent's list. Steps wait in memory and go into the archive in one transaction per burst:
whenever the engine is about to wait (for events, or before a retry), and every ``batch``
messages during a long catch-up. No transaction is ever open while the engine waits.

A restart resumes each session where its archived transcript ends (``resume``): the engine
reads on from there, and the archive stores each message once (by its identity), so a kill
between a read and its commit costs a re-read, never a message or a duplicate.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from smscli import threads
from smscli.follow import tail as kinds
from smscli.follow.position import Position
from smscli.models import FINAL_STATES, as_text

if TYPE_CHECKING:
    from smscli.archive.writing import WritableArchive
    from smscli.follow.live import LiveChannel
    from smscli.follow.tail import TailEvent

BATCH = 500  # messages per transaction at most, during a long catch-up
_SESSION_KINDS = (kinds.APPEARED, kinds.STATE, kinds.PARTICIPANTS, kinds.USER_DATA,
                  kinds.COMPLETED, kinds.DROPPED)


class Recorder:
    """Takes TailEvents, keeps them in the archive in bursts, and says on stderr (``note``)
    which sessions appear and end."""

    def __init__(self, archive: WritableArchive, note: Callable[[str], None], *, redact: bool = False,
                 batch: int = BATCH, clock: Callable[[], float] = time.time) -> None:
        self.archive = archive
        self.note = note
        self.batch = batch
        self.clock = clock
        self.shown: Callable[[Any], Any] | None = None
        if redact:
            from smscli.redact import redact_value

            self.shown = redact_value
        self.pending: list[tuple[str, str, Any, float]] = []
        self.pending_messages = 0
        self.sessions: set[str] = set()  # sessions written to in this run
        self.messages = 0  # messages stored in this run (not those the archive had)

    # -- the engine's side ----------------------------------------------------------------

    def resume(self, session_id: str) -> Position | None:
        """TailOptions.resume: where the archived transcript of the session ends."""
        if any(step[0] == "messages" and step[1] == session_id for step in self.pending):
            self.flush()  # a session seen again in this run: its pending messages count too
        return self.archive.last_position(session_id)

    def attach(self, channel: LiveChannel) -> None:
        """Store what is pending each time the engine is about to wait: before a long-poll
        or a poll's sleep, and before the pause ahead of a retry."""
        channel.before_waiting = self.flush

    def take(self, event: TailEvent) -> None:
        """One event into the pending burst (stored at the next flush)."""
        now = self.clock()
        session_id = event.session_id
        if event.kind == kinds.MESSAGE:
            last = self.pending[-1] if self.pending else None
            if last is not None and last[0] == "messages" and last[1] == session_id:
                last[2].append(event.message)
            else:
                self.pending.append(("messages", session_id, [event.message], now))
            self.pending_messages += 1
            if self.pending_messages >= self.batch:
                self.flush()
            return
        if event.kind in _SESSION_KINDS:
            self.pending.append(("session", session_id, event.session, now))
        elif event.kind == kinds.GONE:
            self.pending.append(("gone", session_id, None, now))
        self._say(event)

    def flush(self) -> None:
        """Everything pending, in one transaction; kept pending if it fails. A Ctrl-C that
        comes meanwhile waits until the commit is counted and the burst is no longer pending
        (else the summary would miss it, and the next flush would store it again as old)."""
        if not self.pending:
            return
        with threads.blocked({signal.SIGINT}):
            self.messages += self.archive.record_batch(self.pending, self.shown)
            self.sessions.update(step[1] for step in self.pending)
            self.pending = []
            self.pending_messages = 0

    # -- stderr ---------------------------------------------------------------------------

    def _say(self, event: TailEvent) -> None:
        session = event.session if isinstance(event.session, dict) else {}
        if self.shown is not None:
            session = self.shown(session)  # a customer known by a phone number: masked
        state = as_text(session.get("state"))
        label = event.session_id
        if event.kind == kinds.APPEARED and state not in FINAL_STATES:
            self.note(f"+ {label}: {state}{_customer(session)}")
        elif event.kind == kinds.COMPLETED:
            self.note(f"- {label}: {state}{_customer(session)}")
        elif event.kind == kinds.GONE and state not in FINAL_STATES:
            self.note(f"- {label}: left the agent's list")

    def summary(self) -> str:
        sessions, messages = len(self.sessions), self.messages
        return (f"stored {sessions:,} session{'' if sessions == 1 else 's'} and {messages:,} "
                f"new message{'' if messages == 1 else 's'} in {self.archive.path}")


def _customer(session: dict) -> str:
    from smscli.models import Session

    names = Session.from_raw(session).nicknames("Customer")
    return f" ({', '.join(names)})" if names else ""
