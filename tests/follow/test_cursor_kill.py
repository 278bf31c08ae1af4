"""A follow with --cursor-file that dies at any moment resumes with nothing lost.

The cursor is written only once the consumer took the message and came back for the next
one, that is after the message was printed. A death between the two can print that one
message again on resume (the only repeat possible); a cursor written before the print would
lose it instead, which is worse, and is what these tests catch.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from followkit import FAST, SESSION, add_session, say, transcript, wait_for

from smscli.client import GwsClient
from smscli.emulator import Emulator
from smscli.follow.engine import Follower, FollowOptions


def test_a_consumer_that_dies_before_printing_loses_nothing(emulator, tmp_path: Path) -> None:
    """The consumer takes message k from the follower and dies before printing it (the
    generator is closed at the yield): the next run starts with message k."""
    add_session(emulator, history=6)
    emulator.state.set_state(SESSION, "Completed")  # each run ends once it caught up
    expected = [m["text"] for m in transcript(emulator)]
    for dies_at in range(len(expected)):
        cursor = tmp_path / f"cursor-{dies_at}.json"
        printed: list[str] = []
        for _attempt in range(2):
            client = GwsClient(emulator.url, "demo", "demo", FAST)
            follower = Follower(client, SESSION,
                                FollowOptions(poll=True, interval=0.05, cursor_path=cursor),
                                lambda note: None)
            items = follower.run()
            try:
                for item in items:
                    if not _attempt and len(printed) == dies_at:
                        break  # took it, never printed it
                    printed.append(item.data["text"])
            finally:
                items.close()
                follower.close()
                client.close()
        assert printed == expected, f"died at message {dies_at}"


class RawLines:
    """Reads a pipe in a thread, keeping only whole lines (a line cut by a kill was not
    printed)."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            if line.endswith("\n"):
                self.lines.append(line[:-1])


def follow_process(clean_env: dict, emu: Emulator, cursor: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "smscli", "--server", emu.url, "--user", "demo", "messages",
         SESSION, "--follow", "-o", "ndjson", "--interval", "0.1", "--cursor-file",
         str(cursor)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**clean_env, "SMSCLI_PASSWORD": "demo"})


@pytest.mark.slow
def test_sigkill_at_random_moments_then_resume_prints_the_transcript(clean_env, emulator,
                                                                     tmp_path: Path) -> None:
    add_session(emulator, history=3)
    cursor = tmp_path / "cursor.json"
    rng = random.Random(16)
    stop = threading.Event()

    def talk() -> None:
        n = 0
        while not stop.is_set():
            say(emulator, f"live {n}", notify=n % 4 != 0)  # some only a transcript read finds
            n += 1
            stop.wait(0.01)

    talker = threading.Thread(target=talk, daemon=True)
    talker.start()
    runs: list[list[dict]] = []
    try:
        for _ in range(10):
            proc = follow_process(clean_env, emulator, cursor)
            out = RawLines(proc.stdout)
            wait_for(lambda out=out: len(out.lines) >= 1, timeout=30, what="a printed message")
            stop.wait(rng.uniform(0.0, 0.3))  # then die at some moment while messages arrive
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            out.thread.join(10)
            runs.append([json.loads(line) for line in out.lines])
    finally:
        stop.set()
        talker.join(5)
    emulator.state.set_state(SESSION, "Completed")
    proc = follow_process(clean_env, emulator, cursor)
    out = RawLines(proc.stdout)
    assert proc.wait(30) == 0
    out.thread.join(10)
    runs.append([json.loads(line) for line in out.lines])

    # The runs one after the other are the transcript; the only repeat allowed is a killed
    # run's last line printed again first by the next run (killed between print and save).
    union: list[dict] = []
    repeats = 0
    for run in runs:
        if union and run and run[0] == union[-1]:
            run = run[1:]
            repeats += 1
        union.extend(run)
    assert [m["index"] for m in union] == [m["index"] for m in transcript(emulator)]
    assert union == transcript(emulator)
    assert sum(bool(run) for run in runs[:-1]) == 10 and repeats <= 10
