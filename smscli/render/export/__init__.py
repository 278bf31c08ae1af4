"""Transcripts as files to share: Markdown, HTML, CSV or JSON, written as messages arrive.

One module per format; the stream that filters and redacts is here, what the formats share
(options, text made safe for a file, the header facts) in common.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from smscli.models import TYPING_TYPES, message_type
from smscli.redact import redact_value
from smscli.render.export.common import ExportOptions

EXPORT_FORMATS = ("md", "html", "csv", "json")
EXTENSIONS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".csv": "csv",
              ".json": "json"}


def format_from_path(path: str) -> str | None:
    """The export format a file name asks for by its extension, or None."""
    lowered = path.lower()
    for extension, fmt in EXTENSIONS.items():
        if lowered.endswith(extension):
            return fmt
    return None


def export_stream(fmt: str, out: IO[str], options: ExportOptions,
                  session: Any = None) -> ExportStream:
    """A stream with ``message(raw)``, ``event(record)``, ``close()`` writing one export.

    ``session`` is the GWS session object for the header of Markdown and HTML (optional).
    Typing events are dropped unless asked for, and with ``redact`` every message and the
    session are redacted before anything is written.
    """
    if options.redact and session is not None:
        session = redact_value(session)
    writer: Any
    if fmt == "csv":
        from smscli.render.export.csvfile import CsvWriter

        writer = CsvWriter(out, options.times)
    elif fmt == "json":
        from smscli.render.machine import JsonArrayStream

        writer = JsonArrayStream(out)
    elif fmt == "md":
        from smscli.render.export.markdown import MarkdownWriter

        writer = MarkdownWriter(out, options, session)
    elif fmt == "html":
        from smscli.render.export.html import HtmlWriter

        writer = HtmlWriter(out, options, session)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    return ExportStream(writer, options)


def export_transcript(fmt: str, out: IO[str], messages: Iterable[Any], options: ExportOptions,
                      session: Any = None) -> int:
    """Write a whole export; returns how many messages it holds."""
    stream = export_stream(fmt, out, options, session)
    for raw in messages:
        stream.message(raw)
    stream.close()
    return stream.count


class ExportStream:
    """Filters typing events, redacts, and hands each message to a format's writer."""

    def __init__(self, writer: Any, options: ExportOptions) -> None:
        self.writer = writer
        self.options = options
        self.count = 0

    def message(self, raw: Any) -> None:
        if not self.options.include_typing and message_type(raw) in TYPING_TYPES:
            return
        self.writer.message(redact_value(raw) if self.options.redact else raw)
        self.count += 1

    def event(self, record: Any) -> None:
        pass  # an export holds the transcript; state changes are reported on stderr

    def close(self) -> None:
        self.writer.close()
