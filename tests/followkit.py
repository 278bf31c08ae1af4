"""Helpers for follow tests: a session to follow, messages to add, a Follower in a thread."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable

from smscli.client import ClientOptions, GwsClient
from smscli.emulator import Emulator
from smscli.follow.engine import Follower, FollowOptions

SESSION = "0000FOLLOWTEST01"
FAST = ClientOptions(retries=1, backoff=0.01, connect_timeout=2, read_timeout=5)

# The emulator's faults (emulator/faults.py) a live engine must survive, one scenario each;
# forget_clients, expire_sessions and mixed also fire the periodic faults.
FAULT_SCENARIOS = {
    "drop": {"drop_rate": 0.12},
    "error": {"error_rate": 0.2},
    "delay": {"delay_range": (0.0, 0.03)},
    "duplicate": {"duplicate_rate": 0.4},
    "reorder": {"reorder_rate": 0.6},
    "silent": {"silent_rate": 0.35},
    "forget_clients": {},
    "expire_sessions": {},
    "mixed": {"drop_rate": 0.05, "error_rate": 0.08, "delay_range": (0.0, 0.01),
              "duplicate_rate": 0.2, "reorder_rate": 0.3, "silent_rate": 0.2},
}


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)


def add_session(emu: Emulator, history: int = 5, session_id: str = SESSION) -> str:
    customer = {"type": "Customer", "nickname": "Cleo", "participantId": "00AA00000000C001"}
    emu.state.add_session({"id": session_id, "state": "Chatting", "participants": [customer],
                           "capabilities": ["SendMessage", "Complete"], "userData": {}})
    for n in range(history):
        say(emu, f"history {n}", session_id)
    return session_id


def say(emu: Emulator, text: str, session_id: str = SESSION, notify: bool = True) -> dict:
    message = {"type": "Text", "text": text, "from": {"type": "Customer", "nickname": "Cleo",
                                                      "participantId": "00AA00000000C001"}}
    return emu.state.append_message(session_id, message, notify=notify)


def transcript(emu: Emulator, session_id: str = SESSION) -> list[dict]:
    return json.loads(json.dumps(emu.state.messages(session_id, 1, 0)))


class Run:
    """A Follower in a thread, collecting what it would print."""

    def __init__(self, emu: Emulator, options: FollowOptions, session_id: str = SESSION,
                 page_size: int | None = None) -> None:
        client_options = FAST if page_size is None else dataclasses.replace(FAST,
                                                                            page_size=page_size)
        self.client = GwsClient(emu.url, "demo", "demo", client_options)
        self.items: list = []
        self.notes: list[str] = []
        self.error: BaseException | None = None
        self.follower = Follower(self.client, session_id, options, self.notes.append)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for item in self.follower.run():
                self.items.append(item)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            self.follower.close()
            self.client.close()

    def messages(self) -> list:
        return [json.loads(json.dumps(i.data)) for i in self.items if i.kind == "message"]

    def texts(self) -> list[str]:
        return [m.get("text") for m in self.messages()]

    def join(self, timeout: float = 30) -> None:
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the follow did not end"
        if self.error:
            raise self.error


class LineReader:
    """Reads a pipe in a thread so the test can wait for lines without blocking forever."""

    def __init__(self, stream) -> None:  # type: ignore[no-untyped-def]
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            self.lines.append(line.rstrip("\n"))


# A child started with this in its environment prints every thread's stack on SIGABRT.
STACKS_ON_ABORT = {"PYTHONFAULTHANDLER": "1"}


def interrupt(proc: subprocess.Popen, err: LineReader, timeout: float = 30) -> int:
    """Ctrl-C to a child and its exit code. A child still running after ``timeout`` is
    aborted, and the failure shows its stderr: with STACKS_ON_ABORT in its environment,
    where each thread was."""
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        err.thread.join(5)
        tail = "\n".join(err.lines[-80:])
        raise AssertionError(f"still running {timeout:g} s after SIGINT; stderr:\n{tail}") from None
    err.thread.join(5)
    return code
