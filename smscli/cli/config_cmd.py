"""``smscli config``: what settings are in effect and where each came from."""

from __future__ import annotations

import json
import sys

import typer

from smscli.cli.options import JsonOpt
from smscli.cli.state import AppState
from smscli.safety import escape

app = typer.Typer(help="Show the configuration in effect.", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command("show", epilog="\b\nExamples:\n  smscli config show\n"
             "  SMSCLI_SERVER=https://gws.example.com smscli --profile lab config show --json")
def show(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Effective settings (flags, SMSCLI_* environment, profile, defaults); secrets redacted."""
    state: AppState = ctx.obj
    settings = state.settings()
    rows = settings.public()
    if json_ or state.output.json or state.output.output in ("json", "ndjson"):
        document = {"configFile": str(settings.config_path), **rows}
        print(json.dumps(document, ensure_ascii=False, indent=2, default=str))
        return
    print(f"config file\t{escape(str(settings.config_path))}")
    for key, row in rows.items():
        value = "" if row["value"] is None else str(row["value"])
        print(f"{key}\t{escape(value)}\t({escape(row['source'])})", file=sys.stdout)
