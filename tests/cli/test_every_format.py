"""Every command in every output format, piped and on a terminal, with and without --follow:
each exits as documented and prints something of that format. The terminal runs are in this
process (main(terminal=...) makes the Output believe stdout and stderr are terminals); the
pty tests elsewhere prove the same against a real terminal. This is the guard against a
writer that lacks a method of its protocol (once: ``--follow --json`` crashed)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from smscli.emulator import Emulator
from tests.conftest import REPO, VENDOR_SESSION

COMPLETED = "0000Wa9CAM6W00FF"  # Completed: a follow prints the history and ends at once
FORMATS = [["-o", "table"], ["-o", "plain"], ["-o", "json"], ["-o", "ndjson"], ["--json"]]
COMMANDS = {
    "sessions list": ["sessions", "list"],
    "sessions show": ["sessions", "show", VENDOR_SESSION],
    "sessions stats": ["sessions", "stats", VENDOR_SESSION],
    "messages": ["messages", VENDOR_SESSION],
    "messages --follow": ["messages", COMPLETED, "--follow"],
    "messages --follow --no-history": ["messages", COMPLETED, "--follow", "--no-history"],
    "doctor": ["doctor"],
    "config show": ["config", "show"],
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """conftest's demo server, built once for the module: every command here only
    reads, and building the demo's sessions each time cost more than most of the tests."""
    with Emulator(users={"demo": "demo"}, seed=7, traffic_rate=0.0) as emu:
        yield emu


def _check_format(fmt: list[str], stdout: str, follow: bool) -> None:
    """What came back is of the format asked for: JSON that parses, or lines of text."""
    name = "json" if fmt == ["--json"] else fmt[1]
    if follow and name == "json":
        name = "ndjson"  # a follow never ends, so its json is a record per line
    if name == "json":
        json.loads(stdout)
    elif name == "ndjson":
        lines = stdout.splitlines()
        assert lines
        for line in lines:
            assert isinstance(json.loads(line), dict)
    else:
        with pytest.raises(ValueError):
            json.loads(stdout)


@pytest.mark.parametrize("terminal", [None, (True, True)], ids=["piped", "terminal"])
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: " ".join(f))
@pytest.mark.parametrize("command", list(COMMANDS), ids=str)
def test_every_command_in_every_format(cli, emulator, server_args, password_env, command, fmt,
                                       terminal) -> None:
    args = COMMANDS[command]
    result = cli(*server_args, *args, *fmt, env={**password_env, "SMSCLI_PAGER": ""},
                 terminal=terminal)
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    assert result.code == 0, result.stderr
    follow = "--follow" in args
    if "--no-history" in args:  # a finished session with no history wanted: no message
        lines = result.stdout.splitlines()
        assert lines == [] or (fmt == ["-o", "table"] and len(lines) == 1
                               and re.sub(r"\x1b\[[0-9;]*m", "", lines[0]).split()[:2] == ["#", "TIME"])
        assert "Completed" in result.stderr
        return
    assert result.stdout.strip(), f"{command} {fmt} printed nothing"
    _check_format(fmt, result.stdout, follow)


@pytest.mark.parametrize("terminal", [None, (True, True)], ids=["piped", "terminal"])
@pytest.mark.parametrize("where", ["global", "local"])
def test_the_chat_view_is_a_table_and_refuses_machine_formats(cli, emulator, server_args,
                                                              password_env, terminal,
                                                              where) -> None:
    chat = ["messages", VENDOR_SESSION, "--view", "chat"]
    env = {**password_env, "SMSCLI_PAGER": ""}
    shown = cli(*server_args, *chat, env=env, terminal=terminal)
    assert shown.code == 0 and shown.stdout.strip()
    flag = ["-o", "ndjson"]
    args = [*server_args, *flag, *chat] if where == "global" else [*server_args, *chat, *flag]
    refused = cli(*args, env=env, terminal=terminal)
    assert refused.code == 2
    assert refused.stdout == ""
    assert "--view chat" in refused.stderr and "ndjson" in refused.stderr


@pytest.mark.parametrize("terminal", [None, (True, True)], ids=["piped", "terminal"])
def test_a_table_on_a_terminal_is_coloured_and_piped_is_not(cli, emulator, server_args,
                                                            password_env, terminal) -> None:
    result = cli(*server_args, "messages", VENDOR_SESSION, "-o", "table",
                 env={**password_env, "SMSCLI_PAGER": ""}, terminal=terminal)
    assert result.code == 0
    assert ("\x1b[" in result.stdout) is (terminal is not None)


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: " ".join(f))
def test_sessions_watch_in_every_format_until_ctrl_c(clean_env, emulator, server_args,
                                                     password_env, fmt) -> None:
    """A watch never ends by itself: it runs piped until its first change is out, then
    Ctrl-C ends it with 0 and what it printed is of the format asked for."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "smscli", *server_args, "sessions", "watch", "--poll",
         "--interval", "0.2", *fmt],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        env={**clean_env, **password_env}, cwd=REPO)
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        assert first.strip(), proc.stderr.read()  # type: ignore[union-attr]
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "internal error" not in err and "Traceback" not in err
    if fmt[-1] in ("json", "ndjson", "--json"):
        for line in (first + rest).splitlines():
            assert isinstance(json.loads(line), dict)
    else:
        with pytest.raises(ValueError):
            json.loads(first)
