"""Every `smscli --demo` example of the README prints something on the demo: the finite ones
run to their end, the live ones (watch, follow) until their first line or a minute."""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

LIVE = re.compile(r"sessions watch|\s(-f|--follow)\b|--demo tail\b")


def readme_examples() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        found += [line for line in block.splitlines() if line.startswith("smscli --demo ")]
    return found


EXAMPLES = readme_examples()


def test_the_readme_has_demo_examples_of_every_kind() -> None:
    assert len(EXAMPLES) >= 25
    assert any("change == \"state\"" in line for line in EXAMPLES)
    assert any("--events" in line for line in EXAMPLES)


@pytest.fixture
def shell_env(clean_env, tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """`smscli` on PATH (this checkout, this interpreter), run in an empty directory."""
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "smscli"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m smscli "$@"\n')
    wrapper.chmod(0o755)
    (tmp_path / "work").mkdir()
    return {**clean_env, "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PYTHONPATH": str(REPO)}


def run_live(line: str, env: dict[str, str], cwd: Path, limit: float = 60) -> str:
    """The example's first line of output: jq told to flush each record, as on a terminal."""
    command = line.replace("| jq ", "| jq --unbuffered ")
    proc = subprocess.Popen(["bash", "-c", command], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, cwd=cwd,
                            start_new_session=True)
    out = b""
    deadline = time.monotonic() + limit
    try:
        assert proc.stdout is not None
        while b"\n" not in out and time.monotonic() < deadline:
            if select.select([proc.stdout], [], [], 1)[0]:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return out.decode("utf-8", "replace")


@pytest.mark.parametrize("line", [pytest.param(line, marks=pytest.mark.slow)
                                  if LIVE.search(line) else line for line in EXAMPLES])
def test_a_readme_example_prints_something(shell_env, tmp_path, line: str) -> None:
    cwd = tmp_path / "work"
    if LIVE.search(line):
        out = run_live(line, shell_env, cwd)
        assert out.strip(), f"nothing within a minute from: {line}"
        return
    result = subprocess.run(["bash", "-o", "pipefail", "-c", line], capture_output=True,
                            text=True, env=shell_env, cwd=cwd, timeout=120)
    assert result.returncode == 0, (line, result.stderr)
    wrote = [p for p in cwd.iterdir() if p.stat().st_size > 0]
    assert result.stdout.strip() or wrote, f"nothing from: {line}\n{result.stderr}"
