"""Pager, progress and help: what a person at a terminal sees."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from smscli.emulator import Emulator
from smscli.emulator.faults import Faults

LONG = "0000La9E3HVT00ZR"
REPO = Path(__file__).resolve().parents[2]


def on_terminal(argv: list[str], env: dict[str, str], timeout: float = 30) -> tuple[int, bytes]:
    """Run argv with a pseudo-terminal as its stdin, stdout and stderr; returns (code, screen)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-m", "smscli", *argv], env)
    screen = b""
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            os.kill(pid, 9)
            raise AssertionError(f"no output for {timeout}s: {screen[-500:]!r}")
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        screen += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), screen


@pytest.fixture
def tty_env(clean_env, emulator):
    return {**clean_env, "SMSCLI_SERVER": emulator.url, "SMSCLI_USER": "demo",
            "SMSCLI_PASSWORD": "demo", "COLUMNS": "120", "LINES": "40"}


def test_a_long_table_on_a_terminal_goes_through_the_pager(tty_env, tmp_path):
    paged = tmp_path / "paged.txt"
    pager = f"sh -c 'cat > {paged}'"
    code, screen = on_terminal(["messages", LONG], {**tty_env, "SMSCLI_PAGER": pager})
    assert code == 0
    text = paged.read_text()
    assert text.count("\n") > 2000 and "TIME" in text.splitlines()[0]
    assert b"TypingStarted" not in screen  # it went to the pager, not the screen


def test_pager_variables_and_no_pager(tty_env, tmp_path):
    paged = tmp_path / "paged.txt"
    via_pager_env = {**tty_env, "SMSCLI_PAGER": "", "PAGER": f"sh -c 'cat > {paged}'"}
    code, screen = on_terminal(["messages", LONG, "--limit", "5"], via_pager_env)
    assert code == 0 and not paged.exists() and b"TIME" in screen  # empty SMSCLI_PAGER: none
    code, _ = on_terminal(["messages", LONG, "--limit", "5"],
                          {**tty_env, "PAGER": f"sh -c 'cat > {paged}'"})
    assert code == 0 and paged.exists()  # PAGER when SMSCLI_PAGER is unset
    paged.unlink()
    code, screen = on_terminal(["messages", LONG, "--limit", "5", "--no-pager"],
                               {**tty_env, "PAGER": f"sh -c 'cat > {paged}'"})
    assert code == 0 and not paged.exists() and b"TIME" in screen
    code, screen = on_terminal(["messages", LONG, "--limit", "5"], {**tty_env, "PAGER": "cat"})
    assert code == 0 and b"TIME" in screen


def test_no_pager_for_empty_output(tty_env, tmp_path, emulator):
    emulator.state.add_session({"id": "0000EMPTYSESSION", "state": "Chatting",
                                "participants": [], "capabilities": [], "userData": {}})
    marker = tmp_path / "started"
    code, screen = on_terminal(["messages", "0000EMPTYSESSION"],
                               {**tty_env, "SMSCLI_PAGER": f"sh -c 'touch {marker}; cat'"})
    assert code == 0 and b"No messages." in screen and not marker.exists()


def test_a_pager_closed_early_exits_0(tty_env):
    code, screen = on_terminal(["messages", LONG], {**tty_env, "SMSCLI_PAGER": "head -3"})
    assert code == 0
    assert b"Traceback" not in screen and b"Error" not in screen


def test_piped_output_never_pages(clean_env, emulator, tmp_path):
    paged = tmp_path / "paged.txt"
    env = {**clean_env, "SMSCLI_SERVER": emulator.url, "SMSCLI_USER": "demo",
           "SMSCLI_PASSWORD": "demo", "SMSCLI_PAGER": f"sh -c 'cat > {paged}'"}
    proc = subprocess.run([sys.executable, "-m", "smscli", "messages", LONG, "-o", "table"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0 and not paged.exists() and proc.stdout.count("\n") > 2000


def test_progress_on_a_terminal_stderr_for_a_slow_dump(clean_env):
    faults = Faults(seed=1)
    faults.configure(delay_s=0.06, paths={"/api/v2/me/smssessions/"})
    with Emulator(users={"demo": "demo"}, seed=1, faults=faults) as emu:
        env = {**clean_env, "SMSCLI_PASSWORD": "demo"}
        argv = [sys.executable, "-m", "smscli", "--server", emu.url, "--user", "demo",
                "messages", LONG, "-o", "ndjson", "--page-size", "100"]
        master, slave = os.openpty()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, env=env)
        os.close(slave)
        out, _ = proc.communicate(timeout=60)
        err = b""
        while select.select([master], [], [], 0.5)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        os.close(master)
    assert proc.returncode == 0 and out.count(b"\n") > 2000
    assert re.search(rb"\r[\d,]+ messages fetched \([\d,]+/s\)", err), err[:300]
    assert err.endswith(b"\r\x1b[K")  # the progress line is wiped at the end


def test_no_progress_when_stderr_is_not_a_terminal(run_cli, emulator):
    result = run_cli("--server", emulator.url, "--user", "demo", "messages", LONG, "-o",
                     "ndjson", "--page-size", "50", env={"SMSCLI_PASSWORD": "demo"})
    assert result.code == 0 and result.stderr == ""
