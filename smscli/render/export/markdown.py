"""Markdown export: the conversation as a three-column table, inert whatever the text."""

from __future__ import annotations

import re
from typing import IO, Any

from smscli.models import Message, Session, as_text
from smscli.render.conversation import CUSTOMER, SYSTEM, conversation_turn, split_time, zone_label
from smscli.render.export.common import REDACTED_NOTE, ExportOptions, header_facts, inert_segments

# Inline Markdown that could format, link or embed: escaped. Block syntax (#, -, >) needs no
# escape because server text never starts a line: it sits in a table cell or after a label.
_MD_SPECIAL = re.compile(r"[\\`*_\[\]|~<>&]")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def _md(text: str, *, newlines: bool = False) -> str:
    """Server text as inert Markdown: no HTML, no links, no emphasis, one table cell at most."""
    inert = "".join(chunk for chunk, _ in inert_segments(text)).replace("\t", "    ")
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
            lines += [f"- **{label}:** {_md(value)}" for label, value in header_facts(s, options)]
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
