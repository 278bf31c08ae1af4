"""Styled text for the terminal, without Rich: terminal cells, spans of (text, style), word
wrap inside a column, previews of long messages, and the escape codes of a style.

The streaming writers (the transcript table, the chat view) build their lines from these;
server text enters as spans only through `safe_spans`, which makes it inert (safety.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from smscli.render.styles import ESCAPED
from smscli.safety import segments

@lru_cache(maxsize=4096)
def _char_cells(ch: str) -> int:
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0  # combining marks, joiners, variation selectors
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """Terminal cells of text, counted character by character as most terminals do.

    An emoji sequence (a family joined by ZWJs) counts as its parts: a terminal that draws it
    as one glyph shows a shorter line, one that does not still fits the line in the width.
    ASCII (the usual case) needs no table lookup.
    """
    return len(text) if text.isascii() else sum(map(_char_cells, text))


def chop_cells(text: str, width: int) -> list[str]:
    """``text`` cut into pieces of at most ``width`` cells (a wide character is never split)."""
    pieces: list[str] = []
    start = used = 0
    for i, ch in enumerate(text):
        size = _char_cells(ch)
        if used + size > width and i > start:
            # A joiner split from its emoji would be an invisible character on its own: the
            # join is broken across the lines anyway, so the joiner goes.
            pieces.append(text[start:i - 1] if text[i - 1] == _ZWJ else text[start:i])
            start, used = i, 0
        used += size
    pieces.append(text[start:])
    return pieces


_ZWJ = "\u200d"


PREVIEW_CHARS = 2000
PREVIEW_LINES = 40
Spans = list[tuple[str, str]]  # (text, style name)
Mark = Callable[[Spans], Spans]  # restyles what a --highlight matches (render/highlight.py)
# --highlight: a background no message type, state or sender has (styles.py), so a match
# reads as a match whatever it is in; an escape made visible keeps its dim inside one.
HIGHLIGHT = "black on yellow"
HIGHLIGHT_ESCAPED = "dim black on yellow"
_ESCAPED_STYLES = frozenset({ESCAPED, HIGHLIGHT_ESCAPED})  # wrapped and cut whole escapes


def safe_spans(text: str, style: str = "none", *, keep_newlines: bool = False) -> Spans:
    """Server text as spans: escaped pieces (control characters, sequences) in ESCAPED."""
    return [(chunk, ESCAPED if escaped else style)
            for chunk, escaped in segments(text, keep_newlines=keep_newlines)]


MUTED = "bright_black"


def width_of(spans: Spans) -> int:
    return sum(cell_len(chunk) for chunk, _ in spans)


def rstrip(line: Spans) -> Spans:
    """A line without the spaces it ends with (a wrap can leave one before the break)."""
    line = list(line)
    while line and line[-1][0].endswith(" "):
        chunk, style = line.pop()
        if chunk.rstrip(" "):
            line.append((chunk.rstrip(" "), style))
            break
    return line


def not_shown(cut: int) -> Spans:
    """The line that ends a preview: how much of the message it leaves out."""
    return [(f"\u2026 {cut:,} more characters not shown (--full shows all)", MUTED)]


def preview(body: str, style: str, width: int, *, full: bool, lead: Spans | None = None,
            mark: Mark | None = None) -> list[Spans]:
    """A message's text as wrapped lines of at most ``width`` cells, server text inert; a
    preview unless ``full``: at most PREVIEW_CHARS characters and PREVIEW_LINES lines, then
    a line saying how many characters are not shown. ``lead`` (a marker, a visibility note)
    starts the first line; ``mark`` restyles the body's spans before they are wrapped (a
    highlight across the lines of a cell)."""
    cut = 0
    if not full and len(body) > PREVIEW_CHARS:
        cut = len(body) - PREVIEW_CHARS
        body = body[:PREVIEW_CHARS]
    spans = safe_spans(body, style, keep_newlines=True)
    if mark is not None:
        spans = mark(spans)
    if lead:
        spans = lead + spans
    lines = wrap(spans, width)
    if not full and len(lines) > PREVIEW_LINES:
        cut += sum(width_of(line) for line in lines[PREVIEW_LINES:])
        lines = lines[:PREVIEW_LINES]
    if cut:
        lines += wrap(not_shown(cut), width)
    return lines


def restyle(spans: Spans, ranges: list[tuple[int, int]]) -> Spans:
    """``spans`` with the characters in ``ranges`` (sorted, apart, in the joined text of the
    spans) in HIGHLIGHT, or HIGHLIGHT_ESCAPED where they are a visible escape. Only styles
    change: the text, and so what is inert, stays as it was."""
    out: Spans = []
    start = 0  # where the current chunk starts in the joined text
    ranges = list(ranges)
    r = 0
    for chunk, style in spans:
        end = start + len(chunk)
        lit = HIGHLIGHT_ESCAPED if style in _ESCAPED_STYLES else HIGHLIGHT
        at = start
        while r < len(ranges) and ranges[r][0] < end and at < end:
            low, high = max(ranges[r][0], at), min(ranges[r][1], end)
            if low > at:
                out.append((chunk[at - start:low - start], style))
            if high > low:
                out.append((chunk[low - start:high - start], lit))
            at = max(at, high)
            if ranges[r][1] <= end:
                r += 1
            else:
                break
        if at < end:
            out.append((chunk[at - start:], style))
        start = end
    return out


def merge_spans(spans: Spans) -> Spans:
    """Adjacent spans of one style as one, so each run costs one pair of escape codes."""
    merged: Spans = []
    for chunk, style in spans:
        if merged and merged[-1][1] == style:
            merged[-1] = (merged[-1][0] + chunk, style)
        else:
            merged.append((chunk, style))
    return merged


def pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - cell_len(text))
    return gap + text if right else text + gap


def truncate(spans: Spans, width: int) -> Spans:
    out: Spans = []
    used = 0
    for chunk, style in spans:
        size = cell_len(chunk)
        if used + size <= width:
            out.append((chunk, style))
            used += size
            continue
        if width > used:
            if style in _ESCAPED_STYLES:  # whole escapes only: never a misleading \x1 or \u20
                head = "".join(_fill(_ESCAPE_ATOMS.findall(chunk), width - used)[0])
            else:
                head = chop_cells(chunk, width - used)[0]
            if head and cell_len(head) <= width - used:
                out.append((head, style))
        break
    return out


_TOKENS = re.compile(r"\n|[ ]+|[^ \n]+")
# An escaped run breaks between escape sequences, never inside one: ``\x1b[2J`` (the escape
# and the printable rest of its sequence, up to the next escape) stays whole on one line. The
# backslash of a string terminator (``\x1b\``) belongs to the sequence it ends.
_ESCAPE_TOKENS = re.compile(
    r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|[tn])(?:[^\\]|\\(?!x[0-9a-f]{2}|u[0-9a-f]{4}|[tn]))*"
    r"|[^\\]+|\\")
_ESCAPE_ATOMS = re.compile(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|[tn])|.", re.S)


def _fill(atoms: list[str], width: int) -> list[list[str]]:
    """Atoms (characters, whole escapes) packed into lines of at most ``width`` cells."""
    lines: list[list[str]] = [[]]
    used = 0
    for atom in atoms:
        size = cell_len(atom)
        if used + size > width and lines[-1]:
            lines.append([])
            used = 0
        lines[-1].append(atom)
        used += size
    return lines


_SPACES = re.compile(" +")


def wrap_ascii(text: str, width: int) -> list[str]:
    """``wrap`` of one printable ASCII span, as plain strings: the same lines, cheaper.

    A line at a time rather than a word at a time: from where a line starts, the first
    ``width`` characters fit; what happens next depends only on the run (of spaces, or of
    anything else) that reaches past them. A run of spaces is dropped and the next line
    starts after it; a word goes to the next line whole, or is chopped when it starts the
    line and is longer than one.
    """
    lines: list[str] = []
    start = 0
    size = len(text)
    while size - start > width:
        edge = start + width  # the first character that does not fit
        if text[edge] == " ":
            run = edge
            while run > start and text[run - 1] == " ":
                run -= 1
            lines.append(text[start:run])
            start = _SPACES.match(text, edge).end()  # type: ignore[union-attr]
        else:
            word = text.rfind(" ", start, edge) + 1  # where the word reaching past starts
            if word > start:
                lines.append(text[start:word])
                start = word
            else:  # one word from the line's start and past its end: chopped
                lines.append(text[start:edge])
                start = edge
    lines.append(text[start:])
    return lines


def wrap(spans: Spans, width: int) -> list[Spans]:
    """Word-wrap styled spans into lines of at most ``width`` cells; long words are chopped.

    Escaped runs wrap at the boundaries of their escape sequences; one longer than a line
    (an OSC 52 payload) is cut between escapes, never inside ``\x1b``.
    """
    lines: list[Spans] = [[]]
    used = 0
    for chunk, style in spans:
        escaped = style in _ESCAPED_STYLES
        for token in (_ESCAPE_TOKENS if escaped else _TOKENS).findall(chunk):
            if token == "\n":
                lines.append([])
                used = 0
                continue
            size = cell_len(token)
            if used + size <= width:
                lines[-1].append((token, style))
                used += size
            elif token.startswith(" "):
                lines.append([])
                used = 0
            elif size <= width:
                lines.append([(token, style)])
                used = size
            else:
                pieces = (["".join(line) for line in
                           _fill(_ESCAPE_ATOMS.findall(token), width)] if escaped
                          else chop_cells(token, width))
                for piece in pieces:
                    piece_size = cell_len(piece)
                    if used + piece_size > width:
                        lines.append([])
                        used = 0
                    lines[-1].append((piece, style))
                    used += piece_size
    return lines


# SGR parameters of the attributes and 16 colours our palettes use, in the order Rich writes
# them (attributes, then the foreground, then the background): the same bytes Rich gives for
# the standard colour system, without importing Rich on a transcript's path.
_SGR_ATTRIBUTES = ("bold", "dim", "italic", "underline", "blink", "blink2", "reverse",
                   "conceal", "strike")
_SGR_COLORS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


@lru_cache(maxsize=64)
def sgr_codes(style: str) -> tuple[str, str]:
    """The escape codes before and after text in ``style`` ("bold blue", "on red")."""
    attributes: set[int] = set()
    color = background = ""
    words = style.split()
    on = False
    for word in words:
        name = word.removeprefix("bright_")
        if word == "on":
            on = True
            continue
        if word in _SGR_ATTRIBUTES and not on:
            attributes.add(_SGR_ATTRIBUTES.index(word) + 1)
        elif name in _SGR_COLORS and not (background if on else color):
            base = (40 if on else 30) + (60 if word != name else 0)
            code = str(base + _SGR_COLORS.index(name))
            background, color = (code, color) if on else (background, code)
        else:
            return _rich_sgr_codes(style)  # anything else: Rich knows its grammar
        on = False
    if on:
        return _rich_sgr_codes(style)
    codes = [str(a) for a in sorted(attributes)] + [c for c in (color, background) if c]
    return (f"\x1b[{';'.join(codes)}m", "\x1b[0m") if codes else ("", "")


def _rich_sgr_codes(style: str) -> tuple[str, str]:
    from rich.color import ColorSystem
    from rich.style import Style

    before, after = Style.parse(style).render("\0", color_system=ColorSystem.STANDARD
                                              ).split("\0")
    return before, after
