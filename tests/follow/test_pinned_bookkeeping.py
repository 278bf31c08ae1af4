"""The follow's bookkeeping in the corners the other follow tests leave open (issue 16).

Each test runs the real Follower (followkit.Run, in a thread) over loopback against the
emulator and waits on facts only (long-polls counted by the emulator, lines printed, notes):
- failures in a row: a resync within ``idle_check`` of the last read of the transcript reads
  nothing, and the reconnected note counts only what the resyncs filled;
- a session resource that is gone while its transcript is still served (the race between the
  transcript read and the session read, held open): one note, and the follow ends;
- a hostile server's states and participant names that are not strings: kept as text;
- the cursor's tail: only the messages at its last index.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from followkit import SESSION, Run, add_session, say, transcript, wait_for

from smscli.emulator import Emulator, EmulatorState
from smscli.emulator.cometd import _Event
from smscli.emulator.state import CHANNEL
from smscli.emulator.transcript import encode_json
from smscli.follow.engine import FollowOptions
from smscli.follow.live import Pacing

LONG_HOLD_MS = 20_000  # a long-poll that ends only on an event, a fault or the end


class VanishingState(EmulatorState):
    """An emulator whose session resource can vanish while its transcript is still served:
    the moment between a follow's read of the transcript and its read of the session, held
    open for as long as the test likes."""

    def __init__(self) -> None:
        super().__init__()
        self.session_gone = threading.Event()

    def get_session(self, session_id: str) -> dict[str, Any] | None:
        if self.session_gone.is_set():
            return None  # GET /smssessions/ID answers 404; the transcript is still there
        return super().get_session(session_id)

    def list_sessions(self) -> list[dict[str, Any]]:
        sessions = super().list_sessions()  # (the client looks here after a 404)
        return [] if self.session_gone.is_set() else sessions


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(users={"demo": "demo"}, state=VanishingState(), seed=3,
                  cometd_timeout_ms=LONG_HOLD_MS) as server:
        yield server


def test_a_resync_soon_after_the_last_read_reads_nothing_and_fills_nothing(emu):
    """Forgotten three times without a completed cycle: the first two resyncs read the
    transcript (the second is the first failure after the server's trouble began), the third
    comes well within idle_check of the last read and reads nothing. The messages no event
    announced wait for the next event's gap fill, which is not a resync's fill: the note says
    three failures and nothing filled."""
    add_session(emu, history=1)
    run = Run(emu, FollowOptions(backoff_base=0.01, backoff_cap=0.05,
                                 pacing=Pacing(idle_check=120)))
    for round_ in (1, 2):
        wait_for(lambda r=round_: emu.cometd.connects >= r, what=f"long-poll {round_}")
        emu.faults.forget_clients()
    wait_for(lambda: emu.cometd.connects >= 3, what="the long-poll after two failures")
    for n in range(2):
        say(emu, f"silent {n}", notify=False)
    emu.faults.forget_clients()
    wait_for(lambda: emu.cometd.connects >= 4, what="the long-poll after the third failure")
    assert len(run.items) == 1  # the transcript was not read: nothing of it printed yet
    say(emu, "announced")  # an index jump: the gap is filled from the transcript
    wait_for(lambda: len(run.items) == 4, what="the gap filled")
    wait_for(lambda: any("reconnected" in n for n in run.notes), what="the reconnected note")
    assert [n for n in run.notes if "reconnected" in n] == ["reconnected after 3 failed attempt(s)"]
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)


@pytest.mark.parametrize("poll", [True, False])
def test_a_session_gone_between_transcript_and_session_reads_ends_the_follow_once(emu, poll):
    """Polling: the interval's read of the transcript works, the read of the session finds
    nothing. Live: a resync does the same two reads. Either way: one note, and the end."""
    add_session(emu, history=2)
    run = Run(emu, FollowOptions(poll=poll, interval=0.05, backoff_base=0.01,
                                 backoff_cap=0.05))
    wait_for(lambda: len(run.items) == 2, what="history")
    if not poll:
        wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    say(emu, "read by the last transcript read", notify=False)
    emu.state.session_gone.set()
    if not poll:
        emu.faults.forget_clients()  # a resync: the transcript, then the session
    run.join(timeout=20)
    gone = f"session {SESSION} is no longer on the server"
    assert run.notes.count(gone) == 1, run.notes
    assert run.messages() == transcript(emu)


def test_odd_typed_states_and_names_are_kept_as_text(emu):
    """A hostile server's state-change events: a state that is not a string, participants
    whose type or nickname is a list or null. The follow keeps each as display text (JSON
    spelling, null as nothing), says so, and goes on to the end."""
    add_session(emu, history=1)
    run = Run(emu, FollowOptions(events=True, backoff_base=0.01, backoff_cap=0.05))
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    session = emu.state.get_session(SESSION)
    assert session is not None
    people = [{"type": "Agent", "nickname": None}, {"type": "Agent", "nickname": "Bo"},
              {"type": ["Supervisor"], "nickname": ["Cy", 1]}]
    for data in ({**session, "state": True},
                 {**session, "state": 7, "participants": people},
                 # Unhashable states: once a TypeError out of `state in FINAL_STATES`.
                 {**session, "state": ["Completed"]}, {**session, "state": {"s": 1}}):
        emu.state.publish({"messageType": "SMSsessionStateChangeMessage",
                            "notificationType": "StatusChange", "smssession": data})
    wait_for(lambda: sum(i.kind == "event" for i in run.items) == 4, what="the odd events")
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.error is None
    states = [(i.data["previousState"], i.data["state"]) for i in run.items if i.kind == "event"]
    assert states == [("Chatting", "true"), ("true", "7"), ("7", '["Completed"]'),
                      ('["Completed"]', '{"s": 1}'), ('{"s": 1}', "Completed")]
    assert f"session {SESSION}: Chatting -> true" in run.notes
    assert (f'session {SESSION}: participants now  (Agent), Bo (Agent), ["Cy", 1] '
            '(["Supervisor"])') in run.notes


def test_the_cursor_keeps_only_the_messages_at_its_last_index(emu, tmp_path):
    """A message without an index (-1) before the first message at index 1: once index 1 is
    printed, the cursor's last index is 1 and its tail holds that message alone; the -1
    one rode at an index before it."""
    emu.state.add_session({"id": SESSION, "state": "Chatting", "participants": [],
                           "capabilities": ["SendMessage", "Complete"], "userData": {}})
    emu.state.append_message(SESSION, {"index": -1, "type": "TranscriptSaveDone"})
    cursor = tmp_path / "c.json"
    run = Run(emu, FollowOptions(cursor_path=cursor, backoff_base=0.01, backoff_cap=0.05))
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    assert len(json.loads(cursor.read_text())["tailKeys"]) == 1  # the -1 message, at 0
    say(emu, "the first message with an index")
    wait_for(lambda: len(run.items) == 2, what="the live message")
    saved = json.loads(cursor.read_text())
    assert saved["lastIndex"] == 1
    assert len(saved["tailKeys"]) == 1
    assert "the first message with an index" in json.dumps(saved["tailKeys"])
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)


def test_events_after_the_end_in_the_same_reply_are_not_reported(emu):
    """One long-poll reply holds the session's end and, after it, another change of the same
    session: the end's catch-up is the last word, the later event is not reported."""
    add_session(emu, history=1)
    run = Run(emu, FollowOptions(events=True, backoff_base=0.01, backoff_cap=0.05))
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    session = emu.state.get_session(SESSION)
    assert session is not None
    ended = {**session, "state": "Completed"}
    events = [_Event(CHANNEL, encode_json({"channel": CHANNEL, "data": {
        "messageType": "SMSsessionStateChangeMessage", "notificationType": kind,
        "smssession": ended}})) for kind in ("StatusChange", "PropertiesUpdated")]
    with emu.cometd._lock:  # both queued before the held long-poll can take either: one reply
        clients = [c for c in emu.cometd._clients.values() if c.wants(CHANNEL)]
        assert clients
        for event in events:
            for client in clients:
                emu.cometd._enqueue(client, event)
    run.join()
    reported = [(i.data["event"], i.data["previousState"], i.data["state"])
                for i in run.items if i.kind == "event"]
    assert reported == [("StatusChange", "Chatting", "Completed")]
    assert not any("user data updated" in n for n in run.notes), run.notes
    assert run.messages() == transcript(emu)
