"""``-o plain`` a page at a time (PlainStream.messages) and a message at a time give the lines
smscli wrote before either: each message read by ``Message.from_raw``, its time by
``TimeFormat.iso``, each field escaped on its own.

Plain lines are built a batch at a time: messages in the usual shape have their fields read
by two itemgetter calls, and the whole batch is checked for anything to escape at once. The
messages here hold every field (so they reach that path) with values of every kind: text
that needs escaping, tabs and newlines inside fields, PushUrl and CustomNotice (whose body is
not their text), senders that are not dicts, indexes that are not integers.
"""

from __future__ import annotations

import io
import json
from datetime import timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_perf_paths import reference_plain
from test_properties import hostile_text, json_values, participants

from smscli.models import KNOWN_MESSAGE_TYPES
from smscli.render import TimeFormat
from smscli.render.plain import PlainStream, PlainWriter

ZONES = [timezone.utc, ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York"), None]


def by_page(messages: list[Any], times: TimeFormat, size: int) -> str:
    out = io.StringIO()
    stream = PlainStream(PlainWriter(out, times), live=False)
    for at in range(0, len(messages), size):
        stream.messages(messages[at:at + size])
    stream.close()
    return out.getvalue()


def one_by_one(messages: list[Any], times: TimeFormat, live: bool) -> str:
    out = io.StringIO()
    stream = PlainStream(PlainWriter(out, times), live=live)
    for raw in messages:
        stream.message(raw)
    stream.close()
    return out.getvalue()


plain_words = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)
some_text = st.one_of(plain_words, hostile_text, st.sampled_from(["a\tb", "a\nb", "a\\b", ""]))
usual_senders = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(["Customer", "Agent"]), some_text, json_values),
     "nickname": st.one_of(plain_words, some_text, json_values)},
    optional={"participantId": plain_words})
usual_messages = st.fixed_dictionaries({
    "index": st.one_of(st.integers(-2, 10**6), st.integers(-2, 99).map(str), json_values),
    "type": st.one_of(st.sampled_from([*KNOWN_MESSAGE_TYPES, "PushUrl", "CustomNotice"]),
                      some_text, json_values),
    "from": st.one_of(usual_senders, participants, json_values),
    "visibility": st.one_of(st.sampled_from(["All", "Agents"]), some_text, json_values),
    "text": st.one_of(plain_words, some_text, json_values),
    "timestamp": st.one_of(
        st.sampled_from(["2026-03-29 00:59:59.999+0000", "2026-03-29 01:00:00.000+0000",
                         "2026-11-01T05:30:12.345Z", "2026-11-01 01:30:12.345-0400"]),
        some_text, json_values),
    "timestampSeconds": st.one_of(st.integers(-10**14, 10**14), json_values),
}, optional={"url": some_text, "noticeText": some_text})


def _usual(index: Any, kind: Any, sender: Any, visibility: Any, text: Any, stamp: Any,
           **more: Any) -> dict[str, Any]:
    return {"index": index, "type": kind, "from": sender, "visibility": visibility,
            "text": text, "timestamp": stamp, "timestampSeconds": 1_774_745_999_999, **more}


# Every way a field can leave the batch's fast path, among usual lines; at a page size of 1
# each clean line is a batch of its own, and at 3 and 5 escapes share a page with them.
MIXED_PAGE = [
    _usual(1, "Text", {"type": "Customer", "nickname": "Eve"}, "All", "hello",
           "2026-03-29 00:59:59.999+0000"),
    _usual(2, "Text", {"type": "Agent", "nickname": "Sam"}, "All", "tab\there",
           "2026-03-29 01:00:00.000+0000"),
    _usual(3, "PushUrl", {"type": "Agent", "nickname": "Sam"}, "All", "t",
           "2026-11-01T05:30:12.345Z", url="https://example.com/a"),
    _usual(3, "CustomNotice", {"type": "Agent", "nickname": "Sam"}, "All", "t",
           "2026-11-01T05:30:13.345Z", noticeText="the notice"),
    _usual("07", "Text", {"type": "Agent", "nickname": "Sam"}, "All", "t",
           "2026-11-01T05:30:12.345Z"),
    _usual(8, "PushUrl", {"type": "Agent", "nickname": "Sam"}, "All", "t",
           "2026-11-01T05:30:12.345Z", url="https://example.com/\x1b"),
    _usual(True, "CustomNotice", "Sam", "Agents", "t", "2026-11-01 01:30:12.345-0400",
           noticeText="new\nline"),
    _usual(None, ["Text"], None, 7, {"text": 1}, None),
    _usual(4, "Text", {"nickname": None}, None, "back\\slash \x1b[2J \u202eevil", "x"),
    _usual(5, "TypingStarted", {"type": 1, "nickname": ["a"]}, "All", "", 0),
    _usual(6, "Text", {"type": "Customer", "nickname": "Eve"}, "All", "fine",
           "2026-03-29 01:00:00.000+0000"),
]


# 60 generated examples a run (150 before; generating hostile messages is most of the cost):
# the page above and the tests below hold the branches by name, at every page size.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(usual_messages, max_size=12), st.sampled_from(ZONES), st.integers(1, 5))
@example(MIXED_PAGE, ZONES[1], 1)
@example(MIXED_PAGE, ZONES[2], 3)
@example(MIXED_PAGE, None, 5)
@example([], ZONES[0], 2)
def test_pages_and_single_messages_write_the_reference_lines(messages: list[Any], zone: Any,
                                                             size: int) -> None:
    messages = json.loads(json.dumps(messages))  # what a server can send
    times = TimeFormat(zone)
    expected = reference_plain(messages, times)
    assert by_page(messages, times, size) == expected
    assert one_by_one(messages, times, live=False) == expected
    assert one_by_one(messages, times, live=True) == expected


def test_the_body_of_a_push_url_or_custom_notice_is_not_its_text() -> None:
    times = TimeFormat(timezone.utc)
    sender = {"type": "Agent", "nickname": "Ann"}
    messages = [
        {"index": 1, "type": "PushUrl", "from": sender, "visibility": "All", "text": "t1",
         "url": "https://example.com/a", "timestamp": "2026-01-01 10:00:00.000+0000",
         "timestampSeconds": 1},
        {"index": 2, "type": "CustomNotice", "from": sender, "visibility": "All",
         "text": "t2", "noticeText": "the notice", "timestamp": "2026-01-01 10:00:01.000+0000",
         "timestampSeconds": 2},
        {"index": 3, "type": "Text", "from": sender, "visibility": "All", "text": "t3",
         "timestamp": "2026-01-01 10:00:02.000+0000", "timestampSeconds": 3},
    ]
    got = by_page(messages, times, 3)
    assert got == reference_plain(messages, times)
    assert [line.split("\t")[-1] for line in got.splitlines()][2] == "t3"


def test_one_line_that_needs_escaping_leaves_the_rest_of_its_page_as_it_is() -> None:
    times = TimeFormat(timezone.utc)
    sender = {"type": "Customer", "nickname": "Bo"}
    messages = [{"index": n, "type": "Text", "from": sender, "visibility": "All",
                 "text": text, "timestamp": f"2026-01-01 10:00:0{n}.000+0000",
                 "timestampSeconds": n}
                for n, text in enumerate(["fine", "tab\there", "back\\slash", "\x1b[2J",
                                          "caf\u00e9", "new\nline", "\u202eevil", "fine"])]
    got = by_page(messages, times, len(messages))
    assert got == reference_plain(messages, times)
    assert len(got.splitlines()) == len(messages)
    assert "\x1b" not in got and "\u202e" not in got
