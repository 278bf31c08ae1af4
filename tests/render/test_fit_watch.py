"""``sessions watch`` in a real pseudo-terminal: every line fits, rows stay one line each."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
import unicodedata

import pytest

SGR = re.compile(rb"\x1b\[[0-9;]*m")
# What ends a line on the screen: a newline, a carriage return, or any cursor movement or
# erase (Rich Live moves up and clears lines to redraw).
BREAK = re.compile(rb"\r|\n|\x1b\[[0-9;?]*[A-Za-ln-z]")


def cells(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) or ch in "\u200d\ufe0f" else
               2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def watch_on_terminal(env: dict[str, str], columns: int, lines: int,
                      until: bytes = b"messages", timeout: float = 30) -> bytes:
    """Run ``smscli --demo sessions watch`` on a pty of that size until ``until`` shows
    (a change came in), then Ctrl-C; returns everything it wrote."""
    env = {**env, "COLUMNS": str(columns), "LINES": str(lines)}
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of exactly this size
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        os.execve(sys.executable, [sys.executable, "-m", "smscli", "--demo", "sessions",
                                   "watch"], env)
    screen = b""
    deadline = time.monotonic() + timeout
    interrupted = False
    try:
        while True:
            if not interrupted and b"Ctrl-C to stop" in screen and until in screen:
                os.kill(pid, signal.SIGINT)
                interrupted = True
                deadline = time.monotonic() + 15
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"watch did not finish: {screen[-800:]!r}")
            if not select.select([fd], [], [], left)[0]:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            screen += chunk
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, screen[-800:]
    return screen


def screen_lines(screen: bytes) -> list[str]:
    text = SGR.sub(b"", screen)
    return [piece.decode("utf-8", "replace") for piece in BREAK.split(text) if piece]


@pytest.fixture
def demo_env(clean_env):
    return dict(clean_env)


def test_at_80_columns_every_line_fits_and_received_is_relative(demo_env) -> None:
    screen = watch_on_terminal(demo_env, 80, 30)
    lines = screen_lines(screen)
    assert max(cells(line) for line in lines) <= 80, max(lines, key=cells)
    header = next(line for line in lines if line.startswith("ID "))
    assert "STATE" in header and "CHANGED" in header and "RECEIVED" in header
    assert "CAPS" not in header  # left out first when the width runs out
    rows = [line for line in lines if line.startswith("0000")]
    assert rows and all("Chatting" in row or "Invited" in row or "LeftChat" in row
                        or "Completed" in row for row in rows)  # STATE whole, one line
    assert any(" ago" in row or "just now" in row for row in rows)  # as sessions list says
    assert not any(re.search(r"\d{4}-\d\d-\d\d", row) for row in rows)
    assert "\x1b" not in SGR.sub(b"", screen).decode().replace("\x1b[", "")


def test_at_120_columns_every_column_is_shown(demo_env) -> None:
    lines = screen_lines(watch_on_terminal(demo_env, 120, 30))
    header = next(line for line in lines if line.startswith("ID "))
    assert header.split() == ["ID", "STATE", "CUSTOMER", "AGENTS", "RECEIVED", "CAPS", "NEW",
                              "CHANGED"]
    assert max(cells(line) for line in lines) <= 120


def test_at_60_columns_the_least_useful_columns_go(demo_env) -> None:
    lines = screen_lines(watch_on_terminal(demo_env, 60, 30))
    header = next(line for line in lines if line.startswith("ID "))
    assert header.split() == ["ID", "STATE", "NEW", "CHANGED"]
    assert max(cells(line) for line in lines) <= 60


def test_when_the_height_runs_out_a_line_says_how_many_more(demo_env) -> None:
    # 6 demo sessions on 8 lines: header, rule, 3 rows, "+3 more sessions", footer, a spare.
    lines = screen_lines(watch_on_terminal(demo_env, 80, 8))
    assert "+3 more sessions" in lines
    assert max(cells(line) for line in lines) <= 80


def test_the_hostile_scenario_fits_and_stays_inert(demo_env) -> None:
    env = {**demo_env, "SMSCLI_DEMO_SCENARIO": "hostile"}
    screen = watch_on_terminal(env, 80, 30, until=b"0000HOSTILE00005")
    lines = screen_lines(screen)
    assert max(cells(line) for line in lines) <= 80, max(lines, key=cells)
    assert b"\x1b]" not in screen and b"\x1b[2J" not in screen  # no OSC, no clear screen
