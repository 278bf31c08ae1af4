"""Transcripts as files to share: Markdown, HTML, CSV or JSON, written as messages arrive."""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from smscli.models import TYPING_TYPES, Message, Session, as_text, message_type
from smscli.redact import redact_value
from smscli.render import TimeFormat
from smscli.safety import escape, segments

EXPORT_FORMATS = ("md", "html", "csv", "json")
EXTENSIONS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".csv": "csv",
              ".json": "json"}
CSV_COLUMNS = ("index", "time", "from_type", "from", "type", "visibility", "text")

# -- the conversation view -------------------------------------------------------------------

CUSTOMER, AGENT, SYSTEM = "customer", "agent", "system"
SYSTEM_TYPES = frozenset({"ParticipantJoined", "ParticipantLeft", "ParticipantRejoined",
                          "Notice", "CustomNotice", "TranscriptSaveDone"})


@dataclass(slots=True)
class Turn:
    """One line of a conversation: who, on which side, saying what.

    ``side`` is "customer" (shown on the left), "agent" (on the right: agents, External
    participants and any other sender) or "system" (a centred line: joins, leaves, notices,
    transcript saves, and anything without a sender).
    """

    side: str
    message: Message
    speaker: str
    text: str
    typing: bool = False

    @property
    def sender_type(self) -> str:
        return self.message.sender.type if self.message.sender else ""

    @property
    def visibility_note(self) -> str:
        """"(Agents only)" for what the customer never saw; empty for everything else."""
        visibility = self.message.visibility
        return "" if visibility in ("", "All") else f"({visibility} only)"


def conversation_turn(m: Message) -> Turn:
    """Where a message belongs in the conversation view, and what it says there."""
    sender = m.sender
    name = (sender.nickname or sender.type) if sender else ""
    if sender is None or m.type in SYSTEM_TYPES:
        return Turn(SYSTEM, m, name, _system_line(m, name))
    side = CUSTOMER if sender.type == "Customer" else AGENT
    if m.is_typing:
        text = "is typing…" if m.type == "TypingStarted" else "stopped typing"
        return Turn(side, m, name, text, typing=True)
    return Turn(side, m, name, m.body)


def _system_line(m: Message, name: str) -> str:
    who = name or "Someone"
    if m.type == "ParticipantJoined":
        return f"{who} joined"
    if m.type == "ParticipantLeft":
        return f"{who} left"
    if m.type == "ParticipantRejoined":
        return f"{who} rejoined"
    if m.type == "TranscriptSaveDone":
        return "Transcript saved"
    if m.type in ("Notice", "CustomNotice"):
        return f"{who}: {m.body}" if m.body else f"Notice from {who}"
    prefix = f"{name}: " if name else ""
    return f"{prefix}{m.body}" if m.body else f"{prefix}{m.type}"


def split_time(times: TimeFormat, moment: datetime | None) -> tuple[str, str]:
    """(date, time of day) in the chosen zone; empty strings when the server sent no time."""
    shown = times.human(moment)
    return (shown[:10], shown[11:]) if shown else ("", "")


def zone_label(times: TimeFormat) -> str:
    """The zone the times of an export are in, said once in its header."""
    if times.zone is None:
        local = datetime.now().astimezone()
        return f"local time ({local.strftime('%Z')}, UTC{local.strftime('%z')})"
    return str(times.zone)


@dataclass(frozen=True, slots=True)
class ExportOptions:
    times: TimeFormat = field(default_factory=TimeFormat)
    redact: bool = False
    include_typing: bool = False


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
        writer = CsvWriter(out, options.times)
    elif fmt == "json":
        from smscli.render.machine import JsonArrayStream

        writer = JsonArrayStream(out)
    elif fmt == "md":
        writer = MarkdownWriter(out, options, session)
    elif fmt == "html":
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


# -- text that is safe in a file -------------------------------------------------------------

# Unicode noncharacters are not text either, and make an HTML file invalid.
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef\ufffe\uffff]")


def _inert_segments(text: str) -> list[tuple[str, bool]]:
    """Server text as (chunk, escaped) pairs: controls, bidi and zero-width made visible."""
    text = _NONCHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return segments(text, keep_newlines=True, keep_tabs=True)


# -- CSV ----------------------------------------------------------------------------------

# A cell a spreadsheet would run as a formula; a sign before a phone number is not one.
_FORMULA = re.compile(r"[=@\t\r]|[+\-](?![\d\s().\-/\u2022]*$)")


def _csv_cell(text: str) -> str:
    cell = escape(text, keep_newlines=True, keep_tabs=True)
    return "'" + cell if _FORMULA.match(cell) else cell


class CsvWriter:
    """RFC 4180: a header row, CRLF line ends, fields quoted when they need it."""

    def __init__(self, out: IO[str], times: TimeFormat) -> None:
        self.out = out
        self.times = times
        self.rows = csv.writer(out, lineterminator="\r\n")
        self.rows.writerow(CSV_COLUMNS)

    def message(self, raw: Any) -> None:
        m = Message.from_raw(raw)
        sender = m.sender
        self.rows.writerow([
            "" if m.index is None else str(m.index),
            self.times.iso(m.time),
            _csv_cell(sender.type if sender else ""),
            _csv_cell(sender.nickname if sender else ""),
            _csv_cell(m.type),
            _csv_cell(m.visibility),
            _csv_cell(m.body),
        ])

    def close(self) -> None:
        self.out.flush()


# -- the header both documents share ------------------------------------------------------

_GROUPS = (("Customer", "Customer"), ("Agent", "Agents"), ("External", "External"))


def _header_facts(session: Session, options: ExportOptions) -> list[tuple[str, str]]:
    facts = [("State", session.state or "-"),
             ("Received", options.times.human(session.received) or "-")]
    for kind, label in _GROUPS:
        names = session.nicknames(kind)
        if names:
            facts.append((label, ", ".join(names)))
    others = [f"{p.nickname} ({p.type})" for p in session.participants
              if p.type not in dict(_GROUPS)]
    if others:
        facts.append(("Others", ", ".join(others)))
    return facts


REDACTED_NOTE = ("phone numbers, e-mail addresses and long digit runs are masked; "
                 "the last four digits are kept")


# -- Markdown -------------------------------------------------------------------------------

# Inline Markdown that could format, link or embed: escaped. Block syntax (#, -, >) needs no
# escape because server text never starts a line: it sits in a table cell or after a label.
_MD_SPECIAL = re.compile(r"[\\`*_\[\]|~<>&]")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def _md(text: str, *, newlines: bool = False) -> str:
    """Server text as inert Markdown: no HTML, no links, no emphasis, one table cell at most."""
    inert = "".join(chunk for chunk, _ in _inert_segments(text)).replace("\t", "    ")
    marked = _MD_SPECIAL.sub(lambda m: _MD_ENTITIES.get(m.group(), "\\" + m.group()), inert)
    return marked.replace("\n", "<br>" if newlines else " ")


class MarkdownWriter:
    """The conversation as a three-column table: customer left, events centred, agents right."""

    def __init__(self, out: IO[str], options: ExportOptions, session: Any) -> None:
        self.out = out
        self.options = options
        self.day = ""
        s = Session.from_raw(session) if session is not None else None
        title = f"SMS session {_md(s.id)}" if s and s.id else "SMS transcript"
        lines = [f"# {title}", ""]
        if s is not None:
            lines += [f"- **{label}:** {_md(value)}" for label, value in _header_facts(s, options)]
        lines.append(f"- **Times:** {_md(zone_label(options.times))}")
        if options.redact:
            lines.append(f"- **Redacted:** {REDACTED_NOTE}")
        if s is not None and s.user_data:
            lines += ["", "## User data", "", "| Key | Value |", "| --- | --- |"]
            for key, value in s.user_data.items():
                shown = "null" if value is None else _md(as_text(value))
                lines.append(f"| {_md(as_text(key))} | {shown} |")
        lines += ["", "## Conversation", "", "| Customer | Events | Agents |",
                  "| :--- | :---: | ---: |"]
        out.write("\n".join(lines) + "\n")

    def message(self, raw: Any) -> None:
        turn = conversation_turn(Message.from_raw(raw))
        day, clock = split_time(self.options.times, turn.message.time)
        if day and day != self.day:
            self.day = day
            self.out.write(f"| | **{day}** | |\n")
        note = f"*{_md(turn.visibility_note)}* " if turn.visibility_note else ""
        when = f" · {clock}" if clock else ""
        if turn.side == SYSTEM:
            cell = f"*{_md(turn.text.strip())}{when}*"
            if note:
                cell = f"{note}{cell}"
            self.out.write(f"| | {cell} | |\n")
            return
        if turn.typing:
            cell = f"*{_md(turn.speaker.strip())} {turn.text}{when}*"
        else:
            body = _md(turn.text, newlines=True)
            if turn.message.type == "PushUrl":
                body = f"Link: {body}"
            cell = f"**{_md(turn.speaker)}**{when}<br>{note}{body}"
        row = f"| {cell} | | |" if turn.side == CUSTOMER else f"| | | {cell} |"
        self.out.write(row + "\n")

    def close(self) -> None:
        self.out.flush()


# -- HTML -----------------------------------------------------------------------------------

_CSS = """
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#fff;--customer:#eef1f4;
--agent:#dbeafe;--external:#f3e8ff;--esc:#fff1b8;--line:#d1d9e0}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;
--customer:#262c36;--agent:#1b3358;--external:#3b2557;--esc:#4d3a00;--line:#3d444d}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:52rem;padding:1.5rem 1rem 3rem;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:1.35rem;margin:0 0 .75rem}h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
table{border-collapse:collapse}td,th{border:1px solid var(--line);padding:.2rem .5rem;
text-align:left;vertical-align:top;white-space:pre-wrap;overflow-wrap:anywhere}
.chat{display:flex;flex-direction:column;gap:.55rem;margin-top:1rem}
.msg{display:flex;flex-direction:column;max-width:78%}
.msg.customer{align-self:flex-start;align-items:flex-start}
.msg.agent{align-self:flex-end;align-items:flex-end}
.meta{font-size:.78rem;color:var(--muted);margin:0 .5rem .1rem}.meta b{color:var(--fg)}
.bubble{padding:.45rem .75rem;border-radius:1rem;white-space:pre-wrap;overflow-wrap:anywhere}
.customer .bubble{background:var(--customer);border-bottom-left-radius:.25rem}
.agent .bubble{background:var(--agent);border-bottom-right-radius:.25rem}
.agent.external .bubble{background:var(--external)}
.private .bubble{outline:1px dashed var(--muted)}
.note{font-size:.78rem;color:var(--muted);font-style:italic}
.typing{font-size:.85rem;color:var(--muted);font-style:italic}
.event{align-self:center;text-align:center;font-size:.85rem;color:var(--muted);
max-width:85%;white-space:pre-wrap;overflow-wrap:anywhere}
.day{align-self:center;font-size:.8rem;font-weight:600;color:var(--muted);
border-bottom:1px solid var(--line);padding:0 1rem}
.esc{font-family:ui-monospace,monospace;font-size:.85em;background:var(--esc);border-radius:.2rem}
footer{margin-top:2rem;font-size:.8rem;color:var(--muted)}
@media print{body{max-width:none}.msg{break-inside:avoid}}
""".strip()
# No script may run, no resource may load: the file is read offline and shared.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_SAFE_URL = re.compile(r"https?://[^\s\"'<>\\]+\Z", re.IGNORECASE)


def _h(text: str) -> str:
    """Server text as HTML: escaped, controls shown as visible escapes in their own style."""
    parts = []
    for chunk, escaped in _inert_segments(text):
        quoted = html.escape(chunk, quote=True)
        parts.append(f'<span class="esc">{quoted}</span>' if escaped else quoted)
    return "".join(parts)


def _attr(text: str) -> str:
    """Server text for an attribute value or the title: escaped, on one line, no markup."""
    text = _NONCHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return html.escape(escape(text), quote=True)


class HtmlWriter:
    """One self-contained page: inline CSS, no scripts, every server string escaped."""

    def __init__(self, out: IO[str], options: ExportOptions, session: Any) -> None:
        self.out = out
        self.options = options
        self.count = 0
        self.day = ""
        s = Session.from_raw(session) if session is not None else None
        title = f"SMS session {s.id}" if s and s.id else "SMS transcript"
        head = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_attr(title)}</title>",
            f"<style>\n{_CSS}\n</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{_h(title)}</h1>",
            '<dl class="facts">',
        ]
        facts = _header_facts(s, options) if s is not None else []
        facts.append(("Times", zone_label(options.times)))
        if options.redact:
            facts.append(("Redacted", REDACTED_NOTE))
        head += [f"<dt>{_h(label)}</dt><dd>{_h(value)}</dd>" for label, value in facts]
        head.append("</dl>")
        if s is not None and s.user_data:
            head += ["<h2>User data</h2>", "<table>", "<tr><th>Key</th><th>Value</th></tr>"]
            for key, value in s.user_data.items():
                shown = "null" if value is None else as_text(value)
                head.append(f"<tr><td>{_h(as_text(key))}</td><td>{_h(shown)}</td></tr>")
            head.append("</table>")
        head += ["</header>", "<h2>Conversation</h2>", '<main class="chat">']
        out.write("\n".join(head) + "\n")

    def message(self, raw: Any) -> None:
        turn = conversation_turn(Message.from_raw(raw))
        self.count += 1
        day, clock = split_time(self.options.times, turn.message.time)
        if day and day != self.day:
            self.day = day
            self.out.write(f'<div class="day">{day}</div>\n')
        when = f" · {clock}" if clock else ""
        note = (f'<span class="note">{_h(turn.visibility_note)}</span> '
                if turn.visibility_note else "")
        kind = _attr(turn.message.type)
        if turn.side == SYSTEM:
            self.out.write(f'<div class="event" data-type="{kind}">{note}{_h(turn.text)}{when}'
                           "</div>\n")
            return
        classes = [turn.side]
        if turn.sender_type == "External":
            classes.append("external")
        if turn.visibility_note:
            classes.append("private")
        if turn.typing:
            self.out.write(f'<div class="msg {" ".join(classes)}" data-type="{kind}">'
                           f'<div class="typing">{_h(turn.speaker)} {_h(turn.text)}{when}'
                           "</div></div>\n")
            return
        meta = f'<div class="meta"><b>{_h(turn.speaker)}</b>{when}</div>'
        body = self._body(turn)
        self.out.write(f'<div class="msg {" ".join(classes)}" data-type="{kind}">{meta}'
                       f'<div class="bubble">{note}{body}</div></div>\n')

    def _body(self, turn: Turn) -> str:
        text = turn.text
        if turn.message.type == "PushUrl" and _SAFE_URL.match(text) and escape(text) == text:
            href = html.escape(text, quote=True)
            return f'<a href="{href}" rel="noopener noreferrer nofollow">{_h(text)}</a>'
        return _h(text)

    def close(self) -> None:
        noun = "message" if self.count == 1 else "messages"
        self.out.write(f"</main>\n<footer>{self.count:,} {noun}. Exported with smscli."
                       "</footer>\n</body>\n</html>\n")
        self.out.flush()
