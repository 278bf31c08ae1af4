"""The console script: `--version` and a TAB completion are answered before Typer, Rich or
requests load."""

from __future__ import annotations

import sys


def run() -> None:
    if sys.argv[1:] == ["--version"]:
        from smscli import __version__  # nothing else: the version needs no Typer

        print(f"smscli {__version__}")
        return
    if sys.argv[1:2] == ["__complete"]:
        from smscli.completion.dynamic import main as complete

        sys.exit(complete(sys.argv[2:]))
    from smscli.cli.main import run as run_cli

    run_cli()
