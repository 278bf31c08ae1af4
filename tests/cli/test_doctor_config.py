"""`smscli doctor` verdicts, and `smscli config init/profiles/use` as a person uses them."""

from __future__ import annotations

import json
import os
import stat
import sys
import tomllib
from pathlib import Path

from smscli.doctor import _clock_check


def verdicts(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {c["step"]: c["verdict"] for c in json.loads(result.stdout)}


def test_doctor_on_a_healthy_server(run_cli, emulator):
    result = run_cli("--server", emulator.url, "--user", "demo", "doctor", "--json",
                     env={"SMSCLI_PASSWORD": "demo"})
    assert result.code == 0, result.stderr
    assert set(verdicts(result).values()) == {"ok"}
    assert len(verdicts(result)) == 8


def test_doctor_wrong_password_fails_credentials_with_exit_4(run_cli, emulator):
    result = run_cli("--server", emulator.url, "--user", "demo", "doctor",
                     env={"SMSCLI_PASSWORD": "nope"})
    assert result.code == 4
    lines = result.stdout.splitlines()
    assert lines[2].startswith("✓ TLS") and lines[3].startswith("✗ credentials")
    assert any(line.startswith("- clock") for line in lines)
    assert "check --user and SMSCLI_PASSWORD" in result.stdout


def test_doctor_server_down_exits_6(run_cli):
    result = run_cli("--server", "http://127.0.0.1:9", "--user", "x", "doctor", "--json",
                     env={"SMSCLI_PASSWORD": "x"})
    assert result.code == 6
    assert verdicts(result)["server answers"] == "fail"
    assert verdicts(result)["credentials"] == "skip"


def test_doctor_without_configuration_says_what_to_set(run_cli):
    result = run_cli("doctor")
    assert result.code == 2 and "SMSCLI_SERVER" in result.stdout


def test_doctor_missing_sms_feature(run_cli, raw_server):
    raw_server.route("/api/v2/diagnostics/version", (200, {}, b'{"statusCode":0,"version":"9"}'))
    raw_server.route("/api/v2/me", (200, {"Set-Cookie": "JSESSIONID=abc; Path=/"}, json.dumps(
        {"statusCode": 0, "user": {"userName": "x", "features": [{"id": "api-voice"}]}}
    ).encode()))
    raw_server.route("/api/v2/notifications", (404, {}, b'{"statusCode":6}'))
    result = run_cli("--server", raw_server.url, "--user", "x", "doctor", "--json",
                     env={"SMSCLI_PASSWORD": "x"})
    found = verdicts(result)
    assert found["SMS feature"] == "fail" and result.code == 4
    assert found["live notifications"] == "warn"


def test_clock_skew_is_reported():
    check = _clock_check("Mon, 01 Jan 2001 00:00:00 GMT")
    assert check.verdict == "warn" and "ahead of the server" in check.detail
    assert _clock_check(None).verdict == "warn"
    assert _clock_check("not a date").verdict == "warn"


def test_config_init_on_a_terminal_then_profiles_and_use(clean_env, emulator, run_cli):
    import pty
    import select

    config = Path(clean_env["SMSCLI_CONFIG_DIR"])
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-m", "smscli", "config", "init",
                                   "--profile-name", "lab"], clean_env)
    answers = [(b"GWS server URL", emulator.url), (b"User name", "demo"),
               (b"Store the password now?", "y"),
               # "Password:" is echoed, then getpass flushes input and writes " ": wait for it.
               (b"Password: ", "demo"),
               (b"Store it in the config file", "y")]
    seen = b""
    for prompt, answer in answers:
        while prompt not in seen:
            assert select.select([fd], [], [], 20)[0], seen
            seen += os.read(fd, 4096)
        os.write(fd, answer.encode() + b"\r")
        seen = seen.split(prompt, 1)[1]
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, seen
    path = config / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = tomllib.loads(path.read_text())
    assert document["profile"] == "lab"
    assert document["profiles"]["lab"] == {"server": emulator.url, "user": "demo",
                                           "password": "demo"}
    # The new profile works, with no flags and no environment.
    listed = run_cli("sessions", "list", "-q")
    assert listed.code == 0 and "0000Na9B26EF002G" in listed.stdout.split()

    document["profiles"]["prod"] = {"server": "https://gws.example.com", "user": "p"}
    path.write_text(path.read_text() + '\n[profiles.prod]\nserver = "https://x"\n')
    assert run_cli("config", "profiles").stdout.splitlines() == ["* lab", "  prod"]
    assert run_cli("config", "use", "prod").code == 0
    assert run_cli("config", "profiles").stdout.splitlines() == ["  lab", "* prod"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    missing = run_cli("config", "use", "nope")
    assert missing.code == 2 and "lab, prod" in missing.stderr
