"""``smscli doctor``: is the way to the GWS server clear? One verdict per step."""

from __future__ import annotations

import json
import sys

import typer

from smscli.cli.options import output_flags
from smscli.cli.state import AppState
from smscli.render.output import Format
from smscli.safety import escape

EPILOG = ("\b\nExamples:\n  smscli --demo doctor\n  smscli --profile lab doctor\n"
          "  smscli doctor --json | jq -r '.[] | select(.verdict == \"fail\") | .hint'")
MARKS = {"ok": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "bold red"),
         "skip": ("-", "bright_black")}


@output_flags("output", "json_", "color")
def doctor(ctx: typer.Context) -> None:
    """Check the server, TLS, credentials, session, SMS feature, live notifications, clock."""
    from smscli.doctor import run_checks

    state: AppState = ctx.obj
    options = state.output(profile_zone=False)
    settings = state.settings()

    def connect():  # type: ignore[no-untyped-def]
        return state.client()

    checks = []
    for check in run_checks(lambda: settings.server or "", connect):
        checks.append(check)
        if not options.format.machine:
            _print_check(check, options.color, fit=options.format is Format.table)
    if options.format.machine:
        records = [c.to_dict() for c in checks]
        if options.format is Format.json:
            print(json.dumps(records, ensure_ascii=False, indent=2))
        else:
            for record in records:
                print(json.dumps(record, ensure_ascii=False))
    failed = next((c for c in checks if c.verdict == "fail"), None)
    if failed is not None:
        raise typer.Exit(failed.exit_code or 1)


def _print_check(check, color: bool, fit: bool) -> None:  # type: ignore[no-untyped-def]
    """One verdict: mark, step, detail; the hint below the detail. In table output (a person
    reads it) the detail and the hint wrap inside their column to the terminal's width."""
    mark, style = MARKS[check.verdict]
    if not fit:
        print(f"{mark} {check.step:<20}{escape(check.detail)}")
        if check.hint:
            print(f"  {' ' * 20}{escape(check.hint)}")
        sys.stdout.flush()
        return
    from rich.text import Text

    from smscli.cli.fit import console, wrap

    out = console(color)
    lead = Text()
    lead.append(f"{mark} ", style=style)
    lead.append(f"{check.step:<20}", style="bold")
    lines = [(line, "") for line in wrap(out, escape(check.detail), 22)]
    if check.hint:
        lines += [(line, "bright_black") for line in wrap(out, escape(check.hint), 22)]
    for number, (line, line_style) in enumerate(lines):
        row = lead if number == 0 else Text(" " * 22)
        row.append(line, style=line_style)
        out.print(row)
    sys.stdout.flush()
