"""Output for ``sessions watch``: a table redrawn in place on a terminal, one line per change elsewhere."""

from __future__ import annotations

import sys
from typing import IO, Any, Protocol

from smscli.models import Session
from smscli.render import OutputOptions, TimeFormat
from smscli.render.machine import _compact
from smscli.safety import escape_plain_field


class WatchView(Protocol):
    def start(self) -> None: ...
    def change(self, change: Any) -> None: ...
    def close(self) -> None: ...


def make_watch_view(options: OutputOptions, out: IO[str]) -> WatchView:
    """The live table on a terminal; ndjson for json/ndjson; tab-separated lines otherwise."""
    if options.format in ("json", "ndjson"):
        return NdjsonWatch(out, options.times)
    if options.format == "table" and _isatty(out):
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
        self.out.write(_compact(change_record(change, self.times)) + "\n")
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


class _Row:
    __slots__ = ("changed", "new_messages", "session", "what")

    def __init__(self, session: Any) -> None:
        self.session = session
        self.new_messages = 0
        self.changed: Any = None
        self.what = ""


class LiveWatch:
    """The sessions table, redrawn in place after every change (Rich Live, terminal only)."""

    COLUMNS = ("ID", "STATE", "CUSTOMER", "AGENTS", "RECEIVED", "CAPS", "NEW", "CHANGED")

    def __init__(self, out: IO[str], options: OutputOptions) -> None:
        self.out = out
        self.options = options
        self.rows: dict[str, _Row] = {}
        self.changes = 0
        self.stopped = False
        self.started: Any = None
        self.live: Any = None

    def start(self) -> None:
        from datetime import datetime, timezone

        from rich.console import Console
        from rich.live import Live

        color = self.options.color
        console = Console(file=self.out, force_terminal=True, no_color=not color,
                          color_system="standard" if color else None, width=self.options.width,
                          highlight=False, markup=False, emoji=False)
        self.started = datetime.now(timezone.utc)
        # Notes written to a terminal stderr go above the table instead of through it.
        self.live = Live(self._view(), console=console, auto_refresh=False, transient=False,
                         redirect_stdout=False, redirect_stderr=_isatty(sys.stderr))
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

    def _view(self) -> Any:
        from rich import box
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        from smscli.render.human import inert_text, people_text
        from smscli.render.styles import HEADER, state_style

        table = Table(box=box.SIMPLE_HEAD, header_style=HEADER, pad_edge=False, show_edge=False)
        for name in self.COLUMNS:
            table.add_column(name, justify="right" if name in ("CAPS", "NEW") else "left",
                             no_wrap=name in ("ID", "RECEIVED", "CHANGED"))
        times = self.options.times
        for row in self.rows.values():
            s = Session.from_raw(row.session)
            changed = Text()
            if row.changed is not None:
                changed.append(times.convert(row.changed).strftime("%H:%M:%S"))
                changed.append(f" {row.what}", style="bright_black")
            table.add_row(inert_text(s.id), inert_text(s.state, state_style(s.state)),
                          people_text(s, "Customer"), people_text(s, "Agent"),
                          times.human(s.received), str(len(s.capabilities)),
                          Text(str(row.new_messages) if row.new_messages else "",
                               style="bold"),
                          changed)
        since = times.convert(self.started).strftime("%H:%M:%S") if self.started else ""
        count = len(self.rows)
        footer = Text(f"{count} session{'' if count == 1 else 's'} · {self.changes} change"
                      f"{'' if self.changes == 1 else 's'} since {since}"
                      f"{' · stopped' if self.stopped else ' · Ctrl-C to stop'}",
                      style="bright_black")
        return Group(table, footer)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
