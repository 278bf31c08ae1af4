"""Every human view fits the terminal: no line wider than 60, 80 or 120 columns.

The display width of each line is measured independently of smscli (east-asian wide and
full-width characters count 2, combining marks 0), with colour on and off, over the demo's
sessions and the hostile scenario's.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from smscli.emulator import Emulator
from smscli.emulator.hostile import HOSTILE_SESSION_IDS

SGR = re.compile(r"\x1b\[[0-9;]*m")
WIDTHS = (60, 80, 120)


def display_width(line: str) -> int:
    """Terminal cells of one line: wide characters 2, combining and zero-width ones 0."""
    bare = SGR.sub("", line)
    assert "\x1b" not in bare, f"a raw escape that is not SGR: {line!r}"
    if bare.isascii() and bare.isprintable():  # most lines: one cell per character
        return len(bare)
    cells = 0
    for ch in bare.expandtabs(8):
        if unicodedata.combining(ch) or ch in "\u200d\ufe0f":
            continue
        cells += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return cells


def widest(text: str) -> tuple[int, str]:
    lines = text.splitlines() or [""]
    line = max(lines, key=display_width)
    return display_width(line), line


def test_display_width_counts_wide_characters_twice() -> None:
    assert display_width("ab") == 2
    assert display_width("\x1b[1m🌸\x1b[0m中") == 4  # colour codes take no cells
    assert display_width("e\u0301") == 1


def views(session_ids: list[str], limits: dict[str, int] | None = None) -> list[list[str]]:
    found = [["sessions", "list"], ["sessions", "stats"]]
    for session_id in session_ids:
        limit = ["--limit", str(limits[session_id])] if session_id in (limits or {}) else []
        found += [["sessions", "show", session_id], ["sessions", "stats", session_id],
                  ["messages", session_id, "--no-pager", *limit],
                  ["messages", session_id, "--no-pager", "--view", "chat", *limit],
                  ["messages", session_id, "--no-pager", "--view", "chat", "--typing", *limit]]
    return found


# The demo's long session (2,400 messages) goes round the same 13 exchanges of dialogue
# (emulator/scenario.py, DIALOGUE; their numbers have fixed digit counts), so its first 300
# messages hold every line of it three times over: the views at every width and colour read
# those, and test_the_long_transcript_fits_whole reads all of it once, at the narrowest width.
LONG_SESSION = "0000La9E3HVT00ZR"
LONG_LIMIT = 300


@pytest.fixture(scope="module")
def emulator():
    """conftest's demo server, built once for the module: every view here only reads."""
    with Emulator(users={"demo": "demo"}, seed=7, traffic_rate=0.0) as emu:
        yield emu


@pytest.fixture(scope="module")
def hostile_emulator():
    with Emulator(users={"demo": "demo"}, scenario="hostile") as emu:
        yield emu


def check_all(cli, server: list[str], session_ids: list[str], width: int,
              color: str, limits: dict[str, int] | None = None) -> int:
    checked = 0
    for argv in views(session_ids, limits):
        result = cli(*server, *argv, "-o", "table", "--color", color,
                     env={"COLUMNS": str(width), "SMSCLI_PASSWORD": "demo"})
        assert result.code == 0, (argv, result.stderr)
        size, line = widest(result.stdout)
        assert size <= width, f"{' '.join(argv)} at {width} columns: {size}: {line!r}"
        checked += result.stdout.count("\n")
    return checked


@pytest.mark.parametrize("color", ["never", "always"])
@pytest.mark.parametrize("width", WIDTHS)
def test_demo_views_fit(cli, emulator, width: int, color: str) -> None:
    ids = [s["id"] for s in emulator.state.list_sessions()]
    assert len(ids) >= 5 and LONG_SESSION in ids
    lines = check_all(cli, ["--server", emulator.url, "--user", "demo"], ids, width, color,
                      {LONG_SESSION: LONG_LIMIT})
    assert lines > 500  # the transcripts were really rendered


@pytest.mark.parametrize("view", [[], ["--view", "chat", "--typing"]], ids=["table", "chat"])
def test_the_long_transcript_fits_whole(cli, emulator, view: list[str]) -> None:
    result = cli("--server", emulator.url, "--user", "demo", "messages", LONG_SESSION,
                 "--no-pager", *view, "-o", "table", "--color", "always",
                 env={"COLUMNS": "60", "SMSCLI_PASSWORD": "demo"})
    assert result.code == 0, result.stderr
    size, line = widest(result.stdout)
    assert size <= 60, f"{LONG_SESSION} {view} at 60 columns: {size}: {line!r}"
    assert result.stdout.count("\n") > 2400  # every message, not the first pages


@pytest.mark.parametrize("color", ["never", "always"])
@pytest.mark.parametrize("width", WIDTHS)
def test_hostile_views_fit(cli, hostile_emulator, width: int, color: str) -> None:
    server = ["--server", hostile_emulator.url, "--user", "demo"]
    assert check_all(cli, server, list(HOSTILE_SESSION_IDS), width, color) > 100


@pytest.mark.parametrize("width", WIDTHS)
def test_the_demo_flag_fits_too(run_cli, width: int) -> None:
    """The built-in demo, as a new user runs it, through a real process."""
    for argv in (["messages", "0000Wa9CAM6W00FN"], ["sessions", "list"],
                 ["messages", "0000Wa9CAM6W00FN", "--view", "chat"]):
        result = run_cli("--demo", *argv, "-o", "table", "--color", "always",
                         env={"COLUMNS": str(width)})
        assert result.code == 0, result.stderr
        size, line = widest(result.stdout)
        assert size <= width, f"{argv} at {width}: {size}: {line!r}"


@pytest.mark.parametrize("color", ["never", "always"])
@pytest.mark.parametrize("width", WIDTHS)
def test_doctor_fits(cli, emulator, width: int, color: str) -> None:
    """Every verdict, its detail and its hint wrap inside the terminal, passing or failing."""
    cases = [(["--server", emulator.url, "--user", "demo"], "demo", 0),
             (["--server", emulator.url, "--user", "demo"], "wrong", 4),
             (["--server", "http://127.0.0.1:9", "--user", "x"], "x", 6)]
    for server, password, code in cases:
        result = cli(*server, "doctor", "-o", "table", "--color", color,
                     env={"COLUMNS": str(width), "SMSCLI_PASSWORD": password})
        assert result.code == code, result.stderr
        assert result.stdout.count("\n") >= 3
        size, line = widest(result.stdout)
        assert size <= width, f"doctor at {width}: {size}: {line!r}"


@pytest.mark.parametrize("width", WIDTHS)
def test_config_show_fits(cli, tmp_path, width: int) -> None:
    """Long values, values without a space to break at and wide characters all fit."""
    bundle = tmp_path / ("证书" * 20) / ("x" * 150) / "ca.pem"
    result = cli("--server", "https://gws.example.com/" + "a" * 90, "--ca-bundle", str(bundle),
                 "--tz", "America/Argentina/ComodRivadavia", "config", "show", "-o", "table",
                 env={"COLUMNS": str(width)})
    assert result.code == 0, result.stderr
    assert "ca_bundle" in result.stdout and "--ca-bundle)" in result.stdout
    size, line = widest(result.stdout)
    assert size <= width, f"config show at {width}: {size}: {line!r}"
    plain = cli("--ca-bundle", str(bundle), "config", "show", "-o", "plain").stdout
    assert f"ca_bundle\t{bundle}\t(flag --ca-bundle)" in plain.splitlines()  # one line each
