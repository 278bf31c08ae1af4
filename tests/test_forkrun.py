"""The suite's fork server (tests/forkrun.py) gives what a cold ``python -m smscli`` gives.

Most CLI tests run through it, so it must not hide a difference: each case here runs once
forked and once as a real cold process, and the two must agree on the exit code, stdout and
stderr, byte for byte.
"""

from __future__ import annotations

import os
import subprocess
import sys

import forkrun
import pytest

CASES = [
    ["--version"],
    ["--help"],
    ["messages", "--help"],
    ["sessions", "list", "--no-such-option"],  # a usage error: exit 2 and Typer's box
    ["SERVER", "sessions", "list", "-o", "json"],
    ["SERVER", "messages", "0000Na9B26EF002G", "-o", "plain"],
    ["SERVER", "messages", "0000Na9B26EF002G", "-o", "table", "--color", "always"],
    ["SERVER", "sessions", "show", "0000NOSUCHSESS01"],  # not found
    ["--server", "http://127.0.0.1:9", "--user", "demo", "sessions", "list"],  # refused
    ["history", "list"],  # an empty archive in a fresh HOME
]


def cold(args: list[str], env: dict[str, str], input: str | None = None
         ) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "smscli", *args], check=False,
                          capture_output=True,
                          text=True, encoding="utf-8", env=env, input=input, timeout=60,
                          cwd=forkrun.REPO)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_a_forked_run_is_a_cold_run(clean_env, server_args, args):
    """One emulator for both runs (the demo's times follow the clock; this one's do not)."""
    env = {**clean_env, "SMSCLI_PASSWORD": "demo"}
    args = [*server_args, *args[1:]] if args[0] == "SERVER" else args
    forked = forkrun.run(args, env)
    assert forked == cold(args, env)
    assert forked[1] or forked[2]  # something came back


def test_it_really_forks_and_the_child_is_a_process_of_its_own(clean_env):
    """Not the test's process and not the server's: each run a new pid, the server the same."""
    probe = ["--demo", "sessions", "list", "-o", "json"]
    forkrun.run(probe, clean_env)
    server = forkrun._server_for(clean_env)
    assert server is not None and server.proc.pid != os.getpid()
    forkrun.run(probe, clean_env)
    assert forkrun._server_for(clean_env) is server  # one server for the whole worker


def test_stdin_and_the_environment_reach_the_child(clean_env, server_args, tmp_path):
    """`history import -` reads a transcript from stdin into the archive the variable names."""
    _, transcript, _ = forkrun.run([*server_args, "messages", "0000Na9B26EF002G", "-o",
                                    "ndjson"], {**clean_env, "SMSCLI_PASSWORD": "demo"})
    assert transcript.count("\n") > 3
    results = []
    for name, runner in (("forked", forkrun.run), ("cold", cold)):
        env = {**clean_env, "SMSCLI_ARCHIVE": str(tmp_path / f"{name}.sqlite3")}
        imported = runner(["history", "import", "-", "--session", "0000Na9B26EF002G"], env,
                          input=transcript)
        listed = runner(["history", "list", "-o", "json"], env)
        assert imported[0] == 0 and listed[0] == 0, (imported, listed)
        results.append((imported, listed))
    assert results[0] == results[1]
    assert "0000Na9B26EF002G" in results[0][1][1]


def test_a_different_start_up_environment_runs_cold(clean_env, server_args):
    """What the interpreter reads once at start (here PYTHONIOENCODING) cannot be forked."""
    env = {**clean_env, "PYTHONIOENCODING": "ascii:backslashreplace", "SMSCLI_PASSWORD": "demo"}
    args = [*server_args, "messages", "0000Na9B26EF002G", "-o", "plain"]
    assert forkrun.run(args, env) == cold(args, env)
    assert forkrun._server_for(env) is None  # cold, and the server kept for the others
    assert forkrun._server_for(clean_env) is not None


def test_a_timeout_kills_the_child_as_subprocess_run_does(clean_env):
    with pytest.raises(subprocess.TimeoutExpired):
        forkrun.run(["--demo", "messages", "0000Na9B26EF002G", "--follow"], clean_env,
                    timeout=3)
    # the server is still there and answers the next run
    assert forkrun.run(["--version"], clean_env)[0] == 0
