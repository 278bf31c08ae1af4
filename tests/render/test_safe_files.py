"""Files and words smscli hands on: exports are private whatever lies at their path, and
completion never offers a server's id that the shell would read as an option."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from smscli.errors import SmscliError
from smscli.files import atomic_text_file

REPO = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_a_new_export_is_0600(tmp_path: Path) -> None:
    target = tmp_path / "t.md"
    with atomic_text_file(target) as out:
        out.write("hello")
    assert target.read_text() == "hello" and mode(target) == 0o600


def test_an_export_over_a_symlink_is_a_new_private_file(tmp_path: Path) -> None:
    shared = tmp_path / "shared.txt"  # world-readable, and somewhere else
    shared.write_text("someone else's file")
    shared.chmod(0o644)
    link = tmp_path / "transcript.md"
    link.symlink_to(shared)
    with atomic_text_file(link) as out:
        out.write("customer data")
    assert not link.is_symlink() and link.read_text() == "customer data"
    assert mode(link) == 0o600  # not the 0644 of the link's target
    assert shared.read_text() == "someone else's file" and mode(shared) == 0o644


def test_a_dangling_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "planted.md"
    link = tmp_path / "out.md"
    link.symlink_to(elsewhere)
    with atomic_text_file(link) as out:
        out.write("x")
    assert not elsewhere.exists() and mode(link) == 0o600 and not link.is_symlink()


def test_a_replaced_regular_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "t.csv"
    target.write_text("old")
    target.chmod(0o640)
    with atomic_text_file(target) as out:
        out.write("new")
    assert target.read_text() == "new" and mode(target) == 0o640


def test_an_error_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "t.md"
    with pytest.raises(RuntimeError), atomic_text_file(target) as out:
        out.write("half")
        raise RuntimeError("the server went away")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(SmscliError, match="cannot write"), \
            atomic_text_file(tmp_path / "missing" / "t.md"):
        pass


def test_completion_drops_session_ids_that_look_like_options(clean_env, emulator) -> None:
    for session_id in ("--server=http://evil.example", "-rf", "0000GOODSESSION1"):
        emulator.state.add_session({"id": session_id, "state": "Chatting", "participants": [],
                                    "capabilities": [], "userData": {}})
    env = {**clean_env, "SMSCLI_PASSWORD": "demo", "XDG_CACHE_HOME": clean_env["HOME"]}
    result = subprocess.run([sys.executable, "-m", "smscli", "__complete", "sessions",
                             "--server", emulator.url, "--user", "demo"],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=30)
    offered = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert result.returncode == 0 and "0000GOODSESSION1" in offered
    assert "0000Na9B26EF002G" in offered  # the demo's sessions, as before
    assert not [value for value in offered if value.startswith("-")]
