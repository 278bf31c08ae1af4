"""Untrusted text becomes inert and visible."""

from __future__ import annotations

import pytest

from smscli.safety import escape, escape_plain_field, segments


@pytest.mark.parametrize("attack, shown", [
    ("\x1b[2J", "\\x1b[2J"),
    ("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07"),
    ("\x1b]8;;https://evil\x1b\\click\x1b]8;;\x1b\\", "\\x1b]8;;https://evil\\x1b\\click"
     "\\x1b]8;;\\x1b\\"),
    ("ok\rfake", "ok\\x0dfake"),
    ("abc\x08\x08\x08xyz", "abc\\x08\\x08\\x08xyz"),
    ("\x9b31m", "\\x9b31m"),
    ("a\u202eevil", "a\\u202eevil"),
    ("zero\u200bwidth", "zero\\u200bwidth"),
    ("nul\x00", "nul\\x00"),
    ("bell\x07", "bell\\x07"),
    ("del\x7f", "del\\x7f"),
])
def test_attacks_are_escaped(attack: str, shown: str) -> None:
    assert escape(attack) == shown


def test_escaped_runs_are_marked_and_text_kept() -> None:
    assert segments("hi\x1b[31mred") == [("hi", False), ("\\x1b[31m", True), ("red", False)]


def test_newlines_kept_only_when_asked() -> None:
    assert escape("a\nb") == "a\\nb"
    assert escape("a\nb", keep_newlines=True) == "a\nb"


def test_emoji_joiners_are_kept_but_lone_joiners_are_not() -> None:
    family = "\U0001F469\u200d\U0001F467"
    assert escape(family) == family
    assert escape("a\u200db") == "a\\u200db"


def test_plain_field_is_one_unambiguous_line() -> None:
    assert escape_plain_field("a\tb\nc\\n") == "a\\tb\\nc\\\\n"


def test_ordinary_text_is_untouched() -> None:
    text = "Zoë 🌸 Müller [red]not markup[/red] :smile: 日本語"
    assert escape(text) == text
