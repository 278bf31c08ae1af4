"""``messages ID`` and ``sessions show ID`` for a session the server no longer knows: from
the archive when one has it, saying so on stderr; the server's not-found error otherwise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import VENDOR_SESSION


@pytest.fixture
def archived(cli, emulator, server_args, password_env, tmp_path: Path) -> dict[str, str]:
    """The vendor session's transcript in an archive, then gone from the server."""
    env = {**password_env, "SMSCLI_ARCHIVE": str(tmp_path / "data" / "archive.sqlite3")}
    dumped = cli(*server_args, "messages", VENDOR_SESSION, "-o", "json", env=env)
    assert dumped.code == 0
    transcript = tmp_path / f"{VENDOR_SESSION}.json"
    transcript.write_text(dumped.stdout, encoding="utf-8")
    assert cli("history", "import", str(transcript), env=env).code == 0
    assert emulator.state.remove_session(VENDOR_SESSION)
    env["EXPECTED"] = dumped.stdout
    return env


def test_messages_of_a_gone_session_come_from_the_archive(cli, server_args, archived):
    expected = archived.pop("EXPECTED")
    result = cli(*server_args, "messages", VENDOR_SESSION, "-o", "json", env=archived)
    assert result.code == 0, result.stderr
    assert result.stdout == expected
    assert f"session {VENDOR_SESSION} is not on the server any more; from the archive" \
        in result.stderr


def test_the_archive_answers_with_the_filters_of_the_command(cli, server_args, archived):
    expected = [m for m in json.loads(archived.pop("EXPECTED")) if m["type"] == "Text"]
    result = cli(*server_args, "messages", VENDOR_SESSION, "-t", "Text", "--start", "3",
                 "-o", "ndjson", env=archived)
    assert result.code == 0, result.stderr
    got = [json.loads(line) for line in result.stdout.splitlines()]
    assert got == [m for m in expected if m["index"] >= 3] and got


def test_sessions_show_of_a_gone_session_comes_from_the_archive(cli, server_args, archived):
    archived.pop("EXPECTED")
    result = cli(*server_args, "sessions", "show", VENDOR_SESSION, "--json", env=archived)
    assert result.code == 0, result.stderr
    assert result.json()["id"] == VENDOR_SESSION
    assert "from the archive" in result.stderr


def test_without_the_session_in_the_archive_the_server_error_stands(cli, emulator,
                                                                     server_args,
                                                                     password_env, tmp_path):
    env = {**password_env, "SMSCLI_ARCHIVE": str(tmp_path / "none.sqlite3")}
    assert emulator.state.remove_session(VENDOR_SESSION)
    for args in (["messages", VENDOR_SESSION], ["sessions", "show", VENDOR_SESSION]):
        result = cli(*server_args, *args, env=env)
        assert result.code == 3
        assert result.stdout == ""
        assert f"no SMS session {VENDOR_SESSION}" in result.stderr
        assert "archive" not in result.stderr
