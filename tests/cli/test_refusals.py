"""Usage errors: options that make no sense together are refused (exit 2, the usage line and
one line of what is wrong); filters with unknown values say so; a missing ID is not 60 lines."""

from __future__ import annotations

import json

import pytest
from conftest import VENDOR_SESSION


def usage_error(result) -> str:  # type: ignore[no-untyped-def]
    """The error line of a usage error, after checking its shape: a few lines, not the help."""
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("Usage: smscli ")
    assert len(lines) <= 3, result.stderr  # usage, "Try ... -h", the error: never the help
    assert "Options:" not in result.stderr
    return lines[-1]


@pytest.mark.parametrize("flags", [["--tail", "3"], ["--no-history"], ["--events"],
                                   ["--poll"], ["--max-retries", "2"],
                                   ["--cursor-file", "c.json"]])
def test_follow_options_without_follow_are_refused(cli, server_args, password_env, flags):
    result = cli(*server_args, "messages", VENDOR_SESSION, *flags, env=password_env)
    line = usage_error(result)
    assert flags[0] in line and "--follow" in line


def test_follow_options_with_follow_are_still_accepted(run_cli, server_args, password_env):
    # The vendor session is Chatting; --no-history with a Completed one ends at once.
    from smscli.emulator.scenario import COMPLETED_SESSION_ID

    result = run_cli(*server_args, "messages", COMPLETED_SESSION_ID, "-f", "--tail", "2",
                     "--poll", env=password_env, timeout=60)
    assert result.code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2


def test_typing_with_no_typing_is_refused(cli, server_args, password_env):
    result = cli(*server_args, "messages", VENDOR_SESSION, "--typing", "--no-typing",
                 env=password_env)
    line = usage_error(result)
    assert "--typing" in line and "--no-typing" in line


@pytest.mark.parametrize("flags", [["-o", "json"], ["--json"], ["--output", "plain"]])
def test_export_with_an_output_format_is_refused(cli, server_args, password_env, tmp_path,
                                                 flags):
    target = tmp_path / "t.md"
    result = cli(*server_args, "messages", VENDOR_SESSION, "--export", str(target), *flags,
                 env=password_env)
    line = usage_error(result)
    assert "--export" in line and "--format" in line
    assert not target.exists()
    globally = cli(*server_args, *flags, "messages", VENDOR_SESSION, "--export", str(target),
                   env=password_env)
    usage_error(globally)


@pytest.mark.parametrize("argv", [["messages"], ["sessions", "show"], ["export"],
                                  ["export", VENDOR_SESSION], ["config", "use"]])
def test_a_missing_argument_is_a_usage_error_not_the_help(cli, argv):
    result = cli(*argv)
    line = usage_error(result)
    assert "Missing argument" in line
    assert "{" not in result.stderr  # ID, FILE, NAME, SHELL: no {ID} placeholders


def test_an_unknown_state_that_matches_nothing_is_said(cli, server_args, password_env):
    typo = cli(*server_args, "sessions", "list", "--state", "Chating", env=password_env)
    assert typo.code == 0 and typo.stdout == ""
    assert "Chating" in typo.stderr and "Chatting" in typo.stderr and "LeftChat" in typo.stderr
    known = cli(*server_args, "sessions", "list", "--state", "Revoked", env=password_env)
    assert known.code == 0 and known.stderr == ""  # a known state with no session: quiet
    found = cli(*server_args, "sessions", "list", "--state", "chatting", env=password_env)
    assert found.stdout and found.stderr == ""


def test_stats_says_so_too_when_an_unknown_state_matches_nothing(cli, server_args,
                                                                 password_env):
    typo = cli(*server_args, "sessions", "stats", "--state", "Chating", "-o", "json",
               env=password_env)
    assert typo.code == 0 and json.loads(typo.stdout)["sessions"] == []
    assert "Chating" in typo.stderr and "Chatting" in typo.stderr
    found = cli(*server_args, "sessions", "stats", "--state", "Chatting", "-o", "json",
                env=password_env)
    assert found.code == 0 and found.stderr == "" and json.loads(found.stdout)["sessions"]


def test_an_unknown_type_that_matches_nothing_is_said(cli, server_args, password_env):
    typo = cli(*server_args, "messages", VENDOR_SESSION, "-t", "Txt", env=password_env)
    assert typo.code == 0 and typo.stdout == ""
    assert "Txt" in typo.stderr and "Text" in typo.stderr and "ParticipantJoined" in typo.stderr
    quiet = cli(*server_args, "messages", VENDOR_SESSION, "-t", "PushUrl", env=password_env)
    assert quiet.code == 0 and quiet.stderr == ""
    matched = cli(*server_args, "messages", VENDOR_SESSION, "-t", "text", "-t", "Txt",
                  env=password_env)
    assert matched.stdout and matched.stderr == ""  # something matched: no lecture
