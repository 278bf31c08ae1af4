"""Output: picks the format and colour, and hands data to the matching writer."""

from __future__ import annotations

from typing import IO, Any

from smscli.render.base import (
    COLOR_CHOICES,
    FORMATS,
    MessageStream,
    OutputOptions,
    Renderer,
    TimeFormat,
    TimeTexts,
    TranscriptWriter,
    color_enabled,
    default_format,
)

__all__ = [
    "COLOR_CHOICES",
    "FORMATS",
    "MessageStream",
    "OutputOptions",
    "Renderer",
    "TimeFormat",
    "TimeTexts",
    "TranscriptWriter",
    "color_enabled",
    "default_format",
    "make_renderer",
    "print_ids",
]


def make_renderer(options: OutputOptions, out: IO[str]) -> Renderer:
    """The writer for one invocation; Rich is imported only for the human table format."""
    if options.format == "json":
        from smscli.render.machine import JsonWriter

        return JsonWriter(out)
    if options.format == "ndjson":
        from smscli.render.machine import NdjsonWriter

        return NdjsonWriter(out)
    if options.format == "plain":
        from smscli.render.machine import PlainWriter

        return PlainWriter(out, options.times)
    from smscli.render.human import TableWriter

    return TableWriter(out, options)


def print_ids(sessions: list[Any], out: IO[str]) -> None:
    """``sessions list -q``: one id per line, whatever the format."""
    from smscli.models import as_text
    from smscli.safety import escape

    for session in sessions:
        session_id = session.get("id") if isinstance(session, dict) else None
        if session_id is not None:
            out.write(escape(as_text(session_id)) + "\n")
