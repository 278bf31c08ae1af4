"""HTML export: one self-contained page, inline CSS, no scripts, every server string escaped."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import IO, Any

from smscli.models import Message, Session, as_text
from smscli.render.conversation import SYSTEM, Turn, conversation_turn, split_time, zone_label
from smscli.render.export.common import (
    NONCHARACTERS,
    REDACTED_NOTE,
    ExportOptions,
    header_facts,
    inert_segments,
)
from smscli.safety import escape

# The page's style sheet, kept as a CSS file beside this module (inlined in every page).
_CSS = (Path(__file__).with_name("export.css")).read_text(encoding="utf-8").strip()
# No script may run, no resource may load: the file is read offline and shared.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
_SAFE_URL = re.compile(r"https?://[^\s\"'<>\\]+\Z", re.IGNORECASE)


def _h(text: str) -> str:
    """Server text as HTML: escaped, controls shown as visible escapes in their own style."""
    parts = []
    for chunk, escaped in inert_segments(text):
        quoted = html.escape(chunk, quote=True)
        parts.append(f'<span class="esc">{quoted}</span>' if escaped else quoted)
    return "".join(parts)


def _attr(text: str) -> str:
    """Server text for an attribute value or the title: escaped, on one line, no markup."""
    text = NONCHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
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
        facts = header_facts(s, options) if s is not None else []
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
