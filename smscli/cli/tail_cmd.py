"""``smscli tail``: every session's new messages as they arrive, stern-style, until Ctrl-C."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from smscli.cli.options import (
    AgentOpt,
    CustomerOpt,
    IntervalOpt,
    MaxRetriesOpt,
    NoTypingOpt,
    PollOpt,
    TypeOpt,
    output_flags,
    with_look,
)
from smscli.cli.state import AppState

if TYPE_CHECKING:
    from smscli.follow.tail import TailEvent
    from smscli.render.tail import TailWriter

EPILOG = (
    "\b\nExamples:\n"
    "  smscli --demo tail\n"
    "  smscli --demo tail --no-typing --since 10m\n"
    "  smscli --demo tail --state Chatting --customer maria -t Text --since 1h\n"
    "  smscli --demo tail -o ndjson | jq -c '{sessionId, index, text}'\n"
    "  smscli --demo tail --tail 3 -o plain"
)

# As with --follow, --json means ndjson: a tail never ends.
@output_flags(template=True)
def tail(
    ctx: typer.Context,
    state: Annotated[Optional[list[str]], typer.Option(
        "--state", metavar="STATE", help="Only sessions in this state (repeatable), e.g. "
        "Chatting; a session that leaves it is dropped, one that enters it picked up.",
        show_default=False)] = None,
    customer: CustomerOpt = None, agent: AgentOpt = None,
    types: TypeOpt = None, no_typing: NoTypingOpt = False,
    tail_: Annotated[Optional[int], typer.Option(
        "--tail", metavar="N", help="Begin each session with the last N messages of its "
        "history [default: nothing from before the start; all of a session that appears "
        "later].", min=0, show_default=False)] = None,
    since: Annotated[Optional[str], typer.Option(
        "--since", metavar="WHEN", help="Begin each session with its messages from this time "
        "on: a duration ago (30s, 10m, 2h, 1d) or a date and time (2026-03-02T10:00).",
        show_default=False)] = None,
    poll: PollOpt = False,
    interval: IntervalOpt = 1.0,
    max_retries: MaxRetriesOpt = None,
) -> None:
    """Follow every session at once: each new message as it arrives, until Ctrl-C (exit 0).

    Each line begins with a short tag of its session (the end of its id, in the session's
    colour) and the customer's name. Sessions that appear are picked up, those that complete
    or leave the list are dropped, both said on stderr. One CometD connection for all.
    """
    app_state: AppState = ctx.obj
    output = with_look(ctx, app_state.output())
    from smscli.follow.tail import Tailer, TailOptions
    from smscli.models import message_filter
    from smscli.render.tail import make_tail_writer
    from smscli.when import parse_moment

    tail_options = TailOptions(
        tail=tail_, since=None if since is None else parse_moment(since, "--since"),
        poll=poll, interval=interval, max_retries=max_retries,
        wanted=message_filter(types, no_typing), wanted_session=session_filter(state, customer, agent))
    writer = make_tail_writer(output)
    tailer = Tailer(app_state.client(), tail_options, app_state.note)
    if output.stderr_tty:
        app_state.note("following every session of the agent; Ctrl-C to stop")
    try:
        for event in tailer.run():
            show(app_state, writer, event)
    except KeyboardInterrupt:  # the one way a tail ends: a normal end, exit 0
        from smscli.cli.fit import end_line

        end_line()
    finally:
        try:
            writer.close()
        finally:
            try:
                tailer.close()  # tells the server we leave; best effort, at most 2 s
            except KeyboardInterrupt:
                pass


def show(app_state: AppState, writer: TailWriter, event: TailEvent) -> None:
    """A message to stdout; what happens to a session to stderr (escaped by note)."""
    from smscli.follow import tail as kinds
    from smscli.models import as_text

    if event.kind == kinds.MESSAGE:
        writer.message(event.session_id, event.session, event.message)
        return
    label = writer.label(event.session_id, event.session)
    state = as_text(event.session.get("state")) if isinstance(event.session, dict) else ""
    said = {
        kinds.APPEARED: f"+ {label}: {state}",
        kinds.STATE: f"{label}: {event.previous_state} -> {state}",
        kinds.COMPLETED: f"- {label}: {state}",
        kinds.DROPPED: f"- {label}: no longer matches ({state})",
        kinds.GONE: f"- {label}: left the agent's list",
    }.get(event.kind)
    if event.kind == kinds.GONE and state in kinds.FINAL_STATES:
        said = None  # its end was said when it completed
    if said is not None:
        app_state.note(said)


def session_filter(states: list[str] | None, customers: list[str] | None,
                   agents: list[str] | None) -> Any:
    """Whether a session matches --state, --customer and --agent (each: any of its values)."""
    from smscli.models import as_text

    wanted_states = {s.lower() for s in states or ()}
    wanted = {"Customer": [c.lower() for c in customers or ()],
              "Agent": [a.lower() for a in agents or ()]}

    def names(session: dict, kind: str) -> list[str]:
        participants = session.get("participants")
        return [as_text(p.get("nickname")).lower()
                for p in (participants if isinstance(participants, list) else [])
                if isinstance(p, dict) and as_text(p.get("type")) == kind]

    def keep(session: Any) -> bool:
        if not isinstance(session, dict):
            return False
        if wanted_states and as_text(session.get("state")).lower() not in wanted_states:
            return False
        for kind, asked in wanted.items():
            if asked and not any(a in name for a in asked for name in names(session, kind)):
                return False
        return True

    return keep
