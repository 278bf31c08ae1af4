"""The console script: a TAB completion is answered before Typer, Rich or requests load."""

from __future__ import annotations

import sys


def run() -> None:
    if sys.argv[1:2] == ["__complete"]:
        from smscli.completion.dynamic import main as complete

        sys.exit(complete(sys.argv[2:]))
    from smscli.cli.main import run as run_cli

    run_cli()
