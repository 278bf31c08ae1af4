"""Property-based tests: hostile JSON and hostile Unicode through the parsers and every renderer.

Whatever a GWS server sends (any JSON value, any string in any field), parsing never raises,
human output (table, plain) carries no terminal control besides SGR colour codes, plain output
keeps one record per line, json/ndjson give back exactly what was sent, and every output can be
written to a UTF-8 stdout.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smscli.models import (
    FINAL_STATES,
    KNOWN_MESSAGE_TYPES,
    TYPING_TYPES,
    Message,
    Participant,
    Session,
    as_int,
    as_text,
    message_filter,
    message_key,
    message_type,
    parse_timestamp,
    positive_index,
    select_messages,
)
from smscli.render import Output, TimeFormat, make_renderer

# Generating hostile data costs more than checking it, so the budgets are modest (the whole
# file ~5 s of CPU) and every property also runs the NASTY inputs below as @examples.
SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(SETTINGS, max_examples=40)  # the slow paths: Rich tables, several renderers

# --- hostile text --------------------------------------------------------------------------

C0 = [chr(c) for c in range(0x20)] + ["\x7f"]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = ["\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2066, 0x206A))]
ZERO_WIDTH = ["\u00ad", "\u180e", "\u200b", "\u200c", "\u200d", "\u2060", "\u2061", "\u2062",
              "\u2063", "\u2064", "\ufeff", "\u2028", "\u2029"]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d", "\ude00"]
EMOJI = ["\U0001F600", "\U0001F468", "\U0001F469", "\U0001F467", "\u2764", "\U0001F3FD"]
OTHER = [" ", "\\", "a", "Z", "9", "[", "]", "m", ";", "é", "\u0301", "日", "\uff21", "…"]
NASTY_CHARS = C0 + C1 + BIDI + ZERO_WIDTH + SURROGATES + EMOJI + OTHER
SEQUENCES = [
    "\x1b[31m", "\x1b[0m", "\x1b[2J", "\x1b[H", "\x1b[1;1H", "\x1b[?25l", "\x1b[6n", "\x1b[",
    "\x1b]0;pwned\x07", "\x1b]52;c;ZXZpbA==\x07", "\x1b]8;;https://evil\x1b\\", "\x1b]8;;\x1b\\",
    "\x1b]0;unterminated", "\x1bP+q544e\x1b\\", "\x1b_apc\x9c", "\x1bc", "\x1b7", "\x1b",
    "\x9b31m", "\x9b2J", "\x9d0;t\x9c", "\x90dcs\x9c", "\x98sos", "\x9e", "\x9f",
    "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\u2764\u200d\U0001F525", "a\u200db",
    "\u202eevil\u202c", "\u2066iso\u2069", "ok\rfake", "abc\x08\x08x", "\x00", "\\x1b",
    "2016-01-20 14:24:10.000+0200", "Text", "Customer", "Agent", "\t", "\n", "\r\n",
]

any_char = st.characters(exclude_categories=())  # every code point, surrogates included
hostile_char = st.one_of(any_char, st.sampled_from(NASTY_CHARS))
controls = st.sampled_from(C0 + C1 + BIDI + ZERO_WIDTH + SURROGATES + EMOJI + ["x", " "])
hostile_snippet = st.one_of(st.text(hostile_char, max_size=12), st.sampled_from(SEQUENCES))
hostile_text = st.one_of(
    st.text(hostile_char, max_size=24),
    st.text(controls, max_size=16),
    st.lists(hostile_snippet, max_size=6).map("".join),
    # Very long: thousands of characters, past every preview and column limit.
    st.builds(lambda s, n: s * n, st.sampled_from(SEQUENCES + ["x", "日本", "é "]),
              st.integers(200, 3000)),
)
NASTIEST = ("\x1b]8;;https://evil\x1b\\click\x1b]8;;\x1b\\\x1b[2J\x1b[H\u202eevil\u2066x\u2069"
            "\ud800\udfff\udc00 ok\rfake\x08\x07\x00\x7f\x9b31m\x85\u2028\u200b\ufeff"
            "\U0001F468\u200d\U0001F469\u200d\U0001F467 a\u200db\t\n\\x1b\x90dcs")

# --- JSON values ---------------------------------------------------------------------------

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    hostile_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=10,
)

# --- GWS-shaped objects whose strings are hostile ------------------------------------------


def _offsets() -> st.SearchStrategy[timezone]:
    return st.builds(lambda minutes: timezone(timedelta(minutes=minutes)),
                     st.integers(-(23 * 60 + 59), 23 * 60 + 59))


def _gws_time(moment: datetime, style: int) -> str:
    if style == 0:
        return moment.isoformat()
    if style == 1:
        return moment.strftime("%Y-%m-%d %H:%M:%S.000%z")  # the GWS spelling
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # the wall time read as UTC


def times_between(low: datetime, high: datetime) -> st.SearchStrategy[str]:
    return st.builds(_gws_time, st.datetimes(low, high, timezones=_offsets()),
                     st.integers(0, 2))


# Ordinary times: a day away from the ends of datetime's range (those are tested apart).
ordinary_time = times_between(datetime(1, 1, 3), datetime(9999, 12, 29))
timestamp_text = st.one_of(ordinary_time, hostile_text)
epoch = st.one_of(st.integers(), st.floats(allow_nan=False), st.integers().map(str),
                  st.integers(-10**14, 10**14))


def text_or(*choices: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(choices), hostile_text)


def optional_dict(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({}, optional=fields)


participants = optional_dict({
    "type": text_or("Customer", "Agent", "External", "Supervisor"),
    "nickname": hostile_text,
    "participantId": hostile_text,
    "id": hostile_text,
    "visibility": text_or("All", "Agents", "Supervisors"),
})
gws_sessions = optional_dict({
    "id": hostile_text,
    "state": text_or("Invited", "Chatting", "LeftChat", "Completed", "Revoked", "JoinFailed"),
    "uri": hostile_text,
    "receivedDate": timestamp_text,
    "participants": st.one_of(st.lists(participants, max_size=4), participants,
                              st.dictionaries(hostile_text, participants, max_size=3),
                              json_values),
    "capabilities": st.one_of(st.lists(hostile_text, max_size=4), json_values),
    "userData": st.one_of(st.dictionaries(hostile_text, json_values, max_size=4), json_values),
})
gws_messages = optional_dict({
    "index": st.one_of(st.integers(-2, 10**6), json_values),
    "type": text_or(*KNOWN_MESSAGE_TYPES, "TypingStopping"),
    "from": st.one_of(participants, json_values),
    "text": hostile_text,
    "url": hostile_text,
    "noticeText": hostile_text,
    "visibility": text_or("All", "Agents", "Supervisors"),
    "timestamp": timestamp_text,
    "timestampSeconds": epoch,
})
any_session = st.one_of(gws_sessions, json_values)
any_message = st.one_of(gws_messages, json_values)

NASTY_SESSION = {
    "id": NASTIEST, "state": "\x1b[2JChatting", "uri": "\x1b]8;;https://evil\x1b\\u\x1b]8;;\x1b\\",
    "receivedDate": "2016-01-20 14:24:10.000+0200",
    "participants": [{"type": "Customer", "nickname": NASTIEST, "participantId": "\ud800"},
                     {"type": "Agent", "nickname": "\u202eevil" * 500}],
    "capabilities": [NASTIEST, "\x9b2J"], "userData": {NASTIEST: NASTIEST, "\x00": None},
}
NASTY_MESSAGE = {"index": 1, "type": "Text", "from": {"type": "Customer", "nickname": NASTIEST},
                 "text": NASTIEST * 50, "visibility": "\u202eAgents",
                 "timestamp": "2016-01-20 14:24:10.000+0200"}

# --- checks on output ----------------------------------------------------------------------

SGR = re.compile(r"\x1b\[[0-9;]*m")
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f\x80-\x9f"  # C0 but tab and newline (ESC is checked apart), DEL, C1
    "\u202a-\u202e\u2066-\u2069"  # bidi overrides and isolates
    "\u2028\u2029"  # line and paragraph separators
    "\ud800-\udfff]"  # lone surrogates
)
ZERO_WIDTH_OUT = re.compile("[\u200b\u200c\u200d\u2060-\u2064\ufeff\u180e]")
WIDTHS = st.sampled_from([20, 21, 37, 60, 80, 120, 200])


def _is_emoji(ch: str) -> bool:
    """Generous on purpose: a joiner between two symbols hides nothing worth finding."""
    code = ord(ch)
    return (code >= 0x1F000 or 0x2190 <= code <= 0x2BFF or code == 0xFE0F
            or unicodedata.category(ch) == "So")


def assert_utf8(text: str) -> None:
    text.encode("utf-8")  # stdout is UTF-8: a lone surrogate here is a crash there


def assert_inert(text: str, *, color: bool, tabs: bool) -> None:
    """Human output: SGR colour codes at most, no controls, no hidden or reordering characters."""
    assert_utf8(text)
    if color:
        stripped = SGR.sub("", text)
    else:
        stripped = text
    assert "\x1b" not in stripped, repr(text)
    if not tabs:
        assert "\t" not in stripped, repr(text)
    bad = FORBIDDEN.search(stripped)
    assert bad is None, f"{bad.group()!r} in {text!r}"
    for match in ZERO_WIDTH_OUT.finditer(stripped):
        i = match.start()
        assert match.group() == "\u200d" and 0 < i < len(stripped) - 1 \
            and _is_emoji(stripped[i - 1]) and _is_emoji(stripped[i + 1]), \
            f"zero-width {match.group()!r} at {i} in {text!r}"


def same_json(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 from True, -0.0 from 0.0, and checks key order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=False))
    if isinstance(a, float):
        return repr(a) == repr(b)
    return a == b


def render(fmt: str, color: bool, width: int, call: Callable[[Any], Any]) -> tuple[str, Any]:
    out = io.StringIO()
    renderer = make_renderer(Output(format=fmt, color=color,
                                           times=TimeFormat(UTC), width=width), out)
    result = call(renderer)
    return out.getvalue(), result


# --- parsers -------------------------------------------------------------------------------


def check_participant(p: Participant) -> None:
    assert all(isinstance(v, str) for v in (p.type, p.nickname, p.participant_id, p.visibility))


def check_session(raw: Any) -> None:
    s = Session.from_raw(raw)
    assert s.raw is raw
    assert all(isinstance(v, str) for v in (s.id, s.state, s.uri))
    assert all(isinstance(c, str) for c in s.capabilities)
    assert isinstance(s.user_data, dict)
    assert s.received is None or s.received.tzinfo is not None
    for p in s.participants:
        check_participant(p)
    for kind in ("Customer", "Agent"):
        assert all(isinstance(n, str) for n in s.nicknames(kind))
    assert s.is_final == (s.state in FINAL_STATES)


def check_message(raw: Any) -> None:
    m = Message.from_raw(raw)
    assert m.raw is raw
    assert m.index is None or type(m.index) is int
    assert all(isinstance(v, str) for v in (m.type, m.body, m.visibility))
    assert m.time is None or m.time.tzinfo is not None
    if m.sender is not None:
        check_participant(m.sender)
    assert m.is_typing == (m.type in TYPING_TYPES)
    key = message_key(raw)
    assert isinstance(key, tuple) and all(isinstance(part, str) for part in key)
    hash(key)
    assert message_key(raw) == key  # stable
    assert isinstance(message_type(raw), str)
    index = positive_index(raw)
    assert index is None or index > 0


@SETTINGS
@given(json_values)
@example(NASTIEST)
@example({"participants": {"a": None, "b": [1]}, "capabilities": "x", "userData": [1, {}]})
@example(0)
@example([])
def test_parsers_never_raise_on_any_json(raw: Any) -> None:
    check_session(raw)
    check_participant(Participant.from_raw(raw))
    check_message(raw)
    assert isinstance(as_text(raw), str)
    index = as_int(raw)
    assert index is None or type(index) is int


@SETTINGS
@given(gws_sessions, gws_messages, participants)
@example(NASTY_SESSION, NASTY_MESSAGE, NASTY_SESSION["participants"][0])
def test_parsers_never_raise_on_gws_shapes(session: dict, message: dict, person: dict) -> None:
    check_session(session)
    check_message(message)
    check_participant(Participant.from_raw(person))
    m = Message.from_raw(message)
    if message.get("type") == "Text" and isinstance(message.get("text"), str):
        assert m.body == message["text"]  # text is kept exactly, hostile or not


@SETTINGS
@given(st.one_of(timestamp_text, json_values), st.one_of(epoch, json_values))
@example("\ud800", None)
@example("2016-01-20 14:24:10.000+0200\x00", None)
@example("\uff12\uff10\uff11\uff16-01-20", "\uff11")
@example(None, float("inf"))
@example(None, -1e300)
@example(None, 10**20)
def test_parse_timestamp_never_raises(text: Any, epoch_ms: Any) -> None:
    moment = parse_timestamp(text, epoch_ms)
    assert moment is None or (isinstance(moment, datetime) and moment.tzinfo is not None)


# Found by these properties: an epoch so big that millis / 1000 overflowed a float raised
# OverflowError from parse_timestamp, outside its try (Message.from_raw crashed).
@SETTINGS
@given(st.one_of(st.integers(min_value=10**312), st.integers(max_value=-(10**312))),
       st.booleans())
@example(10**400, False)
@example(10**400, True)
def test_parse_timestamp_survives_huge_epochs(number: int, as_string: bool) -> None:
    value = str(number) if as_string else number
    assert parse_timestamp(None, value) is None
    assert Message.from_raw({"type": "Text", "timestampSeconds": value}).time is None


@settings(SETTINGS, max_examples=60)  # a filter: the examples name its cases
@given(st.lists(any_message, max_size=8),
       st.one_of(st.none(), st.lists(text_or(*KNOWN_MESSAGE_TYPES, "TEXT", "typingstarted"),
                                     max_size=3)),
       st.booleans(), st.one_of(st.none(), st.integers(0, 10)))
@example([NASTY_MESSAGE, {"type": "TypingStarted"}, "x", None], ["text"], True, 1)
@example([{"type": "TEXT"}, {"type": "TypingStopped"}, {"type": ["Text"]}, {}], ["Text",
         "typingstopped"], False, None)
@example([{"type": "Text"}, {"type": "TypingStarted"}, {"type": 5}], None, True, 0)
@example([{"type": "Notice"}, {"type": "Text"}, {"type": "Text"}], [], False, 2)
def test_select_messages(messages: list, types: list | None, no_typing: bool,
                         limit: int | None) -> None:
    keep = message_filter(types, no_typing)
    chosen = list(select_messages(iter(messages), types, no_typing, limit))
    wanted = {t.lower() for t in types} if types else None

    def expected_keep(raw: Any) -> bool:
        kind = raw.get("type") if isinstance(raw, dict) else None
        kind = as_text(kind) if isinstance(raw, dict) else "?"
        if wanted is not None and kind.lower() not in wanted:
            return False
        return not (no_typing and kind in TYPING_TYPES)

    everything = [raw for raw in messages if expected_keep(raw)]
    assert [keep(raw) for raw in messages] == [expected_keep(raw) for raw in messages]
    expected = everything if limit is None else everything[:limit]
    assert len(chosen) == len(expected)
    assert all(a is b for a, b in zip(chosen, expected, strict=False))  # the raw objects themselves, in order


# --- human renderers -----------------------------------------------------------------------


@FEW
@given(st.lists(any_session, max_size=3), any_session, st.booleans(), WIDTHS)
@example([NASTY_SESSION, NASTIEST], NASTY_SESSION, True, 20)
@example([NASTY_SESSION, NASTIEST], NASTY_SESSION, False, 200)
@example([], NASTIEST, True, 80)
@pytest.mark.slow
def test_table_sessions_are_inert(sessions: list, session: Any, color: bool, width: int) -> None:
    text, _ = render("table", color, width, lambda r: r.session_list(sessions))
    assert_inert(text, color=color, tabs=False)
    text, _ = render("table", color, width, lambda r: r.session_detail(session))
    assert_inert(text, color=color, tabs=False)


@SETTINGS
@given(st.lists(any_message, max_size=4), st.booleans(), WIDTHS)
@example([NASTY_MESSAGE, NASTIEST, {"type": "PushUrl", "url": NASTIEST}], True, 20)
@example([NASTY_MESSAGE, NASTIEST, {"type": "PushUrl", "url": NASTIEST}], False, 200)
@example([{"type": "Text", "text": "\U0001F468\u200d\U0001F469" * 400,
           "from": {"nickname": "\U0001F468\u200d\U0001F469" * 10}}], True, 20)
@example([], True, 80)
def test_table_transcript_is_inert(messages: list, color: bool, width: int) -> None:
    text, count = render("table", color, width, lambda r: r.transcript(iter(messages)))
    assert count == len(messages)
    assert_inert(text, color=color, tabs=False)


def plain_lines(text: str) -> list[list[str]]:
    assert text.endswith("\n") or text == ""
    return [line.split("\t") for line in text.split("\n")[:-1]]


@SETTINGS
@given(st.lists(any_session, max_size=3), any_session, st.lists(any_message, max_size=4),
       st.booleans(), WIDTHS)
@example([NASTY_SESSION, NASTIEST], NASTY_SESSION, [NASTY_MESSAGE, NASTIEST], True, 20)
@example([], NASTIEST, [], False, 80)
@pytest.mark.slow
def test_plain_is_inert_and_one_record_per_line(sessions: list, session: Any, messages: list,
                                                color: bool, width: int) -> None:
    text, _ = render("plain", color, width, lambda r: r.session_list(sessions))
    assert_inert(text, color=False, tabs=True)  # plain never colours, whatever the flag
    rows = plain_lines(text)
    assert len(rows) == len(sessions)
    assert all(len(row) == 6 for row in rows)

    text, count = render("plain", color, width, lambda r: r.transcript(iter(messages)))
    assert count == len(messages)
    assert_inert(text, color=False, tabs=True)
    rows = plain_lines(text)
    assert len(rows) == len(messages)
    assert all(len(row) == 7 for row in rows)  # index .. type, visibility, text

    text, _ = render("plain", color, width, lambda r: r.session_detail(session))
    assert_inert(text, color=False, tabs=True)
    s = Session.from_raw(session)
    expected = ([("id", 2), ("state", 2), ("uri", 2), ("received", 2)]
                + [("participant", 5)] * len(s.participants)
                + [("capability", 2)] * len(s.capabilities)
                + [("userData", 3)] * len(s.user_data))
    assert [(row[0], len(row)) for row in plain_lines(text)] == expected


# Found by these properties: an aware time at the very ends of the calendar parsed, but
# converting it to the display zone raised OverflowError, and table and plain output crashed.
@SETTINGS
@given(st.sampled_from(["table", "plain"]), st.booleans(),
       st.one_of(times_between(datetime(1, 1, 1), datetime(1, 1, 2)),
                 times_between(datetime(9999, 12, 30), datetime(9999, 12, 31, 23, 59, 59))))
@example("plain", False, "0001-01-01T00:00:00+05:00")
@example("table", True, "9999-12-31T23:59:59-05:00")
def test_renderers_survive_times_at_the_ends_of_the_calendar(fmt: str, color: bool,
                                                             moment: str) -> None:
    for call in (lambda r: r.session_list([{"id": "s", "receivedDate": moment}]),
                 lambda r: r.session_detail({"id": "s", "receivedDate": moment}),
                 lambda r: r.transcript([{"index": 1, "type": "Text", "timestamp": moment}])):
        text, _ = render(fmt, color, 80, call)
        assert_inert(text, color=color and fmt == "table", tabs=fmt == "plain")


# --- machine renderers ---------------------------------------------------------------------


def ndjson_lines(text: str) -> list[Any]:
    assert text.endswith("\n") or text == ""
    return [json.loads(line) for line in text.split("\n")[:-1]]


@FEW
@given(st.lists(any_session, max_size=3), any_session, st.lists(any_message, max_size=4),
       st.booleans(), WIDTHS)
@example([NASTY_SESSION, NASTIEST], NASTY_SESSION, [NASTY_MESSAGE, "\ud800"], True, 20)
@example(["\ud800\udc00", "\udfff\ud800"], {"\ud83d": "\ude00"}, ["\udbff"], False, 80)
@example(["a\u2028b\x85c\rd"], "\udfff", ["\n", {"\n": "\r"}], False, 80)
@example([1, 1.0, True, -0.0, 1e308, -1e-320, float("inf"), 10**30], None, [None], True, 80)
def test_json_and_ndjson_round_trip_exactly(sessions: list, session: Any, messages: list,
                                            color: bool, width: int) -> None:
    # What a server can send: a JSON text joins an adjacent high and low surrogate into one
    # character, so such pairs are not expected back apart.
    sessions, session, messages = json.loads(json.dumps([sessions, session, messages]))

    text, _ = render("json", color, width, lambda r: r.session_list(sessions))
    assert_utf8(text)
    assert same_json(json.loads(text), sessions)
    text, _ = render("json", color, width, lambda r: r.session_detail(session))
    assert_utf8(text)
    assert same_json(json.loads(text), session)
    text, count = render("json", color, width, lambda r: r.transcript(iter(messages)))
    assert count == len(messages)
    assert_utf8(text)
    assert same_json(json.loads(text), messages)

    text, _ = render("ndjson", color, width, lambda r: r.session_list(sessions))
    assert_utf8(text)
    assert same_json(ndjson_lines(text), sessions)
    text, _ = render("ndjson", color, width, lambda r: r.session_detail(session))
    assert_utf8(text)
    assert same_json(ndjson_lines(text), [session])
    text, count = render("ndjson", color, width, lambda r: r.transcript(iter(messages)))
    assert count == len(messages)
    assert_utf8(text)
    assert same_json(ndjson_lines(text), messages)
