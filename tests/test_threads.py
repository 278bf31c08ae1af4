"""smscli's background threads leave Ctrl-C to the main thread (smscli/threads.py).

A SIGINT that the kernel hands to a helper thread is seen late by Python, and does not cut
short the main thread's blocking read; while the main thread blocks SIGINT (the recorder's
commit), every SIGINT went to a helper. A `record` in CI once ran on for 30 s after Ctrl-C.
"""

from __future__ import annotations

import ast
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from smscli import threads
from smscli.client import GwsClient
from smscli.emulator import Emulator, EmulatorState

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="no signal masks")


def _blocked_in(thread: threading.Thread) -> set[int]:
    """The signals a running thread blocks, as the kernel has them (/proc)."""
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    mask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigBlk:")),
               16)
    return {number for number in range(1, 65) if mask >> (number - 1) & 1}


def test_a_started_thread_blocks_the_outside_signals_and_the_caller_keeps_its_mask() -> None:
    before = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    release = threading.Event()
    thread = threads.start(release.wait, "smscli-test")
    try:
        blocked = _blocked_in(thread)
    finally:
        release.set()
        thread.join(5)
    assert {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGWINCH} <= blocked
    assert signal.SIGSEGV not in blocked and signal.SIGPIPE not in blocked
    assert signal.pthread_sigmask(signal.SIG_BLOCK, ()) == before
    assert thread.daemon and thread.name == "smscli-test"


def test_the_deadline_thread_of_a_real_request_blocks_ctrl_c() -> None:
    emu = Emulator(users={"demo": "demo"}, state=EmulatorState()).start()
    try:
        GwsClient(emu.url, "demo", "demo").list_sessions()
    finally:
        emu.stop()
    watchdogs = [t for t in threading.enumerate() if t.name == "smscli-deadline"]
    assert watchdogs, "no deadline thread after a request"
    assert signal.SIGINT in _blocked_in(watchdogs[0])


_PROBE = r"""
import os, signal, sys, threading, time
from smscli import threads
release = threading.Event()
if sys.argv[1] == "plain":
    threading.Thread(target=release.wait, daemon=True).start()
else:
    threads.start(release.wait, "smscli-probe")
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # as the recorder's commit does
try:  # another thread that takes the signal has it within milliseconds
    os.kill(os.getpid(), signal.SIGINT)
    deadline = time.monotonic() + 0.5
    while signal.SIGINT in signal.sigpending() and time.monotonic() < deadline:
        time.sleep(0.01)
    print("pending" if signal.SIGINT in signal.sigpending() else "taken by another thread",
          flush=True)
except KeyboardInterrupt:  # Python ran the handler there, and raised here while blocked
    print("taken by another thread", flush=True)
    sys.exit()
try:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    for _ in range(10 ** 7):
        pass
except KeyboardInterrupt:
    print("interrupted at the unblock", flush=True)
"""


@pytest.mark.parametrize("kind", ["smscli", "plain"])
def test_a_ctrl_c_during_a_blocked_moment_waits_for_the_main_thread(kind: str) -> None:
    """With smscli's threads the SIGINT stays pending until the main thread unblocks it, and
    arrives there; a plain thread (the control) takes it meanwhile."""
    done = subprocess.run([sys.executable, "-c", _PROBE, kind], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    lines = done.stdout.splitlines()
    if kind == "smscli":
        assert lines == ["pending", "interrupted at the unblock"], (lines, done.stderr)
    else:
        assert lines[0] == "taken by another thread", (lines, done.stderr)


def test_no_module_starts_a_thread_but_through_threads_start() -> None:
    """The emulator (a test server, never in a CLI run's way) may; nothing else may."""
    offenders = []
    for path in sorted((REPO / "smscli").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if relative.startswith("smscli/emulator/") or relative == "smscli/threads.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), relative)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("Thread", "Timer", "start_new_thread")):
                offenders.append(f"{relative}:{node.lineno}")
    assert not offenders, offenders


# A Ctrl-C whose KeyboardInterrupt Python raises inside a finalizer, where it is dropped.
_DROPPER = r"""
import os, signal, sys, threading

class Dropper:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)  # the handler runs in this finalizer
        for _ in range(1000):
            pass
"""

_DROPPED = _DROPPER + r"""
from smscli import threads

remember = sys.argv[1] == "remembered"
with (threads.ctrl_c_remembered() if remember else open(os.devnull)):
    Dropper()
    print("ran on", flush=True)
    try:
        threads.check_ctrl_c()
        print("forgotten", flush=True)
    except KeyboardInterrupt:
        print("remembered", flush=True)
"""


@pytest.mark.parametrize("kind", ["remembered", "plain"])
def test_a_ctrl_c_dropped_in_a_finalizer_is_remembered(kind: str) -> None:
    done = subprocess.run([sys.executable, "-c", _DROPPED, kind], capture_output=True,
                          text=True, timeout=60, cwd=REPO)
    assert done.stdout.splitlines() == ["ran on", "remembered" if kind == "remembered"
                                        else "forgotten"], done
    if kind == "remembered":  # nothing said about the dropped exception: it is not lost
        assert done.stderr == "", done.stderr
    else:
        assert "Exception ignored" in done.stderr and "KeyboardInterrupt" in done.stderr


_TAIL = _DROPPER + r"""
from smscli import threads
from smscli.client import GwsClient
from smscli.emulator import Emulator, EmulatorState
from smscli.follow.tail import Tailer, TailOptions

emu = Emulator(users={"demo": "demo"}, state=EmulatorState(), cometd_timeout_ms=200).start()
emu.state.add_session({"id": "0000DROPPED01", "state": "Chatting", "participants": []})
tailer = Tailer(GwsClient(emu.url, "demo", "demo"), TailOptions(include_final=True),
                lambda line: None)
events = 0
# Without the check, the run goes on idle: this ends it.
timer = threading.Timer(20, lambda: (print("ran on", flush=True), os._exit(0)))
timer.start()
try:
    with threads.ctrl_c_remembered():
        try:
            for event in tailer.run():
                events += 1
                if events == 1:
                    Dropper()  # the Ctrl-C comes, and Python drops it
        except KeyboardInterrupt:
            print(f"stopped after {events} event(s)", flush=True)
finally:
    timer.cancel()
    tailer.close()
    emu.stop()
"""


def test_a_live_engine_stops_at_its_next_wait_after_a_dropped_ctrl_c() -> None:
    done = subprocess.run([sys.executable, "-c", _TAIL], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert done.stdout.splitlines() == ["stopped after 1 event(s)"], done


_CLI = _DROPPER + r"""
import smscli.follow.live as live
from smscli.cli.main import main

waits = []
original = live.LiveChannel.wait

def wait(self):
    waits.append(1)
    if len(waits) == 2:  # a Ctrl-C during the run, dropped by Python
        Dropper()
    return original(self)

live.LiveChannel.wait = wait
timer = threading.Timer(30, lambda: (print("ran on", flush=True), os._exit(3)))
timer.daemon = True
timer.start()
sys.exit(main(["--demo", "tail", "-o", "plain"]))
"""


def test_every_command_remembers_a_dropped_ctrl_c(clean_env) -> None:
    """`smscli tail` ends as at a Ctrl-C (exit 0), though Python dropped the interrupt."""
    done = subprocess.run([sys.executable, "-c", _CLI], capture_output=True, text=True,
                          timeout=60, cwd=REPO, env=clean_env)
    assert done.returncode == 0 and "ran on" not in done.stdout, done
    assert "Exception ignored" not in done.stderr, done.stderr


_REQUEST = r"""
import os, signal, socket, sys, threading, time, traceback
from smscli import threads, transport

server = socket.create_server(("127.0.0.1", 0))
url = f"http://127.0.0.1:{server.getsockname()[1]}/x"
held = []

def serve():
    first, _ = server.accept()  # never answered: the request waits on it
    held.append(first)
    second, _ = server.accept()
    second.recv(65536)
    second.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    second.close()

threading.Thread(target=serve, daemon=True).start()
session = transport.new_session()
limits = transport.Limits(deadline=20)
with threads.ctrl_c_remembered():
    threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    try:
        transport.send(session, "GET", url, limits, where="t", timeout=(5, 20))
        print("answered?", flush=True)
    except KeyboardInterrupt as exc:
        print("interrupted in", traceback.extract_tb(exc.__traceback__)[-1].name,
              "within 5 s" if time.monotonic() - started < 5 else "late", flush=True)
    again = transport.send(session, "GET", url, limits, where="t", timeout=(5, 20))
    print("then", again.status_code, again.content.decode(), flush=True)
"""


def test_a_ctrl_c_during_a_request_ends_it_outside_the_http_library() -> None:
    """The Ctrl-C shuts the request's socket; the KeyboardInterrupt comes from the transport
    (never from inside urllib3, where it once left the pool's lock taken and the clean-up
    waited on it for ever), and the session's pool still works."""
    done = subprocess.run([sys.executable, "-c", _REQUEST], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert done.stdout.splitlines() == ["interrupted in within_limits within 5 s",
                                        "then 200 ok"], done
