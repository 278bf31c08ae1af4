"""Output for people at a terminal: a console as wide as the terminal, lines that end."""

from __future__ import annotations

import shutil
import sys
from typing import Any


def terminal_width() -> int:
    """The terminal's columns (COLUMNS first), 100 when there is no terminal; at least 20."""
    return max(20, shutil.get_terminal_size((100, 24)).columns)


def console(color: bool) -> Any:
    """A console on stdout that wraps to the terminal's width, with colour or without."""
    from rich.console import Console

    return Console(file=sys.stdout, width=terminal_width(), force_terminal=color,
                   color_system="standard" if color else None, highlight=False,
                   markup=False, emoji=False, soft_wrap=True)


def wrap(out: Any, text: str, indent: int) -> list[str]:
    """``text`` in lines that fit beside an indent of ``indent`` cells: at spaces where it
    can, else folded; wide characters count two cells."""
    from rich.text import Text

    width = max(10, out.width - indent)
    lines = Text(text).wrap(out, width, overflow="fold")
    return [line.plain.rstrip() for line in lines] or [""]


def end_line() -> None:
    """After Ctrl-C the terminal shows ^C where the cursor was: end that line, so that the
    shell's prompt starts on a line of its own."""
    try:
        if sys.stderr.isatty():
            sys.stderr.write("\n")
            sys.stderr.flush()
    except (OSError, ValueError):
        pass
