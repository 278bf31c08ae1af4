"""``smscli messages ID``: the transcript, paged from the server and printed as it arrives."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from smscli.cli.options import ColorOpt, JsonOpt, OutputOpt, TzOpt, UtcOpt
from smscli.cli.sessions import _choice
from smscli.cli.state import AppState

EPILOG = (
    "\b\nExamples:\n"
    "  smscli --demo messages 0000Na9B26EF002G\n"
    "  smscli --demo messages 0000Na9B26EF002G --type Text --json | jq -r '.[].text'\n"
    "  smscli --demo messages 0000Na9B26EF002G -o ndjson | jq -c '{index, type}'"
)


def messages(
    ctx: typer.Context,
    session_id: Annotated[str, typer.Argument(metavar="ID", help="The SMS session id.")],
    start: Annotated[int, typer.Option(
        "--start", help="First message index to fetch (GWS startIndex).", min=1)] = 1,
    limit: Annotated[Optional[int], typer.Option(
        "--limit", help="Print at most N messages.", min=0, show_default=False)] = None,
    types: Annotated[Optional[list[str]], typer.Option(
        "--type", "-t", help="Only messages of this type (repeatable), e.g. Text.",
        show_default=False)] = None,
    no_typing: Annotated[bool, typer.Option(
        "--no-typing", help="Leave out TypingStarted and TypingStopped.")] = False,
    page_size: Annotated[Optional[int], typer.Option(
        "--page-size", help="Messages per request (GWS count) [default: 500].", min=1,
        show_default=False)] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Show long messages whole in table output (default: a preview).")
    ] = False,
    output: OutputOpt = None,
    json_: JsonOpt = False,
    color: ColorOpt = None,
    utc: UtcOpt = False,
    tz: TzOpt = None,
) -> None:
    """Dump a session's transcript: index, time, sender, type and text of each message."""
    app_state: AppState = ctx.obj
    options = app_state.output_options(_choice(output, json_, color, utc, tz), full=full)
    client = app_state.client()
    from smscli.models import select_messages
    from smscli.render import make_renderer

    stream = client.iter_messages(session_id, start=start, page_size=page_size)
    renderer = make_renderer(options, sys.stdout)
    try:
        renderer.transcript(select_messages(stream, types, no_typing, limit))
    finally:
        stream.close()
