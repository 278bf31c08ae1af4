"""Parsing of GWS data: timestamps in every form, tolerance of wrong types, message identity."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from smscli.models import Message, Session, message_key, parse_timestamp, select_messages

UTC = timezone.utc


@pytest.mark.parametrize("text, expected", [
    ("2016-01-20 14:24:10.000+0200", datetime(2016, 1, 20, 12, 24, 10, tzinfo=UTC)),
    ("2013-12-27T13:16:41.018-0800", datetime(2013, 12, 27, 21, 16, 41, 18000, tzinfo=UTC)),
    ("2020-01-01T00:00:00Z", datetime(2020, 1, 1, tzinfo=UTC)),
    ("2020-01-01 10:00:00+02:00", datetime(2020, 1, 1, 8, tzinfo=UTC)),
])
def test_every_gws_timestamp_form(text: str, expected: datetime) -> None:
    assert parse_timestamp(text) == expected


def test_timestamp_falls_back_to_epoch_milliseconds() -> None:
    expected = datetime(2016, 1, 20, 12, 24, 10, tzinfo=UTC)
    assert parse_timestamp(None, 1453292650000) == expected
    assert parse_timestamp("2014-02-1308:20:59.000-0800", "1453292650000") == expected
    assert parse_timestamp("garbage", None) is None
    assert parse_timestamp(None, 1453292650) == expected  # seconds, as documented


def test_offsets_are_kept() -> None:
    moment = parse_timestamp("2016-01-20 14:24:10.000+0200")
    assert moment is not None and moment.utcoffset() == timedelta(hours=2)


def test_session_with_wrong_types_everywhere_still_parses() -> None:
    s = Session.from_raw({"id": 42, "state": None, "participants": {"type": "Agent",
                          "nickname": "A", "participantId": "P1"},
                          "capabilities": "Leave", "userData": ["x"], "receivedDate": 5})
    assert s.id == "42" and s.state == ""
    assert [p.nickname for p in s.participants] == ["A"]
    assert s.capabilities == ["Leave"]
    assert s.user_data == {"(userData)": ["x"]}
    assert Session.from_raw(None).participants == []
    assert Session.from_raw({"participants": ["weird", None]}).participants[0].nickname == "weird"


def test_message_body_by_type() -> None:
    assert Message.from_raw({"type": "PushUrl", "url": "https://x", "text": "t"}).body == \
        "https://x"
    assert Message.from_raw({"type": "CustomNotice", "noticeText": "n"}).body == "n"
    assert Message.from_raw({"type": "Notice"}).body == ""
    m = Message.from_raw({"index": "7", "type": "Text", "text": {"nested": 1}, "from": "bob"})
    assert m.index == 7 and m.body == '{"nested": 1}' and m.sender is not None
    assert Message.from_raw("not an object").type == "?"


def test_message_key_tells_apart_same_index_different_content() -> None:
    a = {"index": -1, "type": "TranscriptSaveDone", "timestampSeconds": 1}
    b = {"index": -1, "type": "TranscriptSaveDone", "timestampSeconds": 2}
    assert message_key(a) != message_key(b)
    assert message_key(a) == message_key(dict(a))


def test_select_messages_filters_and_limits() -> None:
    raws = [{"type": t} for t in ("Text", "TypingStarted", "TypingStopped", "Notice", "text")]
    assert [m["type"] for m in select_messages(raws, no_typing=True)] == ["Text", "Notice",
                                                                        "text"]
    assert [m["type"] for m in select_messages(raws, types=["TEXT"])] == ["Text", "text"]
    assert len(list(select_messages(raws, limit=2))) == 2
    assert list(select_messages(raws, limit=0)) == []


def test_relative_times() -> None:
    from smscli.render import TimeFormat

    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    ago = [TimeFormat.relative(now - timedelta(seconds=s), now)
           for s in (5, 200, 7200, 3 * 86400, -600)]
    assert ago == ["just now", "3 min ago", "2 h ago", "3 d ago", "in 10 min"]
    assert TimeFormat.relative(None, now) == ""
