"""Conversation metrics: hand-computed transcripts, the renderers, and the command on the emulator."""

from __future__ import annotations

import gc
import io
import json
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from smscli.client import GwsClient
from smscli.emulator import Emulator, EmulatorState
from smscli.render import Output, TimeFormat
from smscli.render.stats import format_seconds, make_stats_writer
from smscli.stats import SessionStats, SessionStatsBuilder, session_stats, summarize

BASE = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)

CUSTOMER = {"type": "Customer", "nickname": "C", "participantId": "P1", "visibility": "All"}
AGENT = {"type": "Agent", "nickname": "Sam", "participantId": "P2", "visibility": "All"}
BOT = {"type": "External", "nickname": "PoD service", "participantId": "P3", "visibility": "All"}
SUPERVISOR = {"type": "Agent", "nickname": "Ana", "participantId": "P4",
              "visibility": "Supervisors"}


def stamp(seconds: float, offset_hours: int = 0) -> str:
    """A GWS timestamp ``seconds`` after BASE, written in the given UTC offset."""
    zone = timezone(timedelta(hours=offset_hours))
    moment = (BASE + timedelta(seconds=seconds)).astimezone(zone)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + \
        moment.strftime("%z")


def msg(kind: str, sender: dict | None, at: float | None, text: str = "x",
        **fields: Any) -> dict:
    """A message in GWS shape; ``at`` in seconds after BASE, None for no timestamp at all."""
    raw: dict[str, Any] = {"type": kind, "visibility": "All", **fields}
    if kind == "Text":
        raw["text"] = text
    if kind == "PushUrl":
        raw["url"] = "https://example.com/" + text
    if sender is not None:
        raw["from"] = dict(sender)
    if at is not None:
        raw.setdefault("timestamp", stamp(at))
        raw.setdefault("timestampSeconds",
                       int((BASE + timedelta(seconds=at)).timestamp() * 1000))
    return raw


def numbered(messages: list[dict]) -> list[dict]:
    for i, raw in enumerate(messages, 1):
        raw.setdefault("index", i)
    return messages


# Hand-computed: waits start at 0 (reply 20), at 30 (second message at 40 does not restart it;
# reply 100 -> 70) and at 200 (never answered; lasts until the last message, at 500).
CONVERSATION = numbered([
    msg("ParticipantJoined", CUSTOMER, 0),
    msg("Text", CUSTOMER, 0, "my parcel is late"),
    msg("Text", BOT, 1, "agent will be with you shortly"),  # a bot is not a reply
    msg("ParticipantJoined", AGENT, 5),
    msg("TypingStarted", AGENT, 10),  # typing is not a reply
    msg("TypingStopped", AGENT, 15),
    msg("Text", AGENT, 20, "let me look"),  # reply: 20 s
    msg("Text", CUSTOMER, 30, "order 4711"),
    msg("Text", CUSTOMER, 40, "hello?"),
    msg("Text", AGENT, 100, "found it"),  # reply: 70 s, measured from 30
    msg("Text", AGENT, 110, "it ships today"),  # a second agent message answers nothing
    msg("Text", CUSTOMER, 200, "and the refund?"),
    msg("ParticipantLeft", CUSTOMER, 500),
])


def conversation_stats() -> SessionStats:
    session = {"id": "S1", "state": "Chatting", "participants": [AGENT, CUSTOMER]}
    return session_stats(session, iter(CONVERSATION))


# -- metrics on transcripts with known answers ------------------------------------------------


def test_conversation_metrics_match_the_hand_computed_values() -> None:
    s = conversation_stats()
    assert (s.session_id, s.state, s.customers) == ("S1", "Chatting", ["C"])
    assert s.messages == 13
    assert s.customer_messages == 4
    assert s.agent_messages == 3
    assert s.replies == 2
    assert s.response_times == [20.0, 70.0]
    assert s.first_reply == 20.0
    assert s.median_response == 45.0
    assert s.longest_response == 70.0
    assert s.longest_wait == 300.0  # the unanswered wait, 200 -> 500, beats every reply
    assert s.unanswered is True
    assert s.duration == 500.0
    assert s.untimed == 0


def test_counts_by_type_role_and_participant() -> None:
    s = conversation_stats()
    assert s.by_type == {"ParticipantJoined": 2, "ParticipantLeft": 1, "Text": 8,
                         "TypingStarted": 1, "TypingStopped": 1}
    assert s.by_role == {"Customer": 6, "Agent": 6, "External": 1}
    rows = [(p.role, p.nickname, p.participant_id, p.messages, dict(p.by_type))
            for p in s.participants]
    assert rows == [
        ("Customer", "C", "P1", 6, {"ParticipantJoined": 1, "ParticipantLeft": 1, "Text": 4}),
        ("Agent", "Sam", "P2", 6, {"ParticipantJoined": 1, "Text": 3, "TypingStarted": 1,
                                   "TypingStopped": 1}),
        ("External", "PoD service", "P3", 1, {"Text": 1}),
    ]


def test_only_customer_visible_agent_text_or_links_end_a_wait() -> None:
    agents_only = dict(AGENT, nickname="Kim", participantId="P5")
    messages = numbered([
        msg("PushUrl", CUSTOMER, 0, "photo.jpg"),  # a customer's link starts a wait
        msg("Text", agents_only, 5, "internal", visibility="Agents"),
        msg("Text", SUPERVISOR, 6, "coach", visibility="Supervisors"),
        msg("CustomNotice", AGENT, 7, noticeText="Order opened"),
        msg("Notice", AGENT, 8, text="notice"),
        msg("Text", BOT, 9, "bot"),
        msg("TypingStarted", AGENT, 10, text="typing preview"),
        msg("PushUrl", AGENT, 30, "help"),  # the reply: 30 s
        msg("Text", CUSTOMER, 40, "thanks"),
        msg("Text", AGENT, 41, "welcome", visibility=""),  # no visibility: seen by all
    ])
    s = session_stats({"id": "S2"}, messages)
    assert s.response_times == [30.0, 1.0]
    assert s.agent_messages == 2
    assert s.customer_messages == 2
    assert s.by_role == {"Customer": 2, "Agent": 6, "Supervisor": 1, "External": 1}
    assert not s.unanswered
    assert s.longest_wait == 30.0


def test_a_barging_supervisor_who_writes_to_everyone_answers() -> None:
    barging = dict(SUPERVISOR, visibility="All")
    s = session_stats({}, [msg("Text", CUSTOMER, 0), msg("Text", barging, 12)])
    assert s.response_times == [12.0]
    assert s.by_role == {"Customer": 1, "Agent": 1}


def test_minus_one_indexes_and_messages_without_sender_are_counted_in_server_order() -> None:
    messages = [
        msg("Text", CUSTOMER, 0, index=1),
        msg("TranscriptSaveDone", None, 5, index=-1),
        msg("Text", AGENT, 12, index=7),
        msg("Text", CUSTOMER, 20, index=7),  # a repeated index is still a message
        msg("Text", AGENT, 23, index=3),  # order is the server's, never by index
    ]
    s = session_stats({"id": "S3", "state": "Completed", "participants": []}, messages)
    assert s.response_times == [12.0, 3.0]
    assert s.by_role == {"Customer": 2, "Agent": 2, "System": 1}
    assert s.participants[-1].role == "System" and s.participants[-1].messages == 1
    assert s.customers == ["C"]  # a completed session lists no participants: the transcript's
    assert s.duration == 23.0


def test_untimed_messages_are_counted_but_never_measured() -> None:
    messages = [
        msg("Text", CUSTOMER, None),  # opens a wait that cannot be measured...
        msg("Text", AGENT, 10),  # ...so this reply counts, without a time
        msg("Text", CUSTOMER, 20),
        msg("Text", AGENT, None),  # an untimed reply still ends the wait
        msg("Text", CUSTOMER, 30),
        msg("Text", AGENT, 45),  # the only measured reply: 15 s
    ]
    s = session_stats({}, messages)
    assert s.untimed == 2
    assert s.replies == 3
    assert s.response_times == [15.0]
    assert s.first_reply is None  # the first wait had no start time
    assert s.longest_wait == 15.0
    assert s.duration == 35.0  # from 10 to 45: untimed messages do not stretch it


def test_timestamps_in_any_offset_or_only_in_epoch_milliseconds() -> None:
    millis_only = msg("Text", AGENT, 90)
    del millis_only["timestamp"]
    messages = [
        msg("Text", CUSTOMER, 0),
        msg("Text", AGENT, 30, timestamp=stamp(30, offset_hours=2)),
        msg("Text", CUSTOMER, 60, timestamp=stamp(60, offset_hours=-8)),
        millis_only,
    ]
    s = session_stats({}, messages)
    assert s.response_times == [30.0, 30.0]
    assert s.untimed == 0


def test_a_reply_stamped_before_its_question_counts_as_zero() -> None:
    s = session_stats({}, [msg("Text", CUSTOMER, 100), msg("Text", AGENT, 95)])
    assert s.response_times == [0.0]
    assert s.duration == 5.0  # earliest to latest, whatever the order


def test_agent_messages_with_nothing_to_answer_and_an_empty_transcript() -> None:
    outbound = session_stats({}, [msg("Text", AGENT, 0), msg("Text", AGENT, 5)])
    assert (outbound.agent_messages, outbound.replies, outbound.first_reply) == (2, 0, None)
    assert outbound.longest_wait is None and not outbound.unanswered
    empty = session_stats({"id": "E"}, [])
    assert (empty.messages, empty.duration, empty.median_response) == (0, None, None)
    assert empty.to_dict()["durationSeconds"] is None


def test_participants_are_told_apart_by_id_not_by_nickname() -> None:
    twin = dict(AGENT, participantId="P9")
    s = session_stats({}, [msg("Text", AGENT, 0), msg("Text", twin, 1), msg("Text", twin, 2)])
    assert [(p.participant_id, p.messages) for p in s.participants] == [("P2", 1), ("P9", 2)]


def test_odd_number_of_replies_has_the_middle_one_as_median() -> None:
    messages = []
    for start, answer in ((0, 5), (10, 40), (50, 60)):
        messages += [msg("Text", CUSTOMER, start), msg("Text", AGENT, answer)]
    assert session_stats({}, messages).median_response == 10.0  # of 5, 30, 10


class _Raw(dict):
    __slots__ = ("__weakref__",)


def test_messages_are_not_kept_after_they_are_counted() -> None:
    builder = SessionStatsBuilder({"id": "S"})
    refs = []
    for i in range(200):
        raw = _Raw(msg("Text", CUSTOMER if i % 2 == 0 else AGENT, i))
        refs.append(weakref.ref(raw))
        builder.add(raw)
        del raw
    gc.collect()
    assert all(ref() is None for ref in refs)
    assert builder.finish().replies == 100


# -- over several sessions ---------------------------------------------------------------------


def several() -> list[SessionStats]:
    second = session_stats({"id": "S2", "state": "Completed"}, [
        msg("Text", CUSTOMER, 0), msg("Text", AGENT, 30), msg("ParticipantLeft", CUSTOMER, 40)])
    idle = session_stats({"id": "S3", "state": "Invited"}, [msg("Text", CUSTOMER, 0)])
    return [conversation_stats(), second, idle]


def test_summary_sums_counts_and_takes_medians() -> None:
    t = summarize(several())
    assert t.sessions == 3
    assert t.messages == 13 + 3 + 1
    assert (t.customer_messages, t.agent_messages, t.replies) == (6, 4, 3)
    assert t.by_type["Text"] == 8 + 2 + 1
    assert t.by_role == {"Customer": 6 + 2 + 1, "Agent": 6 + 1, "External": 1}
    assert t.unanswered == 2  # S1 and S3
    assert t.median_first_reply == 25.0  # of 20 and 30; S3 has none
    assert t.longest_first_reply == 30.0
    assert t.median_response == 30.0  # pooled: 20, 70, 30
    assert t.longest_response == 70.0
    assert t.median_longest_wait == 30.0  # of 300, 30 and 0
    assert t.longest_wait == 300.0
    assert t.total_duration == 540.0  # 500 + 40 + 0
    assert t.median_duration == 40.0
    assert t.longest_duration == 500.0


def test_summary_of_nothing() -> None:
    t = summarize([])
    assert (t.sessions, t.messages, t.median_response, t.total_duration) == (0, 0, None, None)


# -- rendering ---------------------------------------------------------------------------------


def options(fmt: str, color: bool = False) -> Output:
    return Output(format=fmt, color=color, times=TimeFormat(UTC), width=120)


def render(fmt: str, items: list[SessionStats], color: bool = False) -> str:
    out = io.StringIO()
    writer = make_stats_writer(options(fmt, color), out)
    for item in items:
        writer.session(item)
    writer.close(summarize(items))
    return out.getvalue()


def test_json_is_one_document_with_sessions_and_total() -> None:
    doc = json.loads(render("json", several()))
    first = doc["sessions"][0]
    assert first["id"] == "S1"
    assert first["firstReplySeconds"] == 20.0
    assert first["medianResponseSeconds"] == 45.0
    assert first["longestWaitSeconds"] == 300.0
    assert first["durationSeconds"] == 500.0
    assert first["started"] == "2026-01-01T10:00:00.000+00:00"
    assert first["byRole"] == {"Customer": 6, "Agent": 6, "External": 1}
    assert first["participants"][2] == {"participantId": "P3", "type": "External",
                                        "role": "External", "nickname": "PoD service",
                                        "messages": 1, "byType": {"Text": 1}}
    assert doc["sessions"][2]["firstReplySeconds"] is None
    assert doc["total"]["medianResponseSeconds"] == 30.0
    assert doc["total"]["totalDurationSeconds"] == 540.0
    assert doc["total"]["unanswered"] == 2


def test_ndjson_has_a_line_per_session_then_the_total() -> None:
    lines = [json.loads(line) for line in render("ndjson", several()).splitlines()]
    assert [(r["kind"], r.get("id")) for r in lines] == [
        ("session", "S1"), ("session", "S2"), ("session", "S3"), ("total", None)]
    assert lines[-1]["sessions"] == 3


def test_plain_rows_have_fixed_columns() -> None:
    rows = [line.split("\t") for line in render("plain", several()).splitlines()]
    assert rows[0] == ["session", "S1", "Chatting", "2026-01-01T10:00:00.000+00:00", "500",
                       "13", "4", "3", "2", "20", "45", "70", "300", "1"]
    assert rows[2][9:] == ["", "", "", "0", "1"]  # S3: nothing measured, one open wait
    assert rows[3] == ["total", "3", "", "", "540", "17", "6", "4", "3", "25", "30", "70",
                       "300", "2"]


def test_table_shows_sessions_summary_and_counts() -> None:
    text = render("table", several())
    lines = text.splitlines()
    row = next(line for line in lines if line.startswith("S1 "))
    assert row.split() == ["S1", "Chatting", "4", "3", "20s", "45s", "1m", "10s", "5m",
                           "00s*", "8m", "20s"]
    assert "Response time  median 30s, longest 1m 10s (over 3 replies)" in text
    assert "Length         median 40s, longest 8m 20s, total 9m 00s" in text
    assert "Messages       17 (customer 6, agent 4, replies 3)" in text
    assert "* unanswered: no agent reply after" in text
    assert "\x1b" not in text  # --color never


def test_table_for_one_session_lists_participants_and_makes_server_text_inert() -> None:
    hostile = dict(CUSTOMER, nickname="[bold]Eve[/] \x1b]0;pwned\x07")
    s = session_stats({"id": "S\x1b[2J"}, [msg("Text", hostile, 0), msg("Text", AGENT, 4.25)])
    text = render("table", [s], color=True)
    assert "\x1b]0;" not in text and "\x1b[2J" not in text
    assert "[bold]Eve[/]" in text  # markup shown as typed, never interpreted
    assert "\\x1b]0;pwned\\x07" in text
    assert "Messages by participant" in text and "4.2s" in text


@pytest.mark.parametrize(("seconds", "shown"), [
    (None, "-"), (0.0, "0.0s"), (4.25, "4.2s"), (9.96, "10s"), (59.4, "59s"), (60, "1m 00s"),
    (3599, "59m 59s"), (3600, "1h 00m"), (90061, "1d 01h"),
])
def test_format_seconds(seconds: float | None, shown: str) -> None:
    assert format_seconds(seconds) == shown


# -- end to end: the emulator over HTTP --------------------------------------------------------


@pytest.fixture
def stats_emulator() -> Iterator[Emulator]:
    emu = Emulator(users={"demo": "demo"}, state=EmulatorState()).start()
    emu.state.add_session({"id": "S1", "state": "Chatting", "participants": [AGENT, CUSTOMER]})
    for raw in CONVERSATION:
        emu.state.append_message("S1", raw, notify=False)
    emu.state.add_session({"id": "S2", "state": "Completed", "participants": []})
    for raw in (msg("Text", CUSTOMER, 0), msg("Text", AGENT, 30),
                msg("TranscriptSaveDone", None, 40, index=-1)):
        emu.state.append_message("S2", raw, notify=False)
    try:
        yield emu
    finally:
        emu.stop()


def test_stats_through_the_real_client_and_emulator(stats_emulator: Emulator) -> None:
    client = GwsClient(stats_emulator.url, "demo", "demo")
    try:
        computed = [session_stats(client.get_session(sid), client.iter_messages(sid, page_size=3))
                    for sid in ("S1", "S2")]
    finally:
        client.close()
    first, second = computed
    assert first.response_times == [20.0, 70.0]
    assert (first.longest_wait, first.duration, first.messages) == (300.0, 500.0, 13)
    assert (second.state, second.customers, second.by_role) == (
        "Completed", ["C"], {"Customer": 1, "Agent": 1, "System": 1})
    doc = json.loads(render("json", computed))
    assert doc["total"]["medianResponseSeconds"] == 30.0
    assert doc["total"]["messages"] == 16


@pytest.fixture
def stats_cli(cli):  # type: ignore[no-untyped-def]
    """The in-process CLI, as registered in smscli.cli.main."""
    return cli


def test_the_command_prints_json_for_all_sessions(stats_cli, stats_emulator: Emulator) -> None:
    result = stats_cli("--server", stats_emulator.url, "--user", "demo", "sessions", "stats",
                       "--json", env={"SMSCLI_PASSWORD": "demo"})
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    doc = result.json()
    assert [s["id"] for s in doc["sessions"]] == ["S1", "S2"]
    assert doc["sessions"][0]["longestWaitSeconds"] == 300.0
    assert doc["total"]["replies"] == 3


def test_the_command_takes_ids_and_states(stats_cli, stats_emulator: Emulator) -> None:
    base = ("--server", stats_emulator.url, "--user", "demo", "sessions", "stats")
    env = {"SMSCLI_PASSWORD": "demo"}
    plain = stats_cli(*base, "S2", "S2", "-o", "plain", env=env)
    assert plain.code == 0, plain.stderr
    assert [line.split("\t")[:2] for line in plain.stdout.splitlines()] == [
        ["session", "S2"], ["total", "1"]]
    chatting = stats_cli(*base, "--state", "chatting", "-o", "ndjson", env=env)
    assert [json.loads(line).get("id") for line in chatting.stdout.splitlines()] == ["S1", None]
    table = stats_cli(*base, "S1", "-o", "table", "--color", "never", env=env)
    rows = [line.split() for line in table.stdout.splitlines()]
    assert ["Agent", "Sam", "P2", "6", "3", "2", "1"] in rows  # messages, text, typing, events
    assert ["External", "PoD", "service", "P3", "1", "1", "0", "0"] in rows
    missing = stats_cli(*base, "NOPE", "--json", env=env)
    assert missing.code != 0 and missing.stdout == ""
    assert "NOPE" in missing.stderr


def test_help_has_examples(stats_cli) -> None:
    result = stats_cli("sessions", "stats", "--help")
    assert result.code == 0
    examples = result.stdout.split("Examples:", 1)[1].strip().splitlines()
    assert examples and all(line.strip().startswith("smscli ") for line in examples)
