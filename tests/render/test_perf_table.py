"""The transcript table's fast paths give the bytes of the general ones."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smscli.render import styles
from smscli.render.spans import _rich_sgr_codes, sgr_codes, wrap, wrap_ascii

PALETTE = sorted({*styles.MESSAGE_STYLES.values(), *styles.PARTICIPANT_STYLES.values(),
                  *styles.STATE_STYLES.values(), styles.ESCAPED, styles.HEADER,
                  "bright_black", "none"})


@pytest.mark.parametrize("style", [*PALETTE, "reverse dim", "blue bold", "on red",
                                   "bold on bright_blue", "strike white", "not bold",
                                   "red blue", "#ff0000"])
def test_escape_codes_are_richs(style: str) -> None:
    assert sgr_codes(style) == _rich_sgr_codes(style)


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from("ab xyz  Q-."), max_size=120)
       | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=200),
       st.integers(min_value=1, max_value=40))
def test_ascii_wrap_is_the_general_wrap(text: str, width: int) -> None:
    general = ["".join(chunk for chunk, _ in line) for line in wrap([(text, "bold")], width)]
    assert wrap_ascii(text, width) == general
