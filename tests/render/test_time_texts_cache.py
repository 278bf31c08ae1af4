"""TimeTexts recognises the usual time text by its known hour and minutes before the regular
expression (render/base.py); whatever it is given, in whatever order, it writes what
``TimeFormat.iso``/``human`` of the parsed time writes.

One TimeTexts serves a whole sequence here, as one serves a transcript, so later texts hit
what earlier ones put in its caches: sweeps across the DST changes of Europe/Paris and
America/New_York, texts that differ from a cached one only in the part the cache does not
hold (a minute of 60, a comma, an Arabic-Indic digit, a missing or extra character), only
epoch milliseconds (negative, at the seconds/milliseconds boundary, huge), or nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscli.models import parse_timestamp
from smscli.render import TimeFormat, TimeTexts

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
ZONES = [PARIS, NEW_YORK, timezone.utc, ZoneInfo("Australia/Lord_Howe"),
         ZoneInfo("Asia/Kolkata"), None]
# The changes of 2026, in UTC: Paris on 29 March and 25 October at 01:00, New York on
# 8 March at 07:00 and 1 November at 06:00.
CHANGES = [datetime(2026, 3, 29, 1, tzinfo=timezone.utc),
           datetime(2026, 10, 25, 1, tzinfo=timezone.utc),
           datetime(2026, 3, 8, 7, tzinfo=timezone.utc),
           datetime(2026, 11, 1, 6, tzinfo=timezone.utc)]
SERVER_ZONES = [timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)),
                timezone(timedelta(hours=5, minutes=30)), PARIS, NEW_YORK]


def spell(moment: datetime, style: int) -> str:
    """A time as servers write it: GWS's spelling, ISO with T and Z, or with +HH:MM."""
    millis = f"{moment.microsecond // 1000:03d}"
    if style == 0:
        return moment.strftime(f"%Y-%m-%d %H:%M:%S.{millis}%z")
    if style == 1:
        return moment.astimezone(timezone.utc).strftime(f"%Y-%m-%dT%H:%M:%S.{millis}Z")
    return moment.isoformat(timespec="milliseconds")


def check(texts: TimeTexts, times: TimeFormat, text: Any, epoch: Any = None) -> None:
    parsed = parse_timestamp(text, epoch)
    assert texts.iso(text, epoch) == times.iso(parsed), (text, epoch)
    assert texts.human(text, epoch) == times.human(parsed), (text, epoch)


@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_sweeps_across_daylight_saving_changes(zone: Any) -> None:
    times = TimeFormat(zone)
    texts = TimeTexts(times)
    step = timedelta(minutes=7, seconds=13, milliseconds=457)
    checked = 0
    for _ in range(2):  # the second pass is all cache hits
        for change in CHANGES:
            moment = change - timedelta(hours=3)
            while moment < change + timedelta(hours=3):
                for server in SERVER_ZONES:
                    for style in (0, 1, 2):
                        check(texts, times, spell(moment.astimezone(server), style))
                        checked += 1
                moment += step
    assert checked > 5000


WARM = "2026-11-30 15:34:29.539+0000"
NEAR_MISSES = [
    "2026-11-30 15:60:29.539+0000", "2026-11-30 15:34:60.539+0000",
    "2026-11-30 15:3a:29.539+0000", "2026-11-30 15:34:29,539+0000",
    "2026-11-30 15:34:29.5\u0663\u0669+0000", "2026-11-30 15:34:29.53+0000",
    "2026-11-30 15:34:29.5390+0000", "2026-11-30 15:34:29.539 +0000",
    "2026-11-30 15:34:29x539+0000", "2026-11-30 15:34-29.539+0000",
    "2026-11-30 15:34:2\u00b2.539+0000", "2026-11-30 15:34:29.539+0000\n",
    " 2026-11-30 15:34:29.539+0000", "2026-11-30 15:", "2026-11-30 15:+0000",
    "2026-11-30 15:34:29.539", "2026-11-30 15:34:29.539Z", "2026-11-30T15:34:29.539+0000",
    "2026-11-30 15:34:29.539+00:00", "2026-11-30 15:34:29.539-0000",
    "2026-11-30 15:34:29.539+0000+0000", "2026-11-30 15:34:29.539+0000"[:-1],
    "2026-11-30 15:59:59.999+0000", "2026-11-30 15:00:00.000+0000",
]


@pytest.mark.parametrize("zone", ZONES, ids=str)
@pytest.mark.parametrize("epoch", [None, 0, 1_796_052_869_539, "1796052869539"])
def test_texts_beside_a_cached_hour(zone: Any, epoch: Any) -> None:
    """Warm the caches with one text, then texts that share its hour and offset but not its
    shape: each is what TimeFormat makes of it (the epoch, when the text is refused)."""
    times = TimeFormat(zone)
    texts = TimeTexts(times)
    check(texts, times, WARM, epoch)
    for text in NEAR_MISSES:
        check(texts, times, text, epoch)
        check(texts, times, WARM, epoch)  # and the cached hour is still right


@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_only_epoch_milliseconds_or_nothing(zone: Any) -> None:
    times = TimeFormat(zone)
    texts = TimeTexts(times)
    epochs = [None, 0, -1, 1, 99_999_999_999, 100_000_000_000, -100_000_000_000,
              1_796_052_869_539, -1_796_052_869_539, 2**53, -(2**53), 253_402_300_799_999,
              253_402_300_800_000, 10**20, -(10**20), 1.5e12, -1.5e12, float("inf"), True,
              "1796052869539", " 1796052869539 ", "x", [], {}]
    for text in (None, "", "not a time", 17, [], {}):
        for epoch in epochs:
            check(texts, times, text, epoch)


_MIDDLE_CHARS = "0123456789:.,5\u0663\u00b2 xT"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(
    st.datetimes(datetime(2026, 3, 28, 22), datetime(2026, 3, 29, 4)),
    st.sampled_from(SERVER_ZONES), st.integers(0, 2),
    st.one_of(st.none(), st.tuples(st.integers(14, 22), st.sampled_from(_MIDDLE_CHARS)))),
    min_size=1, max_size=30), st.sampled_from(ZONES))
def test_any_sequence_of_near_texts(items: list[tuple[datetime, Any, int, Any]],
                                    zone: Any) -> None:
    """Texts close together in time (so hours repeat), some with one character of their
    minutes, seconds or milliseconds replaced, through one TimeTexts."""
    times = TimeFormat(zone)
    texts = TimeTexts(times)
    for moment, server, style, change in items:
        text = spell(moment.replace(tzinfo=timezone.utc).astimezone(server), style)
        if change is not None:
            at, char = change
            text = text[:at] + char + text[at + 1:]
        check(texts, times, text, 1_700_000_000_000)
