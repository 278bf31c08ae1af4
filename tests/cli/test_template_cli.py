"""--template and --highlight through the real CLI against the emulator: every message type,
missing fields, hostile text, --follow line by line (piped, on a terminal, on a pty),
sessions list and watch, saved templates, usage errors, and what highlights never touch."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smscli.emulator import Emulator
from smscli.emulator.hostile import HOSTILE_SESSION_IDS
from smscli.render.spans import HIGHLIGHT, HIGHLIGHT_ESCAPED, sgr_codes
from smscli.render.styles import message_style, participant_style
from smscli.safety import escape
from tests.conftest import REPO, VENDOR_SESSION
from tests.followkit import add_session, say
from tests.render.test_hostile_rendering import any_dangerous

RICH_SESSION = "0000Wa9CAM6W00FN"  # every message type
COMPLETED = "0000Wa9CAM6W00FF"
SGR = re.compile(r"\x1b\[[0-9;]*m")
ON, OFF = sgr_codes(HIGHLIGHT)
ON_ESCAPED = sgr_codes(HIGHLIGHT_ESCAPED)[0]
NO_PAGER = {"SMSCLI_PASSWORD": "demo", "SMSCLI_PAGER": ""}


def ndjson(cli, server_args, *args: str) -> list[dict]:
    result = cli(*server_args, *args, "-o", "ndjson", env=NO_PAGER)
    assert result.code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_template_over_every_message_type(cli, emulator, server_args):
    messages = ndjson(cli, server_args, "messages", RICH_SESSION)
    assert {m["type"] for m in messages} >= {
        "Text", "ParticipantJoined", "ParticipantLeft", "ParticipantRejoined", "TypingStarted",
        "TypingStopped", "PushUrl", "Notice", "CustomNotice", "TranscriptSaveDone"}
    template = "{index}|{type}|{from.type}|{from.nickname|?}|{text|}{url|}{noticeText|}"
    result = cli(*server_args, "messages", RICH_SESSION, "--template", template, env=NO_PAGER)
    assert result.code == 0, result.stderr
    expected = []
    for m in messages:
        sender = m.get("from") or {}
        body = m.get("text") or m.get("url") or m.get("noticeText") or ""
        expected.append(f"{m['index']}|{m['type']}|{sender.get('type', '')}|"
                        f"{sender.get('nickname') or '?'}|{escape(body)}")
    assert result.stdout.splitlines() == expected
    assert "\x1b" not in result.stdout  # piped: no colour
    assert "\\x1b[2J" in result.stdout  # the demo's one hostile message, made visible


def test_missing_fields_print_their_default_or_nothing(cli, emulator, server_args):
    count = len(ndjson(cli, server_args, "messages", VENDOR_SESSION))
    result = cli(*server_args, "messages", VENDOR_SESSION, "-o", "template", "--template",
                 "[{nope|∅}][{from.nope}][{participants.9.nickname|none}][{index.x|-:>3}]",
                 env=NO_PAGER)
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == ["[∅][][none][  -]"] * count


def test_wide_and_non_ascii_names_line_up_in_cells(cli, emulator, server_args):
    from smscli.render.spans import cell_len

    result = cli(*server_args, "messages", RICH_SESSION, "--template",
                 "{from.nickname|-:<16.16}|{index}", env=NO_PAGER)
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(not line.isascii() for line in lines)  # Zoë 🌸 Müller is in this session
    assert {cell_len(line.split("|")[0]) for line in lines} == {16}


@pytest.fixture(scope="module")
def hostile():
    with Emulator(users={"demo": "demo"}, scenario="hostile") as emu:
        yield emu


EVERY_MESSAGE_FIELD = ("{index} {type} {from.type} {from.nickname} {from.participantId} "
                       "{from} {text} {url} {noticeText} {visibility} {timestamp} "
                       "{timestamp:%H:%M} {type!style} {from.nickname!style:<20.12}")
EVERY_SESSION_FIELD = ("{id} {state} {state!style} {participants} {participants.0.nickname} "
                       "{participants.1.participantId} {capabilities} {userData} "
                       "{userData.Subject:>30} {receivedDate:%H:%M}")


@pytest.mark.parametrize("extra", [[], ["--color", "always"],
                                   ["--color", "always", "--highlight", "x1b",
                                    "--highlight", "\\", "--highlight-regex", r"u20\w+"]],
                         ids=["piped", "colour", "highlighted"])
def test_hostile_text_in_every_field_stays_inert(run_cli, hostile, extra):
    base = ["--server", hostile.url, "--user", "demo"]
    runs = [["sessions", "list", "--template", EVERY_SESSION_FIELD]]
    runs += [["messages", sid, "--template", EVERY_MESSAGE_FIELD] for sid in HOSTILE_SESSION_IDS]
    for args in runs:
        result = run_cli(*base, *args, *extra, env={"SMSCLI_PASSWORD": "demo"})
        assert result.code == 0, result.stderr
        assert "Traceback" not in result.stderr
        out = result.stdout
        if not extra:
            assert "\x1b" not in out
        leftover = SGR.sub("", out)
        assert "\x1b" not in leftover and not any_dangerous(leftover), args
        assert "\\x1b" in leftover or "\\u" in leftover or args[0] == "sessions" or \
            args[1] == HOSTILE_SESSION_IDS[3]
        if "--highlight" in extra:
            assert ON_ESCAPED in out or args[1] == HOSTILE_SESSION_IDS[3]


def test_follow_prints_a_line_per_message_as_it_comes_piped(clean_env, emulator, server_args):
    session = add_session(emulator, history=2)
    proc = subprocess.Popen(
        [sys.executable, "-m", "smscli", *server_args, "messages", session, "--follow",
         "--template", "{index}: {text}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        env={**clean_env, "SMSCLI_PASSWORD": "demo"}, cwd=REPO)
    lines = Lines(proc)
    try:
        assert lines.next() == "1: history 0"
        assert lines.next() == "2: history 1"
        for n in range(3):  # each new message is on stdout while the follow still runs
            say(emulator, f"live {n}", session)
            assert lines.next() == f"{n + 3}: live {n}"
            assert proc.poll() is None
        emulator.state.set_state(session, "Completed")
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert lines.pending + rest == ""


class Lines:
    """A process's stdout a line at a time, each read from the pipe as it comes (no buffer
    of Python's in between), failing rather than hanging when none comes in time."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.fd = proc.stdout.fileno()  # type: ignore[union-attr]
        self.pending = ""

    def next(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while "\n" not in self.pending:
            ready, _, _ = select.select([self.fd], [], [], max(0, deadline - time.monotonic()))
            assert ready, f"no line in time (so far {self.pending!r})"
            chunk = os.read(self.fd, 65536)
            assert chunk, f"the output ended (so far {self.pending!r})"
            self.pending += chunk.decode("utf-8")
        line, self.pending = self.pending.split("\n", 1)
        return line


def test_follow_on_a_terminal_is_coloured_and_ends_with_the_session(cli, emulator, server_args):
    template = "{type!style} {from.nickname!style}: {text|}"
    history = ndjson(cli, server_args, "messages", COMPLETED)
    result = cli(*server_args, "messages", COMPLETED, "--follow", "--template", template,
                 env=NO_PAGER, terminal=(True, True))
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(history)
    first = history[0]
    before, after = sgr_codes(message_style(first["type"]))
    assert lines[0].startswith(f"{before}{first['type']}{after}")
    sender = sgr_codes(participant_style(first["from"]["type"]))[0]
    assert sender in lines[0]
    assert [SGR.sub("", line).split(" ")[0] for line in lines] == [m["type"] for m in history]
    piped = cli(*server_args, "messages", COMPLETED, "--follow", "--template", template,
                env=NO_PAGER)
    assert piped.stdout == SGR.sub("", result.stdout) and "\x1b" not in piped.stdout
    never = cli(*server_args, "messages", COMPLETED, "--template", template, "--color",
                "never", env=NO_PAGER, terminal=(True, True))
    assert never.stdout == piped.stdout


def test_sessions_list_is_a_line_per_session(cli, emulator, server_args):
    sessions = json.loads(cli(*server_args, "sessions", "list", "--json",
                              env=NO_PAGER).stdout)
    result = cli(*server_args, "sessions", "list", "--template",
                 "{id} {state} {participants.0.nickname|-} {userData.Subject|}", env=NO_PAGER)
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{s['id']} {s['state']} {(s['participants'] or [{}])[0].get('nickname') or '-'} "
        f"{s['userData'].get('Subject') or ''}" for s in sessions]
    chatting = cli(*server_args, "sessions", "list", "--state", "Chatting", "--template",
                   "{id}", env=NO_PAGER)
    assert chatting.stdout.splitlines() == [s["id"] for s in sessions
                                            if s["state"] == "Chatting"]


def test_sessions_watch_piped_is_a_line_per_change_record(clean_env, emulator, server_args):
    sessions = emulator.state.list_sessions()
    proc = subprocess.Popen(
        [sys.executable, "-m", "smscli", *server_args, "sessions", "watch", "--poll",
         "--interval", "0.2", "--template", "{change}|{session}|{state}|{smssession.id}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        env={**clean_env, "SMSCLI_PASSWORD": "demo"}, cwd=REPO)
    try:
        lines = Lines(proc)
        firsts = [lines.next() for _ in sessions]
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert sorted(firsts) == sorted(f"added|{s['id']}|{s['state']}|{s['id']}"
                                    for s in sessions)


def write_config(clean_env: dict[str, str], text: str) -> None:
    config = Path(clean_env["SMSCLI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(text, encoding="utf-8")


def test_templates_saved_in_the_profile_are_used_by_name(cli, clean_env, emulator, server_args):
    write_config(clean_env, 'profile = "work"\n[profiles.work]\n'
                 'templates.ids = "<{index}>"\ntemplates.who = "{from.nickname|?}"\n')
    indexes = [m["index"] for m in ndjson(cli, server_args, "messages", VENDOR_SESSION)]
    result = cli(*server_args, "messages", VENDOR_SESSION, "--template", "@ids", env=NO_PAGER)
    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [f"<{i}>" for i in indexes]
    unknown = cli(*server_args, "messages", VENDOR_SESSION, "--template", "@nope",
                  env=NO_PAGER)
    assert unknown.code == 2 and unknown.stdout == ""
    assert "'nope'" in unknown.stderr and "known: ids, who" in unknown.stderr
    literal = cli(*server_args, "messages", VENDOR_SESSION, "--template", "@{index}",
                  env=NO_PAGER)
    assert literal.stdout.splitlines() == [f"@{i}" for i in indexes]  # not a name: literal


def test_a_saved_template_that_is_malformed_or_not_text_is_refused(cli, clean_env, emulator,
                                                                   server_args):
    write_config(clean_env, 'profile = "p"\n[profiles.p]\ntemplates.bad = "{index"\n')
    bad = cli(*server_args, "messages", VENDOR_SESSION, "--template", "@bad", env=NO_PAGER)
    assert bad.code == 2 and '--template @bad: unclosed "{" at column 1' in bad.stderr
    write_config(clean_env, 'profile = "p"\n[profiles.p]\ntemplates = "x"\n')
    wrong = cli(*server_args, "messages", VENDOR_SESSION, "--template", "{index}",
                env=NO_PAGER)
    assert wrong.code != 0 and "templates" in wrong.stderr


@pytest.mark.parametrize("args, message", [
    (["messages", VENDOR_SESSION, "--template", "{index} {text"],
     '--template: unclosed "{" at column 9'),
    (["messages", VENDOR_SESSION, "--template", "{index}} x"], 'stray "}"'),
    (["messages", VENDOR_SESSION, "--template", "{type!purple}"], 'unknown style "purple"'),
    (["messages", VENDOR_SESSION, "--template", "{index:>>>5}"], "at column 8"),
    (["messages", VENDOR_SESSION, "-o", "template"], "-o template needs --template"),
    (["messages", VENDOR_SESSION, "--template", "{index}", "-o", "json"],
     "--template does not combine with -o json"),
    (["--json", "messages", VENDOR_SESSION, "--template", "{index}"],
     "--template does not combine with -o json"),
    (["messages", VENDOR_SESSION, "--template", "{index}", "--view", "chat"], "--view chat"),
    (["messages", VENDOR_SESSION, "--template", "{index}", "--export", "x.md"], "--export"),
    (["sessions", "list", "-q", "--template", "{id}"], "--quiet and --template"),
    (["sessions", "show", VENDOR_SESSION, "-o", "template"], "template"),
    (["messages", VENDOR_SESSION, "--highlight-regex", "(unclosed"], "--highlight-regex"),
    (["messages", VENDOR_SESSION, "--highlight", ""], "--highlight"),
    (["sessions", "watch", "--template", "{"], 'unclosed "{"'),
])
def test_usage_errors_exit_2_with_one_line_saying_what(cli, emulator, server_args, args,
                                                       message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = emulator.stats.connections
    result = cli(*server_args, *args, env=NO_PAGER)
    assert result.code == 2, result.stderr
    assert result.stdout == ""
    assert message in result.stderr
    assert emulator.stats.connections == before  # refused before anything was fetched


@pytest.mark.parametrize("fmt", [["-o", "json"], ["-o", "ndjson"], ["--json"]])
def test_highlights_never_change_json(cli, emulator, server_args, fmt):
    for args in (["messages", RICH_SESSION], ["sessions", "list"]):
        plain = cli(*server_args, *args, *fmt, env=NO_PAGER, terminal=(True, True))
        marked = cli(*server_args, *args, *fmt, "--highlight", "a", "--highlight-regex", ".",
                     "--color", "always", env=NO_PAGER, terminal=(True, True))
        assert marked.code == 0 and marked.stdout == plain.stdout and plain.stdout


def test_highlights_in_the_table_on_a_terminal_and_the_chat_view(cli, emulator, server_args):
    table = cli(*server_args, "messages", RICH_SESSION, "--highlight", "cot",
                env=NO_PAGER, terminal=(True, True))
    assert table.code == 0, table.stderr
    assert f"{ON}cot{OFF}" in table.stdout
    chat = cli(*server_args, "messages", RICH_SESSION, "--view", "chat", "--highlight", "COT",
               env=NO_PAGER, terminal=(True, True))
    assert f"{ON}cot{OFF}" in chat.stdout
    sessions = cli(*server_args, "sessions", "list", "--highlight", "chat", env=NO_PAGER,
                   terminal=(True, True))
    assert f"{ON}Chat{OFF}" in sessions.stdout
    template = cli(*server_args, "messages", RICH_SESSION, "--template", "{text|}",
                   "--highlight", "cot", env=NO_PAGER, terminal=(True, True))
    assert f"{ON}cot{OFF}" in template.stdout
    piped = cli(*server_args, "messages", RICH_SESSION, "-o", "table", "--highlight", "cot",
                env=NO_PAGER)
    assert "\x1b" not in piped.stdout  # no colour, no highlight


def test_a_catastrophic_regex_is_bounded_and_warned_about_once(cli, emulator, server_args):
    session = add_session(emulator, history=0)
    for n in range(5):
        say(emulator, "a" * 40 + "b", session)
    say(emulator, "a plain line", session)
    started = time.monotonic()
    for pattern in (r"(a+)+$", r"(a|aa)+$"):
        result = cli(*server_args, "messages", session, "-o", "table", "--color", "always",
                     "--highlight-regex", pattern, "--highlight", "plain", env=NO_PAGER)
        assert result.code == 0, result.stderr
        assert f"{ON}plain{OFF}" in result.stdout
        assert result.stdout.count("a" * 40 + "b") == 5  # every text shown, unmarked
        warnings = [line for line in result.stderr.splitlines() if "highlight-regex" in line]
        assert len(warnings) == (1 if pattern == r"(a|aa)+$" else 0), result.stderr
    assert time.monotonic() - started < 120  # bounded: each text gives up after 0.1 s


def test_a_template_with_highlights_on_a_real_terminal(clean_env, emulator):
    """A pty, as a person has: colour by the table's rule, highlights, a line per message."""
    import pty

    env = {**clean_env, "SMSCLI_PASSWORD": "demo", "SMSCLI_PAGER": ""}
    argv = [sys.executable, "-m", "smscli", "--server", emulator.url, "--user", "demo",
            "messages", RICH_SESSION, "--template", "{index:>3} {type!style}: {text|}",
            "--highlight", "cot"]
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, argv, env)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, seen[-500:]
    text = seen.decode("utf-8")
    assert f"{ON}cot{OFF}".replace("\n", "\r\n") in text
    joined = sgr_codes(message_style("ParticipantJoined"))[0]
    assert f"  1 {joined}ParticipantJoined" in text
    lines = [SGR.sub("", line) for line in text.split("\r\n") if line]
    assert re.fullmatch(r"\s*1 ParticipantJoined: ", lines[0])
