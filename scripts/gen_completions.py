"""Regenerate completions/ (bash, zsh, fish) from the Typer app; --check only reports staleness."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import typer.main

from smscli.cli.main import app
from smscli.completion.scripts import FILE_NAMES, SHELLS, generate


def scripts() -> dict[Path, str]:
    command = typer.main.get_command(app)
    return {REPO / "completions" / FILE_NAMES[shell]: generate(shell, command) for shell in SHELLS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if a committed script differs from the app; write nothing")
    args = parser.parse_args()
    stale = []
    for path, text in scripts().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'} {path.relative_to(REPO)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
