"""``smscli export ID FILE``: a transcript as Markdown, HTML, CSV or JSON, optionally redacted."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from smscli.cli.options import output_flags
from smscli.cli.state import AppState
from smscli.errors import UsageError
from smscli.files import atomic_text_file

EPILOG = (
    "\b\nThe format comes from --format, else from FILE's extension: .md, .html or .htm,\n"
    ".csv, .json. FILE - writes to stdout. A file is written whole or not at all.\n\n"
    "\b\nExamples:\n"
    "  smscli --demo export 0000Wa9CAM6W00FN transcript.html\n"
    "  smscli --demo export 0000Wa9CAM6W00FN transcript.md --redact\n"
    "  smscli --demo export 0000Na9B26EF002G - --format csv --typing --utc\n"
    "  smscli --demo export 0000Wa9CAM6W00FN - -F json --redact | jq -r '.[].text // empty'"
)


class ExportFormat(str, Enum):
    md = "md"
    html = "html"
    csv = "csv"
    json = "json"


FormatOpt = Annotated[ExportFormat | None, typer.Option(
    "--format", "-F", metavar="FORMAT", help="md, html, csv or json [default: from FILE's extension].",
    show_default=False)]
RedactOpt = Annotated[bool, typer.Option(
    "--redact", help="Mask phone numbers, e-mail addresses and long digit runs (card and "
    "account numbers) in text and user data, keeping the last four digits.")]
TypingOpt = Annotated[bool, typer.Option(
    "--typing", help="Include TypingStarted and TypingStopped events (an export leaves them "
    "out by default).")]


@output_flags("utc", "tz")
def export(
    ctx: typer.Context,
    session_id: Annotated[str, typer.Argument(metavar="ID", help="The SMS session id.")],
    file: Annotated[str, typer.Argument(
        metavar="FILE", help="Where to write: a file (.md, .html, .csv, .json), or - for "
        "stdout.")],
    format: FormatOpt = None,
    redact: RedactOpt = False,
    typing: TypingOpt = False,
) -> None:
    """Export a transcript to share: a conversation in Markdown or HTML, or CSV or JSON data."""
    app_state: AppState = ctx.obj
    app_state.session_id = session_id
    write_export(app_state, session_id, file, format.value if format else None,
                 redact=redact, include_typing=typing, times=app_state.output().times)


def resolve_format(file: str, explicit: str | None) -> str:
    """The export format: --format if given, else FILE's extension; a UsageError otherwise."""
    from smscli.render.export import format_from_path

    if explicit:
        return explicit
    if file == "-":
        raise UsageError("writing to stdout needs a format",
                         "add --format md, html, csv or json")
    found = format_from_path(file)
    if found is None:
        raise UsageError(f"cannot tell the export format from the file name {file!r}",
                         "name it .md, .html, .csv or .json, or add --format")
    return found


def write_export(app_state: AppState, session_id: str, file: str, fmt: str | None, *,
                 redact: bool = False, include_typing: bool = False, times: Any = None,
                 messages: Iterable[Any] | None = None) -> int:
    """Write one export to FILE ('-' for stdout); returns how many messages it holds.

    Also the body of ``messages ID --export FILE``: pass ``messages`` (already filtered by
    --type, --start, --limit) to export those instead of the whole transcript.
    """
    from smscli.render import TimeFormat
    from smscli.render.export import ExportOptions, export_transcript

    fmt = resolve_format(file, fmt)
    client = app_state.client()
    # The session heads the conversation documents; fetched first, so a wrong id writes nothing.
    session = client.get_session(session_id) if fmt in ("md", "html") else None
    source = client.iter_messages(session_id, prefetch=True) if messages is None else messages
    stream = app_state.out.progress(source, printing=file == "-")
    options = ExportOptions(times=times or TimeFormat(), redact=redact,
                            include_typing=include_typing)
    try:
        if file == "-":  # nothing printed, not even a CSV header, before the first page came
            return export_transcript(fmt, app_state.out.stdout, _first_fetched(stream), options,
                                     session)
        with atomic_text_file(Path(file)) as out:
            count = export_transcript(fmt, out, stream, options, session)
    finally:
        for iterator in (stream, source):  # stops the prefetching thread at once
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
    noun = "message" if count == 1 else "messages"
    app_state.note(f"wrote {count:,} {noun} to {file}" + (" (redacted)" if redact else ""))
    return count


def _first_fetched(messages: Iterable[Any]) -> Iterator[Any]:
    """``messages``, with the first one (or the error of fetching it) fetched now."""
    iterator = iter(messages)
    empty = object()
    first = next(iterator, empty)
    return iterator if first is empty else itertools.chain([first], iterator)
