"""What the follow says about the session itself: states, participants, user data, and which
MessageLogUpdated belongs to the session followed."""

from __future__ import annotations

import pytest
from followkit import SESSION, Run, say, transcript, wait_for

from smscli.emulator.operations import apply
from smscli.follow.engine import FollowOptions, session_of_log

CLEO = {"type": "Customer", "nickname": "Cleo", "participantId": "00AA00000000C001"}


def invited(emu) -> None:  # type: ignore[no-untyped-def]
    emu.state.add_session({"id": SESSION, "state": "Invited", "participants": [CLEO],
                           "capabilities": ["Accept", "Reject"],
                           "userData": {}})
    say(emu, "hello?")


def operate(emu, name: str, **body: object) -> None:  # type: ignore[no-untyped-def]
    status, reply = apply(emu.state, SESSION, {"operationName": name, **body}, "demo")
    assert status == 200, reply


@pytest.mark.parametrize("poll", [False, True])
def test_states_participants_and_user_data_as_events_and_notes(emulator, poll):
    invited(emulator)
    run = Run(emulator, FollowOptions(poll=poll, interval=0.05, backoff_base=0.01,
                                      events=True))
    wait_for(lambda: len(run.items) == 1, what="history")
    if not poll:
        wait_for(lambda: emulator.cometd.connects >= 1, what="the first long-poll")
    operate(emulator, "Accept", nickname="Ann")  # also replays the whole history as events
    wait_for(lambda: any("participants now" in n for n in run.notes), what="the accept")
    say(emulator, "hi, Ann here")
    wait_for(lambda: len(run.messages()) == 3, what="the message after the accept")
    operate(emulator, "LeaveAndComplete")
    run.join()
    assert run.messages() == transcript(emulator)
    events = [(e["event"], e["previousState"], e["state"]) for e in
              (i.data for i in run.items if i.kind == "event")]
    notes = [n for n in run.notes if n.startswith(f"session {SESSION}:")]
    assert notes == [
        f"session {SESSION}: Invited -> Chatting",
        f"session {SESSION}: participants now Ann (Agent), Cleo (Customer)",
        f"session {SESSION}: Chatting -> Completed",
        f"session {SESSION}: participants now Cleo (Customer)",
    ]
    # The StatusChange of the accept already lists Ann: the ParticipantsUpdated after it
    # changes nothing, so it is no event. A poll reads the session and names no notification.
    assert events == [("StatusChange", "Invited", "Chatting"),
                      ("StatusChange", "Chatting", "Completed")]
    assert run.notes[-1] == f"session {SESSION} ended (Completed)"


@pytest.mark.parametrize("events", [False, True])
def test_user_data_updates_are_noted_and_an_event_only_when_asked(emulator, events):
    invited(emulator)
    operate(emulator, "Accept", nickname="Ann")
    run = Run(emulator, FollowOptions(backoff_base=0.01, events=events))
    wait_for(lambda: emulator.cometd.connects >= 1, what="the first long-poll")
    operate(emulator, "SetDisposition", disposition="Sold")
    wait_for(lambda: any("user data updated" in n for n in run.notes), what="the update")
    operate(emulator, "LeaveAndComplete")
    run.join()
    kinds = [i.data["event"] for i in run.items if i.kind == "event"]
    assert kinds == (["PropertiesUpdated", "StatusChange"] if events else [])
    assert [n for n in run.notes if "participants now" in n] == [
        f"session {SESSION}: participants now Cleo (Customer)"]  # Ann left; no other change
    assert run.messages() == transcript(emulator)


def test_a_session_left_by_everyone_has_participants_none(emulator):
    invited(emulator)
    run = Run(emulator, FollowOptions(backoff_base=0.01))
    wait_for(lambda: emulator.cometd.connects >= 1, what="the first long-poll")
    operate(emulator, "Reject")
    run.join()
    assert f"session {SESSION}: participants now none" in run.notes


def test_a_state_change_of_another_session_is_not_ours(emulator):
    invited(emulator)
    emulator.state.add_session({"id": "0000OTHERSESS001", "state": "Chatting",
                                "participants": [], "capabilities": [], "userData": {}})
    run = Run(emulator, FollowOptions(backoff_base=0.01, events=True))
    wait_for(lambda: emulator.cometd.connects >= 1, what="the first long-poll")
    emulator.state.set_state("0000OTHERSESS001", "Completed")
    emulator.state.append_message("0000OTHERSESS001", {"type": "Text", "text": "not ours"})
    say(emulator, "ours")
    wait_for(lambda: len(run.messages()) == 2, what="our message")
    emulator.state.set_state(SESSION, "Completed")
    run.join()
    assert [m["text"] for m in run.messages()] == ["hello?", "ours"]
    assert [i.data["session"] for i in run.items if i.kind == "event"] == [SESSION]


@pytest.mark.parametrize(("data", "expected"), [
    ({"smssessionUri": "https://h/api/v2/me/smssessions/ABC"}, "ABC"),
    ({"smssessionUri": "https://h/api/v2/me/smssessions/ABC/"}, "ABC"),
    ({"smssessionPath": "/api/v2/me/smssessions/DEF"}, "DEF"),
    ({"smsessionUri": "https://h/api/v2/me/smsessions/GHI"}, "GHI"),
    ({"smsessionPath": "/smsessions/JKL"}, "JKL"),
    ({"smssessionUri": "ABC"}, "ABC"),
    ({"smssessionUri": 5, "smssessionPath": "/x/smssessions/MNO"}, "MNO"),
    ({"sessionUri": "https://h/api/v2/me/smssessions/PQR"}, "PQR"),
    ({"parentPath": "/api/v2/me/smsessions/STU/"}, "STU"),
    ({"sessionUri": "https://h/api/v2/me/chats/VWX"}, None),
    ({"note": "/api/v2/me/smssessions/YZ"}, None),
    ({"sessionUri": ["/api/v2/me/smssessions/AB"]}, None),
    ({"sessionUri": 5}, None),
    ({"sessionUri": {"/smssessions/": "x"}}, None),
    ({"a": "b"}, None),
])
def test_session_of_log(data: dict, expected: str | None) -> None:
    assert session_of_log(data) == expected
