"""The follow through every fault the emulator can inject: the output is the transcript, once."""

from __future__ import annotations

import time

import pytest
from followkit import FAULT_SCENARIOS as SCENARIOS
from followkit import SESSION, Run, add_session, transcript, wait_for

from smscli.emulator import Emulator, EmulatorState
from smscli.emulator.faults import Faults
from smscli.emulator.traffic import TrafficGenerator
from smscli.follow.engine import FollowOptions
from smscli.follow.live import Pacing

# Cycle through faults quickly: the floors that protect a real server would make these tests
# wait seconds per fault (tests/client/test_hostile_network.py holds the real floors).
FAST_PACING = Pacing(min_idle=0.05, idle_check=0.2)

MINIMUM = {"mixed": 50}
PERIODIC = {"forget_clients", "expire_sessions", "mixed"}


def injected(faults: Faults) -> int:
    return sum(faults.injected.values())


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_follow_survives(scenario: str) -> None:
    faults = Faults(seed=sum(map(ord, scenario)))
    with Emulator(users={"demo": "demo"}, state=EmulatorState(), faults=faults,
                  cometd_timeout_ms=400, seed=3) as emu:
        add_session(emu, history=20)
        traffic = TrafficGenerator(emu.state, rate=100, seed=5, faults=faults)
        run = Run(emu, FollowOptions(backoff_base=0.01, backoff_cap=0.05, pacing=FAST_PACING))
        wait_for(lambda: len(run.items) >= 20, what="history")
        faults.configure(**SCENARIOS[scenario])
        needed = MINIMUM.get(scenario, 12)
        steps = 0
        while injected(faults) < needed or steps < 60:
            assert steps < 3000, f"only {faults.injected} after {steps} messages"
            for _ in range(3):  # bursts, so that one long-poll reply carries several events
                traffic.step()
            steps += 3
            if scenario in PERIODIC and steps % 15 == 0:
                if scenario == "forget_clients" or (scenario == "mixed" and steps % 30):
                    faults.forget_clients()
                else:
                    faults.expire_sessions()
            time.sleep(0.01)
        faults.reset()
        emu.state.set_state(SESSION, "Completed")
        run.join(timeout=60)
        expected = transcript(emu)
    print(f"{scenario}: {len(expected)} messages, faults {faults.injected}")
    assert run.messages() == expected, faults.injected
    assert len(expected) >= 80
    assert injected(faults) >= needed
    if scenario in ("drop", "error", "forget_clients", "expire_sessions"):
        assert not run.follower.live_events or run.follower.channel.bayeux is not None
        if scenario != "expire_sessions":
            assert any("retrying" in n or "forgot" in n for n in run.notes), run.notes[:5]


@pytest.mark.slow
def test_cli_follow_against_a_faulty_emulator_process(clean_env) -> None:
    """The whole product: `emulator serve` with every fault on, `messages -f` as a process."""
    import json
    import subprocess
    import sys

    import requests
    from followkit import LineReader, wait_for

    serve = subprocess.Popen(
        [sys.executable, "-m", "smscli", "emulator", "serve", "--port", "0", "--seed", "3",
         "--rate", "20", "--cometd-timeout", "0.5", "--drop-rate", "0.05", "--error-rate",
         "0.05", "--duplicate-rate", "0.2", "--reorder-rate", "0.3", "--silent-rate", "0.2",
         "--restart-every", "3", "--expire-every", "4"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=clean_env)
    try:
        url = serve.stdout.readline().strip()  # type: ignore[union-attr]
        session = "0000Na9B26EF002G"
        follow = subprocess.Popen(
            [sys.executable, "-m", "smscli", "--server", url, "--user", "demo", "messages",
             session, "-f", "-o", "ndjson"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env={**clean_env, "SMSCLI_PASSWORD": "demo"})
        out, err = LineReader(follow.stdout), LineReader(follow.stderr)

        def recoveries() -> int:
            return sum("retrying" in line or "forgot" in line for line in err.lines)

        # A busy session, with faults, while the follow runs: (restarts and expiries every
        # few seconds, so that the follow completes cycles in between and keeps up; every
        # second, it spent its time in a growing back-off and printed almost nothing.)
        wait_for(lambda: (len(out.lines) >= 35 and recoveries() >= 3) or follow.poll() is not None,
                 60, "35 messages and 3 recoveries")
        http = requests.Session()
        http.auth = ("demo", "demo")

        def insist(call):  # type: ignore[no-untyped-def]
            # The test's own requests meet the same faults: retry until one goes through.
            for _ in range(50):
                try:
                    response = call()
                    if response.status_code == 200:
                        return response.json()
                except (requests.RequestException, ValueError):
                    pass
                http.cookies.clear()
            raise AssertionError("the emulator never answered")

        def complete() -> None:
            # A dropped answer may hide a Complete that worked: the next one is then refused
            # (400, not valid in this state), and the state read below tells.
            for _ in range(50):
                try:
                    answer = http.post(base, json={"operationName": "Complete"})
                    if answer.status_code in (200, 400):
                        return
                except requests.RequestException:
                    pass
                http.cookies.clear()
            raise AssertionError("the emulator never answered the Complete")

        base = f"{url}/api/v2/me/smssessions/{session}"
        while insist(lambda: http.get(base))["smssession"]["state"] != "Completed":
            complete()
        assert follow.wait(60) == 0
        out.thread.join(10)
        expected = insist(lambda: http.get(base + "/messages"))["messages"]
        err.thread.join(10)
        assert [json.loads(line) for line in out.lines] == expected, err.lines[-20:]
        assert len(expected) > 30
        assert recoveries() >= 3, err.lines
        assert not any("Traceback" in line for line in err.lines), err.lines
    finally:
        serve.terminate()
        serve.wait(10)


@pytest.mark.parametrize("order", ["reply-first", "middle", "events-first"])
def test_events_and_connect_reply_in_any_order(order: str) -> None:
    with Emulator(users={"demo": "demo"}, state=EmulatorState(), cometd_timeout_ms=300,
                  cometd_reply_order=order) as emu:
        add_session(emu, history=2)
        run = Run(emu, FollowOptions(backoff_base=0.01))
        wait_for(lambda: len(run.items) == 2)
        traffic = TrafficGenerator(emu.state, rate=100, seed=1)
        for _ in range(20):
            for _ in range(4):
                traffic.step()
            time.sleep(0.01)
        emu.state.set_state(SESSION, "Completed")
        run.join()
        assert run.messages() == transcript(emu)
        assert run.follower.live_events > 0  # it really went through CometD


def test_a_long_poll_that_outlives_the_advice_is_treated_as_dead() -> None:
    faults = Faults(seed=1)
    with Emulator(users={"demo": "demo"}, state=EmulatorState(), cometd_timeout_ms=200,
                  faults=faults) as emu:
        add_session(emu, history=1)
        run = Run(emu, FollowOptions(backoff_base=0.01, backoff_cap=0.02,
                                     pacing=Pacing(watchdog_margin=0.3)))
        wait_for(lambda: len(run.items) == 1)
        # The server now answers nothing for 3 s: well past its 0.2 s advice plus the margin.
        faults.configure(delay_s=3.0, paths={"/api/v2/notifications"})
        wait_for(lambda: any("timed out" in n for n in run.notes), what="the watchdog")
        faults.reset()
        TrafficGenerator(emu.state, rate=100, seed=1).step()
        emu.state.set_state(SESSION, "Completed")
        run.join()
        assert run.messages() == transcript(emu)
