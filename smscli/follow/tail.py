"""The tail engine: every session of the agent followed at once, over one live channel.

One LiveChannel (one CometD client, or polling) for all sessions; the REST session list says
which sessions there are, each session's transcript is read on from its own Position. Per
session it keeps the follow's guarantees (follow/engine.py): nothing lost, nothing repeated,
server order. CometD says when to look; REST is the truth: a MessageLogUpdated whose messages
follow on is handed on at once, anything that suggests a gap makes the engine re-read that
transcript from its last index; state changes, reconnects, forgotten clients and idle
long-polls make it read the session list and every followed transcript again.

The engine yields TailEvents, one stream for every consumer: ``smscli tail`` prints them, a
recorder stores them (and gives each session's starting position through ``resume``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
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
from smscli.models import FINAL_STATES, as_text, parse_timestamp

# What a TailEvent can say about a session, in the order a session's life brings them.
APPEARED = "appeared"  # followed from now on: first seen, or it came to match the filter
MESSAGE = "message"  # one message, in server order, never twice
STATE = "state"  # its state changed (previous_state says from what)
PARTICIPANTS = "participants"  # someone joined or left
USER_DATA = "userData"  # its user data changed
COMPLETED = "completed"  # it reached a final state: its last messages came before; dropped
DROPPED = "dropped"  # it no longer matches the filter: not followed any more
GONE = "gone"  # it left the agent's list (after COMPLETED too)
EVENT_KINDS = (APPEARED, MESSAGE, STATE, PARTICIPANTS, USER_DATA, COMPLETED, DROPPED, GONE)


@dataclass
class TailOptions:
    # The history of a session is what its transcript holds when it is first read. Sessions
    # there at the start show none of theirs unless ``start_history``; sessions that appear
    # later show all of it (it came during the run, or with a transfer). ``tail`` and
    # ``since`` then narrow what is shown: the last N, those stamped at or after a time.
    start_history: bool = False
    tail: int | None = None
    since: datetime | None = None
    include_final: bool = False  # sessions over when the run begins are reported too
    poll: bool = False
    interval: float = 1.0
    max_retries: int | None = None
    backoff_base: float = BACKOFF_BASE_S
    backoff_cap: float = BACKOFF_CAP_S
    pacing: Pacing = field(default_factory=Pacing)
    wanted: Callable[[Any], bool] = lambda raw: True  # messages handed on (all are taken in)
    wanted_session: Callable[[Any], bool] = lambda session: True  # sessions followed
    # Where a session's transcript was taken in up to already (a recorder's archive), or None.
    resume: Callable[[str], Position | None] = lambda session_id: None


@dataclass(frozen=True, slots=True)
class TailEvent:
    kind: str  # one of EVENT_KINDS
    session_id: str
    session: Any  # the GWS smssession object as last read
    message: Any = None  # MESSAGE: the message as the server sent it
    previous_state: str | None = None  # STATE
    initial: bool = False  # APPEARED: the session was there when the run began


@dataclass
class _Known:
    session: dict
    state: str
    position: Position | None = None  # None until the session is first followed
    history_read: bool = False  # the first read (the history) is done
    following: bool = False
    reported: bool = False  # it was ever followed: its departure is worth an event
    over: bool = False  # in a final state: never followed again


class Tailer:
    """Yields TailEvents until the consumer stops; faults cost requests, never messages."""

    def __init__(self, client: GwsClient, options: TailOptions, note: Note) -> None:
        self.client = client
        self.options = options
        self.note = note
        self.known: dict[str, _Known] = {}
        self.live_events = 0
        self.channel = LiveChannel(client, RetryPolicy.of(options), note, "tail")

    def close(self) -> None:
        self.channel.close()

    @property
    def following(self) -> list[str]:
        return [sid for sid, known in self.known.items() if known.following]

    # -- the main loop --------------------------------------------------------------------------

    def run(self) -> Iterator[TailEvent]:
        channel = self.channel
        channel.join_at_start()  # subscribed before anything is read: nothing falls between
        started = resync = False
        filled = 0
        while True:
            try:
                if not started:
                    yield from self._apply_list(self.client.list_sessions(), initial=True)
                    started = True
                    channel.succeeded()
                    resync = not channel.joined and channel.live
                if resync:
                    filled += yield from self._resync()
                    resync = False
                yield from self._cycle()
                channel.succeeded(filled)  # only a whole cycle ends a run of failures
                filled = 0
            except FATAL:
                raise
            except RECOVERABLE as exc:
                channel.recover(exc)
                resync = True

    def _cycle(self) -> Iterator[TailEvent]:
        events = self.channel.wait()
        if not events:
            # Idle (or polling): sessions and messages may have changed without a word.
            if self.channel.idle_check_due():
                yield from self._refresh(quiet_check=self.channel.live)
            return
        relist = False
        for event in events:
            relist = (yield from self._on_event(event)) or relist
        if relist:
            yield from self._apply_list(self.client.list_sessions())

    def _resync(self) -> Generator[TailEvent, None, int]:
        """After a failure: join again if the client was lost, then whatever was missed."""
        self.channel.join()
        if not self.channel.resync_check_due():  # failures in a row: every few seconds at most
            return 0
        return (yield from self._refresh())

    def _refresh(self, quiet_check: bool = False) -> Generator[TailEvent, None, int]:
        """The truth: the session list, then every followed transcript from where it was read."""
        yield from self._apply_list(self.client.list_sessions())
        found = 0
        for session_id, known in list(self.known.items()):
            if known.following:
                found += yield from self._read_on(session_id, known)
        if quiet_check and found and not self.live_events:
            self.channel.quiet_fill()
        return found

    # -- live notifications ---------------------------------------------------------------------

    def _on_event(self, event: Any) -> Generator[TailEvent, None, bool]:
        """Take in one event; returns whether the session list must be read again."""
        notice = notice_of(event)
        if notice is None:
            return False
        if notice.state_change:
            # Which change and in which order is for the list to say: events come twice or
            # swapped, the list that follows says what is.
            self.live_events += 1
            return True
        session_id = notice.session_id
        known = self.known.get(session_id)
        if known is None:
            return True  # a session not seen yet
        if not known.following:
            return False
        self.live_events += 1
        position = known.position
        if position is None or not known.history_read:
            yield from self._read_on(session_id, known)
            return False
        for raw in notice.messages:
            if position.knows(raw):
                continue
            if position.jumps(raw):
                yield from self._catch_up(session_id, known)  # fill the gap, in server order
            if not position.knows(raw):
                yield from self._emit(session_id, known, raw)
        return False

    # -- the session list -----------------------------------------------------------------------

    def _apply_list(self, sessions: Any, initial: bool = False) -> Iterator[TailEvent]:
        listed: set[str] = set()
        for raw in sessions if isinstance(sessions, list) else []:
            session_id = as_text(raw.get("id")) if isinstance(raw, dict) else ""
            if not session_id or session_id in listed:
                continue
            listed.add(session_id)
            known = self.known.get(session_id)
            if known is None:
                yield from self._first_seen(session_id, raw, initial)
            else:
                yield from self._seen_again(session_id, known, raw)
        for session_id in [sid for sid in self.known if sid not in listed]:
            gone = self.known.pop(session_id)
            if gone.reported:
                yield TailEvent(GONE, session_id, gone.session)

    def _first_seen(self, session_id: str, raw: dict, initial: bool) -> Iterator[TailEvent]:
        state = as_text(raw.get("state"))
        known = self.known[session_id] = _Known(raw, state)
        if state in FINAL_STATES and initial and not self.options.include_final:
            known.over = True  # over before the run began: nothing will come
            return
        # One that came and ended between two reads of the list is shown all the same.
        if self.options.wanted_session(raw):
            yield from self._pick_up(session_id, known, initial)
        elif state in FINAL_STATES:
            known.over = True

    def _seen_again(self, session_id: str, known: _Known, raw: dict) -> Iterator[TailEvent]:
        before, state = known.state, as_text(raw.get("state"))
        previous, known.session = known.session, raw
        if known.over:
            known.state = state
            return
        final = state in FINAL_STATES
        if not known.following:
            known.state = state
            if final:
                known.over = True
            elif self.options.wanted_session(raw):
                yield from self._pick_up(session_id, known, initial=False)
            return
        if state != before:
            if final:
                # Its last messages came before its end: they go first.
                yield from self._read_on(session_id, known)
            known.state = state
            yield TailEvent(STATE, session_id, raw, previous_state=before)
        if raw.get("participants") != previous.get("participants"):
            yield TailEvent(PARTICIPANTS, session_id, raw)
        if raw.get("userData") != previous.get("userData"):
            yield TailEvent(USER_DATA, session_id, raw)
        if final:
            yield from self._end(session_id, known)
        elif not self.options.wanted_session(raw):
            known.following = False
            yield TailEvent(DROPPED, session_id, raw)

    def _pick_up(self, session_id: str, known: _Known, initial: bool) -> Iterator[TailEvent]:
        known.following = known.reported = True
        yield TailEvent(APPEARED, session_id, known.session, initial=initial)
        yield from self._read_on(session_id, known, initial)
        if known.state in FINAL_STATES:
            yield from self._end(session_id, known)

    def _end(self, session_id: str, known: _Known) -> Iterator[TailEvent]:
        known.following = False
        known.over = True
        yield TailEvent(COMPLETED, session_id, known.session)

    # -- transcripts ----------------------------------------------------------------------------

    def _read_on(self, session_id: str, known: _Known,
                 initial: bool = False) -> Generator[TailEvent, None, int]:
        """The history on the first read, else what came since; returns how many were new."""
        if known.position is not None and known.history_read:
            return (yield from self._catch_up(session_id, known))
        yield from self._history(session_id, known, initial)
        return 0

    def _history(self, session_id: str, known: _Known, initial: bool) -> Iterator[TailEvent]:
        options = self.options
        if known.position is None:
            resumed = options.resume(session_id)
            if resumed is not None:
                known.position, known.history_read = resumed, True
                yield from self._catch_up(session_id, known)
                return
            known.position = Position()
        shown = options.start_history or not initial
        narrowed = options.tail is not None or options.since is not None
        if shown and not narrowed:
            known.history_read = True  # a catch-up goes on where a failed one stopped
            yield from self._catch_up(session_id, known)
            return
        # Read to its end, every message taken in; what is shown waits for the end (a read
        # that fails half-way is read again from the start, and shows nothing twice).
        position = known.position
        keep: deque = deque(maxlen=options.tail)
        try:
            for raw in self.client.iter_messages(session_id):
                position.mark(raw)
                if narrowed and options.wanted(raw) and self._since(raw):
                    keep.append(raw)
        except NotFoundError:
            return  # gone already: the next list says so
        known.history_read = True
        for raw in keep:
            yield TailEvent(MESSAGE, session_id, known.session, message=raw)

    def _since(self, raw: Any) -> bool:
        since = self.options.since
        if since is None or not isinstance(raw, dict):
            return True
        moment = parse_timestamp(raw.get("timestamp"), raw.get("timestampSeconds"))
        return moment is None or moment >= since  # a message without a time is not left out

    def _catch_up(self, session_id: str, known: _Known) -> Generator[TailEvent, None, int]:
        """Everything in the transcript after what was taken in; returns how many were new."""
        position = known.position
        assert position is not None
        count = 0
        try:
            for raw in self.client.iter_messages(session_id, start=position.start):
                if not position.knows(raw):
                    count += 1
                    yield from self._emit(session_id, known, raw)
        except NotFoundError:
            pass  # gone from the server: the next list reports it
        return count

    def _emit(self, session_id: str, known: _Known, raw: Any) -> Iterator[TailEvent]:
        assert known.position is not None
        known.position.mark(raw)
        if self.options.wanted(raw):
            yield TailEvent(MESSAGE, session_id, known.session, message=raw)
