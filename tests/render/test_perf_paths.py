"""The lean transcript paths give the bytes of the general ones, message for message.

Plain and table rows read their fields straight from the message's dict
(models.message_fields) and their times from a per-stream hour cache (render.TimeTexts). The
reference is the way smscli built them before: ``Message.from_raw``, then
``TimeFormat.iso``/``human`` of the parsed time, each plain field escaped on its own. The
messages are the demo and hostile scenarios' transcripts, served by a real emulator, and
generated ones (the property tests' GWS-shaped messages and any JSON value).
"""

from __future__ import annotations

import io
import json
import os
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_properties import (
    NASTIEST,
    NASTY_MESSAGE,
    any_message,
    gws_messages,
    json_values,
    ordinary_time,
)

from smscli.emulator import Emulator
from smscli.envelope import parse_json
from smscli.models import (
    Message,
    message_fields,
    parse_timestamp,
    positive_index,
    select_messages,
)
from smscli.paging import _highest_index
from smscli.render import Output, TimeFormat, TimeTexts, make_renderer
from smscli.render.plain import PlainStream, PlainWriter
from smscli.safety import escape_plain_field

ZONES = [timezone.utc, ZoneInfo("Europe/Paris"), ZoneInfo("Asia/Kolkata"),
         ZoneInfo("America/St_Johns"), ZoneInfo("Australia/Lord_Howe"),
         ZoneInfo("Asia/Kathmandu"), ZoneInfo("America/Sao_Paulo"), None]


def reference_plain(messages: list[Any], times: TimeFormat) -> str:
    """-o plain of a transcript as PlainStream wrote it with Message.from_raw."""
    lines = []
    for raw in messages:
        m = Message.from_raw(raw)
        sender = m.sender
        fields = ("" if m.index is None else str(m.index), times.iso(m.time),
                  sender.type if sender else "", sender.nickname if sender else "",
                  m.type, m.visibility, m.body)
        lines.append("\t".join(escape_plain_field(f) for f in fields) + "\n")
    return "".join(lines)


def lean_plain(messages: list[Any], times: TimeFormat) -> str:
    out = io.StringIO()
    make_renderer(Output("plain", False, times), out).transcript(iter(messages))
    return out.getvalue()


def table_both_ways(messages: list[Any], times: TimeFormat, width: int, color: bool,
                    full: bool) -> tuple[str, str]:
    """The table written from each message's dict, and from its Message (the general path)."""
    outs = []
    for lean in (True, False):
        out = io.StringIO()
        options = Output("table", color, times, width, full)
        stream = make_renderer(options, out).message_stream()
        for raw in messages:
            if lean:
                stream.message(raw)
            else:
                stream.write(Message.from_raw(raw))
                stream.count += 1
        outs.append(out.getvalue())
    return outs[0], outs[1]


def transcripts(scenario: str) -> Iterator[tuple[str, list[Any]]]:
    """Every transcript of a scenario, as the CLI decodes it (envelope.parse_json)."""
    with Emulator(users={"demo": "demo"}, seed=7, traffic_rate=0.0, scenario=scenario) as emu:
        auth = {"Authorization": "Basic ZGVtbzpkZW1v"}

        def get(path: str) -> Any:
            request = urllib.request.Request(emu.url + path, headers=auth)
            with urllib.request.urlopen(request, timeout=30) as answer:  # loopback only
                return parse_json(answer.read())

        sessions = get("/api/v2/me/smssessions?fields=*")["smssessions"]
        for session in sessions:
            try:
                body = get(f"/api/v2/me/smssessions/{session['id']}/messages?count=0")
            except OSError:
                continue  # a session the hostile scenario makes unreadable on purpose
            if isinstance(body, dict) and isinstance(body.get("messages"), list):
                yield session["id"], body["messages"]


@pytest.mark.parametrize("scenario", ["demo", "hostile"])
def test_scenario_transcripts_are_byte_identical(scenario: str) -> None:
    compared = 0
    for session_id, messages in transcripts(scenario):
        if len(messages) > 400:
            # The demo's long session (2,400 messages of the same dialogue, over hours): every
            # 8th message still spans all its hours, the cache's unit, and all its lines.
            messages = messages[::8]
        for zone in ZONES:
            times = TimeFormat(zone)
            assert lean_plain(messages, times) == reference_plain(messages, times), session_id
            for width, color, full in ((80, True, False), (60, False, True), (120, True, True)):
                lean, general = table_both_ways(messages, times, width, color, full)
                assert lean == general, (session_id, zone, width)
        compared += len(messages)
    assert compared >= 20


# Example budgets: the scenario transcripts above and the @examples below hold the shapes
# that take each branch of the lean paths (a usual dict, a sender that is not a dict, a
# PushUrl and CustomNotice body, an index that is a bool or a string, a time in a zone
# changing its offset, a time only in timestampSeconds); the generated examples search
# around them, 100-150 a run (the budgets of 300-500 before cost ~6 s of CPU a run more).
ODD_MESSAGES = [
    NASTY_MESSAGE, NASTIEST, None, [], {},
    {"index": True, "type": "PushUrl", "url": "u", "text": "t", "from": "Ann"},
    {"index": "7", "type": "CustomNotice", "noticeText": "n", "from": {"nickname": 5},
     "visibility": None, "timestamp": "2026-03-29 01:59:59.999+0100"},
    {"index": 2, "type": "Text", "text": "a\tb\nc\\",
     "from": {"type": "Agent", "nickname": "B"}, "visibility": "All",
     "timestamp": "2026-10-25 00:30:00.000+0000", "timestampSeconds": 1_792_888_200_000},
    {"index": 3.0, "type": 5, "from": [], "timestampSeconds": "1700000000000"},
    # The usual shape, its time only in timestampSeconds (the text is not a time, or null).
    {"index": 9, "type": "Text", "text": "x", "from": {"type": "Customer", "nickname": "Eve"},
     "visibility": "All", "timestamp": "not a time", "timestampSeconds": 1_792_888_200_000},
    {"index": 10, "type": "Text", "text": "y", "from": {"type": "Agent", "nickname": "Sam"},
     "visibility": "All", "timestamp": None, "timestampSeconds": 1_792_891_800_000},
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(gws_messages, any_message), max_size=6), st.sampled_from(ZONES),
       st.sampled_from([20, 60, 80, 120]), st.booleans())
@example(ODD_MESSAGES, ZONES[1], 20, True)
@example(ODD_MESSAGES, ZONES[4], 120, False)
@example(ODD_MESSAGES, None, 60, True)
@pytest.mark.slow
def test_generated_messages_are_byte_identical(messages: list[Any], zone: Any, width: int,
                                               color: bool) -> None:
    messages = json.loads(json.dumps(messages))  # what a server can send
    times = TimeFormat(zone)
    assert lean_plain(messages, times) == reference_plain(messages, times)
    lean, general = table_both_ways(messages, times, width, color, full=False)
    assert lean == general


@settings(max_examples=150, deadline=None)
@given(st.one_of(gws_messages, json_values))
@example(ODD_MESSAGES)
@example(NASTY_MESSAGE)
@example({})
@example({"from": None, "text": None, "type": None})
@example({"index": True, "type": "PushUrl", "url": "u", "text": "t", "from": "Ann"})
@example({"index": "7", "type": "CustomNotice", "noticeText": "n", "from": {"nickname": 5}})
@example({"from": {}, "visibility": ["All"], "text": 3})
def test_message_fields_are_those_of_a_message(raw: Any) -> None:
    m = Message.from_raw(raw)
    index, kind, sender_type, nickname, visibility, body, stamp, epoch = message_fields(raw)
    assert (index, kind, visibility, body) == (m.index, m.type, m.visibility, m.body)
    assert sender_type == (m.sender.type if m.sender else None)
    assert nickname == (m.sender.nickname if m.sender else "")
    assert parse_timestamp(stamp, epoch) == m.time


def _gws(moment: datetime, style: int) -> str:
    """A time as servers write it: the GWS spelling, ISO with T and Z, or with +HH:MM."""
    millis = f"{moment.microsecond // 1000:03d}"
    if style == 0:
        return moment.strftime(f"%Y-%m-%d %H:%M:%S.{millis}%z")
    if style == 1:
        return moment.strftime(f"%Y-%m-%dT%H:%M:%S.{millis}Z")
    return moment.isoformat(timespec="milliseconds")


# Zone transitions (DST in Paris, a half hour at Lord Howe), the ends of the calendar, and
# offsets of half and quarter hours.
EDGES = [datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc),
         datetime(2026, 3, 29, 1, 0, 0, 1000, tzinfo=timezone.utc),
         datetime(2026, 10, 25, 0, 59, 59, 999000, tzinfo=timezone.utc),
         datetime(2026, 4, 4, 15, 10, tzinfo=timezone.utc),
         datetime(2026, 10, 3, 15, 40, tzinfo=timezone.utc),
         datetime(1, 1, 1, 0, 5, tzinfo=timezone(timedelta(hours=5))),
         datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=timezone(timedelta(hours=-7))),
         datetime(999, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=5, minutes=45)))]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31),
                              timezones=st.sampled_from([timezone.utc, *[
                                  timezone(timedelta(minutes=m)) for m in
                                  (-600, -210, 60, 120, 330, 345, 630, 1439, -1439)]])),
                 st.sampled_from(EDGES)),
       st.integers(0, 2), st.sampled_from(ZONES))
@example(EDGES[0], 0, ZONES[1])
def test_time_texts_are_time_formats(moment: datetime, style: int, zone: Any) -> None:
    text = _gws(moment, style)
    times = TimeFormat(zone)
    texts = TimeTexts(times)
    for probe in (text, text, text.replace(text[14:16], "59", 1)):  # a hit, and its hour
        parsed = parse_timestamp(probe)
        assert texts.iso(probe) == times.iso(parsed), probe
        assert texts.human(probe) == times.human(parsed), probe


@settings(max_examples=100, deadline=None)
@given(st.one_of(ordinary_time, st.text(max_size=30), st.none(), st.integers()),
       st.one_of(st.none(), st.integers(-10**14, 10**14), st.integers().map(str)),
       st.sampled_from(ZONES))
@example("2026-03-29 01:59:59.999+0100", None, ZONES[1])
@example(None, 1_792_888_200_000, ZONES[4])
@example("2026-07-01T10:15:30Z", "-5", None)
@example("", "1700000000000", ZONES[5])
@example("not a time", 10**14, ZONES[0])
@example(12, None, ZONES[2])
def test_time_texts_of_anything(text: Any, epoch: Any, zone: Any) -> None:
    times = TimeFormat(zone)
    texts = TimeTexts(times)
    assert texts.iso(text, epoch) == times.iso(parse_timestamp(text, epoch))
    assert texts.human(text, epoch) == times.human(parse_timestamp(text, epoch))


@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "Asia/Kolkata"])
def test_the_local_zone_is_read_per_stream(monkeypatch: pytest.MonkeyPatch, tz: str) -> None:
    """The local zone (TZ) is what TimeFormat(None) uses: a stream made after TZ changes
    shows the new zone, as TimeFormat does."""
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        stamp = "2026-07-01 10:15:30.250+0000"
        assert TimeTexts(TimeFormat(None)).iso(stamp) == \
            TimeFormat(None).iso(parse_timestamp(stamp))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert os.environ.get("TZ") != tz or tz == "UTC"


def test_plain_lines_held_back_reach_the_output_when_the_transcript_breaks() -> None:
    """Plain lines go out in batches; a transcript that breaks off (network, Ctrl-C) still
    leaves every line rendered before it, as the text stream's own buffer did."""
    out = io.StringIO()
    writer = PlainWriter(out, TimeFormat(timezone.utc))

    def broken() -> Iterator[Any]:
        for index in range(1, 6):
            yield {"index": index, "type": "Text", "text": f"line {index}"}
        raise ConnectionError("the server went away")

    with pytest.raises(ConnectionError):
        writer.transcript(broken())
    assert [line.split("\t")[0] for line in out.getvalue().splitlines()] == \
        ["1", "2", "3", "4", "5"]


def test_a_live_plain_stream_writes_each_line_at_once() -> None:
    out = io.StringIO()
    stream = PlainStream(PlainWriter(out, TimeFormat(timezone.utc)), live=True)
    stream.message({"index": 7, "type": "Text", "text": "now"})
    assert out.getvalue().startswith("7\t")


@pytest.mark.parametrize(("types", "no_typing", "limit"), [
    (None, False, None), ([], False, None), (["text"], False, None), (None, True, None),
    (None, False, 2), (None, False, 0)])
def test_select_messages_without_a_filter_passes_everything(types: Any, no_typing: bool,
                                                             limit: Any) -> None:
    messages = [{"type": "Text"}, {"type": "TypingStarted"}, "odd", {"type": "Notice"}]
    expected = [m for m in messages
                if (not types or (isinstance(m, dict) and m["type"].lower() in types))
                and not (no_typing and isinstance(m, dict) and m["type"] == "TypingStarted")]
    expected = expected if limit is None else expected[:limit]
    assert list(select_messages(iter(messages), types, no_typing, limit)) == expected


@settings(max_examples=100, deadline=None)
@example([])
@example([{"index": 3}, {"index": 9}, {"index": 1}])  # the highest is not the last
@example([{"index": -1}, {"index": 0}])  # ints, none positive
@example([{"index": 2}, {"index": True}, {"index": "7"}])  # not all ints: the general path
@example([{"index": 4}, "odd", {"index": 5.0}, None])
@example([{"type": "Text"}, {"index": 6}])  # a message without an index
@example([{"index": 2**70}, {"index": "-3"}])
@given(st.lists(st.one_of(
    st.builds(lambda i: {"index": i}, st.integers(-3, 10**6)),
    st.builds(lambda i: {"index": i, "type": "Text"},
              st.one_of(st.booleans(), st.floats(allow_nan=False), st.integers().map(str),
                        st.none())),
    gws_messages, json_values), max_size=8))
@pytest.mark.slow
def test_the_highest_index_of_a_page(page: list) -> None:
    expected = max((i for i in map(positive_index, page) if i is not None), default=None)
    assert _highest_index(page) == expected
