"""``smscli completion SHELL``: print the completion script for bash, zsh or fish."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated

import typer

EPILOG = (
    "\b\nExamples:\n"
    "  source <(smscli completion bash)\n"
    "  mkdir -p ~/.local/share/bash-completion/completions\n"
    "  smscli completion bash > ~/.local/share/bash-completion/completions/smscli\n"
    "  mkdir -p ~/.zfunc && smscli completion zsh > ~/.zfunc/_smscli   # on $fpath\n"
    "  mkdir -p ~/.config/fish/completions\n"
    "  smscli completion fish > ~/.config/fish/completions/smscli.fish"
)


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def completion(
    ctx: typer.Context,
    shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="The shell: bash, zsh or fish.",
                                           show_default=False)],
) -> None:
    """Print the completion script for bash, zsh or fish (commands, options, session ids)."""
    from smscli.completion.scripts import generate

    sys.stdout.write(generate(shell.value, ctx.find_root().command))
