"""Search hits on stdout: one line each for people (the match in our own SGR when colour is
on), TSV, JSON or ndjson. Server text goes through safety.py; nothing here loads Rich."""

from __future__ import annotations

import json
from datetime import UTC
from typing import IO, Any

from smscli.archive.search import Hit
from smscli.jsontext import as_text
from smscli.render.base import TimeFormat
from smscli.safety import escape, escape_plain_field

HIGHLIGHT = ("\x1b[1;7m", "\x1b[0m")  # bold reverse: reads on dark and light backgrounds
DIM = ("\x1b[2m", "\x1b[0m")
SENDER = {"Customer": ("\x1b[36m", "\x1b[0m"), "Agent": ("\x1b[32m", "\x1b[0m"),
          "External": ("\x1b[35m", "\x1b[0m")}


def _sender(raw: str) -> tuple[str, str]:
    """(type, nickname) of a stored message's sender."""
    try:
        value = json.loads(raw)
    except ValueError:
        return "", ""
    sender = value.get("from") if isinstance(value, dict) else None
    if isinstance(sender, dict):
        return as_text(sender.get("type")), as_text(sender.get("nickname"))
    return ("", "") if sender is None else ("?", as_text(sender))


def _moment(hit: Hit) -> Any:
    from datetime import datetime

    return None if hit.ts is None else datetime.fromtimestamp(hit.ts / 1000, UTC)


def write_hits(hits: list[Hit], fmt: str, out: IO[str], times: TimeFormat,
               color: bool, marks: Any = None) -> None:
    """The hits in ``fmt``; ``marks`` (render/highlight.py, --highlight) marks more of the
    snippet, in the same style as the query's own matches, when colour is on."""
    if fmt in ("json", "ndjson"):
        records = [_record(hit, times) for hit in hits]
        if fmt == "ndjson":
            out.write("".join(r + "\n" for r in records))
        else:
            out.write("[\n" + ",\n".join(records) + "\n]\n" if records else "[]\n")
        return
    lines = []
    for hit in hits:
        kind, nickname = _sender(hit.raw)
        pieces = hit.pieces()
        if fmt == "plain":
            fields = (hit.session_id, "" if hit.index is None else str(hit.index),
                      times.iso(_moment(hit)), kind, nickname, hit.type,
                      "".join(text for text, _ in pieces))
            lines.append("\t".join(escape_plain_field(f) for f in fields))
            continue
        snippet = _snippet([(escape(text), matched) for text, matched in pieces],
                           color, marks)
        when = _paint(times.human(_moment(hit)), DIM if color else None)
        who = _paint(escape(nickname or kind or "-"), SENDER.get(kind) if color else None)
        lines.append(f"{when}  {escape(hit.session_id)}  {who}: {snippet}")
    out.write("".join(line + "\n" for line in lines))


def _snippet(pieces: list[tuple[str, bool]], color: bool, marks: Any) -> str:
    """The escaped pieces, matched ones (and the --highlight matches) in HIGHLIGHT."""
    if not color:
        return "".join(text for text, _ in pieces)
    if marks is not None:
        lit = [False] * sum(len(text) for text, _ in pieces)
        at = 0
        for text, matched in pieces:
            if matched:
                lit[at:at + len(text)] = [True] * len(text)
            at += len(text)
        joined = "".join(text for text, _ in pieces)
        for start, end in marks.ranges(joined):
            lit[start:end] = [True] * (end - start)
        pieces = []
        for i, char in enumerate(joined):  # runs of one kind again
            if pieces and pieces[-1][1] == lit[i]:
                pieces[-1] = (pieces[-1][0] + char, lit[i])
            else:
                pieces.append((char, lit[i]))
    return "".join(_paint(text, HIGHLIGHT if matched else None) for text, matched in pieces)


def template_lines(hits: list[Hit], times: TimeFormat, lines: Any) -> str:
    """``--template``: a line per hit from its ndjson record (`_record`) as the item."""
    return "".join(lines.line(json.loads(_record(hit, times))) + "\n" for hit in hits)


def _paint(text: str, codes: tuple[str, str] | None) -> str:
    return f"{codes[0]}{text}{codes[1]}" if codes and text else text


def _record(hit: Hit, times: TimeFormat) -> str:
    """One hit as compact JSON; the message is inserted as stored, byte for byte."""
    kind, nickname = _sender(hit.raw)
    snippet = ""
    highlights = []
    for text, matched in hit.pieces():
        if matched:
            highlights.append([len(snippet), len(snippet) + len(text)])
        snippet += text
    head = {"sessionId": hit.session_id, "index": hit.index,
            "time": times.iso(_moment(hit)) or None, "fromType": kind or None,
            "from": nickname or None, "type": hit.type, "snippet": snippet,
            "highlights": highlights}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    return text[:-1] + ',"message":' + hit.raw + "}"
