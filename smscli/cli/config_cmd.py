"""``smscli config``: what settings are in effect and where each came from."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from smscli.cli.options import output_flags
from smscli.cli.state import AppState
from smscli.errors import UsageError
from smscli.render.output import Format, Output
from smscli.safety import escape

app = typer.Typer(help="Profiles and settings: create, list, choose, show.",
                  no_args_is_help=True, rich_markup_mode=None)


def _output(state: AppState) -> Output:
    """The output of a command about settings: no time zone from a profile to read."""
    return state.output(profile_zone=False)


@app.command("show", epilog="\b\nExamples:\n  smscli config show\n"
             "  SMSCLI_SERVER=https://gws.example.com smscli --profile lab config show --json")
@output_flags("output", "json_")
def show(ctx: typer.Context) -> None:
    """Effective settings (flags, SMSCLI_* environment, profile, defaults); secrets redacted."""
    state: AppState = ctx.obj
    settings = state.settings()
    rows = settings.public()
    fmt = _output(state).format
    if fmt.machine:
        document = {"configFile": str(settings.config_path), **rows}
        print(json.dumps(document, ensure_ascii=False, indent=2 if fmt is Format.json else None,
                         default=str))
        return
    if fmt is Format.plain:
        print(f"config file\t{escape(str(settings.config_path))}")
        for key, row in rows.items():
            value = "" if row["value"] is None else str(row["value"])
            print(f"{key}\t{escape(value)}\t({escape(row['source'])})")
        return
    _show_table(settings.config_path, rows)


def _show_table(config_path: object, rows: dict) -> None:
    """Setting, value and (source), the value wrapped inside its column to fit the terminal."""
    from rich.text import Text

    from smscli.cli.fit import console, wrap

    out = console(False)
    indent = 2 + max(len(key) for key in ("config file", *rows))
    entries = [("config file", escape(str(config_path)), "")]
    for key, row in rows.items():
        value = "" if row["value"] is None else escape(str(row["value"]))
        entries.append((key, value, f"({escape(row['source'])})"))
    for key, value, source in entries:
        for number, line in enumerate(wrap(out, f"{value}  {source}".strip(), indent)):
            out.print(Text(f"{key if number == 0 else '':<{indent}}{line}"))


@app.command("init", epilog="\b\nExamples:\n  smscli config init\n"
             "  smscli config init --profile-name lab")
def init(
    profile_name: Annotated[str, typer.Option(
        "--profile-name", metavar="NAME", help="Name of the profile to create or replace.")] = "default",
) -> None:
    """Create a profile by answering questions: server, user, TLS, where to keep the password."""
    from smscli import config

    if not sys.stdin.isatty():
        raise UsageError("config init asks questions: run it on a terminal",
                         "or write the config file yourself (see the README)")
    path = config.config_dir() / config.CONFIG_FILE
    document = config.load_config_file(path)
    profiles = document.setdefault("profiles", {})
    old = profiles.get(profile_name, {})
    server = typer.prompt("GWS server URL (e.g. https://gws.example.com)",
                          default=old.get("server")).strip().rstrip("/")
    if not server.startswith(("https://", "http://")):
        raise UsageError(f"{server!r} is not an http(s) URL")
    user = typer.prompt("User name", default=old.get("user")).strip()
    profile: dict = {"server": server, "user": user}
    if server.startswith("https://"):
        profile["verify"] = typer.confirm("Verify the server's TLS certificate?", default=True)
        ca_bundle = typer.prompt("CA bundle for a private CA (empty: the system's)",
                                 default="", show_default=False).strip()
        if ca_bundle:
            profile["ca_bundle"] = ca_bundle
    if typer.confirm("Store the password now?", default=False):
        password = typer.prompt("Password", hide_input=True)
        if config.store_in_keyring(server, user, password):
            typer.echo("Password stored in the OS keyring.", err=True)
        elif typer.confirm("No OS keyring here. Store it in the config file (mode 0600)?",
                           default=False):
            profile["password"] = password
        else:
            typer.echo("Not stored: set SMSCLI_PASSWORD or answer the prompt each time.",
                       err=True)
    profiles[profile_name] = profile
    document.setdefault("profile", profile_name)
    saved = config.save_config(document, path)
    typer.echo(f"Profile {profile_name!r} saved in {saved}.", err=True)


@app.command("profiles", epilog="\b\nExamples:\n  smscli config profiles\n"
             "  smscli config profiles --json | jq -r '.[].name'")
@output_flags("output", "json_")
def profiles(ctx: typer.Context) -> None:
    """List the profiles of the config file; * marks the default one."""
    from smscli import config

    document = config.load_config_file()
    names = list((document.get("profiles") or {}).keys())
    default = document.get("profile")
    out = _output(ctx.obj)
    records = [{"name": n, "default": n == default} for n in names]
    if out.format is Format.json:
        print(json.dumps(records, ensure_ascii=False))
        return
    if out.format is Format.ndjson:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
        return
    for name in names:
        print(f"{'*' if name == default else ' '} {escape(name)}")
    if not names:
        out.say("No profiles yet: create one with smscli config init.")


@app.command("use",
             epilog="\b\nExamples:\n  smscli config use lab")
def use(name: Annotated[str, typer.Argument(metavar="NAME", help="The profile to use.")]) -> None:
    """Make NAME the default profile."""
    from smscli import config

    document = config.load_config_file()
    known = document.get("profiles") or {}
    if name not in known:
        raise UsageError(f"no profile named {name!r}",
                         f"known profiles: {', '.join(known) or 'none'}")
    document["profile"] = name
    config.save_config(document)
    print(f"Default profile: {escape(name)}", file=sys.stderr)
