"""The console script: `--version`, a TAB completion and `history search` are answered
before Typer, Rich or requests load."""

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
    if sys.argv[1:3] == ["history", "search"]:  # a search takes less time than Typer's import
        from smscli.archive.quick import main as search

        code = search(sys.argv[1:])
        if code is not None:  # None: options it does not know; Typer answers as always
            sys.exit(code)
    from smscli.cli.main import run as run_cli

    run_cli()
