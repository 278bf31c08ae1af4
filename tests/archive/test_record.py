"""``smscli record``: every session into the archive, resumed after a restart, redacted on
request, in whole bursts that a search running meanwhile sees whole, and one clear line when
the archive cannot be written."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from followkit import FAST, STACKS_ON_ABORT, LineReader, interrupt, wait_for
from test_failures import _read_only, _size_limited

from smscli.archive.recorder import Recorder
from smscli.archive.writing import WritableArchive
from smscli.client import GwsClient
from smscli.emulator import Emulator, EmulatorState
from smscli.emulator.faults import Faults
from smscli.follow.live import Pacing
from smscli.follow.tail import Tailer, TailOptions

SMSCLI = [sys.executable, "-m", "smscli"]
CUSTOMER = {"type": "Customer", "nickname": "Cleo", "participantId": "00AA00000000C001"}
AGENT = {"type": "Agent", "nickname": "Sam", "participantId": "00AA00000000A001"}


def new_emulator(faults: Faults | None = None) -> Emulator:
    return Emulator(users={"demo": "demo"}, state=EmulatorState(), cometd_timeout_ms=300,
                    faults=faults).start()


def add(emu: Emulator, session_id: str, history: int = 0, state: str = "Chatting",
        customer: dict | None = None, announce: bool = False) -> None:
    emu.state.add_session({"id": session_id, "state": state, "userData": {},
                           "participants": [AGENT, customer or CUSTOMER]})
    for n in range(history):
        say(emu, session_id, f"{session_id} history {n}", notify=False)
    if announce:
        emu.state.set_state(session_id, state)  # the StateChange that tells listeners


def say(emu: Emulator, session_id: str, text: str, notify: bool = True) -> dict:
    return emu.state.append_message(session_id, {"type": "Text", "text": text,
                                                 "from": CUSTOMER}, notify=notify)


def transcript(emu: Emulator, session_id: str) -> list[dict]:
    return json.loads(json.dumps(emu.state.messages(session_id, 1, 0)))


def transcripts(emu: Emulator) -> dict[str, list[dict]]:
    return {sid: transcript(emu, sid) for sid in emu.state.session_ids()}


def archived(path: Path) -> dict[str, list[dict]]:
    """Every archived message per session, in the archive's order, read as another process
    would (a reader of the WAL file; it never waits for the recorder)."""
    if not path.exists():
        return {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=15)
    try:
        rows = conn.execute("SELECT s.id, m.raw FROM messages m JOIN sessions s USING (sid) "
                            "ORDER BY m.id").fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return {}
    finally:
        conn.close()
    found: dict[str, list[dict]] = {}
    for session_id, raw in rows:
        found.setdefault(session_id, []).append(json.loads(raw))
    return found


def caught_up(path: Path, emu: Emulator) -> bool:
    """The archive holds exactly what the server holds, for every session it lists."""
    kept = archived(path)
    return all(kept.get(sid, []) == messages for sid, messages in transcripts(emu).items())


def query(path: Path, sql: str, *args: object) -> list[tuple]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=15)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


class Recording:
    """``smscli record`` as a process against the emulator, its stderr read in a thread."""

    def __init__(self, emu: Emulator, env: dict[str, str], archive: Path, *args: str,
                 limit: int | None = None, command: list[str] | None = None) -> None:
        argv = [*SMSCLI, "--server", emu.url, "--user", "demo", "record", "--archive",
                str(archive), *args]
        self.proc = subprocess.Popen(
            (command or []) + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            encoding="utf-8", env={**env, "SMSCLI_PASSWORD": "demo", "SMSCLI_TIMEOUT": "3",
                                   "SMSCLI_DEADLINE": "5", **STACKS_ON_ABORT},
            # The child only sets a limit and a signal's disposition before exec.
            preexec_fn=None if limit is None else (lambda: _size_limited(limit)))  # noqa: PLW1509
        self.out, self.err = LineReader(self.proc.stdout), LineReader(self.proc.stderr)

    def interrupt(self) -> int:
        return interrupt(self.proc, self.err)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(30)

    def finished(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout)
        self.err.thread.join(5)
        return code

    def wait(self, predicate: Callable[[], bool], what: str, timeout: float = 40) -> None:
        def done() -> bool:
            assert self.proc.poll() is None, f"record ended early: {self.err.lines[-5:]}"
            return predicate()

        wait_for(done, timeout, f"{what}; stderr {self.err.lines[-5:]}")


@pytest.mark.slow
def test_every_session_its_states_and_its_leaving_and_a_restart_fills_the_gap(clean_env,
                                                                             tmp_path):
    path = tmp_path / "data" / "archive.sqlite3"
    emu = new_emulator()
    try:
        add(emu, "0000RECDONE", history=4, state="Completed")  # over before the start
        add(emu, "0000RECLIVE", history=3)
        add(emu, "0000RECGONE", history=2)
        run = Recording(emu, clean_env, path)
        run.wait(lambda: caught_up(path, emu), "the histories")
        add(emu, "0000RECNEW", history=2, announce=True)  # arrives during the run
        for n in range(20):
            say(emu, ["0000RECLIVE", "0000RECNEW"][n % 2], f"live {n}")
        emu.state.set_state("0000RECGONE", "Completed")
        run.wait(lambda: query(path, "SELECT state FROM sessions WHERE id = ?",
                               "0000RECGONE") == [("Completed",)], "the completion")
        emu.state.remove_session("0000RECGONE")  # GWS forgets it
        run.wait(lambda: query(path, "SELECT left_server_at IS NOT NULL FROM sessions "
                               "WHERE id = ?", "0000RECGONE") == [(1,)], "its leaving")
        run.wait(lambda: caught_up(path, emu), "the live messages")
        assert run.interrupt() == 0, run.err.lines
        first = run.err.lines

        # Messages while nobody records: the restart reads them from REST, and only them.
        for n in range(5):
            say(emu, "0000RECLIVE", f"while stopped {n}")
        before = sum(map(len, archived(path).values()))
        again = Recording(emu, clean_env, path)
        again.wait(lambda: caught_up(path, emu), "the gap")
        assert again.interrupt() == 0, again.err.lines
        expected = transcripts(emu)
    finally:
        emu.stop()
    kept = archived(path)
    assert len(kept["0000RECGONE"]) == 2  # still there, though the server forgot it
    for session_id, messages in expected.items():
        assert kept[session_id] == messages
    assert sum(map(len, kept.values())) == before + 5
    assert first[0] == f"smscli: recording into {path}; Ctrl-C to stop"
    assert "smscli: + 0000RECNEW: Chatting (Cleo)" in first
    assert "smscli: - 0000RECGONE: Completed (Cleo)" in first
    assert "smscli: - 0000RECDONE: Completed (Cleo)" in first
    assert first[-1] == (f"smscli: stored 4 sessions and {before:,} new messages in {path}")
    assert again.err.lines[-1] == f"smscli: stored 3 sessions and 5 new messages in {path}"
    states = query(path, "SELECT s.id, c.state FROM state_changes c JOIN sessions s "
                   "USING (sid) ORDER BY c.at, c.rowid")
    assert [s for sid, s in states if sid == "0000RECGONE"] == ["Chatting", "Completed"]
    assert [s for sid, s in states if sid == "0000RECDONE"] == ["Completed"]
    assert query(path, "SELECT left_server_at IS NULL FROM sessions WHERE id = ?",
                 "0000RECLIVE") == [(1,)]


def test_history_reads_what_record_kept(cli, clean_env, tmp_path):
    path = tmp_path / "a.sqlite3"
    emu = new_emulator()
    try:
        add(emu, "0000RECSHOW", history=6)
        emu.state.set_state("0000RECSHOW", "Completed")
        run = Recording(emu, clean_env, path)
        run.wait(lambda: caught_up(path, emu), "the transcript")
        assert run.interrupt() == 0
        expected, session = transcript(emu, "0000RECSHOW"), emu.state.get_session("0000RECSHOW")
    finally:
        emu.stop()
    env = {"SMSCLI_ARCHIVE": str(path)}
    shown = cli("history", "messages", "0000RECSHOW", "-o", "json", env=env)
    assert shown.code == 0 and json.loads(shown.stdout) == expected
    detail = cli("history", "show", "0000RECSHOW", "-o", "json", env=env)
    assert detail.code == 0 and json.loads(detail.stdout) == json.loads(json.dumps(session))


def test_redact_stores_masked_text(cli, clean_env, tmp_path):
    path = tmp_path / "a.sqlite3"
    emu = new_emulator()
    phone = {"type": "Customer", "nickname": "+44 20 7946 0958", "participantId": "c9"}
    try:
        add(emu, "0000RECMASK", customer=phone)
        emu.state.append_message("0000RECMASK", {
            "type": "Text", "from": phone,
            "text": "call me on +44 20 7946 0958 or mail jo@example.com"})
        run = Recording(emu, clean_env, path, "--redact")
        run.wait(lambda: len(archived(path).get("0000RECMASK", [])) == 1, "the message")
        assert run.interrupt() == 0
    finally:
        emu.stop()
    env = {"SMSCLI_ARCHIVE": str(path)}
    for secret in ("7946", '"jo@example.com"', "jo", '"20 7946"'):
        found = cli("history", "search", secret, "-o", "ndjson", env=env)
        assert found.code == 0 and found.stdout == "", (secret, found)
    masked = cli("history", "search", "0958", "-o", "ndjson", env=env)
    text = json.loads(masked.stdout)["message"]["text"]
    assert text == "call me on +•• •• •••• 0958 or mail j•••@example.com"
    assert b"7946" not in path.read_bytes()
    assert not any("7946" in line for line in run.err.lines)
    assert "smscli: + 0000RECMASK: Chatting (+•• •• •••• 0958)" in run.err.lines


BURST = 25


def test_search_while_record_writes_sees_whole_bursts(clean_env, tmp_path):
    """A burst the server got at once is one transaction: a search meanwhile (another
    process, WAL) never waits long enough to fail, and sees whole bursts in order."""
    path = tmp_path / "a.sqlite3"
    emu = new_emulator()
    env = {**clean_env, "SMSCLI_ARCHIVE": str(path)}
    counts: list[int] = []
    stop = threading.Event()

    def bursts() -> None:
        n = 0
        while not stop.is_set():
            with emu.state.lock:  # a REST read sees all of a burst or none of it
                for k in range(BURST):
                    say(emu, "0000RECBUSY", f"needle {n} {k}", notify=k == BURST - 1)
            n += 1
            stop.wait(0.02)

    try:
        add(emu, "0000RECBUSY")
        run = Recording(emu, clean_env, path)
        writer = threading.Thread(target=bursts, daemon=True)
        writer.start()
        try:
            run.wait(lambda: len(archived(path).get("0000RECBUSY", [])) >= BURST, "a burst")
            for _ in range(6):
                found = subprocess.run([*SMSCLI, "history", "search", "needle", "-n",
                                        "1000000", "-o", "ndjson"], env=env, check=False,
                                       capture_output=True, text=True, timeout=60)
                assert found.returncode == 0 and found.stderr == "", found.stderr
                hits = [json.loads(line) for line in found.stdout.splitlines()]
                indexes = sorted(hit["message"]["index"] for hit in hits)
                assert indexes == list(range(1, len(hits) + 1))  # nothing missing in between
                counts.append(len(hits))
        finally:
            stop.set()
            writer.join(10)
        run.wait(lambda: caught_up(path, emu), "the last bursts")
        assert run.interrupt() == 0, run.err.lines
    finally:
        emu.stop()
    assert counts == sorted(counts) and counts[-1] > counts[0], counts
    assert all(count % BURST == 0 for count in counts), counts  # whole bursts, never part


def test_one_transaction_per_burst_and_none_open_while_waiting(tmp_path):
    """In the process: a catch-up of 1,200 messages is three transactions (500 a time),
    a burst of 300 one more, and while the engine waits another writer gets the file at once."""
    path = tmp_path / "a.sqlite3"
    emu = new_emulator()
    commits: list[str] = []
    archive = WritableArchive(path)
    archive.conn.set_trace_callback(  # write transactions (a resume reads in one of its own)
        lambda sql: commits.append(sql) if sql == "BEGIN IMMEDIATE" else None)
    client = GwsClient(emu.url, "demo", "demo", FAST)
    recorder = Recorder(archive, lambda note: None)
    tailer = Tailer(client, TailOptions(start_history=True, include_final=True, max_retries=50,
                                        backoff_base=0.01, backoff_cap=0.05,
                                        pacing=Pacing(min_idle=0.05, idle_check=0.5),
                                        resume=recorder.resume), lambda note: None)
    recorder.attach(tailer.channel)
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for event in tailer.run():
                recorder.take(event)
                if stop.is_set():
                    return
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    try:
        add(emu, "0000RECBATCH", history=1200)
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        wait_for(lambda: errors or caught_up(path, emu), 30, "the history")
        wait_for(lambda: emu.cometd.connects >= 2, 30, "a long-poll after the history")
        history_commits = len(commits)
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # fails at once if the recorder held a write open
        other.execute("ROLLBACK")
        other.close()
        with emu.state.lock:
            for k in range(300):
                say(emu, "0000RECBATCH", f"burst {k}", notify=k == 299)
        wait_for(lambda: errors or caught_up(path, emu), 30, "the burst")
        stop.set()
        say(emu, "0000RECBATCH", "one more, to end the run")
        thread.join(30)
    finally:
        emu.stop()
        archive.close()
    assert not errors, errors
    assert history_commits == 3  # the session with the first 500, 500, then 200
    assert len(commits) - history_commits in (1, 2)  # the burst; the last message may follow
    assert recorder.messages in (1500, 1501)


@pytest.mark.slow
def test_the_demo_records_within_a_minute(clean_env, tmp_path):
    """`--demo record` with no --archive: the demo's own file beside the default archive, so
    a try of the demo never mixes into the archive of a real server."""
    env = {**clean_env, "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.Popen([*SMSCLI, "--demo", "record"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", env={**env, **STACKS_ON_ABORT})
    err = LineReader(proc.stderr)
    try:
        # The demo's traffic brings a session in about 2.5 s after the start.
        wait_for(lambda: any(line.startswith("smscli: + 0000Ta9N") for line in err.lines),
                 60, "a session that arrives")
    finally:
        code = interrupt(proc, err)
    assert code == 0, err.lines
    assert proc.stdout is not None and proc.stdout.read() == ""
    directory = tmp_path / "data" / "smscli"
    assert sorted(p.name for p in directory.glob("*.sqlite3")) == ["demo-archive.sqlite3"]
    assert any(str(directory / "demo-archive.sqlite3") in line for line in err.lines)

    def listed(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*SMSCLI, *args, "history", "list", "-o", "json"], env=env,
                              capture_output=True, text=True, timeout=60)

    stored = json.loads(listed("--demo").stdout)
    assert "0000Na9B26EF002G" in {s["id"] for s in stored}
    search = subprocess.run([*SMSCLI, "--demo", "history", "search", "PersonP", "-o", "ndjson"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert search.returncode == 0 and search.stdout.strip(), search.stderr
    assert err.lines[-1].startswith("smscli: stored ") and " 0 new" not in err.lines[-1]
    own = listed()  # without --demo: the default archive, which the demo never touched
    assert own.returncode != 0 or json.loads(own.stdout) == [], own.stdout
    assert not (directory / "archive.sqlite3").exists()


def _seeded(emu: Emulator, env: dict[str, str], path: Path) -> dict[str, list[dict]]:
    add(emu, "0000RECSEED", history=30)
    run = Recording(emu, env, path)
    run.wait(lambda: caught_up(path, emu), "the seed")
    assert run.interrupt() == 0
    return archived(path)


def _consistent(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def _error_line(lines: list[str]) -> str:
    errors = [line for line in lines if line.startswith("smscli: error:")]
    assert len(errors) == 1 and errors[0] == lines[-1], lines
    assert not any("Traceback" in line for line in lines), lines
    return errors[0]


def test_a_read_only_archive(clean_env, tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    path = directory / "a.sqlite3"
    emu = new_emulator()
    try:
        before = _seeded(emu, clean_env, path)
        for n in range(5):
            say(emu, "0000RECSEED", f"not storable {n}")
        run = Recording(emu, clean_env, path, command=_read_only(directory, []))
        code = run.finished()
    finally:
        emu.stop()
    assert code == 1, run.err.lines
    assert "is read-only" in _error_line(run.err.lines)
    assert archived(path) == before
    _consistent(path)


@pytest.mark.parametrize("limit_kb", [96])
@pytest.mark.slow
def test_a_full_disk(cli, clean_env, tmp_path, limit_kb: int):
    path = tmp_path / "a.sqlite3"
    emu = new_emulator()
    try:
        before = _seeded(emu, clean_env, path)
        add(emu, "0000RECHUGE")
        for n in range(3000):
            say(emu, "0000RECHUGE", f"{n} " + "lorem ipsum dolor " * 10, notify=False)
        limit = path.stat().st_size + limit_kb * 1024
        run = Recording(emu, clean_env, path, limit=limit)
        code = run.finished()
        assert code == 1, run.err.lines
        assert "the disk is full or a file size limit was reached" in _error_line(run.err.lines)
        _consistent(path)
        kept = archived(path)
        assert kept["0000RECSEED"] == before["0000RECSEED"]
        huge = transcript(emu, "0000RECHUGE")
        got = kept.get("0000RECHUGE", [])
        assert len(got) < len(huge) and got == huge[:len(got)]  # whole transactions, in order
        readable = cli("history", "messages", "0000RECSEED", "-o", "json",
                       env={"SMSCLI_ARCHIVE": str(path)})
        assert readable.code == 0 and json.loads(readable.stdout) == before["0000RECSEED"]
        again = Recording(emu, clean_env, path)  # room again: it goes on where it stopped
        again.wait(lambda: caught_up(path, emu), "the rest", timeout=60)
        assert again.interrupt() == 0
    finally:
        emu.stop()
    _consistent(path)


def test_no_server_creates_no_archive(run_cli, tmp_path):
    path = tmp_path / "data" / "a.sqlite3"
    result = run_cli("record", "--archive", str(path))
    assert result.code == 2 and "no GWS server configured" in _error_line(
        result.stderr.splitlines())
    assert not path.parent.exists()
