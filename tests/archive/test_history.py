"""``smscli history``: imports of what the live commands write, byte-identical round trips,
the offline commands with the live commands' formats and filters, prune, the fallback."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import smscli.archive
from smscli.archive.writing import WritableArchive
from smscli.emulator import Emulator
from smscli.emulator.hostile import HOSTILE_SESSION_IDS

VENDOR = "0000Na9B26EF002G"
RICH = "0000Wa9CAM6W00FN"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """conftest's demo server, built once for the module: the tests here only read it."""
    with Emulator(users={"demo": "demo"}, seed=7, traffic_rate=0.0) as emu:
        yield emu


@pytest.fixture
def archive_env(tmp_path: Path) -> dict[str, str]:
    return {"SMSCLI_ARCHIVE": str(tmp_path / "data" / "archive.sqlite3")}


@pytest.fixture
def hostile() -> Iterator[Emulator]:
    with Emulator(users={"demo": "demo"}, scenario="hostile") as emu:
        yield emu


def _dump(cli, server: list[str], env: dict, session_id: str, *fmt: str) -> str:
    result = cli(*server, "messages", session_id, *fmt, env=env)
    assert result.code == 0, result.stderr
    return result.stdout


def test_json_round_trip_is_byte_identical(cli, server_args, password_env, archive_env,
                                           emulator, tmp_path):
    env = {**password_env, **archive_env}
    for session_id in emulator.state.session_ids():
        sent = _dump(cli, server_args, env, session_id, "-o", "json")
        file = tmp_path / f"{session_id}.json"
        file.write_text(sent, encoding="utf-8")
        imported = cli("history", "import", str(file), env=archive_env)
        assert imported.code == 0, imported.stderr
        back = cli("history", "messages", session_id, "-o", "json", env=archive_env)
        assert back.code == 0, back.stderr
        assert back.stdout == sent
        assert len(json.loads(back.stdout)) == emulator.state.message_count(session_id)


def test_hostile_transcripts_round_trip_as_json_and_ndjson(cli, hostile, tmp_path,
                                                           archive_env):
    """Escapes, bidi, a lone surrogate, a 200,000-character message: bytes back as sent."""
    server = ["--server", hostile.url, "--user", "demo"]
    env = {"SMSCLI_PASSWORD": "demo", **archive_env}
    for session_id in HOSTILE_SESSION_IDS:
        for fmt in ("json", "ndjson"):
            sent = cli(*server, "messages", session_id, "-o", fmt, env=env)
            assert sent.code == 0, sent.stderr
            file = tmp_path / f"t.{fmt}"
            file.write_text(sent.stdout, encoding="utf-8")
            imported = cli("history", "import", str(file), "--session", session_id,
                           env=archive_env)
            assert imported.code == 0, imported.stderr
            back = cli("history", "messages", session_id, "-o", fmt, env=archive_env)
            assert back.stdout == sent.stdout, session_id


def test_ndjson_and_export_json_import_into_one_session_once(cli, server_args, password_env,
                                                             archive_env, tmp_path, emulator):
    env = {**password_env, **archive_env}
    ndjson = tmp_path / "a.ndjson"
    ndjson.write_text(_dump(cli, server_args, env, RICH, "-o", "ndjson"), encoding="utf-8")
    exported = tmp_path / "b.json"
    result = cli(*server_args, "export", RICH, str(exported), "--typing", env=env)
    assert result.code == 0, result.stderr
    first = cli("history", "import", str(ndjson), "--session", RICH, env=archive_env)
    count = emulator.state.message_count(RICH)
    assert f"{count} new of {count} messages in session {RICH}" in first.stderr
    # The export holds the same messages (fetched again, the same identities): none is new.
    again = cli("history", "import", str(exported), str(ndjson), "--session", RICH,
                env=archive_env)
    assert again.code == 0, again.stderr
    assert again.stderr.count(f"0 new of {count} messages") == 2
    with sqlite3.connect(archive_env["SMSCLI_ARCHIVE"]) as conn:
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == count


def test_import_names_the_session_after_the_file_and_says_so(cli, archive_env, tmp_path):
    file = tmp_path / "from-a-colleague.json"
    file.write_text(json.dumps([{"index": 1, "type": "Text", "text": "hello"}]))
    result = cli("history", "import", str(file), env=archive_env)
    assert result.code == 0
    assert "stored as session from-a-colleague" in result.stderr
    listed = cli("history", "list", "-q", env=archive_env)
    assert listed.stdout == "from-a-colleague\n"


def test_import_of_something_else_is_one_line_and_stores_nothing(cli, archive_env, tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("not a transcript\n")
    result = cli("history", "import", str(file), env=archive_env)
    assert result.code == 1
    assert result.stderr.count("\n") == 1 and "neither JSON nor ndjson" in result.stderr
    assert cli("history", "list", "-q", env=archive_env).stdout == ""


@pytest.fixture
def recorded(tmp_path: Path, emulator: Emulator, archive_env: dict) -> Path:
    """An archive as the recorder leaves it: every session of the emulator, one gone."""
    path = Path(archive_env["SMSCLI_ARCHIVE"])
    with WritableArchive(path) as archive:
        for session in emulator.state.list_sessions():
            archive.record_session(session, time.time() - 3600)
            archive.record_messages(session["id"], emulator.state.messages(session["id"]))
        archive.mark_gone("0000Wa9CAM6W00FF", time.time())
    return path


def test_list_and_show_match_the_live_commands(cli, server_args, password_env, recorded,
                                               archive_env, emulator):
    """The same objects (the archive lists oldest first, the server in its own order)."""
    env = {**password_env, **archive_env}
    for args in (["list"], ["list", "--state", "chatting"], ["show", VENDOR]):
        for fmt in ("json", "ndjson", "plain"):
            live = cli(*server_args, "sessions", *args, "-o", fmt, env=env)
            archived = cli("history", *args, "-o", fmt, env=archive_env)
            assert archived.code == 0, archived.stderr
            assert archived.stderr == ""
            if args[0] == "show":
                assert archived.stdout.startswith(live.stdout)
            elif fmt == "json":
                assert sorted(archived.json(), key=str) == sorted(live.json(), key=str)
            else:
                assert sorted(archived.stdout.splitlines()) == \
                    sorted(live.stdout.splitlines()), (args, fmt)


def test_show_tells_what_the_archive_knows(cli, recorded, archive_env):
    result = cli("history", "show", "0000Wa9CAM6W00FF", "-o", "plain", env=archive_env)
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    facts = {row[0]: row[1:] for row in rows}
    assert facts["messages"] == ["6"] and facts["origin"] == ["record"]
    assert facts["leftServer"][0] != "" and facts["firstSeen"][0] != ""
    assert [row[2] for row in rows if row[0] == "stateChange"] == ["Completed"]


def test_messages_filters_match_the_live_command(cli, server_args, password_env, recorded,
                                                 archive_env):
    env = {**password_env, **archive_env}
    for flags in (["-t", "Text"], ["--no-typing"], ["-t", "text", "-t", "PushUrl"],
                  ["--limit", "3"]):
        for fmt in ("plain", "ndjson"):
            live = cli(*server_args, "messages", RICH, *flags, "-o", fmt, env=env)
            archived = cli("history", "messages", RICH, *flags, "-o", fmt, env=archive_env)
            assert archived.stdout == live.stdout, (flags, fmt)
            assert archived.stdout


def test_stats_and_export_match_the_live_commands(cli, server_args, password_env, recorded,
                                                  archive_env, tmp_path):
    env = {**password_env, **archive_env}
    live = cli(*server_args, "sessions", "stats", VENDOR, RICH, "-o", "json", env=env)
    archived = cli("history", "stats", VENDOR, RICH, "-o", "json", env=archive_env)
    assert archived.code == 0 and archived.stdout == live.stdout
    for fmt in ("md", "csv", "html"):
        live = cli(*server_args, "export", RICH, "-", "-F", fmt, "--utc", env=env)
        archived = cli("history", "export", RICH, "-", "-F", fmt, "--utc", env=archive_env)
        assert archived.stdout == live.stdout, fmt
    written = cli("history", "export", RICH, str(tmp_path / "t.csv"), env=archive_env)
    assert written.code == 0 and (tmp_path / "t.csv").read_text().startswith("index,")


def test_session_filters_by_people_and_time(cli, recorded, archive_env, emulator):
    def ids(*flags: str) -> list[str]:
        result = cli("history", "list", "-q", *flags, env=archive_env)
        assert result.code == 0, result.stderr
        return result.stdout.split()

    everyone = [s["id"] for s in emulator.state.list_sessions()]
    assert sorted(ids()) == sorted(everyone)
    assert ids("--customer", "personp") == [VENDOR]
    assert VENDOR not in ids("--agent", "nobody-like-this")
    assert ids("--since", "2099-01-01") == []
    assert sorted(ids("--until", "2099-01-01")) == sorted(everyone)
    bad = cli("history", "list", "--since", "yesterday", env=archive_env)
    assert bad.code == 2 and "--since 'yesterday'" in bad.stderr


def test_a_session_not_archived_is_exit_3(cli, recorded, archive_env):
    result = cli("history", "messages", "0000NOSUCH000000", env=archive_env)
    assert result.code == 3
    assert "no session 0000NOSUCH000000 in the archive" in result.stderr


def test_no_archive_yet_is_exit_3_and_creates_nothing(cli, archive_env):
    result = cli("history", "list", env=archive_env)
    assert result.code == 3 and "no archive at" in result.stderr
    assert not Path(archive_env["SMSCLI_ARCHIVE"]).parent.exists()


def test_prune_deletes_for_good(cli, archive_env, tmp_path):
    path = Path(archive_env["SMSCLI_ARCHIVE"])
    with WritableArchive(path) as archive:
        old = time.time() - 200 * 86400
        archive.record_session({"id": "OLD", "state": "Completed"}, old)
        archive.record_messages("OLD", [{"index": i, "type": "Text",
                                         "text": f"zebracardnumber {i}",
                                         "timestampSeconds": int(old * 1000)}
                                        for i in range(1, 300)])
        archive.record_session({"id": "NEW", "state": "Chatting"}, time.time())
        archive.record_messages("NEW", [{"index": 1, "type": "Text", "text": "hello"}])
    result = cli("history", "prune", "--older-than", "90d", env=archive_env)
    assert result.code == 0, result.stderr
    assert "deleted 1 session and 299 messages" in result.stderr
    assert cli("history", "list", "-q", env=archive_env).stdout == "NEW\n"
    assert cli("history", "search", "zebracardnumber", "-o", "ndjson",
               env=archive_env).stdout == ""
    for file in path.parent.iterdir():  # the file, its WAL: no trace of the words
        assert b"zebracardnumber" not in file.read_bytes(), file.name
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")


def test_archive_is_private_from_the_start(clean_env, archive_env, tmp_path):
    file = tmp_path / "t.json"
    file.write_text(json.dumps([{"index": 1, "type": "Text", "text": "hi"}]))
    path = Path(archive_env["SMSCLI_ARCHIVE"]).parent / "deeper" / "a.sqlite3"
    # A umask that takes nothing away: the modes must come from smscli, not from it.
    proc = subprocess.run([sys.executable, "-m", "smscli", "history", "import", str(file),
                           "--session", "S", "--archive", str(path)],
                          env=clean_env, check=False, capture_output=True, text=True, timeout=60,
                          preexec_fn=lambda: os.umask(0))
    assert proc.returncode == 0, proc.stderr
    for directory in (path.parent, path.parent.parent):
        assert oct(directory.stat().st_mode & 0o777) == "0o700", directory
    names = os.listdir(path.parent)
    assert "a.sqlite3" in names
    for name in names:
        assert oct((path.parent / name).stat().st_mode & 0o777) == "0o600", name


def test_default_path_follows_the_platform(monkeypatch):
    from smscli.archive.paths import default_path

    home = {"HOME": "/home/ann"}
    assert str(default_path(home, "linux")) == "/home/ann/.local/share/smscli/archive.sqlite3"
    assert str(default_path({**home, "XDG_DATA_HOME": "/data"}, "linux")) == \
        "/data/smscli/archive.sqlite3"
    assert str(default_path({**home, "XDG_DATA_HOME": "rel"}, "linux")).startswith("/home/ann")
    assert str(default_path(home, "darwin")) == \
        "/home/ann/Library/Application Support/smscli/archive.sqlite3"


def test_the_flag_and_the_variable_win_over_the_demo_default():
    from smscli.archive.paths import resolve_path

    env = {"HOME": "/home/ann", "XDG_DATA_HOME": "/data"}
    assert str(resolve_path(None, env)) == "/data/smscli/archive.sqlite3"
    assert str(resolve_path(None, env, demo=True)) == "/data/smscli/demo-archive.sqlite3"
    chosen = {**env, "SMSCLI_ARCHIVE": "/x/mine.sqlite3"}
    assert str(resolve_path(None, chosen, demo=True)) == "/x/mine.sqlite3"
    assert str(resolve_path("/y/flag.sqlite3", chosen, demo=True)) == "/y/flag.sqlite3"


def test_fallback_gives_the_archived_session(recorded, archive_env, monkeypatch, emulator):
    monkeypatch.setenv("SMSCLI_ARCHIVE", archive_env["SMSCLI_ARCHIVE"])
    found = smscli.archive.fallback("0000Wa9CAM6W00FF")
    assert found is not None
    assert found.session["state"] == "Completed"
    assert list(found.messages()) == emulator.state.messages("0000Wa9CAM6W00FF")
    assert "not on the server any more; from the archive" in found.note()
    assert smscli.archive.fallback("0000NOSUCH000000") is None
    assert smscli.archive.fallback(VENDOR, path=recorded.parent / "none.sqlite3") is None


def test_records_that_carry_their_session_and_follow_events(cli, archive_env, tmp_path):
    lines = [{"index": 1, "type": "Text", "text": "one", "sessionId": "A"},
             {"index": 1, "type": "Text", "text": "uno", "sessionId": "B"},
             {"event": "StatusChange", "session": "B", "state": "Completed",
              "previousState": "Chatting",
              "smssession": {"id": "B", "state": "Completed", "participants": []}},
             {"index": 2, "type": "Text", "text": "two", "sessionId": "A"}]
    file = tmp_path / "tail.ndjson"
    file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = cli("history", "import", str(file), env=archive_env)
    assert result.code == 0, result.stderr
    assert "2 new of 2 messages in session A" in result.stderr
    assert "1 new of 1 messages in session B" in result.stderr
    shown = cli("history", "messages", "A", "-o", "json", env=archive_env).json()
    assert shown == [{"index": 1, "type": "Text", "text": "one"},
                     {"index": 2, "type": "Text", "text": "two"}]  # sessionId is ours
    assert cli("history", "show", "B", "-o", "json", env=archive_env).json()["state"] == \
        "Completed"


def test_stdin_needs_a_session_unless_its_records_carry_one(run_cli, archive_env):
    transcript = json.dumps([{"index": 1, "type": "Text", "text": "hi"}])
    refused = run_cli("history", "import", "-", env=archive_env, input=transcript)
    assert refused.code == 2 and "add --session ID" in refused.stderr
    taken = run_cli("history", "import", "-", "--session", "S", env=archive_env,
                    input=transcript)
    assert taken.code == 0 and "1 new of 1 messages in session S" in taken.stderr
