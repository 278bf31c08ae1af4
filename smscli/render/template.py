"""``--template``: one line per item (a message, a session, a watch record) from a small
format over the item's JSON.

The syntax: literal text with fields ``{path|default!style:spec}``, every part after the
path optional.

* ``path``: dotted JSON keys, digits index lists (``from.nickname``,
  ``participants.0.nickname``). Only the item's JSON: no attributes, no code, no files.
* ``|default``: printed when the path is missing or null (else nothing is).
* ``!style``: ``style`` (the table's colour for that field: a message's type, a session's
  state, a participant's type, also for its nickname) or names from STYLE_WORDS joined by
  ``+`` (``bold+red``). ``{type:style}`` is short for ``{type!style}``.
* ``:spec``: Python's format mini-language. For text, width and precision count terminal
  cells; numbers format as Python does; a spec with ``%`` and a letter on a value that is a
  GWS time (or epoch milliseconds) is strftime, in the zone of --utc/--tz/the profile. A spec
  that does not fit the value prints the value as text.
* ``{{`` and ``}}`` are braces; ``\\t``, ``\\n`` and ``\\\\`` in the literal text are a tab, a
  newline and a backslash.

Every value inserted is made inert as the table's text is (safety.py; objects and arrays as
compact JSON first); the template's literal text is the user's and is written as it is.
Colour only when the output has colour (the table's rule). A malformed template is a
`TemplateError` naming the column where it breaks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from smscli.models import as_text, parse_timestamp
from smscli.render.spans import Mark, Spans, cell_len, safe_spans, sgr_codes, truncate
from smscli.render.styles import message_style, participant_style, state_style

if TYPE_CHECKING:
    from smscli.render.base import MessageStream, TimeFormat
    from smscli.render.output import Output

TABLE_STYLE = "style"
COLOURS = ("red", "green", "yellow", "blue", "magenta", "cyan", "white")
STYLE_WORDS = (TABLE_STYLE, *COLOURS, *(f"bright_{c}" for c in COLOURS), "bold", "dim",
               "italic", "underline")
_ESCAPES = {"t": "\t", "n": "\n", "\\": "\\"}
# Python's format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type]
_SPEC = re.compile(r"(?:(?P<fill>.)?(?P<align>[<>=^]))?(?P<sign>[-+ ])?(?P<z>z)?(?P<alt>#)?"
                   r"(?P<zero>0)?(?P<width>\d+)?(?P<grouping>[,_])?(?:\.(?P<precision>\d+))?"
                   r"(?P<type>[bcdeEfFgGnosxX%])?", re.DOTALL | re.ASCII)
_STRFTIME = re.compile(r"%[A-Za-z]")
_MISSING = object()


class TemplateError(ValueError):
    """A template that cannot be read, and the column (from 1) where it breaks."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} at column {column}")
        self.column = column


@dataclass(frozen=True, slots=True)
class Field:
    path: tuple[str, ...]
    default: str | None = None
    style: str | None = None  # TABLE_STYLE, or style words joined by spaces ("bold red")
    spec: str = ""
    strftime: bool = False  # the spec is a strftime format (when the value is a time)


@dataclass(frozen=True, slots=True)
class Template:
    source: str
    parts: tuple[str | Field, ...]

    def spans(self, item: Any, times: TimeFormat, mark: Mark | None = None) -> Spans:
        """The line for ``item`` as spans: the literal text as written, values inert."""
        out: Spans = []
        for part in self.parts:
            if isinstance(part, str):
                out.append((part, "none"))
            else:
                out += _field_spans(part, item, times, mark)
        return out


def parse(source: str) -> Template:
    """The template in ``source``; a `TemplateError` when it is malformed."""
    parts: list[str | Field] = []
    literal: list[str] = []
    i, size = 0, len(source)
    while i < size:
        ch = source[i]
        if ch == "{" and source.startswith("{{", i):
            literal.append("{")
            i += 2
        elif ch == "{":
            end = i + 1
            while end < size and source[end] not in "{}":
                end += 1
            if end == size:
                raise TemplateError('unclosed "{"', i + 1)
            if source[end] == "{":
                raise TemplateError('"{" inside a field (write "{{" for a brace)', end + 1)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(_field(source[i + 1:end], i + 2))
            i = end + 1
        elif ch == "}" and source.startswith("}}", i):
            literal.append("}")
            i += 2
        elif ch == "}":
            raise TemplateError('stray "}" (write "}}" for a brace)', i + 1)
        elif ch == "\\" and i + 1 < size and source[i + 1] in _ESCAPES:
            literal.append(_ESCAPES[source[i + 1]])
            i += 2
        else:
            literal.append(ch)
            i += 1
    if literal:
        parts.append("".join(literal))
    return Template(source, tuple(parts))


def _field(body: str, column: int) -> Field:
    """One field's inside (between the braces), which starts at ``column``."""
    spec_at = body.find(":")
    head, spec = (body, "") if spec_at < 0 else (body[:spec_at], body[spec_at + 1:])
    style_at = head.find("!")
    head, style = (head, None) if style_at < 0 else (head[:style_at], head[style_at + 1:])
    default_at = head.find("|")
    path_text, default = ((head, None) if default_at < 0
                          else (head[:default_at], head[default_at + 1:]))
    path = tuple(path_text.strip().split("."))
    if not path_text.strip():
        raise TemplateError("a field without a path", column)
    if "" in path:
        raise TemplateError(f'an empty name in the path "{path_text.strip()}"', column)
    if style is not None:
        style = _style(style, column + style_at + 1)
    spec_column = column + spec_at + 1
    if spec and style is None and _is_style(spec):
        style, spec = _style(spec, spec_column), ""  # {type:style}, the issue's shorthand
    strftime = bool(_STRFTIME.search(spec))
    if spec and not strftime and not _SPEC.fullmatch(spec):
        raise TemplateError(f'the format spec "{spec}" is not one Python knows', spec_column)
    return Field(path, default, style, spec, strftime)


def _is_style(text: str) -> bool:
    return all(word in STYLE_WORDS for word in text.split("+"))


def _style(text: str, column: int) -> str:
    words = text.split("+")
    for word in words:
        if word not in STYLE_WORDS:
            raise TemplateError(f'unknown style "{word}" (known: {", ".join(STYLE_WORDS)})',
                                column)
    if TABLE_STYLE in words and len(words) > 1:
        raise TemplateError(f'"{TABLE_STYLE}" is the table\'s colour and takes no other words',
                            column)
    return " ".join(words)


# -- values ---------------------------------------------------------------------------------


def lookup(item: Any, path: Iterable[str]) -> Any:
    """The value at ``path`` in the JSON ``item``; _MISSING when there is none."""
    value = item
    for name in path:
        if isinstance(value, dict):
            if name not in value:
                return _MISSING
            value = value[name]
        elif isinstance(value, list) and name.isascii() and name.isdigit():
            index = int(name)
            if index >= len(value):
                return _MISSING
            value = value[index]
        else:
            return _MISSING
    return value


def _table_style(field: Field, item: Any, value: Any) -> str:
    """The colour the table gives this field's value (see the module's docstring)."""
    last = field.path[-1]
    text = as_text(value)
    if last in ("state", "previousState"):
        return state_style(text)
    if last == "type":
        return message_style(text) if len(field.path) == 1 else participant_style(text)
    if last == "nickname":
        parent = lookup(item, field.path[:-1])
        kind = parent.get("type") if isinstance(parent, dict) else None
        return participant_style(as_text(kind))
    if field.path == ("text",) and isinstance(item, dict):
        kind = as_text(item.get("type"))
        return "none" if kind == "Text" else message_style(kind)
    return "none"


def _as_shown(value: Any) -> str:
    """A JSON value as text: strings as they are, objects and arrays as compact JSON."""
    if isinstance(value, (dict, list)):
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return as_text(value)
    return as_text(value)


def _time(value: Any) -> datetime | None:
    if isinstance(value, str):
        return parse_timestamp(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_timestamp(None, value)
    return None


def _field_spans(field: Field, item: Any, times: TimeFormat, mark: Mark | None) -> Spans:
    value = lookup(item, field.path)
    style = field.style or "none"
    if value is _MISSING or value is None:
        if style == TABLE_STYLE:
            style = "none"
        shown = [] if field.default is None else [(field.default, style)]  # the user's text
        padded = _string_spec(shown, field.spec)
        return shown if padded is None else padded
    if style == TABLE_STYLE:
        style = _table_style(field, item, value)
    spec = field.spec
    if spec and field.strftime:
        moment = _time(value)
        if moment is not None:
            try:
                text = times.convert(moment).strftime(spec)
            except (ValueError, OverflowError):
                text = None
            if text is not None:
                return _marked(safe_spans(text, style), mark)
    if spec and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return _marked(safe_spans(format(value, spec), style), mark)
        except (ValueError, TypeError, OverflowError):
            pass  # a text spec on a number ("<5s"): tried as text below
    spans = _marked(safe_spans(_as_shown(value), style), mark)
    if not spec:
        return spans
    padded = _string_spec(spans, spec)
    return spans if padded is None else padded


def _marked(spans: Spans, mark: Mark | None) -> Spans:
    return spans if mark is None else mark(spans)


def _string_spec(spans: Spans, spec: str) -> Spans | None:
    """``spans`` cut to the spec's precision and padded to its width, in terminal cells;
    None when the spec is not one for text (a spec of a number on a name)."""
    if not spec:
        return spans
    found = _SPEC.fullmatch(spec)
    if (found is None or found["type"] not in (None, "s") or found["align"] == "="
            or found["sign"] or found["z"] or found["alt"] or found["grouping"]):
        return None
    if found["precision"] is not None:
        spans = truncate(spans, int(found["precision"]))
    width = int(found["width"] or 0)
    gap = width - sum(cell_len(chunk) for chunk, _ in spans)
    if gap <= 0:
        return spans
    fill = found["fill"] or ("0" if found["zero"] and not found["align"] else " ")
    align = found["align"] or "<"
    before = {"<": 0, ">": gap, "^": gap // 2}[align]
    fill_cells = max(1, cell_len(fill))
    head = [(fill * (before // fill_cells), "none")] if before else []
    tail_cells = gap - before
    tail = [(fill * (tail_cells // fill_cells), "none")] if tail_cells else []
    return head + spans + tail


# -- writers ----------------------------------------------------------------------------------


class TemplateLines:
    """Lines from the output's template, painted when the output has colour."""

    def __init__(self, options: Output) -> None:
        assert options.template is not None
        self.template: Template = options.template
        self.times = options.times
        self.color = options.color
        highlight = options.highlight
        self.mark: Mark | None = highlight.mark if highlight else None
        self._codes: dict[str, tuple[str, str]] = {}

    def line(self, item: Any) -> str:
        spans = self.template.spans(item, self.times, self.mark)
        if not self.color:
            return "".join(chunk for chunk, _ in spans)
        return "".join(self._paint(chunk, style) for chunk, style in spans)

    def _paint(self, text: str, style: str) -> str:
        if style == "none" or not text:
            return text
        codes = self._codes.get(style)
        if codes is None:
            codes = self._codes[style] = sgr_codes(style)
        return f"{codes[0]}{text}{codes[1]}"


class TemplateWriter:
    """``-o template``: a line per message of a transcript, or per session of a list."""

    def __init__(self, out: IO[str], options: Output) -> None:
        self.out = out
        self.lines = TemplateLines(options)

    def session_list(self, sessions: list[Any]) -> None:
        for session in sessions:
            self.out.write(self.lines.line(session) + "\n")
        self.out.flush()

    def transcript(self, messages: Iterable[Any]) -> int:
        from smscli.render.streams import write_all

        return write_all(self.message_stream(), messages)

    def message_stream(self, live: bool = False) -> MessageStream:
        return TemplateStream(self.out, self.lines, live)


class TemplateStream:
    """A line per message; a follow writes and flushes each as it comes, a dump a batch."""

    BATCH = 64

    def __init__(self, out: IO[str], lines: TemplateLines, live: bool = False) -> None:
        self.out = out
        self.lines = lines
        self.live = live
        self._held: list[str] = []

    def message(self, raw: Any) -> None:
        self._held.append(self.lines.line(raw))
        if self.live or len(self._held) >= self.BATCH:
            self.drain()
            if self.live:
                self.out.flush()

    def drain(self) -> None:
        """Write the lines held back for the next batch."""
        if self._held:
            self.out.write("\n".join(self._held) + "\n")
            self._held.clear()

    def event(self, record: Any) -> None:
        pass  # state changes are reported on stderr, as with the table

    def close(self) -> None:
        self.drain()
        self.out.flush()
