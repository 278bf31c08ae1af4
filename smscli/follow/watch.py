"""The watch engine: every change to the agent's SMS sessions, each reported once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from smscli.client import GwsClient
from smscli.errors import NotFoundError
from smscli.follow.live import (
    BACKOFF_BASE_S,
    BACKOFF_CAP_S,
    FATAL,
    RECOVERABLE,
    LiveChannel,
    Note,
    Pacing,
    RetryPolicy,
)
from smscli.follow.notices import notice_of
from smscli.follow.position import Position
from smscli.models import FINAL_STATES, as_text, positive_index

CHANGE_KINDS = ("added", "state", "participants", "messages", "removed")


@dataclass
class WatchOptions:
    poll: bool = False
    interval: float = 1.0
    max_retries: int | None = None
    backoff_base: float = BACKOFF_BASE_S
    backoff_cap: float = BACKOFF_CAP_S
    pacing: Pacing = field(default_factory=Pacing)  # floors against flooding a server


@dataclass(frozen=True, slots=True)
class Change:
    """One change to one session, with the session as GWS last described it."""

    kind: str  # one of CHANGE_KINDS
    session_id: str
    session: Any  # the GWS smssession object (for "removed": the last one seen)
    time: datetime  # when the watch noticed the change (UTC)
    previous_state: str | None = None  # "state" records
    count: int = 0  # "messages" records: messages this record reports
    new_messages: int = 0  # messages new in this session since the watch began
    initial: bool = False  # "added" records: the session was there when the watch began


@dataclass
class _Known:
    """What the watch knows of one session, and where its transcript was last read up to."""

    session: dict
    state: str
    people: frozenset
    tracked: bool  # its transcript is re-read after every reconnect or idle long-poll
    counting: bool  # False until the transcript's start-of-watch contents were read
    position: Position = field(default_factory=Position)
    new_messages: int = 0
    pending: int = 0  # counted but not yet reported: survives a failure half-way through


class Watcher:
    """Yields Changes until the consumer stops; CometD says when to look, REST says what is.

    Every notification, reconnect and idle long-poll (or, with ``poll``, every interval) is
    answered by diffing the REST session list against the known one and re-reading the
    transcripts of live sessions from where they were last read, so drops, 5xx answers,
    duplicated or reordered events and forgotten clients cost requests, never changes.
    """

    def __init__(self, client: GwsClient, options: WatchOptions, note: Note) -> None:
        self.client = client
        self.options = options
        self.note = note
        self.known: dict[str, _Known] = {}
        self.live_events = 0
        self.channel = LiveChannel(client, RetryPolicy.of(options), note, "watch")

    def close(self) -> None:
        self.channel.close()

    # -- the main loop ------------------------------------------------------------------------

    def run(self) -> Iterator[Change]:
        channel = self.channel
        channel.join_at_start()  # subscribed first: what changes from now on is listed or told
        started = False
        resync = True  # reads what the sessions held when the watch began
        while True:
            try:
                if not started:
                    yield from self._apply_list(self.client.list_sessions(), initial=True)
                    started = True
                if resync:
                    yield from self._resync()
                    resync = False
                yield from self._cycle()
                channel.succeeded()  # only a whole cycle ends a run of failures
            except FATAL:
                raise
            except RECOVERABLE as exc:
                channel.recover(exc)
                resync = True

    @property
    def ready(self) -> bool:
        """Whether every live session's transcript was read once: new messages count from here."""
        return all(known.counting for known in self.known.values() if known.tracked)

    def _cycle(self) -> Iterator[Change]:
        events = self.channel.wait()
        if not events:
            # Idle (or polling): sessions and messages may have changed without a word.
            if self.channel.idle_check_due():
                yield from self._refresh(quiet_check=self.channel.live)
            return
        relist = False
        for event in events:
            relist = self._on_event(event) or relist
        if relist:
            yield from self._apply_list(self.client.list_sessions())
        yield from self._flush()

    def _resync(self) -> Iterator[Change]:
        self.channel.join()
        if self.channel.resync_check_due():  # failures in a row: every few seconds at most
            yield from self._refresh()

    def _refresh(self, quiet_check: bool = False) -> Iterator[Change]:
        """The truth: the session list, then every live transcript from where it was read."""
        yield from self._apply_list(self.client.list_sessions())
        found = 0
        for session_id, known in list(self.known.items()):
            if known.tracked:
                found += self._catch_up(session_id, known)
        yield from self._flush()
        if quiet_check and found and not self.live_events:
            self.channel.quiet_fill()

    # -- live notifications ---------------------------------------------------------------------

    def _on_event(self, event: dict) -> bool:
        """Take in one event; returns whether the session list must be read again."""
        notice = notice_of(event)
        if notice is None:
            return False
        if notice.state_change:
            # An event says that a session changed, not reliably in which order (events can
            # arrive twice or swapped): the list that follows says what it is now.
            self.live_events += 1
            return True
        known = self.known.get(notice.session_id)
        if known is None:
            return True  # a session we have not seen yet
        self.live_events += 1
        self._on_messages(notice.session_id, known, notice.messages)
        return False

    def _on_messages(self, session_id: str, known: _Known, messages: list) -> None:
        if not known.counting:
            self._catch_up(session_id, known)
            return
        for raw in messages:
            if known.position.knows(raw):
                continue  # a repeat of what was read
            index = positive_index(raw)
            if index is not None and index == known.position.last_index + 1:
                self._mark(known, raw, count=True)  # follows on: no need to ask
                continue
            # A jump, a replay or a message without an index: the transcript decides.
            self._catch_up(session_id, known)
            return

    # -- the truth from REST --------------------------------------------------------------------

    def _apply_list(self, sessions: list, initial: bool = False) -> Iterator[Change]:
        now = _now()
        listed: set[str] = set()
        for raw in sessions:
            if not isinstance(raw, dict) or not as_text(raw.get("id")):
                continue
            session_id = as_text(raw.get("id"))
            if session_id in listed:
                continue
            listed.add(session_id)
            state, people = as_text(raw.get("state")), _people(raw)
            known = self.known.get(session_id)
            if known is None:
                final = state in FINAL_STATES
                # A session that arrives during the watch: all its messages are new. One that
                # was there at the start: only what comes after its transcript is first read.
                self.known[session_id] = known = _Known(
                    raw, state, people, tracked=not final, counting=not initial)
                yield Change("added", session_id, raw, now, initial=initial)
                if not initial:
                    self._catch_up(session_id, known)
                    yield from self._flush_one(session_id, known, now)
                continue
            before, known.session = known.state, raw
            if state != before:
                if state in FINAL_STATES and known.tracked:
                    # Its last messages came before the end: report them first.
                    self._catch_up(session_id, known)
                    yield from self._flush_one(session_id, known, now)
                known.state = state
                known.tracked = state not in FINAL_STATES
                yield Change("state", session_id, raw, now, previous_state=before,
                             new_messages=known.new_messages)
            if people != known.people:
                known.people = people
                yield Change("participants", session_id, raw, now,
                             new_messages=known.new_messages)
        for session_id in [sid for sid in self.known if sid not in listed]:
            gone = self.known.pop(session_id)
            yield Change("removed", session_id, gone.session, now,
                         new_messages=gone.new_messages)

    def _catch_up(self, session_id: str, known: _Known) -> int:
        """Read the transcript from where it was last read; returns how many were new."""
        found = 0
        try:
            for raw in self.client.iter_messages(session_id, start=known.position.start):
                if not known.position.knows(raw):
                    self._mark(known, raw, count=known.counting)
                    found += 1
        except NotFoundError:
            return found  # gone from the server: the next list reports it removed
        known.counting = True
        return found

    @staticmethod
    def _mark(known: _Known, raw: Any, count: bool) -> None:
        known.position.mark(raw)
        if count:
            known.pending += 1

    def _flush(self) -> Iterator[Change]:
        now = _now()
        for session_id, known in list(self.known.items()):
            yield from self._flush_one(session_id, known, now)

    @staticmethod
    def _flush_one(session_id: str, known: _Known, now: datetime) -> Iterator[Change]:
        if known.pending:
            count, known.pending = known.pending, 0
            known.new_messages += count
            yield Change("messages", session_id, known.session, now, count=count,
                         new_messages=known.new_messages)


def _people(session: dict) -> frozenset:
    participants = session.get("participants")
    return frozenset(
        (as_text(p.get("type")), as_text(p.get("nickname")),
         as_text(p.get("participantId", p.get("id"))))
        for p in (participants if isinstance(participants, list) else [])
        if isinstance(p, dict))


def _now() -> datetime:
    return datetime.now(UTC)
