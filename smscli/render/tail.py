"""`smscli tail` output: one line per message of any session, led by the session's tag."""

from __future__ import annotations

import shutil
import zlib
from dataclasses import dataclass
from typing import IO, Any, Protocol

from smscli.models import as_text, message_fields
from smscli.render.base import TimeTexts
from smscli.render.human import SHORT_TYPES
from smscli.render.machine import NdjsonStream
from smscli.render.plain import PlainWriter
from smscli.render.output import Format, Output
from smscli.render.spans import cell_len, safe_spans, sgr_codes, truncate
from smscli.render.styles import message_style, participant_style
from smscli.safety import escape_plain_field

# Session colours: every hue but the near-invisible ones (black, white, bright yellow), so
# neighbouring sessions rarely share one. A session's colour comes from its id: stable.
SESSION_STYLES = ("cyan", "green", "magenta", "yellow", "blue", "red", "bright_cyan",
                  "bright_green", "bright_magenta", "bright_blue", "bright_red")
TIME_CELLS = 8  # HH:MM:SS
TAG_CHARS = 4  # the tag is the end of the session id: what `sessions list` shows, findable
# The columns of a message in ``tail -o plain``: the session, then those of ``messages -o
# plain`` (render/plain.py, PLAIN_MESSAGE_COLUMNS).
PLAIN_TAIL_COLUMNS = ("session", "customer", "index", "time", "from_type", "from", "type",
                      "visibility", "text")


class TailWriter(Protocol):
    def message(self, session_id: str, session: Any, raw: Any) -> None: ...
    def label(self, session_id: str, session: Any) -> str: ...
    def close(self) -> None: ...


def make_tail_writer(output: Output, out: IO[str] | None = None) -> TailWriter:
    """The writer for ``output``'s format, on ``out`` or ``output.stdout``: json means ndjson
    here, as in every live view; a table fits ``output.width`` or the terminal."""
    stream = output.stdout if out is None else out
    if output.template is not None:
        return TemplateTail(stream, output)
    if output.format.machine:
        return NdjsonTail(stream)
    if output.format is Format.plain:
        return PlainTail(stream, output)
    return TableTail(stream, output,
                     output.width or shutil.get_terminal_size((100, 24)).columns)


def customer_of(session: Any) -> str:
    """The first customer's nickname, or "" (a session may have none, or only a number)."""
    participants = session.get("participants") if isinstance(session, dict) else None
    for person in participants if isinstance(participants, list) else []:
        if isinstance(person, dict) and as_text(person.get("type")) in ("Customer", "Client"):
            return as_text(person.get("nickname"))
    return ""


class Tags:
    """Short, stable tags: the last four characters of the id, longer when two sessions of
    this run would share one. A tag once given never changes."""

    def __init__(self) -> None:
        self._tags: dict[str, str] = {}
        self._taken: set[str] = set()

    def __call__(self, session_id: str) -> str:
        tag = self._tags.get(session_id)
        if tag is None:
            size = TAG_CHARS
            tag = session_id[-size:]
            while tag in self._taken and size < len(session_id):
                size += 1
                tag = session_id[-size:]
            if tag in self._taken:  # one id the end of another: the whole id, numbered
                tag = f"{session_id}#{len(self._tags)}"
            self._tags[session_id] = tag
            self._taken.add(tag)
        return tag


def session_style(session_id: str) -> str:
    return SESSION_STYLES[zlib.crc32(session_id.encode("utf-8", "replace"))
                          % len(SESSION_STYLES)]


class _Labels:
    tags: Tags
    _customers: dict[str, str]

    def customer(self, session_id: str, session: Any) -> str:
        """The session's customer, as last named: a session that completes often lists
        nobody any more, and its last lines keep the name."""
        name = customer_of(session)
        if name:
            self._customers[session_id] = name
            return name
        return self._customers.get(session_id, "")

    def label(self, session_id: str, session: Any) -> str:
        """How notes on stderr name a session: tag, customer and id (the caller escapes)."""
        customer = self.customer(session_id, session)
        return (f"{self.tags(session_id)} {customer} ({session_id})" if customer
                else f"{self.tags(session_id)} ({session_id})")


@dataclass(frozen=True, slots=True)
class TailLayout:
    customer: int
    sender: int
    kind: int
    time: bool
    long_types: bool


def tail_layout(width: int) -> TailLayout:
    """Columns for a terminal ``width`` cells wide: 100 and up, every type name whole; from
    80, short type names; below 80 the time goes too. TEXT takes the rest."""
    if width >= 100:
        return TailLayout(12, 12, 19, True, True)
    if width >= 80:
        return TailLayout(10, 10, 14, True, False)
    return TailLayout(8, 8, 13, False, False)


class TableTail(_Labels):
    """One line per message, cut to the terminal's width: tag and customer in the session's
    colour, time, sender in its participant colour, type, text; server text made inert."""

    GAP = "  "

    def __init__(self, out: IO[str], options: Output, width: int) -> None:
        self.out = out
        self.color = options.color
        self.width = max(20, width)
        self.layout = tail_layout(self.width)
        self.tags = Tags()
        self._customers = {}
        self.day = ""
        self._times = TimeTexts(options.times)
        self._codes: dict[str, tuple[str, str]] = {}
        self.mark = options.highlight.mark if options.highlight else None

    def paint(self, text: str, style: str) -> str:
        if not self.color or style == "none" or not text:
            return text
        codes = self._codes.get(style)
        if codes is None:
            codes = self._codes[style] = sgr_codes(style)
        return f"{codes[0]}{text}{codes[1]}"

    def message(self, session_id: str, session: Any, raw: Any) -> None:
        layout = self.layout
        _, kind, sender_type, nickname, visibility, body, stamp, epoch = message_fields(raw)
        style = session_style(session_id)
        cells = [self._cell(self.tags(session_id), None, style + " bold"), (" ", 1),
                 self._cell(self.customer(session_id, session), layout.customer, style)]
        if layout.time:
            shown = self._times.human(stamp, epoch)
            if shown and shown[:10] != self.day:
                self.day = shown[:10]  # the date once, when it changes
                self.out.write(self.paint(f"\u2500\u2500\u2500 {self.day} \u2500\u2500\u2500",
                                          "bright_black") + "\n")
            cells += [(self.GAP, 2), self._cell(shown[11:], TIME_CELLS, "none")]
        kind_style = message_style(kind)
        shown_kind = kind if layout.long_types else SHORT_TYPES.get(kind, kind)
        sender_style = "none" if sender_type is None else participant_style(sender_type)
        cells += [(self.GAP, 2), self._cell(nickname, layout.sender, sender_style),
                  (self.GAP, 2), self._cell(shown_kind, layout.kind, kind_style), (self.GAP, 2)]
        used = sum(size for _, size in cells)
        # Agents-only and supervisor-only messages never reached the customer: say so.
        marker = "" if visibility in ("", "All") else f"({visibility} only) "
        spans = safe_spans(marker, "bright_black") if marker else []
        spans += safe_spans(body, "none" if kind == "Text" else kind_style)  # one line
        if self.mark is not None:
            spans = self.mark(spans)
        room = max(2, self.width - used)
        if sum(cell_len(chunk) for chunk, _ in spans) > room:
            spans = truncate(spans, room - 1) + [("\u2026", "bright_black")]
        line = "".join(cell for cell, _ in cells) + "".join(
            self.paint(chunk, chunk_style) for chunk, chunk_style in spans)
        self.out.write(line.rstrip() + "\n")
        self.out.flush()

    def _cell(self, value: str, width: int | None, style: str) -> tuple[str, int]:
        """``value`` made inert, cut with an ellipsis to ``width`` cells and padded to it
        (None: as long as it is); with the cells it takes."""
        spans = safe_spans(value, style)
        size = sum(cell_len(chunk) for chunk, _ in spans)
        if width is not None and size > width:
            spans = truncate(spans, width - 1) + [("\u2026", "bright_black")]
            size = sum(cell_len(chunk) for chunk, _ in spans)
        pad = 0 if width is None else width - size
        return "".join(self.paint(chunk, s) for chunk, s in spans) + " " * pad, size + pad

    def close(self) -> None:
        self.out.flush()


class PlainTail(_Labels):
    """Tab-separated, one line per message, flushed at once: PLAIN_TAIL_COLUMNS."""

    def __init__(self, out: IO[str], options: Output) -> None:
        self.out = out
        self.tags = Tags()
        self._customers = {}
        self._times = TimeTexts(options.times)
        # --highlight on a terminal: matches painted in the escaped fields (as `PlainWriter`).
        marks = options.highlight if options.color and options.highlight else None
        self._fields = PlainWriter(out, options.times, marks)

    def message(self, session_id: str, session: Any, raw: Any) -> None:
        index, kind, sender_type, nickname, visibility, body, stamp, epoch = \
            message_fields(raw)
        fields = (session_id, self.customer(session_id, session),
                  "" if index is None else str(index), self._times.iso(stamp, epoch),
                  sender_type or "", nickname, kind, visibility, body)
        self.out.write("\t".join(self._fields.marked(escape_plain_field(f)) for f in fields)
                       + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class NdjsonTail(_Labels):
    """Each message as the server sent it, one per line, with ``sessionId`` in front."""

    def __init__(self, out: IO[str]) -> None:
        self.tags = Tags()
        self._customers = {}
        self.stream = NdjsonStream(out, live=True)

    def message(self, session_id: str, session: Any, raw: Any) -> None:
        record: dict[str, Any] = {"sessionId": session_id}
        if isinstance(raw, dict):
            record.update((key, value) for key, value in raw.items() if key != "sessionId")
        else:
            record["message"] = raw
        self.stream.message(record)

    def close(self) -> None:
        self.stream.close()


class TemplateTail(_Labels):
    """``--template``: a line per message from the template, over the message's ndjson
    record (``sessionId`` first) with the session's ``customer`` added."""

    def __init__(self, out: IO[str], options: Output) -> None:
        from smscli.render.template import TemplateLines

        self.out = out
        self.tags = Tags()
        self._customers = {}
        self.lines = TemplateLines(options)

    def message(self, session_id: str, session: Any, raw: Any) -> None:
        item: dict[str, Any] = {"sessionId": session_id,
                                "customer": self.customer(session_id, session)}
        if isinstance(raw, dict):
            item.update((key, value) for key, value in raw.items()
                        if key not in ("sessionId", "customer"))
        else:
            item["message"] = raw
        self.out.write(self.lines.line(item) + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()
