"""Senders and message types are told apart at a glance: two palettes with no hue in common."""

from __future__ import annotations

from rich.color import ANSI_COLOR_NAMES
from rich.style import Style

from smscli.render.styles import MESSAGE_STYLES, PARTICIPANT_STYLES, STATE_STYLES

# Unreadable on one of the two usual backgrounds: white or bright yellow on white, black on
# black.
UNREADABLE = {"white", "bright_white", "black", "bright_yellow"}


def hues(styles: dict[str, str]) -> dict[str, set[str]]:
    """Each style's colour names, a bright variant counted as its base hue (grey apart)."""
    found: dict[str, set[str]] = {}
    for name, style in styles.items():
        words = {word for word in style.split() if word in ANSI_COLOR_NAMES}
        found[name] = {word if word == "bright_black" else word.removeprefix("bright_")
                       for word in words}
    return found


def test_the_two_palettes_share_no_colour() -> None:
    senders = set().union(*hues(PARTICIPANT_STYLES).values())
    assert senders == {"cyan", "green", "magenta"}
    for kind, colours in hues(MESSAGE_STYLES).items():
        assert not colours & senders, f"{kind} looks like a sender: {colours & senders}"


def test_every_message_type_has_a_style_of_its_own() -> None:
    styles = list(MESSAGE_STYLES.values())
    # Typing events share grey on purpose (they are one family); every other type differs.
    others = [s for k, s in MESSAGE_STYLES.items() if not k.startswith("Typing")]
    assert len(set(others)) == len(others), styles


def test_every_style_parses_and_reads_on_dark_and_light_backgrounds() -> None:
    for styles in (MESSAGE_STYLES, PARTICIPANT_STYLES, STATE_STYLES):
        for style in styles.values():
            Style.parse(style)  # a typo would raise here, not on a user's screen
            assert not set(style.split()) & UNREADABLE, style
