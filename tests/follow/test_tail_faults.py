"""`smscli tail` through every fault the follow survives: each session's transcript, once."""

from __future__ import annotations

import json
import subprocess
import time
from collections import defaultdict

import pytest
from followkit import FAULT_SCENARIOS as SCENARIOS
from followkit import STACKS_ON_ABORT, LineReader, interrupt, wait_for
from netkit import FaultProxy
from test_tail import SMSCLI, TailRun, add, new_emulator, options, ready, transcript

from smscli.emulator.faults import Faults
from smscli.emulator.traffic import TrafficGenerator

PERIODIC = {"forget_clients", "expire_sessions", "mixed"}
SESSIONS = [f"0000TAILF{n:03d}" for n in range(1, 5)]


def injected(faults: Faults) -> int:
    return sum(faults.injected.values())


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_tail_survives(scenario: str) -> None:
    """Four sessions talking, sessions arriving, leaving the chat and completing (the demo's
    lifecycle), while faults fire: every session's transcript comes out whole, once."""
    faults = Faults(seed=sum(map(ord, scenario)))
    with new_emulator(faults) as emu:
        for session_id in SESSIONS:
            add(emu, session_id, history=3)
        traffic = TrafficGenerator(emu.state, rate=100, seed=5, faults=faults)
        run = TailRun(emu.url, options(start_history=True))
        run.wait(ready(emu), "the first long-poll")
        faults.configure(**SCENARIOS[scenario])
        steps = 0
        while injected(faults) < 12 or steps < 90:
            assert steps < 3000, f"only {faults.injected} after {steps} messages"
            for _ in range(3):  # bursts: one long-poll reply carries several events
                traffic.step()
            steps += 3
            if steps % 30 == 0:
                traffic.lifecycle_step()  # arrives, leaves the chat, completes, in turn
            if scenario in PERIODIC and steps % 15 == 0:
                if scenario == "forget_clients" or (scenario == "mixed" and steps % 30):
                    faults.forget_clients()
                else:
                    faults.expire_sessions()
            time.sleep(0.01)
        faults.reset()
        for session_id in emu.state.session_ids():
            if emu.state.get_session(session_id)["state"] != "Completed":
                emu.state.set_state(session_id, "Completed")
        every = emu.state.session_ids()
        run.wait(lambda: all("completed" in run.kinds(sid) for sid in every),
                 "every session completed", timeout=60)
        expected = {sid: transcript(emu, sid) for sid in every}
        run.stop()
    print(f"{scenario}: {sum(map(len, expected.values()))} messages, faults {faults.injected}")
    assert len(every) >= len(SESSIONS) + 1  # one arrived at least
    for session_id in every:
        assert run.messages(session_id) == expected[session_id], (session_id, faults.injected)
        kinds = run.kinds(session_id)
        assert kinds[0] == "appeared" and kinds[-1] == "completed"
        assert kinds.count("appeared") == kinds.count("completed") == 1, kinds
    assert sum(map(len, expected.values())) >= 100
    assert injected(faults) >= 12
    if scenario in ("drop", "error", "forget_clients"):
        assert any("retrying" in n or "forgot" in n for n in run.notes), run.notes[:5]


@pytest.mark.slow
def test_the_command_through_a_connection_killing_proxy(clean_env) -> None:
    """`smscli tail` as a process behind a proxy that resets connections, before and in the
    middle of answers: the ndjson lines, per session, are the transcripts."""
    with new_emulator() as emu:
        for session_id in SESSIONS[:3]:
            add(emu, session_id, history=2)
        with FaultProxy(("127.0.0.1", emu.port), rate=0.5, seed=4, lifetime=4) as proxy:
            proc = subprocess.Popen(
                [*SMSCLI, "--server", proxy.url, "--user", "demo", "tail", "--tail", "100",
                 "-o", "ndjson"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env={**clean_env, "SMSCLI_PASSWORD": "demo", "SMSCLI_TIMEOUT": "3",
                     "SMSCLI_DEADLINE": "5", **STACKS_ON_ABORT})
            out, err = LineReader(proc.stdout), LineReader(proc.stderr)
            traffic = TrafficGenerator(emu.state, rate=100, seed=9)
            try:
                for n in range(40):
                    traffic.step()
                    if n == 20:
                        add(emu, "0000TAILFNEW", history=2, announce=True)
                    time.sleep(0.05)
                expected = {sid: transcript(emu, sid) for sid in emu.state.session_ids()}
                total = sum(map(len, expected.values()))
                # The faults go on while the tail catches up, then end: under this rate
                # the resync reads come seconds apart (live.py paces them after failures),
                # and a catch-up under faults to the end took 35 s.
                wait_for(lambda: kills(proxy) >= 8 or proc.poll() is not None, 60, "8 kills")
                proxy.rate, proxy.lifetime = 0.0, None
                wait_for(lambda: len(out.lines) >= total or proc.poll() is not None, 60,
                         f"{total} lines")
                time.sleep(0.5)  # anything printed twice would come now
            finally:
                code = interrupt(proc, err)
            killed = dict(proxy.killed)
    got: dict[str, list] = defaultdict(list)
    for line in out.lines:
        record = json.loads(line)
        got[record.pop("sessionId")].append(record)
    assert code == 0, err.lines[-10:]
    assert dict(got) == expected, (killed, err.lines[-10:])
    assert killed["accept"] + killed["mid"] >= 8, killed


def kills(proxy: FaultProxy) -> int:
    return proxy.killed["accept"] + proxy.killed["mid"]
