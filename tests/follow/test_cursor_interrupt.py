"""A Ctrl-C that lands while a follow saves its cursor takes effect after the save.

The cursor records a line already printed; a save cut short by KeyboardInterrupt left the
previous position, and the next run printed that line again (seen under load in
test_follow.py::test_cursor_file_via_the_cli)."""

from __future__ import annotations

import json
import os
import signal
import threading

import pytest

from smscli.files import interrupt_deferred
from smscli.follow.cursor import Cursor


def test_a_ctrl_c_inside_the_block_is_raised_when_it_ends() -> None:
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with interrupt_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # bytecodes in which Python would run the handler
                pass
            steps.append("after the signal")
    assert steps == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_a_ctrl_c_nothing_happens_and_the_handler_is_put_back() -> None:
    with interrupt_deferred():
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_cursor_save_interrupted_half_way_is_whole(tmp_path) -> None:
    """The interrupt is sent from inside the write (when it asks for the file's directory,
    before the temporary file is made): the moment the old code lost the save."""

    class Interrupting(type(tmp_path)):  # type: ignore[misc]
        @property
        def parent(self):  # type: ignore[override]
            os.kill(os.getpid(), signal.SIGINT)
            return super().parent

    path = Interrupting(tmp_path / "c.json")
    with pytest.raises(KeyboardInterrupt):
        Cursor(path, "S").save(7, {("a", "1"), ("b", "2")})
    again = Cursor.load(tmp_path / "c.json", "S")
    assert (again.last_index, again.tail_keys) == (7, {("a", "1"), ("b", "2")})
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]  # no temporary file left


def test_outside_the_main_thread_the_block_just_runs() -> None:
    seen = []

    def work() -> None:
        with interrupt_deferred():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(5)
    assert seen == [signal.default_int_handler]


_PRINTED_THEN_CTRL_C = r"""
import json, os, signal, sys
sys.path.insert(0, "tests")
from followkit import SESSION, add_session
from smscli.emulator import Emulator, EmulatorState
import smscli.render.machine as machine
from smscli.cli.main import main

emu = Emulator(users={"demo": "demo"}, state=EmulatorState(), cometd_timeout_ms=300).start()
add_session(emu, history=3)
original = machine.NdjsonStream.message

def message(self, raw):
    original(self, raw)  # printed (and flushed: a live stream)
    if raw.get("index") == 2:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C right after the line, before the save

machine.NdjsonStream.message = message
cursor = sys.argv[1]
code = main(["--server", emu.url, "--user", "demo", "messages", SESSION, "-f", "-o",
             "ndjson", "--cursor-file", cursor])
emu.stop()
saved = json.loads(open(cursor).read())["lastIndex"] if os.path.exists(cursor) else None
print("exit", code, "cursor at", saved, file=sys.stderr)
"""


def test_a_ctrl_c_right_after_a_printed_line_leaves_the_cursor_on_that_line(tmp_path) -> None:
    """Printing a line and recording it in the cursor are one step for a Ctrl-C."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", _PRINTED_THEN_CTRL_C, str(tmp_path / "c.json")],
                          capture_output=True, text=True, timeout=60, cwd=repo,
                          env={**os.environ, "SMSCLI_PASSWORD": "demo"})
    texts = [json.loads(line)["text"] for line in done.stdout.splitlines()]
    assert texts == ["history 0", "history 1"], done
    assert done.stderr.splitlines()[-1] == "exit 130 cursor at 2", done.stderr
