"""Human output: Rich tables for sessions, and a streaming coloured table for transcripts."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from smscli.models import Message, Session, as_text, message_fields
from smscli.render.base import TimeTexts
from smscli.render.output import Output
from smscli.render.styles import (
    HEADER,
    message_style,
    participant_style,
    state_style,
)
from smscli.render.spans import (
    MUTED,
    PREVIEW_CHARS,
    PREVIEW_LINES,
    Mark,
    Spans,
    cell_len,
    merge_spans,
    not_shown,
    pad,
    preview,
    rstrip,
    safe_spans,
    sgr_codes,
    truncate,
    wrap,
    wrap_ascii,
)


def inert_text(value: Any, style: str = "none", mark: Mark | None = None) -> Any:
    """Server text as a Rich Text: never markup, control characters shown as dim escapes;
    ``mark`` restyles what --highlight matches."""
    from rich.text import Text

    text = Text(no_wrap=False, overflow="fold")
    spans = safe_spans(as_text(value), style)
    for chunk, chunk_style in (spans if mark is None else mark(spans)):
        text.append(chunk, style=None if chunk_style == "none" else chunk_style)
    return text


def people_text(session: Session, kind: str, mark: Mark | None = None) -> Any:
    """The nicknames of one kind of participant, comma-separated, coloured by kind."""
    from rich.text import Text

    text = Text()
    for i, name in enumerate(session.nicknames(kind)):
        if i:
            text.append(", ")
        text.append_text(inert_text(name, participant_style(kind), mark))
    return text


class TableWriter:
    """Tables for people: colour per type and state, untrusted text shown inert."""

    def __init__(self, out: IO[str], options: Output) -> None:
        self.out = out
        self.options = options
        self.width = options.width or shutil.get_terminal_size((100, 24)).columns
        self.mark: Mark | None = options.highlight.mark if options.highlight else None

    def console(self) -> Any:
        from rich.console import Console

        color = self.options.color
        return Console(file=self.out, force_terminal=color, no_color=not color,
                       color_system="standard" if color else None, width=self.width,
                       highlight=False, markup=False, emoji=False, soft_wrap=False)

    def session_list(self, sessions: list[Any]) -> None:
        from rich import box
        from rich.table import Table

        table = Table(box=box.SIMPLE_HEAD, header_style=HEADER, pad_edge=False, show_edge=False)
        for name in ("ID", "STATE", "CUSTOMER", "AGENTS", "RECEIVED", "CAPS"):
            table.add_column(name, justify="right" if name == "CAPS" else "left",
                             no_wrap=name in ("ID", "RECEIVED"))
        for raw in sessions:
            s = Session.from_raw(raw)
            mark = self.mark
            table.add_row(inert_text(s.id, mark=mark),
                          inert_text(s.state, state_style(s.state), mark),
                          people_text(s, "Customer", mark), people_text(s, "Agent", mark),
                          self._received(s), str(len(s.capabilities)))
        if not sessions:
            self.options.say("No SMS sessions.")
            return
        self.console().print(table)

    def _received(self, session: Session) -> str:
        if self.options.relative_times:
            return self.options.times.relative(session.received)
        return self.options.times.human(session.received)

    def session_detail(self, raw: Any) -> None:
        from rich import box
        from rich.table import Table

        s = Session.from_raw(raw)
        mark = self.mark
        console = self.console()
        summary = Table.grid(padding=(0, 2))
        summary.add_column(style=HEADER)
        summary.add_column()
        summary.add_row("ID", inert_text(s.id, mark=mark))
        summary.add_row("State", inert_text(s.state, state_style(s.state), mark))
        summary.add_row("URI", inert_text(s.uri, mark=mark))
        summary.add_row("Received", self.options.times.human(s.received) or "-")
        console.print(summary)

        people = Table(title="Participants", title_justify="left", title_style=HEADER,
                       box=box.SIMPLE_HEAD, header_style=HEADER, pad_edge=False,
                       show_edge=False)
        for name in ("TYPE", "NICKNAME", "PARTICIPANT ID", "VISIBILITY"):
            people.add_column(name)
        for p in s.participants:
            style = participant_style(p.type)
            people.add_row(inert_text(p.type, style, mark), inert_text(p.nickname, style, mark),
                           inert_text(p.participant_id, mark=mark),
                           inert_text(p.visibility, mark=mark))
        console.print(people if s.participants else "Participants: none")

        console.print()
        caps = inert_text(", ".join(s.capabilities), mark=mark) if s.capabilities else "none"
        console.print(self._label("Capabilities: "), caps, sep="")

        data = Table(title="User data", title_justify="left", title_style=HEADER,
                     box=box.SIMPLE_HEAD, header_style=HEADER, pad_edge=False,
                       show_edge=False)
        data.add_column("KEY")
        data.add_column("VALUE")
        for key, value in s.user_data.items():
            shown = "null" if value is None else as_text(value)
            data.add_row(inert_text(key, mark=mark),
                         inert_text(shown, "bright_black" if value is None else "none", mark))
        console.print()
        console.print(data if s.user_data else "User data: none")

    def _label(self, text: str) -> Any:
        from rich.text import Text

        return Text(text, style=HEADER)

    def transcript(self, messages: Iterable[Any]) -> int:
        from smscli.render.streams import write_all

        return write_all(self.message_stream(), messages)

    def message_stream(self, live: bool = False) -> TranscriptStream:
        return TranscriptStream(self.out, self.options, self.width, live)


class PaintedStream:
    """Messages written line by line as they arrive, each style's escape codes computed once.

    A subclass writes one message in ``write``; this base counts, flushes a live follow per
    message, and says "No messages." (on stderr: stdout stays data) after an empty dump.
    """

    def __init__(self, out: IO[str], options: Output, live: bool = False) -> None:
        self.out = out
        self.options = options
        self.live = live
        self.count = 0
        self._codes: dict[str, tuple[str, str]] = {}
        self.highlight = options.highlight  # --highlight: None, or matches to restyle
        self._mark: Mark | None = self.highlight.mark if self.highlight else None

    def paint(self, text: str, style: str) -> str:
        if not self.options.color or style == "none" or not text:
            return text
        codes = self._codes.get(style)
        if codes is None:
            codes = self._codes[style] = sgr_codes(style)
        return f"{codes[0]}{text}{codes[1]}"

    def message(self, raw: Any) -> None:
        if self.write(Message.from_raw(raw)):
            self.count += 1
            if self.live:
                self.out.flush()

    def write(self, m: Message) -> bool:
        """Write one message; False when this view leaves it out."""
        raise NotImplementedError

    def event(self, record: dict) -> None:
        pass  # state changes are reported on stderr

    def close(self) -> None:
        if self.count == 0 and not self.live:
            # A note, not data: stdout stays empty (and no pager starts for nothing).
            self.options.say("No messages.")
        self.out.flush()


class TranscriptStream(PaintedStream):
    """A table written row by row with fixed columns: constant memory, rows appear at once.

    Rich's Table measures every row before printing any, which costs ~0.65 ms a row and holds
    the whole transcript; here each style's escape codes are computed once and rows are
    plain strings.

    The columns fit the terminal from 60 columns up (see ``transcript_layout``): the time of
    day in TIME, the date once as a separator row whenever it changes, and TEXT wrapped
    inside its own column.
    """

    GAP = "  "

    def __init__(self, out: IO[str], options: Output, width: int,
                 live: bool = False) -> None:
        super().__init__(out, options, live)
        self.layout = transcript_layout(width)
        self.text_width = self.layout.text
        self._indent = " " * self.layout.fixed
        self._date_indent = " " * (self.layout.index + len(self.GAP))
        self.day = ""
        self._times = TimeTexts(options.times)
        self._heads: dict[tuple[str, str | None, str], tuple[str, str]] = {}
        if live:
            self.header()  # a follow shows its columns at once, even before the first message

    def message(self, raw: Any) -> None:
        # The fields straight from the message's dict and the time from a per-stream cache:
        # the row of Message.from_raw and TimeFormat.human, at a fraction of the cost.
        if self.count == 0 and not self.live:
            self.header()
        index, kind, sender_type, nickname, visibility, body, stamp, epoch = \
            message_fields(raw)
        self._row(index, kind, sender_type, nickname, visibility, body,
                  self._times.human(stamp, epoch))
        self.count += 1
        if self.live:
            self.out.flush()

    def write(self, m: Message) -> bool:
        if self.count == 0 and not self.live:
            self.header()
        self.row(m)
        return True

    def header(self) -> None:
        layout = self.layout
        cells = [pad("#", layout.index, right=True), pad("TIME", TIME_WIDTH),
                 pad("FROM", layout.sender), pad("TYPE", layout.kind), "TEXT"]
        self.out.write(self.paint(self.GAP.join(cells), HEADER) + "\n")

    def row(self, m: Message) -> None:
        sender = m.sender
        self._row(m.index, m.type, sender.type if sender else None,
                  sender.nickname if sender else "", m.visibility, m.body,
                  self.options.times.human(m.time))

    def _row(self, index: int | None, kind: str, sender_type: str | None, nickname: str,
             visibility: str, body: str, shown: str) -> None:
        number = "" if index is None else str(index)
        if shown and shown[:10] != self.day:
            # The date once, when it changes: the rows then need only the time of day.
            self.day = shown[:10]
            self.out.write((self._date_indent + self.paint("\u2500" * 3 + " ", "bright_black")
                            + self.paint(self.day, HEADER)
                            + self.paint(" " + "\u2500" * 3, "bright_black")).rstrip() + "\n")
        clock = shown[11:]
        head = self._heads.get((nickname, sender_type, kind))
        if head is None:
            head = self._head(nickname, sender_type, kind)
        kind_style = head[1]
        # number: str(int), always ASCII; the time of day is ASCII but for odd calendars.
        line = (number.rjust(self.layout.index) + self.GAP
                + (clock.ljust(TIME_WIDTH) if clock.isascii() else pad(clock, TIME_WIDTH))
                + head[0])
        body_style = "none" if kind == "Text" else kind_style
        # Agents-only and supervisor-only messages never reached the customer: say so.
        marker = "" if visibility in ("", "All") else f"({visibility} only) "
        # An index wider than its column (100,000 and up) pushes the row: TEXT gives way.
        text_width = max(1, self.text_width - max(0, len(number) - self.layout.index))
        lines = self._body_lines(body, body_style, marker, text_width)
        if len(lines) == 1:
            self.out.write((line + lines[0]).rstrip() + "\n")
            return
        indent = self._indent
        self.out.write("\n".join([(line + lines[0]).rstrip(),
                                  *[(indent + rest).rstrip() for rest in lines[1:]]]) + "\n")

    def _head(self, nickname: str, sender_type: str | None, kind: str) -> tuple[str, str]:
        """FROM and TYPE with the gaps around them, and the type's style: computed once for
        each sender and type, as a transcript repeats them row after row."""
        layout = self.layout
        sender_style = "none" if sender_type is None else participant_style(sender_type)
        kind_style = message_style(kind)
        shown_kind = kind if layout.long_types else SHORT_TYPES.get(kind, kind)
        head = (self.GAP + self._cell(nickname, layout.sender, sender_style) + self.GAP
                + self._cell(shown_kind, layout.kind, kind_style) + self.GAP, kind_style)
        if len(self._heads) >= 1024:
            self._heads.clear()  # a bound on memory, whatever the server sends
        self._heads[nickname, sender_type, kind] = head
        return head

    def _cell(self, value: str, width: int, style: str) -> str:
        if (len(value) <= width and value.isascii() and value.isprintable()
                and self._mark is None):
            return self.paint(value, style) + " " * (width - len(value))  # the usual case
        spans = safe_spans(value, style)
        if self._mark is not None:
            spans = self._mark(spans)
        visible = "".join(chunk for chunk, _ in spans)
        if cell_len(visible) > width:
            spans = truncate(spans, width - 1) + [("\u2026", MUTED)]
        used = sum(cell_len(chunk) for chunk, _ in spans)
        return "".join(self.paint(c, s) for c, s in spans) + " " * (width - used)

    def _body_lines(self, body: str, style: str, marker: str = "",
                    width: int | None = None) -> list[str]:
        width = self.text_width if width is None else width
        simple = not marker and body.isascii() and body.isprintable()
        full = self.options.full
        head = body if full or len(body) <= PREVIEW_CHARS else body[:PREVIEW_CHARS]
        # A highlight that matches restyles spans: the general path below. (Printable ASCII
        # is shown as it is, so its matches are found in the text itself.)
        hit = (self.highlight is not None and not marker and head.isascii()
               and head.isprintable() and bool(self.highlight.ranges(head)))
        if simple and len(body) <= width and not hit:
            return [self.paint(body, style)]  # one short, plain line: nothing to wrap or escape
        if not marker and head.isascii() and head.isprintable() and not hit:
            # The usual long message: one style, one cell a character, nothing to escape;
            # the lines `preview` gives, cheaper.
            cut = len(body) - len(head)
            plain = wrap_ascii(head, width)
            if not full and len(plain) > PREVIEW_LINES:
                cut += sum(map(len, plain[PREVIEW_LINES:]))
                plain = plain[:PREVIEW_LINES]
            painted = (plain if style == "none" or not self.options.color
                       else [self.paint(line, style) for line in plain])
            if cut:
                painted += self._paint_lines(wrap(not_shown(cut), width))
            return painted or [""]
        lead = safe_spans(marker, MUTED) if marker else None
        return self._paint_lines(preview(body, style, width, full=full, lead=lead,
                                         mark=self._mark)) or [""]

    def _paint_lines(self, lines: list[Spans]) -> list[str]:
        # rstrip: the space a wrap leaves before a break, inside a run's colour (a highlight's
        # background would show it), goes as the row's own rstrip takes it from plain text.
        return ["".join(self.paint(c, s) for c, s in merge_spans(rstrip(line)))
                for line in lines]


TIME_WIDTH = 8  # HH:MM:SS; the date is a separator row
# Below 80 columns the TYPE column drops the prefixes that make four names long.
SHORT_TYPES = {"ParticipantJoined": "Joined", "ParticipantLeft": "Left",
               "ParticipantRejoined": "Rejoined", "TranscriptSaveDone": "SaveDone"}


@dataclass(frozen=True, slots=True)
class TranscriptLayout:
    index: int
    sender: int
    kind: int
    text: int
    long_types: bool

    @property
    def fixed(self) -> int:
        """Cells before TEXT: four columns and their gaps."""
        return self.index + TIME_WIDTH + self.sender + self.kind + 4 * len(TranscriptStream.GAP)


def transcript_layout(width: int) -> TranscriptLayout:
    """Column widths of the messages table for a terminal ``width`` cells wide.

    100 and up: FROM 16, TYPE 19 (every known type name whole); 80 to 99: FROM 12; below 80:
    FROM 10 and TYPE 14 with short names (Joined, Left, Rejoined, SaveDone). TEXT takes the
    rest, at least 12 cells (so below 57 columns a row is wider than the terminal).
    """
    if width >= 100:
        index, sender, kind, long_types = 5, 16, 19, True
    elif width >= 80:
        index, sender, kind, long_types = 5, 12, 19, True
    else:
        index, sender, kind, long_types = 5, 10, 14, False
    fixed = index + TIME_WIDTH + sender + kind + 4 * len(TranscriptStream.GAP)
    return TranscriptLayout(index, sender, kind, max(12, width - fixed), long_types)


