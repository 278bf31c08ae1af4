"""``smscli sessions list`` and ``smscli sessions show``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from smscli.cli import stats_cmd, watch_cmd
from smscli.cli.options import (
    KNOWN_STATES,
    output_flags,
    refuse,
    warn_unknown,
    with_look,
)
from smscli.cli.state import AppState

app = typer.Typer(help="List the agent's SMS sessions, show one, watch them live, or get "
                  "their stats.", no_args_is_help=True, rich_markup_mode=None)


@app.command("list", epilog="\b\nExamples:\n  smscli --demo sessions list\n"
             "  smscli --demo sessions list --state Chatting -q\n"
             "  smscli --demo sessions list --json | jq -r '.[].id'\n"
             "  smscli --demo sessions list --template '{id:<16} {state!style} "
             "{participants.0.nickname|-}'")
@output_flags(template=True)
def list_sessions(
    ctx: typer.Context,
    state: Annotated[Optional[list[str]], typer.Option(
        "--state", metavar="STATE", help="Only sessions in this state (repeatable), e.g. Chatting.",
        show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the ids.")] = False,
) -> None:
    """The agent's SMS sessions: id, state, customer, agents, received date, capabilities."""
    app_state: AppState = ctx.obj
    output = with_look(ctx, app_state.output())
    if quiet and output.template is not None:
        refuse(ctx, "--quiet and --template contradict each other")
    found = app_state.client().list_sessions()
    if state:
        from smscli.models import in_states

        found = list(in_states(found, state))
        warn_unknown("state", state, KNOWN_STATES, bool(found))
    if quiet:
        from smscli.render import print_ids

        print_ids(found, output.stdout)
        return
    if output.template is not None:
        from smscli.render.template import TemplateWriter

        TemplateWriter(output.stdout, output).session_list(found)
        return
    from smscli.render import make_renderer

    make_renderer(output).session_list(found)


@app.command("show",
             epilog="\b\nExamples:\n  smscli --demo sessions show 0000Na9B26EF002G\n"
             "  smscli --demo sessions show 0000Na9B26EF002G --json | jq .capabilities")
@output_flags()
def show_session(
    ctx: typer.Context,
    session_id: Annotated[str, typer.Argument(metavar="ID", help="The SMS session id.")],
) -> None:
    """One session: summary, participants, capabilities and user data."""
    app_state: AppState = ctx.obj
    app_state.session_id = session_id
    output = app_state.output()
    from smscli.errors import NotFoundError

    try:
        session = app_state.client().get_session(session_id)
    except NotFoundError:
        from smscli.cli.history_cmd import from_archive

        found = from_archive(app_state, session_id)
        if found is None:
            raise
        session = found.session
    from smscli.render import make_renderer

    make_renderer(output).session_detail(session)


app.command("stats", epilog=stats_cmd.EPILOG)(stats_cmd.stats)
app.command("watch", epilog=watch_cmd.EPILOG)(watch_cmd.watch)
