"""`messages --follow`: history then live, every message once and in order, through faults."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from followkit import SESSION, LineReader, Run, add_session, say, transcript, wait_for

from smscli.emulator import Emulator
from smscli.follow.engine import FollowOptions


def poll_options(**kw) -> FollowOptions:  # type: ignore[no-untyped-def]
    return FollowOptions(poll=True, interval=0.05, backoff_base=0.01, **kw)


# -- engine, polling ---------------------------------------------------------------------------

def test_poll_follow_prints_history_then_live_then_ends_on_completed(emulator):
    add_session(emulator)
    run = Run(emulator, poll_options())
    wait_for(lambda: len(run.items) == 5, what="history")
    for n in range(10):
        say(emulator, f"live {n}")
    emulator.state.set_state(SESSION, "Completed")
    run.join()
    assert run.messages() == transcript(emulator)
    assert any("ended (Completed)" in note for note in run.notes)


def test_tail_and_no_history(emulator):
    add_session(emulator, history=8)
    tail = Run(emulator, poll_options(history="tail", tail=3))
    none = Run(emulator, poll_options(history="none"))
    wait_for(lambda: len(tail.items) == 3, what="tail")
    time.sleep(0.2)  # a few polls: no-history must still print nothing
    assert none.items == []
    say(emulator, "after")
    emulator.state.set_state(SESSION, "Completed")
    tail.join()
    none.join()
    assert tail.texts() == ["history 5", "history 6", "history 7", "after"]
    assert none.texts() == ["after"]


def test_filters_apply_to_history_and_live(emulator):
    add_session(emulator, history=2)
    run = Run(emulator, poll_options(
        wanted=lambda raw: raw.get("type") != "TypingStarted"))
    emulator.state.append_message(SESSION, {"type": "TypingStarted"})
    say(emulator, "typed")
    emulator.state.set_state(SESSION, "Completed")
    run.join()
    assert [m["type"] for m in run.messages()] == ["Text", "Text", "Text"]


def test_already_completed_session_prints_history_and_exits(emulator):
    add_session(emulator, history=3)
    emulator.state.set_state(SESSION, "Completed")
    run = Run(emulator, poll_options())
    run.join()
    assert run.texts() == ["history 0", "history 1", "history 2"]


def test_cursor_file_resumes_without_gap_or_repeat(emulator, tmp_path):
    add_session(emulator, history=4)
    cursor = tmp_path / "cursor.json"
    first = Run(emulator, poll_options(cursor_path=cursor))
    wait_for(lambda: len(first.items) == 4, what="first run")
    first.follower.done = True  # stop it as a user would, between two polls
    first.join()
    assert json.loads(cursor.read_text())["lastIndex"] == 4
    assert oct(cursor.stat().st_mode & 0o777) == "0o600"
    say(emulator, "while away 1")
    say(emulator, "while away 2")
    second = Run(emulator, poll_options(cursor_path=cursor))
    wait_for(lambda: len(second.items) == 2, what="second run")
    say(emulator, "live")
    emulator.state.set_state(SESSION, "Completed")
    second.join()
    assert first.texts() + second.texts() == [m["text"] for m in transcript(emulator)]


def test_max_retries_gives_up_with_a_network_error(emulator):
    from smscli.errors import NetworkError

    add_session(emulator)
    run = Run(emulator, poll_options(max_retries=2))
    wait_for(lambda: len(run.items) == 5)
    emulator.stop()
    run.thread.join(30)
    assert isinstance(run.error, NetworkError) and run.error.exit_code == 6
    assert "gave up after 3 failed attempts" in run.error.message
    assert sum("retrying in" in n for n in run.notes) == 2


# -- the CLI as a process ------------------------------------------------------------------------

def start_follow(clean_env, emu: Emulator, *args: str) -> subprocess.Popen:
    env = {**clean_env, "SMSCLI_PASSWORD": "demo"}
    return subprocess.Popen(
        [sys.executable, "-m", "smscli", "--server", emu.url, "--user", "demo", "messages",
         SESSION, "--follow", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env)


def test_cli_follow_ndjson_until_completed_exits_0(clean_env, emulator):
    add_session(emulator)
    proc = start_follow(clean_env, emulator, "-o", "ndjson", "--interval", "0.1")
    out = LineReader(proc.stdout)
    wait_for(lambda: len(out.lines) == 5, what="history on stdout")
    for n in range(5):
        say(emulator, f"live {n}")
        wait_for(lambda n=n: len(out.lines) == 6 + n, what=f"live {n} on stdout")
    emulator.state.set_state(SESSION, "Completed")
    assert proc.wait(30) == 0
    out.thread.join(5)
    assert [json.loads(line) for line in out.lines] == transcript(emulator)
    stderr = proc.stderr.read()  # type: ignore[union-attr]
    assert "Completed" in stderr and "Traceback" not in stderr


def test_cli_follow_sigint_exits_130_with_a_clean_stream(clean_env, emulator):
    add_session(emulator)
    proc = start_follow(clean_env, emulator, "-o", "ndjson", "--interval", "0.1")
    out = LineReader(proc.stdout)
    wait_for(lambda: len(out.lines) == 5, what="history")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) == 130
    out.thread.join(5)
    assert [json.loads(line)["text"] for line in out.lines] == [f"history {n}"
                                                                for n in range(5)]
    assert "Traceback" not in proc.stderr.read()  # type: ignore[union-attr]


@pytest.mark.skipif(shutil.which("jq") is None and not os.environ.get("CI"),
                    reason="jq is not installed (CI installs it)")
def test_jq_reads_the_ndjson_stream_while_the_follow_runs(clean_env, emulator):
    add_session(emulator, history=1)
    follow = start_follow(clean_env, emulator, "-o", "ndjson", "--no-history",
                          "--interval", "0.1")
    jq = subprocess.Popen(["jq", "--unbuffered", "-r", ".text"], stdin=follow.stdout,
                          stdout=subprocess.PIPE, text=True)
    follow.stdout.close()  # type: ignore[union-attr]
    out = LineReader(jq.stdout)
    # The first long-poll comes once the history was read: from then on a message is new.
    wait_for(lambda: emulator.cometd.connects >= 1, what="the follow's first long-poll")
    for n in range(3):
        say(emulator, f"piped {n}")
        # Each line reaches jq's output while the follow is still running.
        wait_for(lambda n=n: out.lines[-1:] == [f"piped {n}"], what=f"jq line {n}")
        assert follow.poll() is None
    emulator.state.set_state(SESSION, "Completed")
    assert follow.wait(30) == 0 and jq.wait(10) == 0


def test_cli_follow_table_rows_appear_one_by_one(clean_env, emulator):
    add_session(emulator, history=2)
    proc = start_follow(clean_env, emulator, "-o", "table", "--color", "always",
                        "--interval", "0.1")
    out = LineReader(proc.stdout)
    # The header, the date (a separator row, once) and the two messages of the history.
    wait_for(lambda: len(out.lines) == 4, what="header and history")
    assert "TIME" in out.lines[0] and "\u2500" in out.lines[1]
    say(emulator, "one more")
    wait_for(lambda: any("one more" in line for line in out.lines), what="live row")
    emulator.state.set_state(SESSION, "Completed")
    assert proc.wait(30) == 0


def test_follow_rejects_contradictory_options(cli, emulator):
    args = ["--server", emulator.url, "--user", "demo", "messages", SESSION, "-f"]
    env = {"SMSCLI_PASSWORD": "demo"}
    assert cli(*args, "--limit", "3", env=env).code == 2
    assert cli(*args, "--tail", "3", "--no-history", env=env).code == 2


def test_follow_unknown_session_exits_3(cli, emulator):
    result = cli("--server", emulator.url, "--user", "demo", "messages", "0000NOSUCHSESS00",
                 "-f", "--poll", env={"SMSCLI_PASSWORD": "demo"})
    assert result.code == 3


def test_cursor_file_via_the_cli(clean_env, emulator, tmp_path: Path):
    add_session(emulator, history=3)
    cursor = str(tmp_path / "c.json")
    proc = start_follow(clean_env, emulator, "-o", "ndjson", "--interval", "0.1",
                        "--cursor-file", cursor)
    out = LineReader(proc.stdout)
    wait_for(lambda: len(out.lines) == 3)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(30) == 130
    say(emulator, "later")
    emulator.state.set_state(SESSION, "Completed")
    again = start_follow(clean_env, emulator, "-o", "ndjson", "--cursor-file", cursor)
    rest, _ = again.communicate(timeout=30)
    assert again.returncode == 0
    assert [json.loads(line)["text"] for line in rest.splitlines()] == ["later"]


def test_events_are_typed_records_and_notes(emulator):
    add_session(emulator, history=1)
    run = Run(emulator, poll_options(events=True))
    wait_for(lambda: len(run.items) == 1)
    emulator.state.set_state(SESSION, "LeftChat")
    wait_for(lambda: any(i.kind == "event" for i in run.items), what="state event")
    say(emulator, "after leaving")
    emulator.state.set_state(SESSION, "Completed")
    run.join()
    events = [i.data for i in run.items if i.kind == "event"]
    assert [(e["previousState"], e["state"]) for e in events] == [
        ("Chatting", "LeftChat"), ("LeftChat", "Completed")]
    assert all(e["session"] == SESSION and e["smssession"]["id"] == SESSION for e in events)
    assert run.texts() == ["history 0", "after leaving"]
    assert any("Chatting -> LeftChat" in note for note in run.notes)


@pytest.mark.parametrize("fmt", [["-o", "table"], ["-o", "plain"], ["-o", "json"], ["--json"],
                                 ["-o", "ndjson"], ["--view", "chat"], ["--redact", "-o", "json"]])
def test_every_output_format_follows(clean_env, emulator, fmt):
    """Each format has a live stream (json means ndjson there): none may crash."""
    add_session(emulator, history=2)
    proc = start_follow(clean_env, emulator, *fmt, "--interval", "0.1")
    out = LineReader(proc.stdout)
    wait_for(lambda: emulator.cometd.connects >= 1, what="the follow's first long-poll")
    say(emulator, "one more live line")
    wait_for(lambda: any("one more live line" in line for line in out.lines), what="live line")
    emulator.state.set_state(SESSION, "Completed")
    assert proc.wait(30) == 0, proc.stderr.read()  # type: ignore[union-attr]
    if fmt[-1] in ("json", "--json"):
        records = [json.loads(line) for line in out.lines]
        assert [r["text"] for r in records if r.get("type") == "Text"][-1] == "one more live line"
