"""``smscli messages ID``: the transcript, paged from the server and printed as it arrives."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from smscli.cli.export_cmd import FormatOpt, RedactOpt
from smscli.cli.options import (
    NoTypingOpt,
    TypeOpt,
    output_flags,
    refuse,
    warn_unknown,
    with_look,
)
from smscli.cli.state import AppState
from smscli.errors import UsageError
from smscli.render.output import Format

if TYPE_CHECKING:
    from smscli.follow.engine import FollowOptions
    from smscli.render import MessageStream, Output, TranscriptWriter


class View(str, Enum):
    table = "table"
    chat = "chat"


EPILOG = (
    "\b\nExamples:\n"
    "  smscli --demo messages 0000Na9B26EF002G\n"
    "  smscli --demo messages 0000Na9B26EF002G --follow\n"
    "  smscli --demo messages 0000Na9B26EF002G -f --no-history -o ndjson | jq -c .\n"
    "  smscli --demo messages 0000Wa9CAM6W00FN --view chat\n"
    "  smscli --demo messages 0000Wa9CAM6W00FN --redact --export transcript.html\n"
    "  smscli --demo messages 0000Na9B26EF002G --type Text --json | jq -r '.[].text'\n"
    "  smscli --demo messages 0000Na9B26EF002G -o ndjson | jq -c '{index, type}'\n"
    "  smscli --demo messages 0000Na9B26EF002G --template '{index:>4} {from.nickname|-}: "
    "{text|}'\n"
    "  smscli --demo messages 0000Na9B26EF002G --highlight refund"
)


@output_flags(template=True)
def messages(
    ctx: typer.Context,
    session_id: Annotated[str, typer.Argument(metavar="ID", help="The SMS session id.")],
    start: Annotated[int, typer.Option(
        "--start", metavar="N", help="First message index to fetch (GWS startIndex).", min=1)] = 1,
    limit: Annotated[Optional[int], typer.Option(
        "--limit", metavar="N", help="Print at most N messages.", min=0, show_default=False)] = None,
    types: TypeOpt = None, no_typing: NoTypingOpt = False,
    page_size: Annotated[Optional[int], typer.Option(
        "--page-size", metavar="N", help="Messages per request (GWS count) [default: 1000].", min=1,
        show_default=False)] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Show long messages whole in table output (default: a preview).")
    ] = False,
    follow: Annotated[bool, typer.Option(
        "--follow", "-f", help="After the history, print new messages as they arrive, until "
        "the session completes (exit 0) or Ctrl-C (exit 130).")] = False,
    tail: Annotated[Optional[int], typer.Option(
        "--tail", metavar="N", help="With --follow: show only the last N messages of the history.", min=0,
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
        "--interval", metavar="SECONDS", help="Seconds between polls (with --poll, or when CometD is not "
        "available).", min=0.05)] = 1.0,
    max_retries: Annotated[Optional[int], typer.Option(
        "--max-retries", metavar="N", help="With --follow: give up (exit 6) after N failed reconnects in a "
        "row [default: never].", min=0, show_default=False)] = None,
    cursor_file: Annotated[Optional[Path], typer.Option(
        "--cursor-file", metavar="FILE", help="With --follow: remember the last message printed in this file "
        "and resume after it on the next run.", dir_okay=False, show_default=False)] = None,
    view: Annotated[View, typer.Option(
        "--view", metavar="VIEW", help="table, or chat: the customer on the left, agents on the right, events "
        "centred (typing hidden unless --typing).")] = View.table,
    typing_: Annotated[bool, typer.Option(
        "--typing", help="Show TypingStarted and TypingStopped in the chat view and in "
        "--export, which leave them out by default (the table shows them unless "
        "--no-typing).")] = False,
    redact: RedactOpt = False,
    export_file: Annotated[Optional[str], typer.Option(
        "--export", metavar="FILE", help="Write the transcript to FILE instead (.md, .html, "
        ".csv or .json; - for stdout): see smscli export.", show_default=False)] = None,
    export_format: FormatOpt = None,
    no_pager: Annotated[bool, typer.Option(
        "--no-pager", help="Do not page a long table on a terminal (see SMSCLI_PAGER).")
    ] = False,
) -> None:
    """Dump a session's transcript (index, time, sender, type, text), or follow it live."""
    app_state: AppState = ctx.obj
    app_state.session_id = session_id
    _refuse_what_makes_no_sense(
        ctx, app_state, follow=follow, tail=tail, no_history=no_history, events=events,
        poll=poll, max_retries=max_retries, cursor_file=cursor_file, typing_=typing_,
        no_typing=no_typing, export_file=export_file, export_format=export_format,
        start=start, limit=limit)
    # The chat view is a table for people, piped or not.
    output = with_look(ctx, app_state.output(prefer=Format.table if view is View.chat else None,
                                             full=full))
    if output.template is not None and view is View.chat:
        refuse(ctx, "--template does not combine with --view chat")
    if output.template is not None and export_file is not None:
        refuse(ctx, "--template does not combine with --export; choose the file's format "
               "with --format")
    if view is View.chat and output.format is not Format.table:
        raise UsageError(f"--view chat is a view for people; it does not combine with -o "
                         f"{output.format}")

    def renderer(out: Any) -> TranscriptWriter:
        if view is View.chat:
            from smscli.render.chatview import ChatWriter

            return ChatWriter(out, output, include_typing=typing_)
        if output.template is not None:
            from smscli.render.template import TemplateWriter

            return TemplateWriter(out, output)
        from smscli.render import make_renderer

        return make_renderer(output, out)

    if export_file is not None:
        _export(app_state, session_id, export_file, export_format, output, start=start,
                page_size=page_size, types=types, no_typing=no_typing, limit=limit,
                redact=redact, typing_=typing_)
    elif follow:
        from smscli.follow.engine import FollowOptions
        from smscli.models import message_filter

        follow_options = FollowOptions(
            history="none" if no_history else "tail" if tail is not None else "all",
            tail=tail or 0, poll=poll, interval=interval, max_retries=max_retries,
            events=events, cursor_path=cursor_file,
            wanted=message_filter(types, no_typing))
        _follow(app_state, session_id, follow_options, renderer(output.stdout), redact)
    else:
        _dump(app_state, session_id, renderer, output, start=start, page_size=page_size,
              types=types, no_typing=no_typing, limit=limit, redact=redact, no_pager=no_pager)


def _refuse_what_makes_no_sense(ctx: typer.Context, app_state: AppState, *, follow: bool,
                                tail: int | None, no_history: bool, events: bool, poll: bool,
                                max_retries: int | None, cursor_file: Path | None,
                                typing_: bool, no_typing: bool, export_file: str | None,
                                export_format: Any, start: int, limit: int | None) -> None:
    """Every combination of flags that cannot mean anything: a usage error (exit 2)."""
    if not follow:
        given = [name for name, on in (
            ("--tail", tail is not None), ("--no-history", no_history), ("--events", events),
            ("--poll", poll), ("--max-retries", max_retries is not None),
            ("--cursor-file", cursor_file is not None)) if on]
        if given:
            refuse(ctx, f"{given[0]} works only with --follow")
    if typing_ and no_typing:
        refuse(ctx, "--typing and --no-typing contradict each other")
    if export_file is not None and app_state.given.format is not None:
        refuse(ctx, "--export FILE does not combine with -o/--json; choose the file's format "
               "with --format")
    if export_format is not None and export_file is None:
        raise UsageError("--format chooses the format of --export FILE",
                         "for terminal or pipe output use -o table|plain|json|ndjson")
    if export_file is not None and follow:
        raise UsageError("--export does not combine with --follow")
    if follow and (start != 1 or limit is not None):
        raise UsageError("--start and --limit do not combine with --follow",
                         "use --tail N to begin with the last N messages")
    if tail is not None and no_history:
        raise UsageError("--tail and --no-history contradict each other")


def _export(app_state: AppState, session_id: str, export_file: str, export_format: Any,
            output: Output, *, start: int, page_size: int | None, types: list[str] | None,
            no_typing: bool, limit: int | None, redact: bool, typing_: bool) -> None:
    """``--export FILE``: the transcript as a file, as `smscli export` writes it."""
    from smscli.cli.export_cmd import write_export
    from smscli.models import select_messages

    pages = app_state.client().iter_messages(session_id, start=start, page_size=page_size,
                                             prefetch=True)
    try:
        write_export(app_state, session_id, export_file,
                     export_format.value if export_format else None, redact=redact,
                     include_typing=typing_, times=output.times,
                     messages=select_messages(pages, types, no_typing, limit))
    finally:
        pages.close()


def _dump(app_state: AppState, session_id: str, renderer: Callable[[Any], TranscriptWriter],
          output: Output, *, start: int, page_size: int | None, types: list[str] | None,
          no_typing: bool, limit: int | None, redact: bool, no_pager: bool) -> None:
    """The transcript once, to stdout or a pager, with progress on a terminal's stderr.

    The transcript travels as pages (lists) from the client to the writer, and a machine
    writer takes a page in one call (``transcript_pages``): no Python call a message on the
    way. Filters, redaction and progress take the messages one by one, and so does any other
    writer, through a chain (which adds no Python call a message)."""
    from itertools import chain

    from smscli.models import KNOWN_MESSAGE_TYPES, select_messages
    from smscli.paging import fewer_collections
    from smscli.render.base import PageWriter

    client = app_state.client()
    pages = client.iter_messages(session_id, start=start, page_size=page_size,
                                 prefetch=True, pages=True)
    source = _or_archived(app_state, session_id, pages, start)
    one_by_one = bool(types or no_typing or redact)
    if not one_by_one:
        source = _first(source, limit)
    flat = chain.from_iterable(source)
    selected: Iterable[Any] = flat
    shown = 0

    def counted(messages: Iterable[Any]) -> Iterator[Any]:
        nonlocal shown
        for message in messages:
            shown += 1
            yield message

    if one_by_one:
        selected = counted(select_messages(flat, types, no_typing, limit))
        if redact:
            from smscli.redact import redact_messages

            selected = redact_messages(selected)
    selected = output.progress(selected)  # the messages themselves when none is shown
    pager = output.pager(wanted=not no_pager)
    try:
        writer = renderer(pager or output.stdout)
        with fewer_collections(page_size or client.options.page_size):
            if selected is flat and isinstance(writer, PageWriter):
                writer.transcript_pages(source)
            else:
                writer.transcript(selected)
    except BrokenPipeError:
        pass  # the pager was quit before the end: the user has seen enough
    finally:
        pages.close()
        if pager is not None:
            pager.close()
    if limit != 0:
        warn_unknown("message type", types, KNOWN_MESSAGE_TYPES, shown > 0)


_ARCHIVE_PAGE = 1000  # archived messages handed on this many at a time


def _first(pages: Iterable[list], limit: int | None) -> Iterator[list]:
    """The pages holding the first ``limit`` messages (all with None), the last one cut."""
    if limit is None:
        yield from pages
        return
    left = limit
    if left <= 0:
        return
    for page in pages:
        if len(page) >= left:
            yield page[:left]
            return
        left -= len(page)
        yield page


def _or_archived(app_state: AppState, session_id: str, pages: Iterable[list],
                 start: int) -> Iterator[list]:
    """The server's transcript, a page at a time; for a session the server no longer knows,
    the archive's (``smscli record`` keeps one), saying so on stderr."""
    from smscli.errors import NotFoundError

    walk = iter(pages)
    end: list = []
    try:
        first = next(walk, end)
    except NotFoundError:
        from smscli.cli.history_cmd import from_archive
        from smscli.models import positive_index

        found = from_archive(app_state, session_id)
        if found is None:
            raise
        page: list = []
        for message in found.messages():
            if start == 1 or (positive_index(message) or 0) >= start:
                page.append(message)
                if len(page) >= _ARCHIVE_PAGE:
                    yield page
                    page = []
        if page:
            yield page
        return
    if first is not end:
        yield first
        yield from walk


def _follow(app_state: AppState, session_id: str, options: FollowOptions,
            renderer: TranscriptWriter, redact: bool) -> None:
    from smscli.follow.engine import Follower

    announce = None
    if app_state.out.stderr_tty:  # a person waits at a terminal: say what is happening
        def announce(session: Any) -> None:
            _announce(app_state, session_id, session)
    follower = Follower(app_state.client(), session_id, options, app_state.note,
                        on_start=announce)
    stream: MessageStream = renderer.message_stream(live=True)
    if redact:
        from smscli.redact import RedactingStream

        stream = RedactingStream(stream)
    # With a cursor file, a message's printing and the cursor's record of it are one step
    # that a Ctrl-C waits for (else the next run would print that message again).
    import contextlib

    from smscli.files import interrupt_deferred

    step = interrupt_deferred if options.cursor_path is not None else contextlib.nullcontext
    try:
        for item in follower.run():
            with step():
                if item.kind == "message":
                    stream.message(item.data)
                    follower.printed()
                else:
                    stream.event(item.data)
    finally:
        # On Ctrl-C too: what was printed stays printed, and the server is told we left.
        try:
            stream.close()
        finally:
            follower.close()


def _announce(app_state: AppState, session_id: str, session: Any) -> None:
    """Say on stderr what the follow will do, once the session is known to exist."""
    from smscli.models import FINAL_STATES, as_text

    state = as_text(session.get("state")) if isinstance(session, dict) else ""
    if state in FINAL_STATES:
        return  # the history is all there is; the follower says the session is over
    if state == "LeftChat":
        app_state.note(f"following {session_id}, which is LeftChat: waiting for the session "
                       "to complete; Ctrl-C to stop")
        return
    app_state.note(f"following {session_id}; Ctrl-C to stop")
