"""``-o plain`` builds the time of a usual timestamp in its own page loop while the stamps stay
in the hour of the last one TimeTexts took (render/plain.py, PlainStream._lines; the rule
is TimeTexts.usual_hour's): every line must still be the reference line, whatever the stamps.

The stamps here sit close together (hours repeat, across the 2026 spring change of Paris),
in three spellings and several server offsets, some with one character of their minutes,
seconds or milliseconds replaced (a comma, an Arabic-Indic digit, a superscript two, a
letter), so a stamp that only looks like the last hour's must not be taken for one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from test_perf_paths import reference_plain
from test_plain_pages import by_page
from test_time_texts_cache import spell

from smscli.render import TimeFormat

PARIS = ZoneInfo("Europe/Paris")
ZONES = [PARIS, ZoneInfo("America/New_York"), UTC, ZoneInfo("Asia/Kolkata"), None]
SERVER_ZONES = [UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)),
                timezone(timedelta(hours=5, minutes=30)), PARIS]
MIDDLE_CHARS = "0123456789:.,5\u0663\u00b2 xT"


def message(index: int, stamp: Any) -> dict[str, Any]:
    return {"index": index, "type": "Text", "from": {"type": "Customer", "nickname": "Cleo"},
            "visibility": "All", "text": f"line {index}", "timestamp": stamp,
            "timestampSeconds": 1_700_000_000_000 + index}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(
    st.datetimes(datetime(2026, 3, 29, 0), datetime(2026, 3, 29, 3)),
    st.sampled_from(SERVER_ZONES), st.integers(0, 2),
    st.one_of(st.none(), st.tuples(st.integers(14, 22), st.sampled_from(MIDDLE_CHARS)))),
    min_size=1, max_size=40), st.sampled_from(ZONES), st.integers(1, 40))
def test_each_time_is_the_reference_time(items: list[tuple[datetime, Any, int, Any]],
                                         zone: Any, size: int) -> None:
    stamps = []
    for moment, server, style, change in items:
        text = spell(moment.replace(tzinfo=UTC).astimezone(server), style)
        if change is not None:
            at, char = change
            text = text[:at] + char + text[at + 1:]
        stamps.append(text)
    messages = [message(n, stamp) for n, stamp in enumerate(stamps, 1)]
    times = TimeFormat(zone)
    assert by_page(messages, times, size) == reference_plain(messages, times)


def test_a_look_alike_stamp_right_after_a_usual_one_is_not_taken_for_its_hour() -> None:
    """The stamps of one hour, then ones that share its first 14 and last characters but
    not the usual shape between: each must go the general way (as the reference does)."""
    times = TimeFormat(UTC)
    stamps = ["2026-03-29 01:00:00.000+0000", "2026-03-29 01:59:59.999+0000",
              "2026-03-29 01:5\u0663:00.000+0000", "2026-03-29 01:00:00.\u0663\u0663\u0663+0000",
              "2026-03-29 01:00:00,000+0000", "2026-03-29 01:61:00.000+0000",
              "2026-03-29 01:00:00.00+0000", "2026-03-29 01:00:00.0000+0000",
              "2026-03-29 01:00:00.123+0000"]
    messages = [message(n, stamp) for n, stamp in enumerate(stamps, 1)]
    got = by_page(messages, times, len(messages))
    assert got == reference_plain(messages, times)
    times_shown = [line.split("\t")[1] for line in got.splitlines()]
    assert times_shown[0] == "2026-03-29T01:00:00.000+00:00"
    assert times_shown[-1] == "2026-03-29T01:00:00.123+00:00"
