"""The pager gets our environment without our secrets."""

from __future__ import annotations

import os
import pty
import select
import sys

from smscli.emulator import Emulator

LONG = "0000La9E3HVT00ZR"


def on_terminal(argv: list[str], env: dict[str, str], timeout: float = 60) -> int:
    """Run ``python -m smscli ARGV`` with a pseudo-terminal as stdin, stdout and stderr."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-m", "smscli", *argv], env)
    try:
        while select.select([fd], [], [], timeout)[0]:
            try:
                if not os.read(fd, 65536):
                    break
            except OSError:
                break
        else:
            os.kill(pid, 9)
            raise AssertionError(f"no output for {timeout}s")
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status)


def test_the_pager_never_sees_the_password(clean_env, tmp_path) -> None:
    with Emulator(users={"demo": "s3cret-pager-test"}, seed=7, traffic_rate=0.0) as emulator:
        check_pager_env(clean_env, tmp_path, emulator.url)


def check_pager_env(clean_env: dict[str, str], tmp_path, url: str) -> None:
    dumped = tmp_path / "pager-env"
    script = tmp_path / "pager.sh"
    script.write_text(f"#!/bin/sh\nenv > '{dumped}'\ncat > /dev/null\n")
    script.chmod(0o700)
    env = {**clean_env, "SMSCLI_SERVER": url, "SMSCLI_USER": "demo",
           "SMSCLI_PASSWORD": "s3cret-pager-test", "SMSCLI_PAGER": str(script),
           "COLUMNS": "100", "MY_OWN_VARIABLE": "kept"}
    assert on_terminal(["messages", LONG, "--limit", "50"], env) == 0
    seen = dict(line.split("=", 1) for line in dumped.read_text().splitlines() if "=" in line)
    assert "s3cret-pager-test" not in dumped.read_text()
    assert not [key for key in seen if key.startswith("SMSCLI_")]
    assert seen.get("MY_OWN_VARIABLE") == "kept" and seen.get("HOME") == clean_env["HOME"]
    assert seen.get("LESS") == "FRX"  # still set for less, as before
