"""The sanitizer pinned down: for each escape-sequence shape, invisible character, boundary and
fast path, the exact runs ``segments`` marks as escaped and the exact text ``escape`` shows.

``escape`` alone cannot tell "one sequence escaped as a whole" from "its first bytes escaped and
the rest left as text" (both print the same characters), so most cases look at ``segments``:
the escaped runs are what the renderers paint dim, and where a sequence ends is what keeps the
text after it readable.
"""

from __future__ import annotations

import pytest

from smscli.safety import escape, escape_plain_field, preview_bytes, segments

E, N = True, False  # escaped run, normal text

# --- CSI, 7-bit and 8-bit ------------------------------------------------------------------

INTRODUCERS = [("\x1b[", "\\x1b["), ("\x9b", "\\x9b")]


@pytest.mark.parametrize("intro, shown", INTRODUCERS)
@pytest.mark.parametrize("body", [
    "0;1:2<3=4>5?6m",  # every parameter byte, 0x30-0x3f
    "?25l",  # private mode: '?' first
    "12;34H",  # more than one parameter byte
    "1 q",  # intermediate 0x20 (DECSCUSR)
    "!p",  # intermediate 0x21
    "1/~",  # intermediate 0x2f, final 0x7e
    "!/ p",  # several intermediates
    "5@",  # final 0x40
    "2~",  # final 0x7e
    "m",  # no parameters at all
])
def test_a_whole_csi_is_one_escaped_run(intro: str, shown: str, body: str) -> None:
    assert segments(f"{intro}{body} ok") == [(f"{shown}{body}", E), (" ok", N)]


@pytest.mark.parametrize("intro, shown", INTRODUCERS)
@pytest.mark.parametrize("body", ["", "1", "12;", "?25", "1 ", "1;2 !"])
def test_a_cut_off_csi_is_escaped_to_the_end(intro: str, shown: str, body: str) -> None:
    assert segments(f"{intro}{body}") == [(f"{shown}{body}", E)]


@pytest.mark.parametrize("intro, shown", INTRODUCERS)
def test_a_csi_ends_at_its_final_byte(intro: str, shown: str) -> None:
    assert segments(f"{intro}31mred") == [(f"{shown}31m", E), ("red", N)]
    assert segments(f"{intro}1;2H{intro}2J") == [(f"{shown}1;2H{shown}2J", E)]
    # A byte that is neither parameter, intermediate nor final ends a cut-off CSI.
    assert segments(f"{intro}12\u00e9") == [(f"{shown}12", E), ("\u00e9", N)]


# --- OSC and the other strings, 7-bit -------------------------------------------------------


@pytest.mark.parametrize("text, runs", [
    ("\x1b]0;title\x07 ok", [("\\x1b]0;title\\x07", E), (" ok", N)]),
    ("\x1b]8;;https://x\x1b\\ ok", [("\\x1b]8;;https://x\\x1b\\", E), (" ok", N)]),
    ("\x1b]52;c;eA==\x9c ok", [("\\x1b]52;c;eA==\\x9c", E), (" ok", N)]),
    # Cut off: the rest of the text is the title that would have been set.
    ("\x1b]0;no end", [("\\x1b]0;no end", E)]),
    ("\x1b]", [("\\x1b]", E)]),
    # The body stops at ESC even without a backslash after it; the ESC starts a new run.
    ("\x1b]0;t\x1bc ok", [("\\x1b]0;t\\x1bc", E), (" ok", N)]),
])
def test_osc(text: str, runs: list) -> None:
    assert segments(text) == runs


@pytest.mark.parametrize("kind", ["P", "X", "^", "_"])  # DCS, SOS, PM, APC
def test_dcs_sos_pm_apc_bodies_are_escaped_whole(kind: str) -> None:
    assert segments(f"\x1b{kind}q; a\x07b\x1b\\ ok") == [
        (f"\\x1b{kind}q; a\\x07b\\x1b\\", E), (" ok", N)]
    assert segments(f"\x1b{kind}qq\x9c ok") == [(f"\\x1b{kind}qq\\x9c", E), (" ok", N)]
    assert segments(f"\x1b{kind}cut off") == [(f"\\x1b{kind}cut off", E)]
    # ESC inside the body ends it (and starts a sequence of its own).
    assert segments(f"\x1b{kind}ab\x1b[1m ok") == [(f"\\x1b{kind}ab\\x1b[1m", E), (" ok", N)]


@pytest.mark.parametrize("text, runs", [
    ("\x1bc ok", [("\\x1bc", E), (" ok", N)]),  # RIS
    ("\x1b7x", [("\\x1b7", E), ("x", N)]),  # save cursor
    ("\x1b x", [("\\x1b ", E), ("x", N)]),  # 0x20 after ESC: the space is escaped with it
    ("\x1b~x", [("\\x1b~", E), ("x", N)]),  # 0x7e
    ("a\x1b", [("a", N), ("\\x1b", E)]),  # a lone ESC at the end
    ("\x1b\x1b[1mx", [("\\x1b\\x1b[1m", E), ("x", N)]),
    ("\x1b\u00e9", [("\\x1b", E), ("\u00e9", N)]),
])
def test_two_byte_escapes_and_a_lone_esc(text: str, runs: list) -> None:
    assert segments(text) == runs


# --- 8-bit strings --------------------------------------------------------------------------


@pytest.mark.parametrize("intro", ["\x90", "\x98", "\x9d", "\x9e", "\x9f"])
def test_8bit_strings(intro: str) -> None:
    shown = f"\\x{ord(intro):02x}"
    assert segments(f"{intro}0;ab\x9c ok") == [(f"{shown}0;ab\\x9c", E), (" ok", N)]
    assert segments(f"{intro}0;ab\x07 ok") == [(f"{shown}0;ab\\x07", E), (" ok", N)]
    assert segments(f"{intro}cut off") == [(f"{shown}cut off", E)]
    # ESC ends the body: ESC and the byte after it are one more escaped run.
    assert segments(f"{intro}ab\x1b ok") == [(f"{shown}ab\\x1b ", E), ("ok", N)]


# --- single characters ----------------------------------------------------------------------

INVISIBLE = [
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x0d", "\x1f", "\x7f", "\x80", "\x85",
    "\x9a", "\x9c", "\u00ad", "\u061c", "\u180e", "\u200b", "\u200c", "\u200e", "\u200f", "\u2028",
    "\u2029", "\u202a", "\u202e", "\u2060", "\u2062", "\u2064", "\u2066", "\u2069", "\ufeff",
    "\ud800", "\udbff", "\udc00", "\udfff",
]


@pytest.mark.parametrize("ch", INVISIBLE, ids=lambda ch: f"U+{ord(ch):04X}")
def test_each_invisible_or_moving_character_is_shown(ch: str) -> None:
    code = ord(ch)
    shown = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    assert segments(f"a{ch}b") == [("a", N), (shown, E), ("b", N)]


@pytest.mark.parametrize("ch", ["\u00a0", "\u00ac", "\u00ae", "\u061b", "\u061d", "\u180d",
                                "\u180f", "\u200a", "\u2010", "\u2027", "\u202f", "\u205f",
                                "\u2065", "\u206a", "\ufefe", "\uff00", "\u00e9", "\u05d0"])
def test_neighbours_of_the_invisible_ranges_are_text(ch: str) -> None:
    assert segments(f"a{ch}b") == [(f"a{ch}b", N)]


@pytest.mark.parametrize("ch, shown", [
    ("\x01", "\\x01"),  # two hex digits, zero-padded
    ("\x1b", "\\x1b"),
    ("\u061c", "\\u061c"),  # four hex digits, zero-padded
    ("\u00ad", "\\xad"),
    ("\u200e", "\\u200e"),
])
def test_escapes_are_padded(ch: str, shown: str) -> None:
    assert escape(ch) == shown


@pytest.mark.parametrize("ch, shown", [
    ("\u00ff", "\\xff"),  # the last code point written \xNN
    ("\u0100", "\\u0100"),  # the first written \uNNNN
    ("\u00e9", "\\xe9"),
    ("\u4e2d", "\\u4e2d"),
    (" ", " "), ("~", "~"), ("!", "!"), ("}", "}"),  # printable ASCII stays itself
])
def test_characters_inside_a_sequence(ch: str, shown: str) -> None:
    assert escape(f"\x1b]0;{ch}\x07") == f"\\x1b]0;{shown}\\x07"


def test_tab_and_newline_inside_a_sequence() -> None:
    assert escape("\x1b]0;a\tb\nc\x07") == "\\x1b]0;a\\tb\\nc\\x07"
    assert escape("\x1b]0;a\tb\x07", keep_tabs=True, keep_newlines=True) == \
        "\\x1b]0;a\\tb\\x07"


# --- the zero-width joiner ------------------------------------------------------------------

ZWJ = "\u200d"
SHOWN_ZWJ = "\\u200d"


@pytest.mark.parametrize("left, right, kept", [
    ("\U0001f600", "\U0001f600", True),
    ("\U0001f000", "\U0001f000", True),  # 0x1F000: the first pictograph
    ("\U0001efff", "\U0001f600", False),  # just below
    ("\U0001f600", "\U0001efff", False),
    ("\u2190", "\u2190", True),  # 0x2190: arrows, the first symbol
    ("\u218f", "\u2190", False),
    ("\u2190", "\u218f", False),
    ("\u2bff", "\u2bff", True),  # 0x2BFF: the last symbol
    ("\u2c00", "\u2bff", False),
    ("\u2bff", "\u2c00", False),
    ("\ufe0f", "\ufe0f", True),  # the emoji variation selector
    ("\ufe0e", "\U0001f600", False),
    ("\ufe10", "\U0001f600", False),
    ("\U0001f600", "\ufe0e", False),
    ("a", "\U0001f600", False),  # the left neighbour is checked
    ("\U0001f600", "a", False),  # and the right one
])
def test_a_joiner_is_kept_only_between_two_emoji(left: str, right: str, kept: bool) -> None:
    text = f"{left}{ZWJ}{right}"
    want = text if kept else f"{left}{SHOWN_ZWJ}{right}"
    assert escape(text) == want
    assert escape(f"x{text}x") == f"x{want}x"


@pytest.mark.parametrize("text, shown", [
    (f"{ZWJ}\U0001f600", f"{SHOWN_ZWJ}\U0001f600"),  # first: no left neighbour
    (f"{ZWJ}\U0001f600{ZWJ}\U0001f600", f"{SHOWN_ZWJ}\U0001f600{ZWJ}\U0001f600"),
    (f"\U0001f600{ZWJ}", f"\U0001f600{SHOWN_ZWJ}"),  # last: no right neighbour
    (f"\U0001f600{ZWJ}\U0001f600{ZWJ}", f"\U0001f600{ZWJ}\U0001f600{SHOWN_ZWJ}"),
    (ZWJ, SHOWN_ZWJ),
    (f"{ZWJ}{ZWJ}", SHOWN_ZWJ * 2),
    (f"\U0001f600{ZWJ}{ZWJ}\U0001f600", f"\U0001f600{SHOWN_ZWJ * 2}\U0001f600"),
])
def test_joiners_at_the_ends(text: str, shown: str) -> None:
    assert escape(text) == shown


def test_only_a_joiner_is_kept_between_emoji() -> None:
    for ch in ("\x07", "\u200b", "\u200c", "\x1b", "\u202e"):
        shown = escape(ch)
        assert escape(f"\U0001f600{ch}\U0001f600") == f"\U0001f600{shown}\U0001f600"


# --- runs, whitespace and the fast paths ----------------------------------------------------


def test_plain_text_is_one_unescaped_run() -> None:
    assert segments("hi there") == [("hi there", N)]
    assert segments("") == [("", N)]
    assert escape("") == ""


def test_adjacent_escapes_are_one_run() -> None:
    assert segments("\x1b[2J\x1b[H") == [("\\x1b[2J\\x1b[H", E)]
    assert segments("a\x07\x07b") == [("a", N), ("\\x07\\x07", E), ("b", N)]
    assert segments("\x07a") == [("\\x07", E), ("a", N)]


@pytest.mark.parametrize("kwargs, runs", [
    ({}, [("a", N), ("\\t", E), ("b", N), ("\\n", E), ("cd", N)]),
    ({"keep_tabs": True}, [("a\tb", N), ("\\n", E), ("cd", N)]),
    ({"keep_newlines": True}, [("a", N), ("\\t", E), ("b\ncd", N)]),
    ({"keep_tabs": True, "keep_newlines": True}, [("a\tb\ncd", N)]),
])
def test_tabs_and_newlines(kwargs: dict, runs: list) -> None:
    assert segments("a\tb\ncd", **kwargs) == runs
    assert escape("a\tb\ncd", **kwargs) == "".join(chunk for chunk, _ in runs)


@pytest.mark.parametrize("text, runs", [
    ("\tb", [("\\t", E), ("b", N)]),
    ("a\t", [("a", N), ("\\t", E)]),
    ("\t\n", [("\\t\\n", E)]),
    ("ab\tcd\tef", [("ab", N), ("\\t", E), ("cd", N), ("\\t", E), ("ef", N)]),
    ("\x07\tb", [("\\x07\\t", E), ("b", N)]),
    ("a\x07\t", [("a", N), ("\\x07\\t", E)]),
    ("a\tb\x07c", [("a", N), ("\\t", E), ("b", N), ("\\x07", E), ("c", N)]),
])
def test_whitespace_next_to_escapes_and_at_the_ends(text: str, runs: list) -> None:
    assert segments(text) == runs


def test_the_first_and_last_characters_are_kept() -> None:
    assert escape("ab\x07cd") == "ab\\x07cd"
    assert escape("x\x1b[1my") == "x\\x1b[1my"
    assert escape("\u202eabc") == "\\u202eabc"


# --- plain fields ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, shown", [
    ("plain", "plain"),
    ("", ""),
    ("C:\\x1b", "C:\\\\x1b"),  # a backslash alone is doubled: no fake escape
    ("\\", "\\\\"),
    ("\x1b[2J", "\\x1b[2J"),  # ESC alone
    ("\x1b", "\\x1b"),
    ("a\tb", "a\\tb"),  # a tab alone
    ("a\nb", "a\\nb"),  # a newline alone
    ("\x9b2J", "\\x9b2J"),
    ("\u202eabc", "\\u202eabc"),
    ("\\\x1b[1m", "\\\\\\x1b[1m"),
])
def test_plain_fields(text: str, shown: str) -> None:
    assert escape_plain_field(text) == shown


# --- previews of response bodies ------------------------------------------------------------


def test_preview_is_escaped() -> None:
    assert preview_bytes(b"\x1b[2J\x1b]0;t\x07") == "\\x1b[2J\\x1b]0;t\\x07"
    assert preview_bytes("\u202e".encode() * 3) == "\\u202e" * 3
    assert preview_bytes(b"\x9b2J") == "\ufffd2J"  # not UTF-8: U+FFFD, never a C1 CSI


def test_preview_of_a_long_body_is_escaped_and_cut() -> None:
    body = b"\x1b[31m" + b"x" * 200
    assert preview_bytes(body) == "\\x1b[31m" + "x" * 75 + "\u2026"
    assert preview_bytes(body, 10) == "\\x1b[31mxxxxx\u2026"


@pytest.mark.parametrize("size, shown", [
    (79, "x" * 79),
    (80, "x" * 80),  # exactly the limit: whole, no ellipsis
    (81, "x" * 80 + "\u2026"),
    (500, "x" * 80 + "\u2026"),
])
def test_preview_limit(size: int, shown: str) -> None:
    assert preview_bytes(b"x" * size) == shown


def test_preview_limit_argument() -> None:
    assert preview_bytes(b"abcdef", 3) == "abc\u2026"
    assert preview_bytes(b"abc", 3) == "abc"
    assert preview_bytes(b"", 3) == ""
