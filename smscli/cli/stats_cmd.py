"""``smscli sessions stats [ID...]``: reply times, waits, durations and message counts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import typer

from smscli.cli.options import KNOWN_STATES, output_flags, warn_unknown
from smscli.cli.state import AppState

EPILOG = (
    "\b\nExamples:\n"
    "  smscli --demo sessions stats\n"
    "  smscli --demo sessions stats 0000Na9B26EF002G\n"
    "  smscli --demo sessions stats --state Chatting --json | jq .total.medianResponseSeconds\n"
    "  smscli --demo sessions stats -o ndjson | jq -c 'select(.kind==\"session\") | "
    "{id, longestWaitSeconds}'"
)


@output_flags()
def stats(
    ctx: typer.Context,
    session_ids: Annotated[list[str] | None, typer.Argument(
        metavar="[ID]...", help="SMS session ids [default: every session of the agent].",
        show_default=False)] = None,
    state: Annotated[list[str] | None, typer.Option(
        "--state", metavar="STATE", help="Only sessions in this state (repeatable), e.g. Completed.",
        show_default=False)] = None,
) -> None:
    """Conversation metrics per session and over all of them: first reply, response times,
    longest customer wait, duration, and messages by participant and type."""
    app_state: AppState = ctx.obj
    options = app_state.output()
    from smscli.render.stats import make_stats_writer
    from smscli.stats import session_stats, summarize

    client = app_state.client()
    writer = make_stats_writer(options, options.stdout)
    done = []
    for session in _sessions(client, session_ids or [], state or []):
        messages = client.iter_messages(str(session.get("id", "")), prefetch=True)
        try:
            # Nothing is printed while one session is read: progress may share the terminal.
            result = session_stats(session, options.progress(messages, printing=False))
        finally:
            messages.close()
        writer.session(result)
        done.append(result)
    writer.close(summarize(done))
    warn_unknown("state", state, KNOWN_STATES, bool(done))


def _sessions(client: Any, ids: list[str], states: list[str]) -> Iterator[dict]:
    """The sessions asked for, each once, in the order given (or the server's order)."""
    from smscli.models import in_states

    if ids:
        found = (client.get_session(session_id) for session_id in dict.fromkeys(ids))
    else:
        found = (s for s in client.list_sessions() if isinstance(s, dict) and s.get("id"))
    yield from in_states(found, states)

