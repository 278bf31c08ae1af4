"""Every command has examples in its help, and the README documents every command."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from smscli.cli.main import app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def command_paths(command=None, prefix=()):  # type: ignore[no-untyped-def]
    command = command or typer.main.get_command(app)
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        yield prefix
        return
    for name, sub in subcommands.items():
        if not getattr(sub, "hidden", False):
            yield from command_paths(sub, (*prefix, name))


COMMANDS = [" ".join(path) for path in command_paths()]


def test_the_tree_is_what_we_think():
    assert {"sessions list", "sessions show", "messages", "emulator serve", "config show",
            "config init", "config profiles", "config use", "doctor"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_an_example(cli, command):
    result = cli(*command.split(), "--help")
    assert result.code == 0
    examples = result.stdout.split("Examples:", 1)
    assert len(examples) == 2, f"no examples in `smscli {command} --help`"
    assert f"smscli " in examples[1]


@pytest.mark.parametrize("command", COMMANDS)
def test_the_readme_documents_every_command(command):
    assert f"smscli {command}" in README or f"### `smscli {command}" in README, command


def test_the_readme_lists_every_exit_code():
    from smscli import errors

    for name in dir(errors):
        if name.startswith("EXIT_"):
            assert f"| {getattr(errors, name)} |" in README, name
