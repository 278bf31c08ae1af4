"""The follow's bookkeeping against the emulator: dedupe, gap fill, tail, cursor, resync.

Every test runs the real Follower (in a thread) over loopback against the emulator and compares
what it would print with the emulator's transcript. Waits are on facts: lines printed, the
emulator's /meta/connect count, notes said, requests served.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from followkit import SESSION, Run, add_session, say, transcript, wait_for

from smscli.emulator import Emulator, EmulatorState
from smscli.follow.engine import FollowOptions
from smscli.models import message_type

CLEO = {"type": "Customer", "nickname": "Cleo", "participantId": "00AA00000000C001"}
AGENT = {"type": "Agent", "nickname": "Cleo", "participantId": "00AA00000000A001"}  # same name
LONG_HOLD_MS = 20_000  # a long-poll that ends only on an event, a fault or the end


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(users={"demo": "demo"}, state=EmulatorState(), seed=3,
                  cometd_timeout_ms=LONG_HOLD_MS) as server:
        yield server


def live(**kw: Any) -> FollowOptions:
    return FollowOptions(backoff_base=0.01, backoff_cap=0.05, **kw)


def polling(**kw: Any) -> FollowOptions:
    return FollowOptions(poll=True, interval=0.05, backoff_base=0.01, **kw)


def put(emu: Emulator, message: dict, notify: bool = True) -> None:
    emu.state.append_message(SESSION, message, notify=notify)


def twins(base_index: int, at: int) -> list[dict]:
    """Pairs of messages at one index, identical but for one identifying field, and -1 indexes
    between them: every one is a message of its own and must be printed."""
    def text(index: int, body: str, **kw: Any) -> dict:
        return {"index": index, "type": "Text", "timestampSeconds": at, "from": CLEO,
                "text": body, **kw}

    i = base_index
    return [
        text(i, "a"), text(i, "a", type="Notice"),                          # type
        text(i + 1, "b"), text(i + 1, "b", timestampSeconds=at + 1),        # time
        {"index": -1, "type": "TranscriptSaveDone", "timestampSeconds": at},
        text(i + 2, "c"), text(i + 2, "c", **{"from": AGENT}),              # sender id
        text(i + 3, "d"), text(i + 3, "e"),                                 # text
        {"index": -1, "type": "TranscriptSaveDone", "timestampSeconds": at + 1},
        {"index": i + 4, "type": "PushUrl", "timestampSeconds": at, "from": CLEO,
         "url": "https://example.test/1"},
        {"index": i + 4, "type": "PushUrl", "timestampSeconds": at, "from": CLEO,
         "url": "https://example.test/2"},                                  # url
        {"index": i + 5, "type": "CustomNotice", "timestampSeconds": at, "noticeText": "n1"},
        {"index": i + 5, "type": "CustomNotice", "timestampSeconds": at, "noticeText": "n2"},
        text(i + 5, "same index again, after a notice"),
        {"index": -1, "type": "TranscriptSaveDone", "timestampSeconds": at + 2},
        text(i + 6, "the end of this part", **{"from": "a bare string sender"}),
        text(i + 6, "the end of this part", **{"from": "another bare string sender"}),
    ]


def add_twins_session(emu: Emulator) -> None:
    emu.state.add_session({"id": SESSION, "state": "Chatting", "participants": [CLEO],
                           "capabilities": ["SendMessage", "Complete"], "userData": {}})
    for message in twins(1, 1_709_287_200_000):
        put(emu, message)


@pytest.mark.parametrize("page_size", [1, 2, 3])
@pytest.mark.parametrize("mode", ["live", "poll"])
def test_messages_one_field_apart_all_print_in_history_and_live(emu, mode, page_size):
    add_twins_session(emu)
    history = len(transcript(emu))
    run = Run(emu, live() if mode == "live" else polling(), page_size=page_size)
    wait_for(lambda: len(run.items) >= history, what="history")
    assert run.messages() == transcript(emu)
    if mode == "live":
        wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    for message in twins(8, 1_709_287_300_000):  # the same shapes again, as live messages
        put(emu, message)
    wait_for(lambda: len(run.items) >= len(transcript(emu)), what="live messages")
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)


def test_tail_counts_only_the_messages_the_filter_keeps_and_saves_the_cursor(emu, tmp_path):
    add_session(emu, history=0)
    for n in range(6):
        say(emu, f"history {n}")
        put(emu, {"type": "TypingStarted", "from": CLEO})
    cursor = tmp_path / "c.json"
    run = Run(emu, live(history="tail", tail=2, cursor_path=cursor,
                           wanted=lambda raw: message_type(raw) == "Text"))
    # The first long-poll is sent once the history is done with.
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    assert [m["text"] for m in run.messages()] == ["history 4", "history 5"]
    assert json.loads(cursor.read_text())["lastIndex"] == 12  # the typing after history 5
    put(emu, {"type": "TypingStarted", "from": CLEO})
    say(emu, "live")
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert [m["text"] for m in run.messages()] == ["history 4", "history 5", "live"]


def test_no_history_saves_the_cursor_before_any_message(emu, tmp_path):
    add_session(emu, history=3)
    cursor = tmp_path / "c.json"
    run = Run(emu, live(history="none", cursor_path=cursor))
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    assert json.loads(cursor.read_text())["lastIndex"] == 3
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.items == []
    again = Run(emu, live(cursor_path=cursor))
    again.join()
    assert again.items == []  # resumed after the history it was told to skip


def test_a_resumed_follow_is_not_a_tail(emu, tmp_path):
    add_session(emu, history=5)
    cursor = tmp_path / "c.json"
    first = Run(emu, live(cursor_path=cursor))
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    emu.state.set_state(SESSION, "LeftChat")  # not final: the follow goes on
    wait_for(lambda: any("LeftChat" in n for n in first.notes), what="the state change")
    first.follower.done = True
    say(emu, "wakes the long-poll")
    first.join()
    say(emu, "while away")
    emu.state.set_state(SESSION, "Completed")
    second = Run(emu, live(history="tail", tail=3, cursor_path=cursor))
    second.join()
    assert first.messages() + second.messages() == transcript(emu)
    assert any("resuming after index 6" in n for n in second.notes), second.notes


def test_repeated_and_minus_one_indexes_at_the_cursor_are_not_printed_again(emu, tmp_path):
    """The cursor keeps every printed message at its last index, the -1 ones included."""
    add_session(emu, history=2)
    for message in ({"index": 3, "type": "Text", "from": CLEO, "text": "x"},
                    {"index": 3, "type": "Text", "from": CLEO, "text": "y"},
                    {"index": -1, "type": "TranscriptSaveDone"},
                    {"index": 3, "type": "Text", "from": CLEO, "text": "z"}):
        put(emu, message)
    cursor = tmp_path / "c.json"
    runs: list[Run] = []

    def follow_until_the_first_long_poll(**kw: Any) -> None:
        connects = emu.cometd.connects
        run = Run(emu, live(cursor_path=cursor, **kw), page_size=2)
        runs.append(run)
        wait_for(lambda: emu.cometd.connects > connects, what="the first long-poll")
        run.follower.done = True
        emu.state.set_state(SESSION, "Chatting")  # an event ends the long-poll
        run.join()

    follow_until_the_first_long_poll()
    assert len(json.loads(cursor.read_text())["tailKeys"]) == 4
    follow_until_the_first_long_poll()  # nothing new
    for message in ({"index": 4, "type": "Text", "from": CLEO, "text": "p"},
                    {"index": -1, "type": "TranscriptSaveDone"},
                    {"index": 4, "type": "Text", "from": CLEO, "text": "q"}):
        put(emu, message)
    follow_until_the_first_long_poll(history="tail", tail=1)
    follow_until_the_first_long_poll(history="none")
    printed = [m for run in runs for m in run.messages()]
    assert printed == transcript(emu)
    assert [len(run.items) for run in runs] == [6, 0, 3, 0]


def test_a_session_final_at_start_prints_its_history_and_ends_at_once(emu):
    add_session(emu, history=3)
    emu.state.set_state(SESSION, "Completed")
    run = Run(emu, live(), page_size=2)
    run.join()
    assert run.messages() == transcript(emu)
    assert run.notes == [f"session {SESSION} is Completed"]
    assert emu.cometd.connects == 0  # no long-poll for a session that is over


def test_a_resync_fills_what_no_event_announced_and_says_how_much(emu):
    add_session(emu, history=2)
    run = Run(emu, live())
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    say(emu, "announced first")  # a whole cycle before the failure
    wait_for(lambda: emu.cometd.connects >= 2, what="a held long-poll")
    for n in range(4):
        say(emu, f"silent {n}", notify=False)  # no event: only a read of the transcript sees it
    emu.faults.forget_clients()  # the held long-poll fails; the follower joins again
    wait_for(lambda: len(run.items) == 7, what="the missed messages")
    say(emu, "announced")  # ends the next long-poll: a whole cycle, so the run of failures ends
    wait_for(lambda: len(run.items) == 8, what="the live message")
    wait_for(lambda: any("reconnected" in n for n in run.notes), what="the reconnected note")
    assert [n for n in run.notes if "reconnected" in n] == [
        "reconnected after 1 failed attempt(s); filled 4 missed message(s)"]
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)


def test_resyncs_while_messages_arrive_lose_and_repeat_nothing(emu):
    add_session(emu, history=3)
    run = Run(emu, live(), page_size=3)
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    stop = threading.Event()

    def talk() -> None:
        n = 0
        while not stop.is_set():
            say(emu, f"busy {n}", notify=n % 3 != 0)  # one in three only REST can tell
            n += 1
            stop.wait(0.005)

    talker = threading.Thread(target=talk, daemon=True)
    talker.start()
    try:
        for round_ in range(1, 4):
            emu.faults.forget_clients()
            wait_for(lambda r=round_: sum("reconnected" in n for n in run.notes) >= r,
                     what=f"reconnection {round_}")
    finally:
        stop.set()
        talker.join(5)
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)
    assert len(run.messages()) > 10


def test_events_first_then_silent_messages_keep_the_topic(emu):
    """Messages found by reading the transcript after events did come are a gap, not a sign
    that the events go elsewhere: the follow keeps its topic."""
    add_session(emu, history=2)
    run = Run(emu, live())
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    say(emu, "announced")
    wait_for(lambda: len(run.items) == 3, what="the live message")
    for n in range(2):
        say(emu, f"silent {n}", notify=False)
        emu.faults.forget_clients()  # a resync reads the transcript
        wait_for(lambda n=n: len(run.items) == 4 + n, what=f"silent {n}")
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)
    assert not any("listening on" in n for n in run.notes), run.notes


def test_messages_no_event_announced_switch_to_the_wildcard(emu):
    add_session(emu, history=2)
    run = Run(emu, live())
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    say(emu, "silent", notify=False)
    emu.faults.forget_clients()
    wait_for(lambda: any("listening on" in n for n in run.notes), what="the wildcard note")
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)


def test_an_empty_read_of_the_transcript_keeps_the_topic(emu):
    add_session(emu, history=2)  # the history is one read that found messages without events
    run = Run(emu, live())
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    emu.faults.forget_clients()  # a resync: a read of the transcript that finds nothing
    # The next long-poll is sent once the resync read the transcript.
    wait_for(lambda: emu.cometd.connects >= 2, what="the long-poll after the resync")
    say(emu, "announced")
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)
    assert not any("listening on" in n for n in run.notes), run.notes


@pytest.mark.parametrize("history", [0, 2])
def test_messages_in_order_cost_no_read_of_the_transcript(emu, history):
    """An event whose message follows on from the last one printed (the first one of an empty
    session included) is printed as it is: only a gap (here one message no event announced)
    makes the follow read the transcript."""
    add_session(emu, history=history)
    run = Run(emu, live())
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    requests, connects = emu.stats.requests, emu.cometd.connects
    for n in range(4):
        say(emu, f"in order {n}")
        wait_for(lambda n=n: len(run.items) == history + 1 + n, what=f"in order {n}")
        # The next long-poll is out: every request since is a long-poll.
        wait_for(lambda n=n: emu.cometd.connects == connects + n + 1, what="the next long-poll")
        assert emu.stats.requests - requests == emu.cometd.connects - connects
    say(emu, "unannounced", notify=False)
    say(emu, "after a gap")
    wait_for(lambda: len(run.items) == history + 6, what="the gap filled")
    assert emu.stats.requests - requests > emu.cometd.connects - connects
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)


def test_the_default_backoff_waits_a_quarter_to_half_a_second_first(emu):
    """The CLI leaves the backoff to FollowOptions' defaults: the first retry waits 0.25-0.5 s
    (half a second with jitter), as the note says."""
    add_session(emu, history=1)
    run = Run(emu, FollowOptions(max_retries=1))
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    emu.stop()
    run.thread.join(30)
    assert run.error is not None and "gave up after 2 failed attempts" in str(run.error)
    delays = [float(n.split("retrying in ")[1].split("s ")[0]) for n in run.notes
              if "retrying in" in n]
    assert len(delays) == 1 and 0.2 <= delays[0] <= 0.5, run.notes


def test_failures_in_a_row_fill_nothing_when_nothing_was_missed(emu):
    add_session(emu, history=1)
    run = Run(emu, live())
    for round_ in (1, 2):  # forgotten twice in a row: the second resync reads nothing
        wait_for(lambda r=round_: emu.cometd.connects >= r, what="a held long-poll")
        emu.faults.forget_clients()
    wait_for(lambda: emu.cometd.connects >= 3, what="the long-poll after two failures")
    say(emu, "announced")
    wait_for(lambda: any("reconnected" in n for n in run.notes), what="the reconnected note")
    assert [n for n in run.notes if "reconnected" in n] == ["reconnected after 2 failed attempt(s)"]
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)


def test_a_follow_joined_at_start_reads_session_and_transcript_once(emu):
    """Before its first long-poll: handshake, subscribe, the session, the transcript (one page)
    and the long-poll itself. A resync is for a follow whose first join failed."""
    add_session(emu, history=3)
    before = emu.stats.requests
    run = Run(emu, live())
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")  # held: no more
    assert emu.stats.requests - before == 5
    emu.state.set_state(SESSION, "Completed")
    run.join()


def test_a_tail_without_a_count_shows_no_history(emu):
    """FollowOptions(history="tail") alone is --tail 0: nothing of the history, then live."""
    add_session(emu, history=3)
    run = Run(emu, live(history="tail"))
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    assert run.items == []
    say(emu, "live")
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert [m["text"] for m in run.messages()] == ["live"]


def test_a_polling_follow_reads_nothing_twice_at_start(emu):
    """Polling: the session and the transcript once, then one read of each per interval."""
    add_session(emu, history=3)
    before = emu.stats.requests
    run = Run(emu, polling())
    wait_for(lambda: len(run.items) == 3, what="history")
    say(emu, "live")
    wait_for(lambda: len(run.items) == 4, what="the live message")
    # The start's two reads, then the interval's read of the transcript that found the
    # message (and perhaps already its read of the session).
    assert emu.stats.requests - before <= 4
    emu.state.set_state(SESSION, "Completed")
    run.join()


def test_a_session_that_vanishes_ends_the_follow_with_a_note(emu):
    add_session(emu, history=2)
    run = Run(emu, polling())
    wait_for(lambda: len(run.items) == 2, what="history")
    assert emu.state.remove_session(SESSION)  # as if an admin deleted it
    run.join()
    assert run.notes.count(f"session {SESSION} is no longer on the server") == 1
    assert [m["text"] for m in run.messages()] == ["history 0", "history 1"]


def test_events_of_odd_shapes_are_ignored(emu):
    """Events no GWS should send (hand-made with the emulator's own publishing): the follow
    skips them and goes on."""
    add_session(emu, history=1)
    run = Run(emu, live(events=True))
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    emu.state.publish("not an object")
    emu.state.publish(["a", "list"])
    session = emu.state.get_session(SESSION)
    no_state = {k: v for k, v in session.items() if k != "state"}
    for data in ({"messageType": 5},
                 # Another session's end is not ours.
                 {"messageType": "SMSsessionStateChangeMessage",
                  "notificationType": "StatusChange",
                  "smssession": {**session, "id": "0000OTHERSESS001", "state": "Completed"}},
                 {"messageType": "SMSsessionStateChangeMessage", "smssession": "no object"},
                 # A state change that also names the session by Uri is still a state change.
                 {"messageType": "SMSsessionStateChangeMessage", "notificationType": 7,
                  "smssessionUri": f"{emu.url}/api/v2/me/smssessions/{SESSION}",
                  "smssession": {**session, "state": "LeftChat"}},
                 # No state: the state stays what it was.
                 {"messageType": "SMSsessionStateChangeMessage",
                  "notificationType": "StatusChange", "smssession": no_state},
                 # Participants alone change (a conference): an event of its own.
                 {"messageType": "SMSsessionStateChangeMessage",
                  "notificationType": "ParticipantsUpdated",
                  "smssession": {**no_state, "participants": []}}):
        emu.state.publish(data)
    wait_for(lambda: sum(i.kind == "event" for i in run.items) == 2, what="the odd events")
    say(emu, "after the odd events")
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)
    events = [(i.data["event"], i.data["previousState"], i.data["state"])
              for i in run.items if i.kind == "event"]
    assert events == [("7", "Chatting", "LeftChat"),
                      ("ParticipantsUpdated", "LeftChat", "LeftChat"),
                      ("StatusChange", "LeftChat", "Completed")]
    assert f"session {SESSION}: participants now none" in run.notes


@pytest.mark.parametrize("late", [
    {"index": -1, "type": "TranscriptSaveDone"},  # no index: it rides at the last one
    {"index": 2, "type": "Text", "from": CLEO, "text": "a second message at index 2"}])
def test_a_catch_up_starts_at_the_last_index_printed_not_after_it(emu, late):
    """Messages no event announced, at the index of the last message printed: the catch-up
    at the end reads from that index, so they are printed."""
    add_session(emu, history=2)
    run = Run(emu, live())
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    put(emu, late, notify=False)
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)
    assert len(run.messages()) == 3


def test_after_a_resync_messages_in_order_cost_no_read_again(emu):
    add_session(emu, history=1)
    run = Run(emu, live())
    wait_for(lambda: emu.cometd.connects >= 1, what="the first long-poll")
    emu.faults.forget_clients()  # one resync, then back to plain long-polls
    say(emu, "after the resync")
    wait_for(lambda: len(run.items) == 2, what="the message after the resync")
    say(emu, "ends the cycle")
    wait_for(lambda: any("reconnected" in n for n in run.notes), what="the reconnected note")
    requests, connects = emu.stats.requests, emu.cometd.connects
    for n in range(5):
        say(emu, f"in order {n}")
        wait_for(lambda n=n: len(run.items) == 4 + n, what=f"in order {n}")
    wait_for(lambda: emu.cometd.connects >= connects + 5, what="the long-polls")
    # Long-polls only (one may have been on its way when the counts were taken).
    assert (emu.stats.requests - requests) - (emu.cometd.connects - connects) <= 1
    emu.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emu)
