"""Help that reads like a person wrote it: placeholders, summaries and options that exist."""

from __future__ import annotations

import json
import re

import pytest

from smscli.cli.main import app

# What Click and Typer print when nobody named a value: {ID}, <int range>, <str>, {shell}:...
MACHINE_PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}|<(?:int|float|str|text|integer|path)\b[^>]*>"
                                 r"|\{[a-z]+\}:<")


def command_paths() -> list[list[str]]:
    import typer.main

    paths: list[list[str]] = []

    def walk(command, prefix: list[str]) -> None:  # type: ignore[no-untyped-def]
        paths.append(prefix)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths


PATHS = command_paths()


def test_every_command_is_walked():
    names = {" ".join(p) for p in PATHS}
    assert {"", "messages", "sessions list", "sessions watch", "sessions stats", "export",
            "config show", "config profiles", "emulator serve", "completion"} <= names


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "smscli")
def test_help_has_named_placeholders(cli, path):
    result = cli(*path, "--help")
    assert result.code == 0 and result.stdout.startswith("Usage: smscli"), result.stderr
    found = MACHINE_PLACEHOLDER.findall(result.stdout)
    assert not found, f"smscli {' '.join(path)} --help shows {found}"


def test_the_summary_of_sessions_names_all_its_commands(cli):
    line = next(row for row in cli("--help").stdout.splitlines()
                if row.strip().startswith("sessions "))
    for word in ("list", "show", "watch", "stats"):
        assert word in line, line


def test_typing_help_says_what_the_table_does(cli):
    text = " ".join(cli("messages", "--help").stdout.split())
    assert "--typing" in text and "the table shows them" in text


@pytest.mark.parametrize("command", [["config", "show"], ["config", "profiles"]])
def test_config_commands_take_the_output_option_their_json_flag_stands_for(cli, command):
    for flags in (["-o", "json"], ["--output", "json"], ["--json"]):
        result = cli(*command, *flags)
        assert result.code == 0, (flags, result.stderr)
        json.loads(result.stdout)
