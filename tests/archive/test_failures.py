"""Archives that cannot be written or read: one clear line, the right exit code, and the
archive still whole afterwards. Concurrent readers and writers; a writer killed mid-write."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smscli.archive.writing import WritableArchive

BATCH = 50  # messages per transaction in the writer processes


def _messages(first: int, count: int, word: str = "needle") -> list[dict]:
    return [{"index": i, "type": "Text", "from": {"type": "Customer", "nickname": "Ann"},
             "text": f"{word} number {i}", "timestampSeconds": 1_796_000_000_000 + i}
            for i in range(first, first + count)]


def _seed(path: Path, count: int = 100) -> str:
    with WritableArchive(path) as archive:
        archive.record_session({"id": "S", "state": "Chatting"}, time.time())
        archive.record_messages("S", _messages(1, count))
    return _transcript(path)


def _transcript(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT raw FROM messages ORDER BY id").fetchall()
    return "\n".join(raw for (raw,) in rows)


def _consistent(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def _one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_a_file_that_is_not_sqlite(cli, tmp_path):
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"just some notes, not a database at all\n" * 200)
    before = path.read_bytes()
    for args in (["list"], ["search", "notes"], ["import", "-"]):
        result = cli("history", *args, "--archive", str(path))
        assert result.code == 1, args
        assert "is not an smscli archive (not an SQLite database)" in _one_line(result.stderr)
    assert path.read_bytes() == before


def test_another_programs_database(cli, tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t(x)")
    result = cli("history", "list", "--archive", str(path))
    assert result.code == 1 and "not an smscli archive" in _one_line(result.stderr)


def test_a_damaged_archive(cli, tmp_path):
    path = tmp_path / "a.sqlite3"
    _seed(path, 2000)
    with open(path, "r+b") as handle:  # every page but the first: garbage
        size = handle.seek(0, os.SEEK_END)
        handle.seek(4096)
        handle.write(bytes((i * 7 + 3) % 251 for i in range(size - 4096)))
    result = cli("history", "messages", "S", "-o", "plain", "--archive", str(path))
    assert result.code == 1
    line = _one_line(result.stderr)
    assert "damaged" in line or "not an smscli archive" in line


def _read_only(directory: Path, command: list[str]) -> list[str]:
    """``command`` for a user who may not write in ``directory``. Root may write anything,
    so as root the command runs where ``directory`` is mounted read-only (its own user and
    mount namespace); anyone else has the files made read-only instead."""
    if os.geteuid() != 0:
        for file in directory.iterdir():
            os.chmod(file, 0o444)
        return command
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare: nothing makes a file read-only")
    return ["unshare", "-rm", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"',
            str(directory), *command]


def test_a_read_only_archive(clean_env, tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    path = directory / "a.sqlite3"
    before = _seed(path)
    file = tmp_path / "more.json"
    file.write_text(json.dumps(_messages(101, 10)))
    env = {**clean_env, "SMSCLI_ARCHIVE": str(path)}
    smscli = [sys.executable, "-m", "smscli", "history"]
    run = subprocess.run(_read_only(directory, [*smscli, "import", str(file), "--session",
                                                "S"]),
                         env=env, check=False, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, run.stderr
    assert "is read-only" in _one_line(run.stderr)
    readable = subprocess.run(_read_only(directory, [*smscli, "messages", "S", "-o",
                                                     "ndjson"]),
                              env=env, check=False, capture_output=True, text=True, timeout=60)
    assert readable.returncode == 0, readable.stderr
    assert readable.stdout.rstrip("\n") == before
    _consistent(path)


def _size_limited(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_full_disk(clean_env, tmp_path):
    path = tmp_path / "a.sqlite3"
    before = _seed(path)
    file = tmp_path / "big.ndjson"
    file.write_text("".join(json.dumps(m) + "\n" for m in _messages(101, 5000, "x" * 50)))
    limit = path.stat().st_size + 64 * 1024  # the file and its WAL may grow a little
    env = {**clean_env, "SMSCLI_ARCHIVE": str(path)}
    run = subprocess.run([sys.executable, "-m", "smscli", "history", "import", str(file),
                          "--session", "S"], env=env, check=False, capture_output=True, text=True,
                         timeout=60, preexec_fn=lambda: _size_limited(limit))
    assert run.returncode == 1, run.stderr
    assert "the disk is full or a file size limit was reached" in _one_line(run.stderr)
    assert _transcript(path) == before  # the failed transaction left nothing
    _consistent(path)
    again = subprocess.run([sys.executable, "-m", "smscli", "history", "import", str(file),
                            "--session", "S"], env=env, check=False, capture_output=True, text=True,
                           timeout=60)
    assert again.returncode == 0 and "5,000 new of 5,000" in again.stderr


WRITER = """
import sys, time
from pathlib import Path
from smscli.archive.writing import WritableArchive
path, batch, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
with WritableArchive(path) as archive:
    archive.record_session({"id": "S", "state": "Chatting"}, time.time())
    position = archive.last_position("S")
    start = position.last_index + 1
    for n in range(rounds):
        first = start + n * batch
        archive.record_messages("S", [
            {"index": i, "type": "Text", "text": f"needle number {i}",
             "timestampSeconds": 1796000000000 + i} for i in range(first, first + batch)])
        print(first + batch - 1, flush=True)
"""


def _writer(path: Path, env: dict, rounds: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(BATCH), str(rounds)],
                            env=env, stdout=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_search_while_a_writer_writes(clean_env, tmp_path):
    path = tmp_path / "a.sqlite3"
    _seed(path, BATCH)
    env = {**clean_env, "SMSCLI_ARCHIVE": str(path)}
    writer = _writer(path, env, 100_000)
    counts = []
    try:
        deadline = time.monotonic() + 30  # six searches at least, the writer moving on meanwhile
        while time.monotonic() < deadline and not (len(counts) >= 6 and counts[-1] > counts[0]):
            run = subprocess.run([sys.executable, "-m", "smscli", "history", "search",
                                  "needle", "-n", "1000000", "-o", "plain"], env=env,
                                 check=False, capture_output=True, text=True, timeout=60)
            assert run.returncode == 0 and run.stderr == "", run.stderr
            counts.append(run.stdout.count("\n"))
    finally:
        writer.kill()
        writer.wait()
    assert len(counts) >= 3 and counts[-1] > counts[0]  # the writer did write meanwhile
    assert counts == sorted(counts)
    assert all(count % BATCH == 0 for count in counts)  # whole transactions, never half


def test_a_writer_killed_mid_write_loses_nothing_committed(clean_env, tmp_path):
    path = tmp_path / "a.sqlite3"
    env = {**clean_env, "SMSCLI_ARCHIVE": str(path)}
    acknowledged = 0
    for attempt in range(3):
        writer = _writer(path, env, 100_000)
        assert writer.stdout is not None
        for _ in range(5 + attempt * 7):  # a few commits, then a kill in the middle of one
            acknowledged = int(writer.stdout.readline())
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        with sqlite3.connect(path) as conn:
            indexes = [i for (i,) in conn.execute("SELECT idx FROM messages ORDER BY id")]
        assert indexes == list(range(1, len(indexes) + 1))  # resumed: no gap, no repeat
        assert len(indexes) >= acknowledged and len(indexes) % BATCH == 0
        _consistent(path)
