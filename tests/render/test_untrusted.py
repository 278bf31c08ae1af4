"""Untrusted server text on the terminal: inert, visible, bounded; JSON keeps it exact."""

from __future__ import annotations

import json
import re

import pytest

SGR = re.compile(r"\x1b\[[0-9;]*m")
SESSION = "0000BIGTEXTMSG01"


def big_text_session(emulator, size: int = 1_000_000) -> str:
    emulator.state.add_session({"id": SESSION, "state": "Chatting", "participants": [],
                                "capabilities": [], "userData": {}})
    text = ("lorem ipsum " * (size // 12 + 1))[:size]
    emulator.state.append_message(SESSION, {"type": "Text", "text": text}, notify=False)
    emulator.state.append_message(SESSION, {"type": "Text", "text": "after"}, notify=False)
    return text


def test_a_megabyte_message_is_a_bounded_preview_in_table(cli, emulator, server_args,
                                                          password_env):
    text = big_text_session(emulator)
    result = cli(*server_args, "messages", SESSION, "-o", "table", env=password_env)
    assert result.code == 0
    assert len(result.stdout) < 10_000
    assert "998,000 more characters not shown (--full shows all)" in result.stdout
    assert "after" in result.stdout
    full = cli(*server_args, "messages", SESSION, "-o", "table", "--full", env=password_env)
    assert "not shown" not in full.stdout
    assert len("".join(full.stdout.split())) >= len("".join(text.split()))


def test_machine_formats_keep_the_megabyte_whole(cli, emulator, server_args, password_env):
    text = big_text_session(emulator)
    as_json = cli(*server_args, "messages", SESSION, "--json", env=password_env)
    assert as_json.json()[0]["text"] == text
    plain = cli(*server_args, "messages", SESSION, "-o", "plain", env=password_env)
    assert plain.stdout.splitlines()[0].split("\t")[6] == text


def test_many_lines_are_cut_too(cli, emulator, server_args, password_env):
    emulator.state.add_session({"id": SESSION, "state": "Chatting", "participants": [],
                                "capabilities": [], "userData": {}})
    emulator.state.append_message(SESSION, {"type": "Text", "text": "line\n" * 500},
                                  notify=False)
    result = cli(*server_args, "messages", SESSION, "-o", "table", env=password_env)
    assert len(result.stdout.splitlines()) < 60 and "not shown" in result.stdout


def test_plain_keeps_one_message_per_line(cli, emulator, server_args, password_env):
    emulator.state.add_session({"id": SESSION, "state": "Chatting", "participants": [],
                                "capabilities": [], "userData": {}})
    emulator.state.append_message(SESSION, {"type": "Text", "text": "a\tb\nc\\d\re"},
                                  notify=False)
    result = cli(*server_args, "messages", SESSION, "-o", "plain", env=password_env)
    assert result.stdout.count("\n") == 1
    assert result.stdout.rstrip("\n").split("\t")[6] == "a\\tb\\nc\\\\d\\x0de"


@pytest.mark.slow
def test_json_output_with_a_lone_surrogate_is_valid_utf8(run_cli, emulator, server_args,
                                                         password_env):
    emulator.state.add_session({"id": SESSION, "state": "Chatting", "participants": [],
                                "capabilities": [], "userData": {}})
    emulator.state.append_message(SESSION, {"type": "Text", "text": "half \ud83d pair"},
                                  notify=False)
    for fmt in ("json", "ndjson", "plain", "table"):
        result = run_cli(*server_args, "messages", SESSION, "-o", fmt, env=password_env)
        assert result.code == 0, (fmt, result.stderr)
    as_json = run_cli(*server_args, "messages", SESSION, "-o", "json", env=password_env)
    assert json.loads(as_json.stdout)[0]["text"] == "half \ud83d pair"
