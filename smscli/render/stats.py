"""Conversation metrics as a table for people, JSON or ndjson for scripts, or plain TSV."""

from __future__ import annotations

from datetime import datetime
from typing import IO, Any, Protocol

from smscli.render.output import Format, Output
from smscli.stats import SessionStats, StatsSummary


class StatsWriter(Protocol):
    def session(self, stats: SessionStats) -> None: ...
    def close(self, summary: StatsSummary) -> None: ...


def make_stats_writer(options: Output, out: IO[str]) -> StatsWriter:
    """The writer for one invocation; Rich is imported only for the table."""
    if options.format is Format.json:
        return JsonStats(out, options)
    if options.format is Format.ndjson:
        return NdjsonStats(out, options)
    if options.format is Format.plain:
        return PlainStats(out, options)
    return TableStats(out, options)


def format_seconds(seconds: float | None) -> str:
    """A span as people read it: 4.2s, 42s, 3m 05s, 1h 02m, 2d 03h; '-' when unknown."""
    if seconds is None:
        return "-"
    if seconds < 9.95:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d {whole % 86400 // 3600:02d}h"


def _iso(options: Output) -> Any:
    def iso(moment: datetime | None) -> str:
        return options.times.iso(moment)

    return iso


class JsonStats:
    """One document, written at the end: ``{"sessions": [...], "total": {...}}``."""

    def __init__(self, out: IO[str], options: Output) -> None:
        self.out = out
        self.iso = _iso(options)
        self.sessions: list[dict[str, Any]] = []

    def session(self, stats: SessionStats) -> None:
        self.sessions.append(stats.to_dict(self.iso))

    def close(self, summary: StatsSummary) -> None:
        from smscli.render.codec import dumps_json

        document = {"sessions": self.sessions, "total": summary.to_dict()}
        self.out.write(dumps_json(document, indent=2) + "\n")


class NdjsonStats:
    """A ``{"kind": "session", ...}`` line as each session is done, then ``{"kind": "total"}``."""

    def __init__(self, out: IO[str], options: Output) -> None:
        self.out = out
        self.iso = _iso(options)

    def _line(self, kind: str, record: dict[str, Any]) -> None:
        from smscli.render.codec import compact_json

        self.out.write(compact_json({"kind": kind, **record}) + "\n")
        self.out.flush()

    def session(self, stats: SessionStats) -> None:
        self._line("session", stats.to_dict(self.iso))

    def close(self, summary: StatsSummary) -> None:
        self._line("total", summary.to_dict())


def _number(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.3f}".rstrip("0").rstrip(".")


class PlainStats:
    """Tab-separated, no header: a ``session`` line per session, then one ``total`` line.

    Columns line up: 5 duration, 6-9 counts, 10-13 times in seconds, 14 unanswered.
    """

    def __init__(self, out: IO[str], options: Output) -> None:
        self.out = out
        self.times = options.times

    def _row(self, *fields: str) -> None:
        from smscli.safety import escape_plain_field

        self.out.write("\t".join(escape_plain_field(f) for f in fields) + "\n")

    def session(self, s: SessionStats) -> None:
        self._row("session", s.session_id, s.state, self.times.iso(s.started),
                  _number(s.duration), str(s.messages), str(s.customer_messages),
                  str(s.agent_messages), str(s.replies), _number(s.first_reply),
                  _number(s.median_response), _number(s.longest_response),
                  _number(s.longest_wait), "1" if s.unanswered else "0")

    def close(self, t: StatsSummary) -> None:
        self._row("total", str(t.sessions), "", "", _number(t.total_duration), str(t.messages),
                  str(t.customer_messages), str(t.agent_messages), str(t.replies),
                  _number(t.median_first_reply), _number(t.median_response),
                  _number(t.longest_response), _number(t.longest_wait), str(t.unanswered))
        self.out.flush()


# Two-line headers keep the table within 80 columns for the usual values.
SESSION_COLUMNS = ("ID", "STATE", "CUST\nMSGS", "AGENT\nMSGS", "FIRST\nREPLY",
                   "MEDIAN\nRESP", "MAX\nRESP", "MAX\nWAIT", "LENGTH")


class TableStats:
    """Tables for people, printed at the end: sessions, then counts by participant and type."""

    def __init__(self, out: IO[str], options: Output) -> None:
        from smscli.render.human import TableWriter

        self.options = options
        self.tables = TableWriter(out, options)  # its console and inert-text helper
        self.sessions: list[SessionStats] = []

    def session(self, stats: SessionStats) -> None:
        self.sessions.append(stats)

    def close(self, summary: StatsSummary) -> None:
        if not self.sessions:
            self.options.say("No SMS sessions.")
            return
        console = self.tables.console()
        console.print(self._session_table())
        if len(self.sessions) == 1:
            console.print()
            console.print(self._participant_table(self.sessions[0]))
            by_type = self.sessions[0].by_type
        else:
            console.print()
            console.print(self._summary_grid(summary))
            console.print()
            console.print(self._role_table(summary))
            by_type = summary.by_type
        console.print()
        console.print(self._type_table(by_type))

    def _table(self, title: str | None = None) -> Any:
        from rich import box
        from rich.table import Table

        from smscli.render.styles import HEADER

        return Table(title=title, title_justify="left", title_style=HEADER,
                     box=box.SIMPLE_HEAD, header_style=HEADER, pad_edge=False,
                     show_edge=False, collapse_padding=True)

    def _session_table(self) -> Any:
        from smscli.render.human import inert_text
        from smscli.render.styles import state_style

        table = self._table()
        for name in SESSION_COLUMNS:
            table.add_column(name, justify="left" if name in ("ID", "STATE") else "right",
                             no_wrap=True, overflow="fold")
        for s in self.sessions:
            unanswered = "*" if s.unanswered else ""
            table.add_row(
                inert_text(s.session_id), inert_text(s.state, state_style(s.state)),
                str(s.customer_messages), str(s.agent_messages),
                format_seconds(s.first_reply), format_seconds(s.median_response),
                format_seconds(s.longest_response), format_seconds(s.longest_wait) + unanswered,
                format_seconds(s.duration))
        if any(s.unanswered for s in self.sessions):
            table.caption = "* unanswered: no agent reply after the customer's last message"
            table.caption_justify = "left"
        return table

    def _summary_grid(self, t: StatsSummary) -> Any:
        from rich.table import Table

        from smscli.render.styles import HEADER

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style=HEADER)
        grid.add_column()
        grid.title = f"All {t.sessions} sessions"
        grid.title_justify = "left"
        grid.title_style = HEADER
        grid.add_row("Messages", f"{t.messages:,} (customer {t.customer_messages:,}, "
                     f"agent {t.agent_messages:,}, replies {t.replies:,})")
        grid.add_row("First reply", f"median {format_seconds(t.median_first_reply)}, "
                     f"longest {format_seconds(t.longest_first_reply)}")
        grid.add_row("Response time", f"median {format_seconds(t.median_response)}, "
                     f"longest {format_seconds(t.longest_response)} "
                     f"(over {t.measured_replies:,} replies)")
        grid.add_row("Longest wait", f"median {format_seconds(t.median_longest_wait)}, "
                     f"longest {format_seconds(t.longest_wait)}")
        grid.add_row("Length", f"median {format_seconds(t.median_duration)}, "
                     f"longest {format_seconds(t.longest_duration)}, "
                     f"total {format_seconds(t.total_duration)}")
        grid.add_row("Unanswered", f"{t.unanswered} of {t.sessions} sessions")
        return grid

    def _participant_table(self, s: SessionStats) -> Any:
        from smscli.models import TYPING_TYPES
        from smscli.render.human import inert_text
        from smscli.render.styles import participant_style
        from smscli.stats import CONVERSATION_TYPES

        table = self._table("Messages by participant")
        table.add_column("ROLE")
        table.add_column("NICKNAME")
        table.add_column("PARTICIPANT ID", no_wrap=True)
        for name in ("MESSAGES", "TEXT+URL", "TYPING", "EVENTS"):
            table.add_column(name, justify="right", no_wrap=True)
        for p in s.participants:
            style = participant_style(p.type)
            said = sum(n for kind, n in p.by_type.items() if kind in CONVERSATION_TYPES)
            typing = sum(n for kind, n in p.by_type.items() if kind in TYPING_TYPES)
            table.add_row(inert_text(p.role, style), inert_text(p.nickname, style),
                          inert_text(p.participant_id), f"{p.messages:,}", f"{said:,}",
                          f"{typing:,}", f"{p.messages - said - typing:,}")
        return table

    def _role_table(self, t: StatsSummary) -> Any:
        from smscli.render.human import inert_text
        from smscli.render.styles import participant_style

        table = self._table("Messages by role")
        table.add_column("ROLE")
        table.add_column("MESSAGES", justify="right")
        for role, count in t.by_role.items():
            style = participant_style("Agent" if role == "Supervisor" else role)
            table.add_row(inert_text(role, style), f"{count:,}")
        return table

    def _type_table(self, by_type: dict[str, int]) -> Any:
        from smscli.render.human import inert_text
        from smscli.render.styles import message_style

        table = self._table("Messages by type")
        table.add_column("TYPE")
        table.add_column("MESSAGES", justify="right")
        for kind, count in by_type.items():
            table.add_row(inert_text(kind, message_style(kind)), f"{count:,}")
        return table
