"""The messages table and the chat view at a terminal's width: what wraps, and what never does."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from smscli.emulator import Emulator, EmulatorState

SGR = re.compile(r"\x1b\[[0-9;]*m")
SESSION = "0000FITMESSAGES1"
AGENT = {"type": "Agent", "nickname": "Sam", "participantId": "00A1", "visibility": "All"}
CUSTOMER = {"type": "Customer", "nickname": "Eve", "participantId": "00C1", "visibility": "All"}


def lines_of(text: str) -> list[str]:
    return [SGR.sub("", line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def hostile():
    with Emulator(users={"demo": "demo"}, scenario="hostile") as emu:
        yield emu


@pytest.mark.parametrize("width", [60, 67, 80, 93, 120])
@pytest.mark.parametrize("color", ["never", "always"])
def test_a_visible_escape_is_never_split_across_lines(cli, hostile, width: int,
                                                      color: str) -> None:
    shown = []
    for session_id in ("0000HOSTILE00001", "0000HOSTILE00002", "0000HOSTILE00005"):
        for view in ("table", "chat"):
            result = cli("--server", hostile.url, "--user", "demo", "messages", session_id,
                         "-o", "table", "--view", view, "--color", color, "--no-pager",
                         env={"COLUMNS": str(width), "SMSCLI_PASSWORD": "demo"})
            assert result.code == 0, result.stderr
            shown += lines_of(result.stdout)
    text = "\n".join(shown)
    assert "\\x1b[2J" in text and "\\u202e" in text
    for line in shown:
        body = line.rstrip(" \u2502")
        # An escape cut in two would leave "\x1" or "\u20" at the end of a line, or the ESC
        # of a CSI sequence on one line and its parameters on the next.
        assert not re.search(r"\\(x[0-9a-f]?|u[0-9a-f]{0,3})$", body), line
        assert not re.search(r"\\x1b(\[[0-?]*)?$", body), line


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A server with no session but the one add_session puts there (the demo's would cost
    ~50 ms a test to build, and none is read)."""
    with Emulator(users={"demo": "demo"}, state=EmulatorState()) as emu:
        yield emu


def add_session(emulator: Emulator) -> None:
    stamp = "2026-12-01 23:59:{:02d}.000+0000"
    messages = [
        {"index": 1, "type": "ParticipantJoined", "from": CUSTOMER, "visibility": "All",
         "timestamp": stamp.format(1)},
        {"index": 2, "type": "Notice", "from": AGENT, "visibility": "Agents",
         "text": "Customer identified: contact 0000XaB5RF5008Q1 in the CRM of the shop",
         "timestamp": stamp.format(2)},
        {"index": 3, "type": "Text", "from": AGENT, "visibility": "All",
         "text": "word " * 30, "timestamp": stamp.format(3)},
        {"index": 4, "type": "Text", "from": CUSTOMER, "visibility": "All",
         "text": "the next day", "timestamp": "2026-12-02 00:00:05.000+0000"},
    ]
    emulator.state.add_session({"id": SESSION, "state": "Chatting", "participants": [],
                                "capabilities": [], "userData": {}}, messages)


@pytest.mark.parametrize("width", [60, 70, 80, 100, 120])
def test_an_events_time_stays_on_its_line(cli, emulator, width: int) -> None:
    add_session(emulator)
    result = cli("--server", emulator.url, "--user", "demo", "messages", SESSION, "-o", "table",
                 "--view", "chat", "--color", "never",
                 env={"COLUMNS": str(width), "SMSCLI_PASSWORD": "demo"})
    lines = lines_of(result.stdout)
    times = [line for line in lines if re.search(r"\u00b7 23:59:0[12]$", line)]
    assert len(times) == 2, lines  # the join and the notice
    assert all(re.search(r"\w+ \u00b7 23:59", line) for line in times), times
    assert max(len(line) for line in lines) <= width


@pytest.mark.parametrize("width", [60, 80, 120])
def test_the_table_shows_the_date_once_per_day_and_wraps_text_in_its_column(
        cli, emulator, width: int) -> None:
    add_session(emulator)
    result = cli("--server", emulator.url, "--user", "demo", "messages", SESSION, "-o", "table",
                 "--color", "never", env={"COLUMNS": str(width), "SMSCLI_PASSWORD": "demo"})
    lines = lines_of(result.stdout)
    assert lines[0].split() == ["#", "TIME", "FROM", "TYPE", "TEXT"]
    dates = [line.strip() for line in lines if "\u2500" in line]
    assert dates == ["\u2500\u2500\u2500 2026-12-01 \u2500\u2500\u2500",
                     "\u2500\u2500\u2500 2026-12-02 \u2500\u2500\u2500"]
    assert not any("2026-12-0" in line for line in lines if "\u2500" not in line)
    text_start = lines[0].index("TEXT")
    words = [line for line in lines if "word" in line]
    assert len(words) > 1  # wrapped...
    assert all(line.index("word") == text_start for line in words)  # ...inside TEXT
    assert all(len(line) <= width for line in lines)
    joined = next(line for line in lines if line.lstrip().startswith("1 "))
    assert ("Joined" if width < 80 else "ParticipantJoined") in joined.split()
