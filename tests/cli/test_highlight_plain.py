"""--highlight in plain output: painted only for a person at a terminal (or --color always),
never in a pipe; the marks are our SGR codes around text that is already inert, so taking
them away gives back the plain output byte for byte, hostile sessions included."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from smscli.emulator import Emulator
from smscli.emulator.hostile import HOSTILE_SESSION_IDS
from tests.conftest import VENDOR_SESSION

SGR = re.compile(r"\x1b\[[0-9;]*m")
MARK = "\x1b[30;43m"  # black on yellow: HIGHLIGHT


@pytest.fixture
def hostile() -> Iterator[list[str]]:
    with Emulator(users={"demo": "demo"}, scenario="hostile") as emu:
        yield ["--server", emu.url, "--user", "demo"]


def test_piped_plain_is_never_marked(cli, server_args, password_env):
    plain = cli(*server_args, "messages", VENDOR_SESSION, "-o", "plain", env=password_env)
    marked = cli(*server_args, "messages", VENDOR_SESSION, "-o", "plain", "--highlight",
                 "sim", env=password_env)
    assert marked.code == 0 and "\x1b" not in marked.stdout
    assert marked.stdout == plain.stdout and "SIM" in plain.stdout


@pytest.mark.parametrize("how", ["terminal", "always"])
def test_plain_on_a_terminal_marks_every_match_case_insensitively(cli, server_args,
                                                                  password_env, how):
    args = [*server_args, "messages", VENDOR_SESSION, "-o", "plain"]
    plain = cli(*args, env=password_env)
    extra, terminal = (([], (True, True)) if how == "terminal"
                       else (["--color", "always"], None))
    marked = cli(*args, "--highlight", "sim", *extra, env=password_env, terminal=terminal)
    assert marked.code == 0
    assert f"{MARK}SIM\x1b[0m" in marked.stdout
    assert SGR.sub("", marked.stdout) == plain.stdout
    lines = [line for line in plain.stdout.splitlines() if "sim" in line.lower()]
    assert sum(MARK in line for line in marked.stdout.splitlines()) == len(lines) > 0


def test_color_never_keeps_plain_unmarked_on_a_terminal(cli, server_args, password_env):
    marked = cli(*server_args, "messages", VENDOR_SESSION, "-o", "plain", "--highlight", "sim",
                 "--color", "never", env=password_env, terminal=(True, True))
    assert marked.code == 0 and "\x1b" not in marked.stdout


@pytest.mark.parametrize("session_id", HOSTILE_SESSION_IDS)
def test_hostile_text_marked_in_plain_stays_inert(cli, hostile, password_env, session_id):
    """Patterns that match inside the escapes as shown ("x1b", "[2J", a backslash): the only
    ESC bytes are our own SGR, and without them the output is the unmarked one."""
    args = [*hostile, "messages", session_id, "-o", "plain"]
    plain = cli(*args, env=password_env)
    marked = cli(*args, "--highlight", "x1b", "--highlight", "[2J", "--highlight", "\\",
                 "--highlight-regex", r"\\u[0-9a-f]{4}", "--color", "always", env=password_env)
    assert marked.code == 0, marked.stderr
    assert SGR.sub("", marked.stdout) == plain.stdout
    assert "\x1b" not in SGR.sub("", marked.stdout)
    assert "\x9b" not in marked.stdout and "\x07" not in marked.stdout
