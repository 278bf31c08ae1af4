"""``smscli sessions watch``: the agent's sessions, live, until Ctrl-C."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from smscli.cli.options import (
    IntervalOpt,
    LineFormat,
    MaxRetriesOpt,
    PollOpt,
    output_flags,
    with_look,
)
from smscli.cli.state import AppState
from smscli.render.output import Format

WatchOutputOpt = Annotated[Optional[LineFormat], typer.Option(
    "--output", "-o", metavar="FORMAT", help="Output format: table (redrawn in place), plain (one line per "
    "change), ndjson or json (both one record per change), template (a line per change "
    "record, see --template) [default: table on a terminal, ndjson otherwise].",
    show_default=False)]

EPILOG = (
    "\b\nExamples:\n"
    "  smscli --demo sessions watch\n"
    "  smscli --demo sessions watch | jq -c '{change, session, state, newMessages}'\n"
    "  smscli --demo sessions watch -o ndjson | jq -c 'select(.change == \"state\")'\n"
    "  smscli --demo sessions watch --poll --interval 5 -o plain\n"
    "  smscli --demo sessions watch --template '{time:%H:%M:%S} {session:<16} {change:<12} {state!style}'"
)


# As with --follow, --json means ndjson: a watch never ends.
@output_flags(output=WatchOutputOpt, template=True)
def watch(
    ctx: typer.Context,
    poll: PollOpt = False,
    interval: IntervalOpt = 1.0,
    max_retries: MaxRetriesOpt = None,
) -> None:
    """Watch the agent's sessions arrive, change state and end, until Ctrl-C (exit 0).

    On a terminal the sessions table is redrawn in place, with the time of each session's
    last change and how many new messages it got since the watch began. Piped, each change
    is one ndjson record (added, state, participants, messages, removed) flushed at once.
    """
    app_state: AppState = ctx.obj
    # A watch piped somewhere feeds a program: records, not rows.
    options = with_look(ctx, app_state.output(piped=Format.ndjson))
    from smscli.follow.watch import Watcher, WatchOptions
    from smscli.render.watch import make_watch_view

    watcher = Watcher(app_state.client(),
                      WatchOptions(poll=poll, interval=interval, max_retries=max_retries),
                      app_state.note)
    view = make_watch_view(options, options.stdout)
    view.start()
    try:
        for change in watcher.run():
            view.change(change)
    except KeyboardInterrupt:  # the one way a watch ends: a normal end, exit 0
        if options.format is not Format.table:  # the table is redrawn below the ^C; lines are not
            from smscli.cli.fit import end_line

            end_line()
    finally:
        try:
            view.close()  # the terminal gets its cursor back whatever happened
        finally:
            try:
                watcher.close()  # tells the server we leave; best effort, at most 2 s
            except KeyboardInterrupt:
                pass
