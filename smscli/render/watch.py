"""Output for ``sessions watch``: a table redrawn in place on a terminal, one line per change elsewhere."""

from __future__ import annotations

from typing import IO, Any, Protocol

from smscli.models import Session
from smscli.render.base import TimeFormat
from smscli.render.output import Format, Output
from smscli.render.codec import compact_json
from smscli.safety import escape_plain_field


class WatchView(Protocol):
    def start(self) -> None: ...
    def change(self, change: Any) -> None: ...
    def close(self) -> None: ...


def make_watch_view(options: Output, out: IO[str]) -> WatchView:
    """The live table on a terminal; ndjson for json/ndjson; tab-separated lines otherwise;
    with --template, a line per change record from it."""
    if options.template is not None:
        return TemplateWatch(out, options)
    if options.format.machine:
        return NdjsonWatch(out, options.times)
    if options.format is Format.table and options.stdout_tty:
        return LiveWatch(out, options)
    return PlainWatch(out, options.times)


def change_record(change: Any, times: TimeFormat) -> dict:
    """A change as one JSON object: what changed, in which session, when, and the session."""
    session = change.session
    record: dict[str, Any] = {
        "change": change.kind,
        "session": change.session_id,
        "time": times.iso(change.time),
        "state": session.get("state") if isinstance(session, dict) else None,
    }
    if change.kind == "added":
        record["initial"] = change.initial
    elif change.kind == "state":
        record["previousState"] = change.previous_state
    elif change.kind == "messages":
        record["count"] = change.count
    record["newMessages"] = change.new_messages
    record["smssession"] = session
    return record


class NdjsonWatch:
    """One compact JSON object per change, flushed at once so ``jq`` sees it."""

    def __init__(self, out: IO[str], times: TimeFormat) -> None:
        self.out = out
        self.times = times

    def start(self) -> None:
        pass

    def change(self, change: Any) -> None:
        self.out.write(compact_json(change_record(change, self.times)) + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class PlainWatch:
    """Tab-separated: time, change, id, state, customers, agents, new messages; one per line."""

    def __init__(self, out: IO[str], times: TimeFormat) -> None:
        self.out = out
        self.times = times

    def start(self) -> None:
        pass

    def change(self, change: Any) -> None:
        s = Session.from_raw(change.session)
        fields = (self.times.iso(change.time), change.kind, change.session_id, s.state,
                  ",".join(s.nicknames("Customer")), ",".join(s.nicknames("Agent")),
                  str(change.new_messages))
        self.out.write("\t".join(escape_plain_field(f) for f in fields) + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class TemplateWatch:
    """--template: one line per change, from the record ndjson would print, flushed at once."""

    def __init__(self, out: IO[str], options: Output) -> None:
        from smscli.render.template import TemplateLines

        self.out = out
        self.times = options.times
        self.lines = TemplateLines(options)

    def start(self) -> None:
        pass

    def change(self, change: Any) -> None:
        self.out.write(self.lines.line(change_record(change, self.times)) + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class _Row:
    __slots__ = ("changed", "new_messages", "session", "what")

    def __init__(self, session: Any) -> None:
        self.session = session
        self.new_messages = 0
        self.changed: Any = None
        self.what = ""


# Columns of the live table, and the order in which they are kept when the width runs out:
# which session, its state and what just happened to it matter most; the capabilities count
# (seldom read) and the agents (usually the user of the watch) least.
WATCH_COLUMNS = ("ID", "STATE", "CUSTOMER", "AGENTS", "RECEIVED", "CAPS", "NEW", "CHANGED")
WATCH_PRIORITY = ("ID", "STATE", "CHANGED", "NEW", "CUSTOMER", "RECEIVED", "AGENTS", "CAPS")
_FIXED = {"STATE": 10, "RECEIVED": 10, "CAPS": 4, "NEW": 3, "CHANGED": 21}  # HH:MM:SS participants
_FLEXIBLE_MIN = 10  # CUSTOMER and AGENTS: shown at this width or more, else left out
_ID_MAX = 20
GAP = 2  # between two columns: a cell's right padding and the box's blank separator


def watch_columns(width: int, id_width: int, names: dict[str, int]) -> dict[str, int]:
    """The columns that fit ``width`` cells, each with its width, in WATCH_PRIORITY order.

    ``names`` holds the widest CUSTOMER and AGENTS cell: those columns take what is left
    once the others are placed, up to their natural width (longer names end in "…").
    """
    chosen: dict[str, int] = {}
    used = -GAP
    for name in WATCH_PRIORITY:
        if name == "ID":
            size = min(max(id_width, 2), _ID_MAX)
        elif name in ("CUSTOMER", "AGENTS"):
            size = min(_FLEXIBLE_MIN, max(names.get(name, 0), len(name)))
        else:
            size = _FIXED[name]
        if name not in ("ID", "STATE") and used + GAP + size > width:
            break  # this one and every one after it are left out
        chosen[name] = size
        used += GAP + size
    for name in ("CUSTOMER", "AGENTS"):  # the room left goes to the names
        if name in chosen:
            grow = min(max(0, width - used), max(0, names.get(name, 0) - chosen[name]))
            chosen[name] += grow
            used += grow
    return chosen


class LiveWatch:
    """The sessions table, redrawn in place after every change (Rich Live, terminal only).

    It never outgrows the terminal: every cell is one line, columns are left out by
    WATCH_PRIORITY when the width runs out, and when the height runs out the sessions that
    changed last are shown and a "+N more sessions" line stands for the rest.
    """

    COLUMNS = WATCH_COLUMNS

    def __init__(self, out: IO[str], options: Output) -> None:
        self.out = out
        self.options = options
        self.rows: dict[str, _Row] = {}
        self.changes = 0
        self.stopped = False
        self.started: Any = None
        self.live: Any = None
        self.console: Any = None

    def start(self) -> None:
        from datetime import datetime, timezone

        from rich.console import Console
        from rich.live import Live

        color = self.options.color
        self.console = Console(file=self.out, force_terminal=True, no_color=not color,
                               color_system="standard" if color else None,
                               width=self.options.width, highlight=False, markup=False,
                               emoji=False)
        self.started = datetime.now(timezone.utc)
        # Notes written to a terminal stderr go above the table instead of through it.
        self.live = Live(self._view(), console=self.console, auto_refresh=False,
                         transient=False, redirect_stdout=False,
                         redirect_stderr=self.options.stderr_tty, vertical_overflow="crop")
        self.live.start(refresh=True)

    def change(self, change: Any) -> None:
        self.changes += 1
        row = self.rows.get(change.session_id)
        if change.kind == "removed":
            self.rows.pop(change.session_id, None)
        else:
            if row is None:
                row = self.rows[change.session_id] = _Row(change.session)
            row.session = change.session
            row.new_messages = change.new_messages
            if not change.initial:
                row.changed, row.what = change.time, change.kind
        if self.live is not None:
            self.live.update(self._view(), refresh=True)

    def close(self) -> None:
        if self.live is not None:
            live, self.live = self.live, None
            self.stopped = True
            live.update(self._view(), refresh=True)
            live.stop()  # the cursor comes back; the last table stays on the screen

    # -- drawing ----------------------------------------------------------------------------------

    def _size(self) -> tuple[int, int]:
        if self.console is None:
            return self.options.width or 80, 24
        return self.console.width, self.console.height

    def _shown_rows(self, height: int) -> tuple[list[_Row], int]:
        """The rows that fit ``height`` lines of screen, and how many are left out."""
        rows = list(self.rows.values())
        # Header, its rule, the footer, and a line to spare for the cursor.
        room = max(1, height - 4)
        if len(rows) <= room:
            return rows, 0
        room = max(1, room - 1)  # the "+N more" line takes one
        order = sorted(range(len(rows)), key=lambda i: _changed_key(rows[i]), reverse=True)
        keep = set(order[:room])
        return [row for i, row in enumerate(rows) if i in keep], len(rows) - room

    def _view(self) -> Any:
        from rich import box
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        from smscli.render.human import cell_len, inert_text, people_text
        from smscli.render.styles import HEADER, state_style

        width, height = self._size()
        shown, hidden = self._shown_rows(height)
        times = self.options.times
        mark = self.options.highlight.mark if self.options.highlight else None
        cells: list[dict[str, Any]] = []
        for row in shown:
            s = Session.from_raw(row.session)
            changed = Text()
            if row.changed is not None:
                changed.append(times.convert(row.changed).strftime("%H:%M:%S"))
                changed.append(f" {row.what}", style="bright_black")
            received = (times.relative(s.received) if self.options.relative_times
                        else times.human(s.received))
            cells.append({
                "ID": inert_text(s.id, mark=mark),
                "STATE": inert_text(s.state, state_style(s.state), mark),
                "CUSTOMER": people_text(s, "Customer", mark),
                "AGENTS": people_text(s, "Agent", mark),
                "RECEIVED": Text(received), "CAPS": Text(str(len(s.capabilities))),
                "NEW": Text(str(row.new_messages) if row.new_messages else "", style="bold"),
                "CHANGED": changed})
        id_width = max([cell_len(c["ID"].plain) for c in cells] + [16])
        names = {name: max([cell_len(c[name].plain) for c in cells] + [0])
                 for name in ("CUSTOMER", "AGENTS")}
        widths = watch_columns(width, id_width, names)
        columns = [name for name in WATCH_COLUMNS if name in widths]

        table = Table(box=box.SIMPLE_HEAD, header_style=HEADER, pad_edge=False,
                      show_edge=False, padding=(0, 1, 0, 0))
        for name in columns:
            table.add_column(name, justify="right" if name in ("CAPS", "NEW") else "left",
                             width=widths[name], no_wrap=True, overflow="ellipsis")
        for row_cells in cells:
            table.add_row(*(_one_line(row_cells[name]) for name in columns))
        since = times.convert(self.started).strftime("%H:%M:%S") if self.started else ""
        count = len(self.rows)
        parts = [f"{count} session{'' if count == 1 else 's'}",
                 f"{self.changes} change{'' if self.changes == 1 else 's'} since {since}",
                 "stopped" if self.stopped else "Ctrl-C to stop"]
        footer = Text(" \u00b7 ".join(parts), style="bright_black", no_wrap=True,
                      overflow="ellipsis")
        if hidden:
            more = Text(f"+{hidden} more session{'' if hidden == 1 else 's'}",
                        style="bright_black", no_wrap=True, overflow="ellipsis")
            return Group(table, more, footer)
        return Group(table, footer)


def _one_line(text: Any) -> Any:
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


def _changed_key(row: _Row) -> float:
    return row.changed.timestamp() if row.changed is not None else float("-inf")

