"""`sessions watch`: every change to the agent's sessions reported once, through faults too."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest
from followkit import FAST, LineReader, wait_for

from smscli.client import GwsClient
from smscli.emulator import Emulator, EmulatorState
from smscli.emulator.faults import Faults
from smscli.emulator.operations import apply
from smscli.follow.live import Pacing
from smscli.follow.watch import Change, Watcher, WatchOptions

CUSTOMER = {"type": "Customer", "nickname": "Cleo", "participantId": "00AA00000000C001"}
SMSCLI = [sys.executable, "-m", "smscli"]  # the real entry point, as a user runs it


def new_emulator(faults: Faults | None = None) -> Emulator:
    return Emulator(users={"demo": "demo"}, state=EmulatorState(), cometd_timeout_ms=300,
                    faults=faults)


def add(emu: Emulator, session_id: str, state: str, messages: int = 0,
        participants: list | None = None) -> None:
    emu.state.add_session({"id": session_id, "state": state,
                           "participants": [CUSTOMER] if participants is None else participants,
                           "userData": {}})
    for n in range(messages):
        say(emu, session_id, f"history {n}")


def say(emu: Emulator, session_id: str, text: str, notify: bool = True) -> None:
    emu.state.append_message(session_id, {"type": "Text", "text": text, "from": CUSTOMER},
                             notify=notify)


def accept(emu: Emulator, session_id: str) -> None:
    status, _ = apply(emu.state, session_id, {"operationName": "Accept"}, "demo")
    assert status == 200


def remove(emu: Emulator, session_id: str) -> None:
    assert emu.state.remove_session(session_id)


class WatchRun:
    """A Watcher in a thread, collecting its changes and notes."""

    def __init__(self, emu: Emulator, options: WatchOptions | None = None) -> None:
        self.client = GwsClient(emu.url, "demo", "demo", FAST)
        self.changes: list[Change] = []
        self.notes: list[str] = []
        self.error: BaseException | None = None
        # A bounded number of retries: a watch the test no longer reads ends once its
        # emulator is gone, instead of backing off in the background for the rest of the run.
        self.watcher = Watcher(self.client, options or WatchOptions(
            backoff_base=0.01, backoff_cap=0.05, max_retries=50), self.notes.append)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        changes = self.watcher.run()
        try:
            for change in changes:
                self.changes.append(change)
                if self._stop.is_set():
                    return
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            changes.close()
            self.watcher.close()
            self.client.close()

    def records(self, *, merge_messages: bool = True) -> list[tuple]:
        """(kind, id, detail); consecutive messages records of one session merged into one."""
        out: list[tuple] = []
        for c in self.changes:
            if c.kind == "messages" and merge_messages and out and out[-1][:2] == (
                    "messages", c.session_id):
                out[-1] = ("messages", c.session_id, out[-1][2] + c.count)
                continue
            detail = {"added": c.initial, "state": (c.previous_state, _state(c)),
                      "messages": c.count}.get(c.kind)
            out.append((c.kind, c.session_id, detail))
        return out

    def others(self) -> list[tuple]:
        return [r for r in self.records() if r[0] != "messages"]

    def wait(self, predicate: Callable[[], bool], what: str) -> None:
        def done() -> bool:
            if self.error:
                raise self.error
            return predicate()

        wait_for(done, timeout=15, what=f"{what}; got {self.records()[-6:]}")

    def stop(self) -> None:
        self._stop.set()


def _state(change: Change) -> str:
    return change.session["state"]


def check_message_counts(run: WatchRun, expected: dict[str, int]) -> None:
    """Each session's messages reported once: counts add up, totals rise one record at a time."""
    for session_id, wanted in expected.items():
        total = 0
        for c in run.changes:
            if c.session_id == session_id and c.kind == "messages":
                assert c.count > 0
                total += c.count
                assert c.new_messages == total
        assert total == wanted, (session_id, total, wanted)
    assert not [c for c in run.changes if c.kind == "messages" and c.session_id not in expected]


@pytest.mark.slow
def test_the_watch_reports_every_kind_of_change() -> None:
    with new_emulator() as emu:
        add(emu, "0000WATCHA", "Chatting", messages=2)
        add(emu, "0000WATCHB", "Completed", messages=1, participants=[])
        run = WatchRun(emu)
        run.wait(lambda: len(run.changes) == 2 and run.watcher.ready, "the initial list")
        assert run.records() == [("added", "0000WATCHA", True), ("added", "0000WATCHB", True)]
        assert run.changes[0].session["participants"][0]["nickname"] == "Cleo"

        say(emu, "0000WATCHA", "one")
        say(emu, "0000WATCHA", "two")
        run.wait(lambda: run.records()[-1] == ("messages", "0000WATCHA", 2), "two messages")
        add(emu, "0000WATCHC", "Invited", messages=1)  # no notification: found on the list
        run.wait(lambda: ("messages", "0000WATCHC", 1) in run.records(), "a new session")
        accept(emu, "0000WATCHC")  # state, participants, and the whole history replayed
        run.wait(lambda: ("messages", "0000WATCHC", 1) == run.records()[-1]
                 and len(run.records()) == 8, "the accept")
        emu.state.set_state("0000WATCHA", "LeftChat")
        run.wait(lambda: len(run.records()) == 9, "LeftChat")
        say(emu, "0000WATCHA", "last words")
        emu.state.set_state("0000WATCHA", "Completed")
        run.wait(lambda: len(run.records()) == 11, "Completed")
        remove(emu, "0000WATCHB")
        run.wait(lambda: len(run.records()) == 12, "the removal")
        time.sleep(0.8)  # two idle long-polls and their re-reads: nothing more to report
        run.stop()

    assert run.records() == [
        ("added", "0000WATCHA", True),
        ("added", "0000WATCHB", True),
        ("messages", "0000WATCHA", 2),
        ("added", "0000WATCHC", False),
        ("messages", "0000WATCHC", 1),  # a session that arrives: all its messages are new
        ("state", "0000WATCHC", ("Invited", "Chatting")),
        ("participants", "0000WATCHC", None),
        ("messages", "0000WATCHC", 1),  # ParticipantJoined; the replayed history is not new
        ("state", "0000WATCHA", ("Chatting", "LeftChat")),
        ("messages", "0000WATCHA", 1),  # reported before the end it came before
        ("state", "0000WATCHA", ("LeftChat", "Completed")),
        ("removed", "0000WATCHB", None),
    ]
    check_message_counts(run, {"0000WATCHA": 3, "0000WATCHC": 2})
    participants = next(c for c in run.changes if c.kind == "participants").session["participants"]
    assert {p["type"] for p in participants} == {"Customer", "Agent"}
    assert run.watcher.live_events > 0  # driven by CometD, not by the idle re-reads alone


FAULTS = {
    "drop_and_error": {"drop_rate": 0.1, "error_rate": 0.1},
    "forget_and_expire": {},
    "mixed": {"drop_rate": 0.05, "error_rate": 0.05, "duplicate_rate": 0.3,
              "reorder_rate": 0.4},
}


@pytest.mark.parametrize("scenario", list(FAULTS))
def test_the_watch_survives_faults_and_reports_each_change_once(scenario: str) -> None:
    faults = Faults(seed=sum(map(ord, scenario)))
    with new_emulator(faults) as emu:
        add(emu, "0000FAULTA", "Chatting", messages=3)
        add(emu, "0000FAULTB", "Invited", messages=1)
        add(emu, "0000FAULTX", "Completed", participants=[])
        # Faults cycle quickly with short floors (tests/client/test_hostile_network.py holds the real).
        run = WatchRun(emu, WatchOptions(backoff_base=0.01, backoff_cap=0.05, max_retries=50,
                                         pacing=Pacing(min_idle=0.05, idle_check=0.2)))
        run.wait(lambda: len(run.changes) == 3 and run.watcher.ready, "the initial list")
        faults.configure(**FAULTS[scenario])
        sent = step = 0
        # At least 60 messages, and on until at least 6 faults have hit the watch's requests
        # (the watch paces itself after failures, so how long that takes varies).
        while step < 60 or (sum(faults.injected.values()) < 6 and step < 3000):
            step += 1
            say(emu, "0000FAULTA", f"busy {step}", notify=scenario != "mixed" or step % 4 > 0)
            sent += 1
            if scenario != "drop_and_error" and step % 15 == 7:
                faults.forget_clients()
            if scenario == "forget_and_expire" and step % 15 == 14:
                faults.expire_sessions()
            time.sleep(0.02)
        add(emu, "0000FAULTC", "Chatting", messages=2)
        run.wait(lambda: ("added", "0000FAULTC", False) in run.records(), "a new session")
        accept(emu, "0000FAULTB")
        run.wait(lambda: ("participants", "0000FAULTB", None) in run.records(), "the accept")
        emu.state.set_state("0000FAULTA", "LeftChat")
        run.wait(lambda: run.others()[-1][0:2] == ("state", "0000FAULTA"), "LeftChat")
        say(emu, "0000FAULTA", "last words")
        sent += 1
        emu.state.set_state("0000FAULTA", "Completed")
        run.wait(lambda: run.others()[-1] == ("state", "0000FAULTA", ("LeftChat", "Completed")),
                 "Completed")
        remove(emu, "0000FAULTX")
        run.wait(lambda: run.others()[-1] == ("removed", "0000FAULTX", None), "the removal")
        injected = faults.injected
        faults.reset()
        time.sleep(0.8)  # quiet again: whatever was still owed is reported, nothing twice
        run.stop()

    print(f"{scenario}: faults {injected}; notes {run.notes[:4]}")
    assert sum(injected.values()) >= 6, injected
    assert run.others() == [
        ("added", "0000FAULTA", True),
        ("added", "0000FAULTB", True),
        ("added", "0000FAULTX", True),
        ("added", "0000FAULTC", False),
        ("state", "0000FAULTB", ("Invited", "Chatting")),
        ("participants", "0000FAULTB", None),
        ("state", "0000FAULTA", ("Chatting", "LeftChat")),
        ("state", "0000FAULTA", ("LeftChat", "Completed")),
        ("removed", "0000FAULTX", None),
    ]
    check_message_counts(run, {"0000FAULTA": sent, "0000FAULTB": 1, "0000FAULTC": 2})
    completed = run.changes.index(next(c for c in run.changes if c.kind == "state"
                                       and _state(c) == "Completed"))
    assert not [c for c in run.changes[completed:] if c.kind == "messages"
                and c.session_id == "0000FAULTA"]
    assert any("retrying" in n or "forgot" in n for n in run.notes), run.notes[:5]


def test_polling_reports_the_same_changes() -> None:
    with new_emulator() as emu:
        add(emu, "0000POLLA", "Chatting", messages=1)
        run = WatchRun(emu, WatchOptions(poll=True, interval=0.05, max_retries=50))
        run.wait(lambda: len(run.changes) == 1 and run.watcher.ready, "the initial list")
        for n in range(5):
            say(emu, "0000POLLA", f"m{n}", notify=False)
        run.wait(lambda: ("messages", "0000POLLA", 5) in run.records(), "the messages")
        add(emu, "0000POLLB", "Invited")
        run.wait(lambda: len(run.others()) == 2, "the new session")
        emu.state.set_state("0000POLLA", "Completed")
        run.wait(lambda: len(run.others()) == 3, "the changes")
        time.sleep(0.3)
        run.stop()
    assert run.records() == [("added", "0000POLLA", True), ("messages", "0000POLLA", 5),
                             ("added", "0000POLLB", False),
                             ("state", "0000POLLA", ("Chatting", "Completed"))]
    assert run.watcher.channel.bayeux is None and run.notes == []


def test_max_retries_gives_up_with_a_network_error() -> None:
    from smscli.errors import NetworkError

    emu = new_emulator().start()
    add(emu, "0000RETRYA", "Chatting")
    run = WatchRun(emu, WatchOptions(max_retries=2, backoff_base=0.01, backoff_cap=0.02))
    run.wait(lambda: len(run.changes) == 1, "the initial list")
    emu.stop()
    run.thread.join(15)
    assert isinstance(run.error, NetworkError) and "gave up after 3" in run.error.message
    assert len([n for n in run.notes if "retrying" in n]) == 2


# -- the command, as a process ------------------------------------------------------------------


@pytest.fixture
def watch_env(clean_env):  # type: ignore[no-untyped-def]
    with new_emulator() as emu:
        env = {**clean_env, "SMSCLI_SERVER": emu.url, "SMSCLI_USER": "demo",
               "SMSCLI_PASSWORD": "demo", "COLUMNS": "160", "LINES": "40"}
        yield emu, env


def test_piped_it_writes_one_ndjson_record_per_change(watch_env) -> None:  # type: ignore[no-untyped-def]
    emu, env = watch_env
    add(emu, "0000PIPEA", "Chatting", messages=2)
    proc = subprocess.Popen([*SMSCLI, "sessions", "watch"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        out = LineReader(proc.stdout)
        wait_for(lambda: len(out.lines) == 1, what="the first record")
        # Its first long-poll follows the first read of every transcript: new messages count.
        wait_for(lambda: emu.cometd.connects >= 1, what="the watch's first long-poll")
        say(emu, "0000PIPEA", "hello \x1b[31m")
        wait_for(lambda: len(out.lines) == 2, what="the messages record")  # flushed at once
        emu.state.set_state("0000PIPEA", "Completed")
        wait_for(lambda: len(out.lines) == 3, what="the state record")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        proc.kill()
    records = [json.loads(line) for line in out.lines]
    assert [(r["change"], r["session"], r["state"]) for r in records] == [
        ("added", "0000PIPEA", "Chatting"), ("messages", "0000PIPEA", "Chatting"),
        ("state", "0000PIPEA", "Completed")]
    assert records[0]["initial"] is True and records[0]["smssession"]["id"] == "0000PIPEA"
    assert (records[1]["count"], records[1]["newMessages"]) == (1, 1)
    assert records[2]["previousState"] == "Chatting"
    assert records[2]["smssession"]["capabilities"] == []
    assert records[2]["time"].endswith("+00:00")
    assert proc.stderr.read() == ""  # type: ignore[union-attr]


def test_help_has_examples(watch_env) -> None:  # type: ignore[no-untyped-def]
    _, env = watch_env
    proc = subprocess.run([*SMSCLI, "sessions", "watch", "--help"],
                          capture_output=True, text=True, env=env, timeout=30,
                          check=False)
    assert proc.returncode == 0
    examples = proc.stdout.split("Examples:", 1)[1]
    assert all(line.strip().startswith("smscli ") for line in examples.strip().splitlines())


def read_screen(fd: int, screen: bytearray, until: Callable[[bytes], bool],
                timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not until(bytes(screen)):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError(f"screen never showed it: {bytes(screen)[-600:]!r}")
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            return
        screen += chunk


def test_on_a_terminal_the_table_is_redrawn_and_ctrl_c_exits_0(watch_env) -> None:  # type: ignore[no-untyped-def]
    emu, env = watch_env
    add(emu, "0000TTYA", "Chatting", messages=1,
        participants=[{**CUSTOMER, "nickname": "\x1b]0;owned\x07Eve[bold]"}])
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [*SMSCLI, "sessions", "watch"], env)
    screen = bytearray()
    try:
        read_screen(fd, screen, lambda s: b"0000TTYA" in s and b"Ctrl-C to stop" in s)
        wait_for(lambda: emu.cometd.connects >= 1, what="the watch's first long-poll")
        say(emu, "0000TTYA", "hi")
        emu.state.set_state("0000TTYA", "LeftChat")
        # The row's CHANGED cell names the latest change, "state" or "messages" (both came):
        # the new state on the screen is the redraw.
        read_screen(fd, screen, lambda s: b"LeftChat" in s)
        os.kill(pid, signal.SIGINT)
        read_screen(fd, screen, lambda s: False)  # to the end of its output
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    text = bytes(screen)
    assert os.waitstatus_to_exitcode(status) == 0, text[-600:]
    assert text.count(b"\x1b[?25l") >= 1  # the cursor was hidden for the redraws...
    assert text.rfind(b"\x1b[?25h") > text.rfind(b"\x1b[?25l")  # ...and is back
    assert b"Traceback" not in text
    assert b"\x1b]0;owned" not in text and b"\\x1b]0;owned\\x07" in text  # inert, visible
    assert b"Eve[bold]" in text  # markup is text
