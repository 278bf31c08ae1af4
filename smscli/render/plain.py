"""The plain format: tab-separated, no header, no colour, nothing cut, one record a line."""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from typing import IO, Any

from smscli.models import Session, as_text, message_fields
from smscli.render.base import MILLISECOND_TEXTS, TimeFormat, TimeTexts
from smscli.render.streams import write_all, write_pages
from smscli.safety import DANGEROUS, escape_plain_field


class PlainWriter:
    """Tab-separated, no header, no colour, nothing cut: one record per line for cut/awk/grep."""

    def __init__(self, out: IO[str], times: TimeFormat, marks: Any = None) -> None:
        self.out = out
        self.times = times
        # --highlight on a terminal (render/highlight.py): matches in the escaped fields are
        # painted; fields hold no ESC once escaped, so our codes are the only sequences.
        self.marks = marks

    def _row(self, *fields: str) -> None:
        self.out.write("\t".join(self.marked(escape_plain_field(f)) for f in fields) + "\n")

    def marked(self, field: str) -> str:
        """An escaped field with the highlights' matches painted (as it is without any)."""
        if self.marks is None:
            return field
        ranges = self.marks.ranges(field)
        if not ranges:
            return field
        from smscli.render.spans import HIGHLIGHT, sgr_codes

        before, after = sgr_codes(HIGHLIGHT)
        pieces, at = [], 0
        for start, end in ranges:
            pieces += [field[at:start], before, field[start:end], after]
            at = end
        pieces.append(field[at:])
        return "".join(pieces)

    def session_list(self, sessions: list[Any]) -> None:
        for raw in sessions:
            s = Session.from_raw(raw)
            self._row(s.id, s.state, ",".join(s.nicknames("Customer")),
                      ",".join(s.nicknames("Agent")), self.times.iso(s.received),
                      str(len(s.capabilities)))

    def session_detail(self, raw: Any) -> None:
        s = Session.from_raw(raw)
        self._row("id", s.id)
        self._row("state", s.state)
        self._row("uri", s.uri)
        self._row("received", self.times.iso(s.received))
        for p in s.participants:
            self._row("participant", p.type, p.nickname, p.participant_id, p.visibility)
        for capability in s.capabilities:
            self._row("capability", capability)
        for key, value in s.user_data.items():
            self._row("userData", as_text(key), as_text(value))

    def transcript(self, messages: Iterable[Any]) -> int:
        return write_all(self.message_stream(), messages)

    def transcript_pages(self, pages: Iterable[list]) -> int:
        return write_pages(self.message_stream(), pages)

    def message_stream(self, live: bool = False) -> PlainStream:
        return PlainStream(self, live)


PLAIN_MESSAGE_COLUMNS = ("index", "time", "from_type", "from", "type", "visibility", "text")


# The characters escape_plain_field changes, but for the tab: a line of seven fields joined
# by tabs, with six tabs and none of these, is the line of the seven fields escaped one by one.
_PLAIN_NEEDS_ESCAPE = re.compile(f"[{DANGEROUS}\\n\\x1b\\\\]")
# The same but for the newline, for the lines of a batch joined by newlines (compiled when
# first needed: most transcripts are ASCII).
_BATCH_NEEDS_ESCAPE = f"[{DANGEROUS}\\x1b\\\\]"
# The ASCII bytes a plain field may hold as it is: printable, but for the backslash.
_PLAIN_ASCII = bytes(c for c in range(0x20, 0x7F) if c != 0x5C)
# A message's fields in the usual shape, read in one call each (see PlainStream._lines).
_USUAL_FIELDS = operator.itemgetter("index", "type", "from", "visibility", "text", "timestamp",
                                    "timestampSeconds")
_USUAL_SENDER = operator.itemgetter("type", "nickname")
_NOT_PLAIN_TEXT = frozenset(("PushUrl", "CustomNotice"))  # bodies message_body builds


class PlainStream:
    """One tab-separated line per message, in the order of PLAIN_MESSAGE_COLUMNS.

    The fields come straight from the message's dict (models.message_fields) and the time
    from a per-stream cache (render.TimeTexts): the bytes of ``Message.from_raw`` and
    ``TimeFormat.iso`` field by field, at a fraction of the cost. Messages are held back and
    turned into lines a batch at a time (a page is one batch: ``messages``), and the batch
    is checked for anything to escape at once (``_clean``); a live follow writes and
    flushes each message.
    """

    BATCH = 256

    def __init__(self, writer: PlainWriter, live: bool) -> None:
        self.writer = writer
        self.live = live
        self._texts = TimeTexts(writer.times)
        self._iso = self._texts.iso
        self._items: list[Any] = []

    def message(self, raw: Any) -> None:
        self._items.append(raw)
        if self.live or len(self._items) >= self.BATCH:
            self.drain()
            if self.live:
                self.writer.out.flush()

    def messages(self, page: list) -> None:
        """A page of messages, written as the messages one by one would be."""
        if self.live:
            for raw in page:
                self.message(raw)
            return
        self.drain()
        if page:
            self.writer.out.write(self._text(page))

    def _text(self, items: list) -> str:
        """The lines of ``items``, each with its newline."""
        if self.writer.marks is None:
            text = "\n".join(self._lines(items))
            if _clean(text, len(items)):
                return text
        return self._escaped(items)

    def _lines(self, items: list) -> list[str]:
        """Each message's fields joined by tabs, as they are (nothing escaped), and a last
        empty line (so the lines joined by newlines end with one).

        A message in the usual shape (a dict holding every field, its index an int, the
        rest strings, a sender that is a dict with a type and a nickname, a type whose body
        is its text) has its fields read with two itemgetter calls: the values
        ``message_fields`` reads one ``get`` at a time, which any other message goes to."""
        iso, texts = self._iso, self._texts
        fields_of = message_fields
        usual, usual_sender, not_text = _USUAL_FIELDS, _USUAL_SENDER, _NOT_PLAIN_TEXT
        # The time of the usual timestamp, as TimeTexts.iso gives it, built here while the
        # stamps stay in the hour of the last one that went through iso (TimeTexts.usual_hour):
        # a call and a dict look-up a message less.
        minutes, millis = texts.minute_texts, MILLISECOND_TEXTS
        head = tail = iso_head = iso_tail = None
        lines: list[str] = []
        add = lines.append
        for raw in items:
            try:
                index, kind, sender, visibility, body, stamp, epoch = usual(raw)
                sender_type, nickname = usual_sender(sender)
            except (KeyError, TypeError, IndexError):
                index = None  # not the usual shape: see the check below
            if not (type(raw) is dict and type(index) is int and type(sender) is dict
                    and type(kind) is str and type(visibility) is str and type(body) is str
                    and type(sender_type) is str and type(nickname) is str
                    and kind not in not_text):
                index, kind, sender_type, nickname, visibility, body, stamp, epoch = \
                    fields_of(raw)
                index = "" if index is None else index
                sender_type = sender_type or ""
            if (type(stamp) is str and stamp[:14] == head and stamp[23:] == tail
                    and stamp[14:20] in minutes and stamp[20:23] in millis):
                when = f"{iso_head}{stamp[14:23]}{iso_tail}"
            else:
                when = iso(stamp, epoch)
                if type(stamp) is str:
                    hour = texts.usual_hour(stamp)
                    if hour is not None:
                        head, tail, iso_head, iso_tail = hour
            add(f"{index}\t{when}\t{sender_type}\t{nickname}\t{kind}\t{visibility}\t{body}")
        add("")
        return lines

    def _escaped(self, items: list) -> str:
        """The lines of ``items`` checked one by one, escaped and highlighted as needed."""
        iso = self._iso
        marked = self.writer.marked if self.writer.marks is not None else None
        lines: list[str] = []
        add = lines.append
        for raw in items:
            index, kind, sender_type, nickname, visibility, body, stamp, epoch = \
                message_fields(raw)
            fields = ("" if index is None else str(index), iso(stamp, epoch),
                      sender_type or "", nickname, kind, visibility, body)
            line = "\t".join(fields)
            if line.isascii():
                # ASCII needs escaping only for a control character, DEL or a backslash:
                # the first two are exactly what str.isprintable refuses in ASCII (a tab
                # included), so the fields run together without a separator are checked in
                # one C call, several times faster than the search below.
                clean = "\\" not in line and "".join(fields).isprintable()
            else:
                clean = line.count("\t") == 6 and not _PLAIN_NEEDS_ESCAPE.search(line)
            if not clean:
                line = "\t".join(escape_plain_field(f) for f in fields)
            if marked is not None:
                line = "\t".join(map(marked, line.split("\t")))
            add(line)
        add("")
        return "\n".join(lines)

    def drain(self) -> None:
        """Write the lines of the messages held back."""
        if self._items:
            self.writer.out.write(self._text(self._items))
            self._items.clear()

    def event(self, record: dict) -> None:
        pass  # reported on stderr

    def close(self) -> None:
        self.drain()
        self.writer.out.flush()


def _clean(text: str, count: int) -> bool:
    """Whether ``count`` lines of seven fields, joined by tabs and ended by newlines, need
    no escaping: each line is then exactly the fields escaped one by one.

    Exactly ``count`` newlines and six tabs a line: no field holds either. Then, in ASCII, a
    field needs escaping only for a control character, DEL or a backslash: deleting every
    other byte, and the tabs and newlines, must leave nothing (one C pass, several times
    faster than str.isprintable); in other text, the search for what escaping changes.
    """
    if text.count("\n") != count or text.count("\t") != 6 * count:
        return False
    if text.isascii():
        return not text.encode("ascii").translate(None, _PLAIN_ASCII + b"\t\n")
    return not re.search(_BATCH_NEEDS_ESCAPE, text)  # re keeps it compiled
