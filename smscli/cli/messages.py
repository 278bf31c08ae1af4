"""``smscli messages ID``: the transcript, paged from the server and printed as it arrives."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from smscli.cli.options import ColorOpt, JsonOpt, OutputOpt, TzOpt, UtcOpt
from smscli.cli.sessions import _choice
from smscli.cli.state import AppState
from smscli.errors import UsageError

EPILOG = (
    "\b\nExamples:\n"
    "  smscli --demo messages 0000Na9B26EF002G\n"
    "  smscli --demo messages 0000Na9B26EF002G --follow\n"
    "  smscli --demo messages 0000Na9B26EF002G -f --no-history -o ndjson | jq -c .\n"
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
        "--page-size", help="Messages per request (GWS count) [default: 1000].", min=1,
        show_default=False)] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Show long messages whole in table output (default: a preview).")
    ] = False,
    follow: Annotated[bool, typer.Option(
        "--follow", "-f", help="After the history, print new messages as they arrive, until "
        "the session completes (exit 0) or Ctrl-C (exit 130).")] = False,
    tail: Annotated[Optional[int], typer.Option(
        "--tail", help="With --follow: show only the last N messages of the history.", min=0,
        show_default=False)] = None,
    no_history: Annotated[bool, typer.Option(
        "--no-history", help="With --follow: show only messages that arrive from now on.")
    ] = False,
    events: Annotated[bool, typer.Option(
        "--events", help="With --follow -o ndjson: also print session state, participant and "
        "user-data changes as records {\"event\": ...}.")] = False,
    poll: Annotated[bool, typer.Option(
        "--poll", help="With --follow: poll the transcript instead of using CometD "
        "notifications.")] = False,
    interval: Annotated[float, typer.Option(
        "--interval", help="Seconds between polls (with --poll, or when CometD is not "
        "available).", min=0.05)] = 1.0,
    max_retries: Annotated[Optional[int], typer.Option(
        "--max-retries", help="With --follow: give up (exit 6) after N failed reconnects in a "
        "row [default: never].", min=0, show_default=False)] = None,
    cursor_file: Annotated[Optional[Path], typer.Option(
        "--cursor-file", help="With --follow: remember the last message printed in this file "
        "and resume after it on the next run.", dir_okay=False, show_default=False)] = None,
    no_pager: Annotated[bool, typer.Option(
        "--no-pager", help="Do not page a long table on a terminal (see SMSCLI_PAGER).")
    ] = False,
    output: OutputOpt = None,
    json_: JsonOpt = False,
    color: ColorOpt = None,
    utc: UtcOpt = False,
    tz: TzOpt = None,
) -> None:
    """Dump a session's transcript (index, time, sender, type, text), or follow it live."""
    app_state: AppState = ctx.obj
    options = app_state.output_options(_choice(output, json_, color, utc, tz), full=full)
    from smscli.models import message_filter, select_messages
    from smscli.render import make_renderer

    if follow:
        if start != 1 or limit is not None:
            raise UsageError("--start and --limit do not combine with --follow",
                             "use --tail N to begin with the last N messages")
        if tail is not None and no_history:
            raise UsageError("--tail and --no-history contradict each other")
        from smscli.follow.engine import FollowOptions

        follow_options = FollowOptions(
            history="none" if no_history else "tail" if tail is not None else "all",
            tail=tail or 0, poll=poll, interval=interval, max_retries=max_retries,
            events=events, cursor_path=cursor_file,
            wanted=message_filter(types, no_typing))
        _follow(app_state, session_id, follow_options, make_renderer(options, sys.stdout))
        return
    client = app_state.client()
    stream = client.iter_messages(session_id, start=start, page_size=page_size, prefetch=True)
    selected = select_messages(stream, types, no_typing, limit)
    if sys.stderr.isatty() and not sys.stdout.isatty():
        from smscli.render.progress import with_progress

        selected = with_progress(selected)
    pager = _pager() if options.format == "table" and not no_pager else None
    try:
        make_renderer(options, pager or sys.stdout).transcript(selected)
    except BrokenPipeError:
        pass  # the pager was quit before the end: the user has seen enough
    finally:
        stream.close()
        if pager is not None:
            pager.close()


def _pager() -> Any:
    """A pager for a table on a terminal, or None (piped, or SMSCLI_PAGER/PAGER empty or cat)."""
    if not sys.stdout.isatty():
        return None
    from smscli.render.pager import LazyPager, pager_command

    command = pager_command()
    return LazyPager(command) if command else None


def _follow(app_state: AppState, session_id: str, options: Any, renderer: Any) -> None:
    from smscli.follow.engine import Follower

    follower = Follower(app_state.client(), session_id, options, app_state.note)
    stream = renderer.message_stream(live=True)
    try:
        for item in follower.run():
            if item.kind == "message":
                stream.message(item.data)
            else:
                stream.event(item.data)
    finally:
        # On Ctrl-C too: what was printed stays printed, and the server is told we left.
        try:
            stream.close()
        finally:
            follower.close()
