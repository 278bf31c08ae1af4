"""``smscli history ...``: the local archive, offline: list, show, messages, stats, export,
search, import, prune. Never contacts a server."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from smscli.cli.export_cmd import FormatOpt, RedactOpt, TypingOpt
from smscli.cli.options import (
    KNOWN_STATES,
    AgentOpt,
    CustomerOpt,
    NoTypingOpt,
    TypeOpt,
    output_flags,
    warn_unknown,
    with_look,
)
from smscli.cli.state import AppState

app = typer.Typer(
    help="The local archive of sessions (see smscli record), offline: list, show, messages, "
    "stats, export, search, import, prune.\n\n\b\nThe archive is $XDG_DATA_HOME/smscli/"
    "archive.sqlite3 (~/.local/share/..., on macOS ~/Library/Application Support/...), or "
    "--archive PATH, or SMSCLI_ARCHIVE.",
    no_args_is_help=True, rich_markup_mode=None)

ArchiveOpt = Annotated[str | None, typer.Option(
    "--archive", metavar="PATH", help="The archive file (env SMSCLI_ARCHIVE) [default: in the "
    "platform data directory].", show_default=False)]
StateOpt = Annotated[list[str] | None, typer.Option(
    "--state", metavar="STATE", help="Only sessions in this state (repeatable).",
    show_default=False)]
SinceOpt = Annotated[str | None, typer.Option(
    "--since", metavar="WHEN", help="Only from this time on: a span back from now (2h, 7d) or "
    "a date (2026-12-01, '2026-12-01 08:30').", show_default=False)]
UntilOpt = Annotated[str | None, typer.Option(
    "--until", metavar="WHEN", help="Only up to this time (same forms as --since).",
    show_default=False)]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="The SMS session id.")]


def _open(ctx: typer.Context, path: str | None, write: bool = False) -> Any:
    from smscli.archive.paths import resolve_path
    from smscli.archive.store import Archive
    from smscli.archive.writing import WritableArchive

    where = resolve_path(path, demo=ctx.obj.settings().demo)
    return WritableArchive(where) if write else Archive(where)


def _when(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    from smscli.when import moment_ms

    return moment_ms(text, option)


def _sessions_filter(state: list[str] | None, customer: list[str] | None,
                     agent: list[str] | None, since: str | None, until: str | None) -> Any:
    from smscli.archive.reading import SessionFilter

    return SessionFilter(tuple(state or ()), tuple(customer or ()), tuple(agent or ()),
                         _when(since, "--since"), _when(until, "--until"))


@app.command("list", epilog="\b\nExamples:\n  smscli history list\n"
             "  smscli history list --since 7d --customer anna\n"
             "  smscli history list --state Completed --json | jq -r '.[].id'")
@output_flags()
def list_sessions(
    ctx: typer.Context, state: StateOpt = None, customer: CustomerOpt = None,
    agent: AgentOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the ids.")] = False,
    archive: ArchiveOpt = None,
) -> None:
    """The archived sessions, oldest first: as sessions list shows the server's."""
    output = ctx.obj.output()
    from smscli.archive.reading import list_sessions as find

    wanted = _sessions_filter(state, customer, agent, since, until)
    with _open(ctx, archive) as opened:
        found = [s.session for s in find(opened, wanted)]
    warn_unknown("state", state, KNOWN_STATES, bool(found))
    from smscli.render import make_renderer, print_ids

    if quiet:
        print_ids(found, output.stdout)
        return
    make_renderer(output).session_list(found)


@app.command("show", epilog="\b\nExamples:\n  smscli history show 0000Na9B26EF002G\n"
             "  smscli history show 0000Na9B26EF002G --json | jq .userData")
@output_flags()
def show(
    ctx: typer.Context, session_id: IdArg, archive: ArchiveOpt = None,
) -> None:
    """One archived session as sessions show has it, then (table, plain) what the archive
    knows: when it was seen, its states with their times, when it left the server."""
    output = ctx.obj.output()
    from smscli.archive.reading import get_session, message_count

    with _open(ctx, archive) as opened:
        found = get_session(opened, session_id)
        count = message_count(opened, session_id)
    from smscli.render import make_renderer

    make_renderer(output).session_detail(found.session)
    if not output.format.machine:
        from smscli.archive.facts import write_facts

        write_facts(found, count, output, output.stdout)


@app.command("messages", epilog="\b\nExamples:\n  smscli history messages 0000Na9B26EF002G\n"
             "  smscli history messages 0000Na9B26EF002G -t Text -o ndjson | jq -r .text")
@output_flags()
def messages(
    ctx: typer.Context, session_id: IdArg, types: TypeOpt = None,
    no_typing: NoTypingOpt = False,
    since: SinceOpt = None, until: UntilOpt = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", metavar="N", help="Print at most N messages.", min=0,
        show_default=False)] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Show long messages whole in table output (default: a preview).")
    ] = False,
    archive: ArchiveOpt = None,
) -> None:
    """An archived transcript, as messages ID prints the server's (-o json gives back the
    server's JSON byte for byte)."""
    output = ctx.obj.output(full=full)
    from smscli.archive.reading import messages as stored
    from smscli.models import select_messages
    from smscli.render import make_renderer

    with _open(ctx, archive) as opened:
        found = stored(opened, session_id, types=types, no_typing=no_typing,
                       since=_when(since, "--since"), until=_when(until, "--until"))
        try:
            shown = make_renderer(output).transcript(
                select_messages(found, limit=limit))
        finally:
            found.close()  # ends its read transaction while the archive is open
    if limit != 0:
        from smscli.models import KNOWN_MESSAGE_TYPES

        warn_unknown("message type", types, KNOWN_MESSAGE_TYPES, shown > 0)


@app.command("stats", epilog="\b\nExamples:\n  smscli history stats --since 7d\n"
             "  smscli history stats 0000Na9B26EF002G --json | jq .total")
@output_flags()
def stats(
    ctx: typer.Context,
    session_ids: Annotated[list[str] | None, typer.Argument(
        metavar="[ID]...", help="Archived session ids [default: every one that matches].",
        show_default=False)] = None,
    state: StateOpt = None, customer: CustomerOpt = None, agent: AgentOpt = None,
    since: SinceOpt = None, until: UntilOpt = None, archive: ArchiveOpt = None,
) -> None:
    """Conversation metrics of archived sessions, as sessions stats computes them."""
    output = ctx.obj.output()
    from smscli.archive.reading import get_session, list_sessions
    from smscli.archive.reading import messages as stored
    from smscli.models import in_states
    from smscli.render.stats import make_stats_writer
    from smscli.stats import session_stats, summarize

    wanted = _sessions_filter(state, customer, agent, since, until)
    writer = make_stats_writer(output, output.stdout)
    done = []
    with _open(ctx, archive) as opened:
        if session_ids:
            chosen = [get_session(opened, i).session for i in dict.fromkeys(session_ids)]
            chosen = list(in_states(chosen, state))
        else:
            chosen = [s.session for s in list_sessions(opened, wanted)]
        for session in chosen:
            result = session_stats(session, stored(opened, str(session.get("id", ""))))
            writer.session(result)
            done.append(result)
    writer.close(summarize(done))
    warn_unknown("state", state, KNOWN_STATES, bool(done))


@app.command("export", epilog="\b\nExamples:\n"
             "  smscli history export 0000Wa9CAM6W00FN transcript.html\n"
             "  smscli history export 0000Wa9CAM6W00FN - -F csv --redact")
@output_flags("utc", "tz")
def export(
    ctx: typer.Context, session_id: IdArg,
    file: Annotated[str, typer.Argument(
        metavar="FILE", help="Where to write: a file (.md, .html, .csv, .json), or - for "
        "stdout.")],
    format: FormatOpt = None, redact: RedactOpt = False, typing: TypingOpt = False,
    archive: ArchiveOpt = None,
) -> None:
    """Export an archived transcript, as smscli export writes the server's."""
    app_state: AppState = ctx.obj
    output = app_state.output()
    from pathlib import Path

    from smscli.archive.reading import get_session
    from smscli.archive.reading import messages as stored
    from smscli.cli.export_cmd import resolve_format
    from smscli.files import atomic_text_file
    from smscli.render.export import ExportOptions, export_transcript

    fmt = resolve_format(file, format.value if format else None)
    options = ExportOptions(times=output.times, redact=redact, include_typing=typing)
    with _open(ctx, archive) as opened:
        session = get_session(opened, session_id).session
        found = stored(opened, session_id)
        if file == "-":
            export_transcript(fmt, output.stdout, found, options, session)
            return
        with atomic_text_file(Path(file)) as out:
            count = export_transcript(fmt, out, found, options, session)
    noun = "message" if count == 1 else "messages"
    app_state.note(f"wrote {count:,} {noun} to {file}" + (" (redacted)" if redact else ""))


@app.command("search", epilog="\b\nQueries are SQLite FTS5: words (all must match), "
             "\"a phrase\", a prefix*, OR, NOT.\n\n\b\nExamples:\n"
             "  smscli history search refund\n"
             "  smscli history search '\"new sim\" OR esim' --since 30d\n"
             "  smscli history search 'refun*' -o ndjson | jq -r .sessionId | sort -u")
@output_flags(template=True)
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="QUERY", help="What to look for.")],
    limit: Annotated[int, typer.Option(
        "--limit", "-n", metavar="N", help="Show the newest N hits.", min=1)] = 20,
    session_id: Annotated[str | None, typer.Option(
        "--session", metavar="ID", help="Only in this session.", show_default=False)] = None,
    types: TypeOpt = None, state: StateOpt = None, customer: CustomerOpt = None,
    agent: AgentOpt = None, since: SinceOpt = None, until: UntilOpt = None,
    archive: ArchiveOpt = None,
) -> None:
    """Messages that say something, newest first: session, time, sender and the words
    around each match (highlighted when colour is on)."""
    from smscli.archive.quick import run_search

    run_search(with_look(ctx, ctx.obj.output()), query, limit=limit, session_id=session_id,
               types=types, state=state, customer=customer, agent=agent, since=since,
               until=until, archive=archive, demo=ctx.obj.settings().demo)


@app.command("import", epilog="\b\nExamples:\n"
             "  smscli --demo messages 0000Na9B26EF002G -o json > t.json\n"
             "  smscli history import t.json --session 0000Na9B26EF002G\n"
             "  smscli history import transcript.ndjson --redact")
def import_(
    ctx: typer.Context,
    files: Annotated[list[str], typer.Argument(
        metavar="FILE...", help="Transcripts as messages -o json or -o ndjson or export "
        "... .json write them; - for stdin.")],
    session_id: Annotated[str | None, typer.Option(
        "--session", metavar="ID", help="The session the messages belong to [default: a "
        "record's sessionId, else the file's name].", show_default=False)] = None,
    redact: RedactOpt = False, archive: ArchiveOpt = None,
) -> None:
    """Add transcripts to the archive; a message already there is not stored again."""
    app_state: AppState = ctx.obj
    from smscli.archive.importer import import_file

    with _open(ctx, archive, write=True) as opened:
        for file in files:
            report = import_file(opened, file, session_id, redact=redact)
            if len(report.seen) > 3:
                new, seen = sum(report.new.values()), sum(report.seen.values())
                app_state.note(f"{file}: {new:,} new of {seen:,} messages in "
                               f"{len(report.seen):,} sessions")
            for sid, seen in report.seen.items() if len(report.seen) <= 3 else ():
                new = report.new.get(sid, 0)
                app_state.note(f"{file}: {new:,} new of {seen:,} messages in session {sid}")
            if report.named_after_file:
                app_state.note(f"{file} does not say which session it holds: stored as "
                               f"session {report.named_after_file}; --session ID to choose")


@app.command("prune", epilog="\b\nExamples:\n  smscli history prune --older-than 90d")
def prune(
    ctx: typer.Context,
    older_than: Annotated[str, typer.Option(
        "--older-than", metavar="SPAN", help="Delete the sessions with no sign of life in "
        "this span, e.g. 90d, 12w.", show_default=False)],
    archive: ArchiveOpt = None,
) -> None:
    """Delete old sessions for good: their messages, states and search index entries."""
    app_state: AppState = ctx.obj
    import time

    from smscli.archive.reading import prune as delete
    from smscli.when import span_seconds

    cutoff = int((time.time() - span_seconds(older_than, "--older-than")) * 1000)
    with _open(ctx, archive, write=True) as opened:
        sessions, messages_deleted = delete(opened, cutoff)
    app_state.note(f"deleted {sessions:,} session{'' if sessions == 1 else 's'} and "
                   f"{messages_deleted:,} message{'' if messages_deleted == 1 else 's'}")


def from_archive(app_state: AppState, session_id: str) -> Any:
    """For ``messages ID`` and ``sessions show ID`` when the server says the session is not
    there: the archived session (an `archive.lookup.Fallback`, said on stderr), or None."""
    from smscli import archive

    found = archive.fallback(session_id, demo=app_state.settings().demo)
    if found is not None:
        app_state.note(found.note(app_state.out.times))
    return found
