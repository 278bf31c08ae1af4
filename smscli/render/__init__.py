"""Output: picks the format and colour, and hands data to the matching writer."""

from __future__ import annotations

from typing import IO, Any

from smscli.render.base import (
    MessageStream,
    Renderer,
    TimeFormat,
    TimeTexts,
    TranscriptWriter,
    color_enabled,
)
from smscli.render.output import Color, Format, Output, OutputFlags

__all__ = [
    "Color",
    "Format",
    "MessageStream",
    "Output",
    "OutputFlags",
    "Renderer",
    "TimeFormat",
    "TimeTexts",
    "TranscriptWriter",
    "color_enabled",
    "make_renderer",
    "print_ids",
]


def make_renderer(output: Output, out: IO[str] | None = None) -> Renderer:
    """The writer for ``output``'s format, writing to ``out`` (a pager, say) or
    ``output.stdout``; Rich is imported only for the table."""
    stream = output.stdout if out is None else out
    if output.format is Format.json:
        from smscli.render.machine import JsonWriter

        return JsonWriter(stream)
    if output.format is Format.ndjson:
        from smscli.render.machine import NdjsonWriter

        return NdjsonWriter(stream)
    if output.format is Format.plain:
        from smscli.render.plain import PlainWriter

        marks = output.highlight if output.color and output.highlight else None
        return PlainWriter(stream, output.times, marks)
    from smscli.render.human import TableWriter

    return TableWriter(stream, output)


def print_ids(sessions: list[Any], out: IO[str]) -> None:
    """``sessions list -q``: one id per line, whatever the format."""
    from smscli.models import as_text
    from smscli.safety import escape

    for session in sessions:
        session_id = session.get("id") if isinstance(session, dict) else None
        if session_id is not None:
            out.write(escape(as_text(session_id)) + "\n")
