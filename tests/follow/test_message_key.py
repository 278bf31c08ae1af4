"""`models.message_key`: what makes two messages the same one, and keys that survive a cursor.

The key decides what the follow and the paged dump skip as already printed, so a field it
forgets swallows a real message, and a field it keeps too many prints one twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smscli.follow.cursor import Cursor
from smscli.models import message_key, positive_index

CLEO = {"type": "Customer", "nickname": "Cleo", "participantId": "00AA00000000C001"}
BASE = {"index": 5, "type": "Text", "timestamp": "2024-03-01 10:00:00.000+0000",
        "timestampSeconds": 1709287200000, "from": CLEO, "text": "hello", "visibility": "All"}

# Each variant differs from BASE in one field that makes it another message.
OTHER_MESSAGE = {
    "index": {"index": 6},
    "type": {"type": "Notice"},
    "time": {"timestampSeconds": 1709287200001, "timestamp": "2024-03-01 10:00:00.001+0000"},
    "sender id": {"from": {**CLEO, "participantId": "00AA00000000C002"}},
    "text": {"text": "hello!"},
}


@pytest.mark.parametrize("field", list(OTHER_MESSAGE))
def test_one_field_apart_is_another_message(field: str) -> None:
    assert message_key({**BASE, **OTHER_MESSAGE[field]}) != message_key(BASE)


@pytest.mark.parametrize("body", ["url", "noticeText"])
def test_url_and_notice_text_are_the_body_when_there_is_no_text(body: str) -> None:
    one = {"index": 7, "type": "PushUrl", "timestampSeconds": 1, "from": CLEO, body: "a"}
    assert message_key(one) != message_key({**one, body: "b"})
    # The body is the first present of text, url, noticeText.
    assert message_key({**one, "text": "t"}) == message_key({**one, body: "b", "text": "t"})


def test_time_without_timestamp_seconds_is_the_timestamp_text() -> None:
    one = {"index": 1, "type": "Text", "timestamp": "2024-03-01 10:00:00.000+0000",
           "from": CLEO, "text": "x"}
    assert message_key(one) != message_key({**one, "timestamp": "2024-03-01 10:00:01.000+0000"})


def test_the_instant_counts_not_how_the_timestamp_is_written() -> None:
    """timestampSeconds (epoch ms) is the time when present: the same instant written with
    another offset, or with the text missing, is the same message."""
    same = {**BASE, "timestamp": "2024-03-01 11:00:00.000+0100"}
    assert message_key(same) == message_key(BASE)
    assert message_key({k: v for k, v in BASE.items() if k != "timestamp"}) == message_key(BASE)


def test_the_sender_is_its_participant_id_not_its_nickname() -> None:
    renamed = {**BASE, "from": {**CLEO, "nickname": "Cleopatra", "type": "Agent"}}
    assert message_key(renamed) == message_key(BASE)
    other = {**BASE, "from": {**CLEO, "participantId": "00AA00000000C009"}}
    assert message_key(other) != message_key(BASE)


def test_fields_outside_the_identity_do_not_count() -> None:
    assert message_key({**BASE, "visibility": "Agents", "extra": [1]}) == message_key(BASE)
    assert message_key(dict(reversed(list(BASE.items())))) == message_key(BASE)


@pytest.mark.parametrize("sender", ["Cleo", 17, ["a"]])
def test_a_sender_that_is_not_an_object_still_tells_messages_apart(sender: object) -> None:
    one = {**BASE, "from": sender}
    assert message_key(one) != message_key({**BASE, "from": "somebody else"})
    assert message_key(one) != message_key({**BASE, "from": None})
    assert message_key(one) == message_key({**BASE, "from": sender})


@pytest.mark.parametrize("raw", ["text", 5, [1, 2], None, True])
def test_messages_that_are_not_objects_have_keys_of_their_own(raw: object) -> None:
    key = message_key(raw)
    hash(key)  # goes into a set
    assert key == message_key(raw)
    assert key != message_key("something else")
    assert key != message_key({"index": raw})


def test_every_key_survives_the_cursor_file(tmp_path: Path) -> None:
    """A resumed follow compares keys read back from JSON with fresh ones: a field kept as an
    int or None (not as text) would never match, and the message at the cursor would print
    again."""
    messages = [
        BASE,
        {"index": 3, "type": "ParticipantJoined", "timestampSeconds": 12, "from": CLEO},
        {"index": -1, "type": "TranscriptSaveDone", "timestampSeconds": 13},
        {"type": 4, "from": {"participantId": 9}, "text": 1.5, "timestamp": None},
        {"index": "8", "type": None, "from": ["x"], "url": {"u": 1}},
        "not an object", 42, None,
    ]
    path = tmp_path / "c.json"
    keys = {message_key(m) for m in messages}
    Cursor(path, "S1").save(3, keys)
    assert Cursor.load(path, "S1").tail_keys == keys


@pytest.mark.parametrize(("raw", "expected"), [
    ({"index": 1}, 1), ({"index": 12}, 12), ({"index": 0}, None), ({"index": -1}, None),
    ({}, None), ({"index": None}, None), ("x", None)])
def test_positive_index(raw: object, expected: int | None) -> None:
    assert positive_index(raw) == expected
