"""The real CLI against the real emulator over loopback: formats, filters, colour, exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from smscli.emulator import Emulator

VENDOR_SESSION = "0000Na9B26EF002G"

SGR = re.compile(r"\x1b\[[0-9;]*m")
KNOWN_TYPES = ("Text", "ParticipantJoined", "ParticipantLeft", "ParticipantRejoined",
               "TypingStarted", "TypingStopped", "PushUrl", "Notice", "CustomNotice",
               "TranscriptSaveDone")
JQ = shutil.which("jq")
needs_jq = pytest.mark.skipif(JQ is None and not __import__("os").environ.get("CI"),
                              reason="jq is not installed (CI installs it)")


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """conftest's demo server, built once for the module; a test that adds a session to it
    does so through ``added_session``, which takes it away again."""
    with Emulator(users={"demo": "demo"}, seed=7, traffic_rate=0.0) as emu:
        yield emu


@pytest.fixture
def added_session(emulator: Emulator) -> Iterator[Callable[..., str]]:
    """Add a session (and its messages) for one test only."""
    added: list[str] = []

    def add(resource: dict, *messages: dict) -> str:
        emulator.state.add_session(resource)
        added.append(resource["id"])
        for message in messages:
            emulator.state.append_message(resource["id"], message, notify=False)
        return resource["id"]

    yield add
    for session_id in added:
        emulator.state.remove_session(session_id)


def all_messages(emu: Emulator, session_id: str) -> list[dict]:
    return emu.state.messages(session_id, 1, 0)


def session_with_most_types(emu: Emulator) -> str:
    return max(emu.state.list_sessions(),
               key=lambda s: len({m["type"] for m in all_messages(emu, s["id"])}))["id"]


def longest_session(emu: Emulator) -> str:
    return max(emu.state.list_sessions(), key=lambda s: len(all_messages(emu, s["id"])))["id"]


def jq(filter_: str, data: str, *flags: str) -> str:
    proc = subprocess.run([JQ or "jq", *flags, filter_], input=data, capture_output=True,
                          text=True, check=True)
    return proc.stdout


# -- sessions ---------------------------------------------------------------------------------

def test_sessions_list_json_is_the_servers_data(cli, emulator, server_args, password_env):
    result = cli(*server_args, "sessions", "list", "--json", env=password_env)
    assert result.code == 0, result.stderr
    assert result.json() == json.loads(json.dumps(emulator.state.list_sessions()))
    assert result.stderr == ""


@needs_jq
def test_sessions_list_json_pipes_into_jq(run_cli, emulator, server_args, password_env):
    result = run_cli(*server_args, "sessions", "list", "-o", "json", env=password_env)
    ids = jq(".[].id", result.stdout, "-r").split()
    assert ids == [s["id"] for s in emulator.state.list_sessions()]


def test_sessions_list_plain_is_one_tab_separated_line_per_session(cli, emulator, server_args,
                                                                   password_env):
    result = cli(*server_args, "sessions", "list", env=password_env)  # piped: plain
    lines = result.stdout.splitlines()
    assert len(lines) == len(emulator.state.list_sessions())
    vendor = next(line.split("\t") for line in lines if line.startswith(VENDOR_SESSION))
    assert vendor[:4] == [VENDOR_SESSION, "Chatting", "PersonP", "Agent1"]
    assert "\x1b" not in result.stdout


def test_sessions_list_state_filter_and_quiet(cli, emulator, server_args, password_env):
    result = cli(*server_args, "sessions", "list", "--state", "chatting", "-q",
                 env=password_env)
    expected = [s["id"] for s in emulator.state.list_sessions() if s["state"] == "Chatting"]
    assert result.stdout.split() == expected and len(expected) >= 2


def test_sessions_list_table_colours_states(cli, emulator, server_args, password_env):
    result = cli(*server_args, "sessions", "list", "-o", "table", "--color", "always",
                 env=password_env)
    assert result.code == 0
    states = {s["state"] for s in emulator.state.list_sessions()}
    assert {"Invited", "Chatting", "LeftChat", "Completed"} <= states
    codes = {}
    for state in states:
        match = re.search(r"(\x1b\[[0-9;]*m)" + state + r"\x1b\[0m", result.stdout)
        assert match, f"{state} is not coloured"
        codes[state] = match.group(1)
    assert len(set(codes.values())) == len(codes)


def test_sessions_show_table(cli, server_args, password_env):
    result = cli(*server_args, "sessions", "show", VENDOR_SESSION, "-o", "table",
                 env=password_env)
    assert result.code == 0, result.stderr
    for expected in ("Chatting", "Agent1", "009052BDEE4A003E", "PersonP", "009052BDEE39003C",
                     "LeaveAndComplete", "Participants", "User data"):
        assert expected in result.stdout


def test_sessions_show_colours_participants_by_type(cli, emulator, server_args, password_env):
    session_id = session_with_most_types(emulator)
    result = cli(*server_args, "sessions", "show", session_id, "-o", "table", "--color",
                 "always", env=password_env)
    session = emulator.state.get_session(session_id)
    codes = {}
    for p in session["participants"]:
        match = re.search(r"(\x1b\[[0-9;]*m)" + re.escape(p["type"]) + r"\x1b\[0m",
                          result.stdout)
        assert match, p["type"]
        codes[p["type"]] = match.group(1)
    assert len(codes) >= 3 and len(set(codes.values())) == len(codes)


def test_sessions_show_user_data_and_json(cli, emulator, server_args, password_env):
    session_id = session_with_most_types(emulator)
    session = emulator.state.get_session(session_id)
    result = cli(*server_args, "sessions", "show", session_id, "--json", env=password_env)
    assert result.json() == json.loads(json.dumps(session))
    plain = cli(*server_args, "sessions", "show", session_id, "-o", "plain", env=password_env)
    rows = [line.split("\t") for line in plain.stdout.splitlines()]
    user_data = {r[1]: r[2] for r in rows if r[0] == "userData"}
    assert user_data == {k: ("" if v is None else v if isinstance(v, str) else json.dumps(v))
                         for k, v in session["userData"].items()}
    assert [r[1] for r in rows if r[0] == "capability"] == session["capabilities"]


# -- messages ---------------------------------------------------------------------------------

@needs_jq
def test_messages_json_counts_text_with_jq(run_cli, emulator, server_args, password_env):
    result = run_cli(*server_args, "messages", VENDOR_SESSION, "--json", env=password_env)
    assert result.code == 0, result.stderr
    count = jq('map(select(.type=="Text")) | length', result.stdout)
    expected = sum(m["type"] == "Text" for m in all_messages(emulator, VENDOR_SESSION))
    assert int(count) == expected > 0


@needs_jq
def test_messages_ndjson_line_by_line_with_jq(run_cli, emulator, server_args, password_env):
    session_id = session_with_most_types(emulator)
    result = run_cli(*server_args, "messages", session_id, "-o", "ndjson", env=password_env)
    compact = jq(".", result.stdout, "-c").splitlines()
    expected = all_messages(emulator, session_id)
    assert [json.loads(line) for line in compact] == json.loads(json.dumps(expected))
    assert len(result.stdout.splitlines()) == len(expected)


def test_messages_json_keeps_every_field_byte_for_byte(cli, added_session, server_args,
                                                      password_env):
    odd = {"index": 1, "type": "Mystery", "text": "\x1b[2J[red]x[/red] :smile:",
           "futureField": {"a": [1, None]}, "timestampSeconds": 1}
    session_id = added_session({"id": "0000FIELDSKEPT01", "state": "Chatting",
                                "participants": [], "capabilities": [], "userData": {}}, odd)
    result = cli(*server_args, "messages", session_id, "-o", "json", env=password_env)
    assert result.json()[0]["text"] == odd["text"]
    assert result.json()[0]["futureField"] == {"a": [1, None]}
    assert "\\u001b[2J" in result.stdout  # JSON escaping makes it inert


def test_every_message_type_has_its_own_colour_and_label(cli, emulator, server_args,
                                                         password_env):
    session_id = session_with_most_types(emulator)
    present = {m["type"] for m in all_messages(emulator, session_id)}
    assert set(KNOWN_TYPES) <= present
    result = cli(*server_args, "messages", session_id, "-o", "table", "--color", "always",
                 env=password_env)
    codes = {}
    for kind in KNOWN_TYPES:
        match = re.search(r"(\x1b\[[0-9;]*m)" + kind + r"\s*\x1b\[0m", result.stdout)
        assert match, f"{kind} has no colour"
        codes[kind] = match.group(1)
    assert len(set(codes.values())) == len(KNOWN_TYPES)


def test_unknown_message_type_is_shown_neutral(cli, added_session, server_args, password_env):
    session_id = added_session({"id": "0000UNKNOWNTYPE1", "state": "Chatting",
                                "participants": [], "capabilities": [], "userData": {}},
                               {"type": "HologramSent", "text": "hi"})
    result = cli(*server_args, "messages", session_id, "-o", "table", "--color", "always",
                 env=password_env)
    assert result.code == 0
    line = next(line for line in result.stdout.splitlines() if "HologramSent" in line)
    assert not re.search(r"\x1b\[[0-9;]*mHologramSent", line)


def test_messages_filters(cli, emulator, server_args, password_env):
    session_id = session_with_most_types(emulator)
    everything = all_messages(emulator, session_id)

    def indexes(*args: str) -> list[str]:
        out = cli(*server_args, "messages", session_id, "-o", "plain", *args, env=password_env)
        assert out.code == 0, out.stderr
        return [line.split("\t")[4] for line in out.stdout.splitlines()]

    assert indexes("--type", "Text") == ["Text"] * sum(m["type"] == "Text" for m in everything)
    assert "TypingStarted" not in indexes("--no-typing")
    assert len(indexes("--limit", "3")) == 3
    positive = [m["index"] for m in everything if m["index"] > 0]
    assert len(indexes("--start", str(positive[-1]))) < len(everything)


def test_long_transcript_streams_in_pages(run_cli, emulator, server_args, password_env):
    session_id = longest_session(emulator)
    expected = len(all_messages(emulator, session_id))
    assert expected >= 2000
    result = run_cli(*server_args, "messages", session_id, "-o", "ndjson", "--page-size",
                     "100", env=password_env)
    assert result.code == 0
    assert len(result.stdout.splitlines()) == expected


def test_piped_output_has_no_escape_bytes_even_with_force_color(cli, emulator, server_args,
                                                                password_env):
    session_id = session_with_most_types(emulator)
    for fmt in ("plain", "json", "ndjson"):
        result = cli(*server_args, "messages", session_id, "-o", fmt,
                     env={**password_env, "FORCE_COLOR": "1"})
        assert "\x1b" not in result.stdout, fmt
    default = cli(*server_args, "messages", session_id, env=password_env)
    assert "\x1b" not in default.stdout and "\t" in default.stdout


@pytest.mark.parametrize("env, flag, coloured", [
    ({"NO_COLOR": "1"}, [], False),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, [], False),
    ({"FORCE_COLOR": "1"}, [], True),
    ({"CLICOLOR_FORCE": "1"}, [], True),
    ({"NO_COLOR": "1"}, ["--color", "always"], True),
    ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
    ({"FORCE_COLOR": "1", "TERM": "dumb"}, [], True),
    ({"TERM": "dumb"}, [], False),
])
def test_colour_rules(cli, server_args, password_env, env, flag, coloured):
    result = cli(*server_args, "messages", VENDOR_SESSION, "-o", "table", *flag,
                 env={**password_env, **env})
    assert result.code == 0
    assert bool(SGR.search(result.stdout)) is coloured
    assert "\x1b" not in SGR.sub("", result.stdout)


def times_end_with(result, offset: str) -> bool:  # type: ignore[no-untyped-def]
    """A run that worked, printed lines, and gave every time in that offset."""
    lines = result.stdout.splitlines()
    assert result.code == 0 and lines, (result.code, result.stderr)
    return all(line.split("\t")[1].endswith(offset) for line in lines)


def test_times_follow_utc_and_tz(cli, server_args, password_env):
    utc = cli(*server_args, "messages", VENDOR_SESSION, "--utc", env=password_env)
    tokyo = cli(*server_args, "messages", VENDOR_SESSION, "--tz", "Asia/Tokyo",
                env=password_env)
    assert times_end_with(utc, "+00:00") and times_end_with(tokyo, "+09:00")
    bad = cli(*server_args, "messages", VENDOR_SESSION, "--tz", "Mars/Olympus",
              env=password_env)
    assert bad.code == 2 and "unknown time zone" in bad.stderr


def test_hostile_text_in_table_is_inert(cli, added_session, server_args, password_env):
    session_id = added_session({"id": "0000HOSTILETEXT1", "state": "Chatting", "participants": [
        {"type": "Customer", "nickname": "[bold red]\x1b[5mEvil", "participantId": "P1"}],
        "capabilities": [], "userData": {"k\x1b[2J": "\x1b]52;c;ZXZpbA==\x07"}}, {
        "type": "Text", "text": "hi\x1b[2J\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \u202eevil "
        "[red]markup[/red] :smile:"})
    for args in (["messages", session_id], ["sessions", "show", session_id],
                 ["sessions", "list"]):
        result = cli(*server_args, *args, "-o", "table", "--color", "always",
                     env=password_env)
        assert result.code == 0, result.stderr
        leftover = SGR.sub("", result.stdout)
        assert "\x1b" not in leftover and "\u202e" not in leftover, args
    shown = SGR.sub("", cli(*server_args, "messages", session_id, "-o", "table",
                            env=password_env).stdout)
    assert "[red]markup[/red] :smile:" in shown and "\\x1b[2J" in shown and "\\u202e" in shown


# -- errors and exit codes ----------------------------------------------------------------------

def test_unknown_session_exits_3(cli, server_args, password_env):
    for args in (["messages", "0000NOSUCHSESS00"], ["sessions", "show", "0000NOSUCHSESS00"]):
        result = cli(*server_args, *args, env=password_env)
        assert result.code == 3, args
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1


def test_wrong_password_exits_4(cli, server_args):
    result = cli(*server_args, "sessions", "list", env={"SMSCLI_PASSWORD": "wrong"})
    assert result.code == 4
    assert "authentication failed" in result.stderr and "wrong" not in result.stderr


def test_missing_password_off_a_terminal_exits_4(run_cli, server_args):
    result = run_cli(*server_args, "sessions", "list", input="")
    assert result.code == 4 and "SMSCLI_PASSWORD" in result.stderr


def test_server_down_exits_6(cli, password_env):
    result = cli("--server", "http://127.0.0.1:9", "--user", "demo", "sessions", "list",
                 env=password_env)
    assert result.code == 6 and "connection refused" in result.stderr


def test_no_server_names_the_ways_to_give_one(cli):
    result = cli("sessions", "list")
    assert result.code == 2
    assert "--server" in result.stderr and "SMSCLI_SERVER" in result.stderr
    assert "--demo" in result.stderr


def test_json_mode_errors_are_also_a_json_object(cli, server_args, password_env):
    result = cli(*server_args, "messages", "0000NOSUCHSESS00", "--json", env=password_env)
    error = json.loads(result.stderr.strip().splitlines()[-1])
    assert error["exitCode"] == 3 and error["error"] == "not_found"


def test_malformed_server_json_is_one_clear_line(run_cli, raw_server, password_env):
    raw_server.route("/api/v2/me/smssessions", (200, {}, b'{"smssessions": [{"id": "x" "s"}]'))
    result = run_cli("--server", raw_server.url, "--user", "demo", "sessions", "list",
                     env=password_env)
    assert result.code == 5
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "not JSON" in result.stderr


def test_usage_error_exits_2(cli):
    assert cli("messages", "X", "--output", "yaml").code == 2
    assert cli("no-such-command").code == 2


# -- the demo, the emulator command, the package ------------------------------------------------

def test_demo_works_out_of_the_box(run_cli):
    listed = run_cli("--demo", "sessions", "list", "-o", "table")
    assert listed.code == 0, listed.stderr
    assert VENDOR_SESSION in listed.stdout and "Chatting" in listed.stdout
    shown = run_cli("--demo", "messages", VENDOR_SESSION, "--json")
    assert shown.code == 0 and any(m["type"] == "Text" for m in shown.json())


def test_demo_via_environment(cli):
    result = cli("sessions", "list", "-q", env={"SMSCLI_DEMO": "1"})
    assert result.code == 0 and VENDOR_SESSION in result.stdout.split()


def test_emulator_serve_in_the_foreground_over_real_http(clean_env, run_cli):
    proc = subprocess.Popen([sys.executable, "-m", "smscli", "emulator", "serve", "--port", "0",
                             "--rate", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=clean_env)
    try:
        url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert url.startswith("http://127.0.0.1:")
        result = run_cli("--server", url, "--user", "demo", "sessions", "list", "-q",
                         env={"SMSCLI_PASSWORD": "demo"})
        assert result.code == 0 and VENDOR_SESSION in result.stdout.split()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_version_and_module_entry_point(run_cli):
    from smscli import __version__

    result = run_cli("--version")
    assert result.code == 0 and result.stdout.strip() == f"smscli {__version__}"


def test_head_closes_the_pipe_quietly(clean_env):
    proc = subprocess.run(
        [
            "bash", "-c",
            f'"{sys.executable}" -m smscli --demo messages 0000Na9B26EF002G -o plain '
            '--page-size 1 | head -1; echo "status=${PIPESTATUS[0]}" >&2',
        ],
        capture_output=True, text=True, env=clean_env, timeout=60,
    )
    assert len(proc.stdout.splitlines()) == 1
    assert proc.stderr.strip() == "status=0"


def test_config_precedence_flag_env_profile(cli, clean_env, tmp_path):
    from pathlib import Path

    config_dir = Path(clean_env["SMSCLI_CONFIG_DIR"])
    config_dir.mkdir(parents=True)
    (config_dir / "config.toml").write_text(
        'profile = "lab"\n[profiles.lab]\nserver = "https://lab.example"\nuser = "labuser"\n'
        'timeout = 12\n[profiles.prod]\nserver = "https://prod.example"\n')

    def show(*args: str, env: dict[str, str] | None = None) -> dict:
        result = cli(*args, "config", "show", "--json", env=env)
        assert result.code == 0, result.stderr
        return result.json()

    base = show()
    assert base["server"] == {"value": "https://lab.example", "source": "profile lab"}
    assert base["timeout"]["value"] == 12.0 and base["password"]["value"] is None
    assert show("--profile", "prod")["server"]["value"] == "https://prod.example"
    from_env = show(env={"SMSCLI_SERVER": "https://env.example", "SMSCLI_PASSWORD": "s3cret"})
    assert from_env["server"]["source"] == "env SMSCLI_SERVER"
    assert from_env["password"]["value"] == "<set>"
    assert "s3cret" not in json.dumps(from_env)
    assert show("--server", "https://flag.example")["server"]["source"] == "flag --server"
    missing = cli("--profile", "nope", "config", "show")
    assert missing.code == 2 and "lab, prod" in missing.stderr


def test_password_from_a_hidden_prompt_on_a_terminal(clean_env, emulator):
    import os
    import pty
    import select

    env = {**clean_env, "COLUMNS": "200"}
    argv = [sys.executable, "-m", "smscli", "--server", emulator.url, "--user", "demo",
            "sessions", "list", "-q"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: its terminal is the pty, as for a person at a keyboard
        os.execve(sys.executable, argv, env)
    seen = b""

    def read_until(marker: bytes) -> None:
        nonlocal seen
        while marker not in seen:
            ready, _, _ = select.select([fd], [], [], 20)
            assert ready, f"no {marker!r} in {seen!r}"
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            assert chunk, f"no {marker!r} in {seen!r}"
            seen += chunk

    read_until(b"Password for demo at ")
    os.write(fd, b"demo\n")
    read_until(VENDOR_SESSION.encode())
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"demo\r\n" not in seen.split(b"Password", 1)[1]  # typed without echo


def test_time_zone_from_environment_and_profile(cli, clean_env, server_args, password_env):
    from pathlib import Path

    tokyo = cli(*server_args, "messages", VENDOR_SESSION, env={**password_env,
                                                               "SMSCLI_TZ": "Asia/Tokyo"})
    assert times_end_with(tokyo, "+09:00")
    config = Path(clean_env["SMSCLI_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text('profile = "p"\n[profiles.p]\ntz = "America/Lima"\n')
    lima = cli(*server_args, "messages", VENDOR_SESSION, env={"SMSCLI_TZ": ""})
    assert times_end_with(lima, "-05:00")
    flag = cli(*server_args, "messages", VENDOR_SESSION, "--utc")
    assert times_end_with(flag, "+00:00")
