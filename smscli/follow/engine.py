"""The follow engine: history, then live messages, each yielded once and in server order.

CometD tells us quickly that something happened; the REST transcript is the truth. Events
whose messages follow on from the last one printed are printed straight away; anything that
suggests a gap (an index jump, a reconnect, a forgotten client, an idle long-poll, the end of
the session) makes the engine re-read the transcript from the last index printed, and every
message is checked against what was already printed, so faults cost requests, never messages.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smscli.client import GwsClient
from smscli.errors import NotFoundError
from smscli.follow.cursor import Cursor
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
from smscli.follow.position import Position
from smscli.models import FINAL_STATES, as_text


@dataclass
class FollowOptions:
    history: str = "all"  # "all", "none" or "tail"
    tail: int = 0  # history="tail" alone shows no history, as --tail 0 does
    poll: bool = False
    # Only a pace (the CLI always passes --interval); no test pins a default speed.
    interval: float = 1.0
    max_retries: int | None = None
    events: bool = False
    backoff_base: float = BACKOFF_BASE_S
    backoff_cap: float = BACKOFF_CAP_S
    cursor_path: Path | None = None
    pacing: Pacing = field(default_factory=Pacing)  # floors against flooding a server
    wanted: Callable[[Any], bool] = lambda raw: True


# Nothing sets, hashes or subclasses an Item (the CLI reads kind and data): frozen and slots
# change nothing a caller can see.
@dataclass(frozen=True, slots=True)
class Item:
    kind: str  # "message" or "event"
    data: Any


class Follower:
    def __init__(self, client: GwsClient, session_id: str, options: FollowOptions,
                 note: Note, on_start: Callable[[Any], None] | None = None) -> None:
        self.client = client
        self.on_start = on_start  # called with the session once it is known to exist
        self.session_id = session_id
        self.options = options
        self.note = note
        # Its last index starts at 0, not 1: the same to every read (startIndex 0 is 1) and to
        # index 1's arrival, but a first message at index 1 then replaces the tail instead of
        # joining it.
        self.position = Position()
        self.state: str | None = None
        self.people: frozenset | None = None
        self.done = False
        self.live_events = 0
        self.cursor = (Cursor.load(options.cursor_path, session_id)
                       if options.cursor_path else None)
        self._yielded = False  # a message was handed on and the cursor does not record it yet
        self.channel = LiveChannel(client, RetryPolicy.of(options), note, "follower")

    def close(self) -> None:
        self.channel.close()

    # -- the main loop ------------------------------------------------------------------

    def run(self) -> Iterator[Item]:
        """History, then live messages until the session ends. Every request of every step is
        inside one recovery loop: faults delay the follow, never end it (but --max-retries)."""
        channel = self.channel
        channel.join_at_start()  # subscribed before the history: nothing falls in between
        started = resync = False
        filled = 0  # messages the resyncs since the last completed cycle found
        while not self.done:
            try:
                if not started:
                    session = self.client.get_session(self.session_id)
                    self._remember(session)
                    if self.on_start is not None:
                        self.on_start(session)
                        self.on_start = None  # once, even if the history must be read again
                    yield from self._history()
                    started = True
                    # self.done is never set yet here; it is kept for clarity.
                    if self.done or self._is_final(session):
                        # Whatever came after the history read (a TranscriptSaveDone after the
                        # end, say): a race between two requests, not pinned by a test.
                        yield from self._catch_up()
                        self.note(f"session {self.session_id} is "  # a final state: a str
                                  f"{as_text(session.get('state'))}")
                        return
                    channel.succeeded()
                    resync = not channel.joined and channel.live
                if resync:
                    filled += yield from self._resync()
                    resync = False
                    if self.done:
                        break
                yield from self._cycle()
                channel.succeeded(filled)  # only a whole cycle ends a run of failures
                filled = 0
            except NotFoundError:
                if not started:
                    raise
                self.note(f"session {self.session_id} is no longer on the server")
                return
            except FATAL:
                raise
            except RECOVERABLE as exc:
                channel.recover(exc)
                resync = started
        self.note(f"session {self.session_id} ended ({self.state})")

    def _cycle(self) -> Iterator[Item]:
        events = self.channel.wait()
        if not events:
            # Idle (or polling): the transcript may hold messages nobody notified us of.
            if self.channel.idle_check_due():
                yield from self._catch_up()
                yield from self._check_state()
            return  # (the loop below would do nothing either)
        for event in events:
            yield from self._on_event(event)
            if self.done:
                # The end's catch-up printed every message: later events in this reply can
                # only repeat them, or report on a session that is over.
                return

    def _resync(self) -> Generator[Item, None, int]:
        """After a failure: join again if the client was lost, then whatever was missed."""
        self.channel.join()
        if not self.channel.resync_check_due():
            # Failures in a row: the truth is read again at most every few seconds. Nothing is
            # read or filled here (tests/follow/test_pinned_bookkeeping.py pins the 0).
            return 0
        filled = yield from self._catch_up()
        yield from self._check_state()
        return filled

    # -- live notifications ---------------------------------------------------------------

    def _on_event(self, event: dict) -> Iterator[Item]:
        data = event.get("data")
        if not isinstance(data, dict):
            return
        kind = as_text(data.get("messageType")).lower()
        if kind == "messagelogupdated" and session_of_log(data) == self.session_id:
            self.live_events += 1  # only "any at all" is used: a step of 2 would do
            messages = data.get("messages")
            yield from self._on_messages(messages if isinstance(messages, list) else [])
        elif kind == "smssessionstatechangemessage":
            session = data.get("smssession", data.get("smsession"))
            if isinstance(session, dict) and session.get("id") == self.session_id:
                yield from self._on_session(session, as_text(data.get("notificationType")))

    def _on_messages(self, messages: list) -> Iterator[Item]:
        position = self.position
        for raw in messages:
            if position.knows(raw):
                # Not needed for correctness (a seen message's index is never above
                # last_index, and the check below skips it): it saves the index checks.
                continue
            if position.jumps(raw):
                yield from self._catch_up()  # a jump: fill from the transcript, in its order
            if not position.knows(raw):
                yield from self._emit(raw)

    def _on_session(self, session: dict, notification: str) -> Iterator[Item]:
        before = self.state
        changed_people = self._remember(session)
        if before != self.state:
            self.note(f"session {self.session_id}: {before} -> {self.state}")
        if changed_people:
            self.note(f"session {self.session_id}: participants now {changed_people}")
        if notification == "PropertiesUpdated":
            self.note(f"session {self.session_id}: user data updated")
        if self.options.events and (before != self.state or changed_people or
                                    notification == "PropertiesUpdated"):
            yield Item("event", {"event": notification or "StatusChange",
                                 "session": self.session_id, "state": self.state,
                                 "previousState": before, "smssession": session})
        if self._is_final(session):
            yield from self._catch_up()
            self.done = True

    def _check_state(self) -> Iterator[Item]:
        try:
            session = self.client.get_session(self.session_id)
        except NotFoundError:
            # Only when the session vanishes between the transcript read just before (which
            # would fail first, tests/follow: a vanished session) and this one (that race is
            # held open in tests/follow/test_pinned_bookkeeping.py).
            self.note(f"session {self.session_id} is no longer on the server")
            self.done = True
            return
        yield from self._on_session(session, "")

    # -- transcript -------------------------------------------------------------------------

    def _history(self) -> Iterator[Item]:
        if self.cursor is not None and self.cursor.has_position:
            resumed = Position.resumed(self.cursor.last_index, self.cursor.tail_keys)
            resumed.seen |= self.position.seen  # what a history read that failed took in
            self.position = resumed
            self.note(f"resuming after index {self.position.last_index} "
                      f"(cursor {self.cursor.path})")
            yield from self._catch_up()
            return
        mode = self.options.history
        if mode == "all":
            yield from self._catch_up()
            return
        keep: deque = deque(maxlen=self.options.tail if mode == "tail" else 0)
        for raw in self.client.iter_messages(self.session_id):
            self.position.mark(raw)
            if self.options.wanted(raw):
                keep.append(raw)
        for raw in keep:
            yield Item("message", raw)
        self._save_cursor()

    def _catch_up(self) -> Generator[Item, None, int]:
        """Everything in the transcript after what was printed; returns how many were new."""
        count = 0
        for raw in self.client.iter_messages(self.session_id, start=self.position.start):
            if not self.position.knows(raw):
                count += 1
                yield from self._emit(raw)
        if count and not self.live_events:
            self.channel.quiet_fill()
        return count

    def _emit(self, raw: Any) -> Iterator[Item]:
        self.position.mark(raw)
        if self.options.wanted(raw):
            self._yielded = True
            yield Item("message", raw)  # resumes only once the consumer has printed it
            self._yielded = False
        self._save_cursor()

    def printed(self) -> None:
        """The consumer printed the message just handed on: the cursor records it now. A
        consumer calls it with Ctrl-C held (files.interrupt_deferred) together with the
        printing, so that no Ctrl-C falls between the two (the next run would print the
        message again); without the call, the cursor is saved when the engine resumes."""
        if self._yielded:
            self._yielded = False
            self._save_cursor()

    def _save_cursor(self) -> None:
        cursor = self.cursor
        if cursor is None:
            return
        position = self.position
        if cursor.last_index == position.last_index and cursor.tail_keys == position.tail_keys:
            return  # already recorded (by printed)
        cursor.save(position.last_index, position.tail_keys)

    # -- session state ----------------------------------------------------------------------

    def _remember(self, session: Any) -> str:
        """Record state and participants; returns a description of the people if they changed."""
        if not isinstance(session, dict):  # GwsClient.get_session returns dicts: a guard only
            return ""
        # as_text matters only for a state that is not a string (a hostile server).
        self.state = as_text(session.get("state")) or self.state
        participants = session.get("participants")
        people = frozenset(  # as_text: only a null or odd-typed name needs it
            (as_text(p.get("type")), as_text(p.get("nickname")))
            for p in (participants if isinstance(participants, list) else [])
            if isinstance(p, dict))
        # (The first call's answer is not used, so "is not None" only states the intent.)
        changed = self.people is not None and people != self.people
        self.people = people
        if not changed:
            return ""
        return ", ".join(f"{nick} ({kind})" for kind, nick in sorted(people)) or "none"

    @staticmethod
    def _is_final(session: Any) -> bool:
        # Callers pass dicts; the isinstance is a guard only. A hostile server's state may be
        # a list or an object (unhashable): compared as its display text, like everywhere.
        return isinstance(session, dict) and as_text(session.get("state")) in FINAL_STATES


def session_of_log(data: dict) -> str | None:
    """The session id of a MessageLogUpdated: the last segment of its smssession Uri or Path."""
    for key in ("smssessionUri", "smssessionPath", "smsessionUri", "smsessionPath"):
        if isinstance(data.get(key), str):
            return data[key].rstrip("/").rsplit("/", 1)[-1]  # maxsplit: any >= 1 will do
    for key, value in data.items():
        if (isinstance(value, str) and key.endswith(("Uri", "Path"))
                and ("/smssessions/" in value or "/smsessions/" in value)):
            return value.rstrip("/").rsplit("/", 1)[-1]  # maxsplit: as above
    return None
