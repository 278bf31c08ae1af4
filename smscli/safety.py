"""Make untrusted server text inert and visible before it reaches a terminal."""

from __future__ import annotations

import re

# Whole escape sequences are shown as one escaped run, so the engineer sees what was sent.
# Equivalent by design (a mutation test leaves these alone): the terminators inside each
# (?:...)? only keep a whole string in one match. Without one, the terminator is matched next
# on its own (BEL and 0x9c as dangerous characters, ESC \ as a two-byte escape) and adjacent
# escaped runs are merged, so the output is the same. Likewise the ? after the two-byte
# escape's second byte: a lone ESC is also a dangerous character (it is in the C0 range).
_SEQUENCE = (
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI (possibly cut off)
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC: titles, OSC 8 links, OSC 52 clipboard
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS, SOS, PM, APC
    r"|\x1b[ -~]?"  # other two-byte escapes, or a lone ESC
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x9c)?"  # 8-bit DCS/SOS/OSC/PM/APC
)
# Characters that move the cursor, overwrite text, reorder it or hide in it.
DANGEROUS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 (tab and newline are handled apart), DEL, C1
    "\u00ad\u061c\u180e"  # soft hyphen, Arabic letter mark, Mongolian vowel separator
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff"  # zero-width, bidi, separators
    "\ud800-\udfff"  # lone surrogates: not text, and not encodable to a UTF-8 terminal
)
_UNSAFE = re.compile(f"{_SEQUENCE}|[{DANGEROUS}]")
_ANY_UNSAFE = re.compile(f"[{DANGEROUS}\\t\\n]")
_ZWJ = "\u200d"

Segments = list[tuple[str, bool]]


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if ch == "\t":
        return "\\t"
    if ch == "\n":
        return "\\n"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _escape_run(run: str) -> str:
    return "".join(ch if " " <= ch <= "~" else _escape_char(ch) for ch in run)


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    # Pictographs and symbols, and the variation selector that asks for their emoji form (🏳️).
    return code >= 0x1F000 or 0x2190 <= code <= 0x2BFF or code == 0xFE0F


def _joins_emoji(text: str, start: int) -> bool:
    """A zero-width joiner between two emoji builds one glyph (a family, a profession): keep it."""
    return 0 < start < len(text) - 1 and _is_emoji(text[start - 1]) and _is_emoji(text[start + 1])


def segments(text: str, *, keep_newlines: bool = False, keep_tabs: bool = False) -> Segments:
    """Split text into (chunk, escaped) pairs; escaped chunks hold visible escapes like ``\\x1b``."""
    # ESC is in DANGEROUS already; the second test is a guard should that table change.
    if not _ANY_UNSAFE.search(text) and "\x1b" not in text:
        return [(text, False)]
    out: Segments = []
    plain_start = 0

    def emit_plain(end: int) -> None:
        chunk = text[plain_start:end]
        if not chunk:
            return  # only saves a call: an empty chunk splits into nothing
        for piece, escaped in _split_whitespace(chunk, keep_newlines, keep_tabs):
            out.append((piece, escaped))

    for match in _UNSAFE.finditer(text):
        if match.group() == _ZWJ and _joins_emoji(text, match.start()):
            continue
        emit_plain(match.start())
        out.append((_escape_run(match.group()), True))
        plain_start = match.end()
    emit_plain(len(text))
    return _merge(out)


def _split_whitespace(chunk: str, keep_newlines: bool, keep_tabs: bool) -> Segments:
    kept = ("\n" if keep_newlines else "") + ("\t" if keep_tabs else "")
    pieces: Segments = []
    start = 0
    for i, ch in enumerate(chunk):
        if ch in "\t\n" and ch not in kept:
            if start < i:
                pieces.append((chunk[start:i], False))
            pieces.append((_escape_char(ch), True))
            start = i + 1
    if start < len(chunk):
        pieces.append((chunk[start:], False))
    return pieces


def _merge(parts: Segments) -> Segments:
    merged: Segments = []
    for chunk, escaped in parts:
        if merged and merged[-1][1] == escaped:
            merged[-1] = (merged[-1][0] + chunk, escaped)
        else:
            merged.append((chunk, escaped))
    return merged


def escape(text: str, *, keep_newlines: bool = False, keep_tabs: bool = False) -> str:
    """Text with every unsafe character replaced by a visible escape, as one string."""
    parts = segments(text, keep_newlines=keep_newlines, keep_tabs=keep_tabs)
    # A shortcut for the usual single part (never zero): the join gives the same string.
    return parts[0][0] if len(parts) == 1 else "".join(chunk for chunk, _ in parts)


# \x1b is in DANGEROUS already; it is spelled out because the plain fast path must never
# let ESC through. The backslash is the one that matters here: it is doubled below.
_PLAIN_CLEAN = re.compile(f"[{DANGEROUS}\\t\\n\\x1b\\\\]")


def escape_plain_field(text: str) -> str:
    """One tab-separated field on one line: backslashes doubled so escapes stay unambiguous."""
    if not _PLAIN_CLEAN.search(text):
        return text  # the common case, checked with one search (escape() would return it)
    return escape(text.replace("\\", "\\\\"))


def preview_bytes(body: bytes, limit: int = 80) -> str:
    """The start of a response body, decoded leniently and made inert, for error messages."""
    text = body[:limit].decode("utf-8", "replace")
    suffix = "…" if len(body) > limit else ""
    return escape(text) + suffix
