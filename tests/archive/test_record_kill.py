"""``smscli record`` killed with SIGKILL at random moments, five times, while the server talks,
sessions arrive and complete, and the follow's faults fire: restarted each time, the archive
ends up equal to the server's transcripts, nothing lost and nothing twice."""

from __future__ import annotations

import json
import random
import time

import pytest
from test_record import Recording, add, archived, caught_up, new_emulator, query, transcripts

from smscli.emulator.faults import Faults
from smscli.emulator.traffic import TrafficGenerator

FAULTS = {"drop_rate": 0.05, "error_rate": 0.08, "delay_range": (0.0, 0.01),
          "duplicate_rate": 0.2, "reorder_rate": 0.3, "silent_rate": 0.2}
SESSIONS = [f"0000RECK{n:03d}" for n in range(1, 5)]


@pytest.mark.slow
def test_killed_five_times_the_archive_equals_the_server(cli, clean_env, tmp_path):
    path = tmp_path / "archive.sqlite3"
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    faults = Faults(seed=seed)
    emu = new_emulator(faults)
    traffic = TrafficGenerator(emu.state, rate=40, seed=seed, faults=faults, lifecycle_every=1.5)
    kills = []
    try:
        for session_id in SESSIONS:
            add(emu, session_id, history=3)
        faults.configure(**FAULTS)
        traffic.start()
        for round_ in range(5):
            run = Recording(emu, clean_env, path)
            if round_ % 2:
                faults.forget_clients()
            else:
                faults.expire_sessions()
            moment = rng.uniform(0.5, 2.5)  # at start-up, mid-catch-up, mid-write, idle
            time.sleep(moment)
            run.kill()
            kills.append((round_, round(moment, 2), len(run.err.lines)))
        traffic.stop()
        faults.reset()
        completed = [sid for sid in emu.state.session_ids()
                     if emu.state.get_session(sid)["state"] == "Completed"]
        last = Recording(emu, clean_env, path)
        last.wait(lambda: caught_up(path, emu), f"the archive to catch up (seed {seed})",
                  timeout=45)
        assert last.interrupt() == 0, last.err.lines
        expected = transcripts(emu)
        sessions = {sid: emu.state.get_session(sid) for sid in expected}
    finally:
        traffic.stop()
        emu.stop()
    run_was = (f"seed {seed}, kills {kills}, faults {faults.injected}, "
               f"{sum(map(len, expected.values()))} messages in {len(expected)} sessions")
    assert len(expected) > len(SESSIONS) and completed, run_was  # sessions came, and ended
    assert sum(faults.injected.values()) >= 5, run_was
    kept = archived(path)
    assert kept == {sid: messages for sid, messages in expected.items() if messages}, run_was
    env = {"SMSCLI_ARCHIVE": str(path)}
    for session_id, messages in expected.items():
        shown = cli("history", "messages", session_id, "-o", "json", env=env)
        assert shown.code == 0 and json.loads(shown.stdout) == messages, (session_id, run_was)
    for session_id in completed:
        detail = cli("history", "show", session_id, "-o", "json", env=env)
        assert detail.code == 0, detail.stderr
        assert json.loads(detail.stdout)["state"] == "Completed"
        assert json.loads(detail.stdout) == json.loads(json.dumps(sessions[session_id]))
    # The archive's own bookkeeping: one row per message identity, states once per change.
    assert query(path, "SELECT count(*) FROM messages")[0][0] == sum(map(len, kept.values()))
    for session_id in completed:
        states = [s for (s,) in query(path, "SELECT c.state FROM state_changes c JOIN sessions "
                                      "s USING (sid) WHERE s.id = ? ORDER BY c.at, c.rowid",
                                      session_id)]
        assert states[-1] == "Completed" and states.count("Completed") == 1, states
