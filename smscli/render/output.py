"""The output of one invocation: where it goes, in which format, with which colours and times,
and the few rules about stderr (notes, warnings, errors, progress) and the pager.

Built once per command from the global and the command's own output flags
(`Output.build`); every writer in `render/` and every command reads it instead of
``sys.stdout.isatty()`` and format strings. Tests build one with the terminal answers they
want (``stdout_tty=True``) and in-memory streams. See docs/architecture.md, "Output".
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from enum import Enum
from typing import IO, TYPE_CHECKING, Any

from smscli.render.base import TimeFormat, color_enabled
from smscli.safety import escape
from smscli.values import Frozen, Value

if TYPE_CHECKING:
    from smscli.errors import SmscliError
    from smscli.render.highlight import Highlighter


class Format(str, Enum):
    """The four output formats. A ``str`` enum so that Typer lists the choices."""

    table = "table"
    plain = "plain"
    json = "json"
    ndjson = "ndjson"

    @property
    def machine(self) -> bool:
        """json and ndjson: for programs; never coloured, never paged."""
        return self in (Format.json, Format.ndjson)

    def __str__(self) -> str:
        return self.value


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


class OutputFlags(Frozen):
    """The output flags as given, globally or on one command; None or False: not given."""

    __slots__ = ("format", "color", "utc", "tz")
    format: Format | None
    color: Color | None
    utc: bool
    tz: str | None

    def __init__(self, format: Format | None = None, color: Color | None = None,
                 utc: bool = False, tz: str | None = None) -> None:
        self._set(format=format, color=color, utc=utc, tz=tz)

    @classmethod
    def of(cls, output: Format | None = None, json_: bool = False, color: Color | None = None,
           utc: bool = False, tz: str | None = None) -> OutputFlags:
        """From the options as Typer gives them: ``--json`` is ``-o json`` and wins over it."""
        return cls(format=Format.json if json_ else output, color=color, utc=utc, tz=tz)

    def over(self, base: OutputFlags) -> OutputFlags:
        """These flags (a command's) where given, else ``base`` (the global ones)."""
        return OutputFlags(format=self.format or base.format, color=self.color or base.color,
                           utc=self.utc or base.utc, tz=self.tz or base.tz)


class Output(Value):
    """One invocation's output. The defaults suit a writer built in a test: plain, no colour,
    local times, the process's streams, no terminal. (Not a dataclass: `history search` loads
    this module; see smscli/values.py.)"""

    __slots__ = ("format", "color", "times", "width", "full", "relative_times", "stdout",
                 "stderr", "stdout_tty", "stderr_tty", "template", "highlight")
    format: Format
    color: bool
    times: TimeFormat
    width: int | None  # None: the terminal's (or 80)
    full: bool  # table cells whole instead of previews
    relative_times: bool  # on a terminal, lists say "3 min ago"
    stdout: IO[str]
    stderr: IO[str]
    stdout_tty: bool
    stderr_tty: bool
    # --template: a line per item from this template (a render/template.py Template, which
    # imports this module); the format is then plain (never paged, no relative times) and
    # ``color`` follows the table's rule.
    template: Any
    # --highlight and --highlight-regex: matches marked in human output, never in json/ndjson.
    highlight: Highlighter | None

    def __init__(self, format: Format | str = Format.plain, color: bool = False,
                 times: TimeFormat | None = None, width: int | None = None, full: bool = False,
                 relative_times: bool = False, stdout: IO[str] | None = None,
                 stderr: IO[str] | None = None, stdout_tty: bool = False,
                 stderr_tty: bool = False, template: Any = None,
                 highlight: Highlighter | None = None) -> None:
        self.format = Format(format)  # a test may say format="table"
        self.color = color
        self.times = TimeFormat() if times is None else times
        self.width = width
        self.full = full
        self.relative_times = relative_times
        self.stdout = sys.stdout if stdout is None else stdout
        self.stderr = sys.stderr if stderr is None else stderr
        self.stdout_tty = stdout_tty
        self.stderr_tty = stderr_tty
        self.template = template
        self.highlight = highlight

    @classmethod
    def build(cls, flags: OutputFlags = OutputFlags(), *, zone: str | None = None,
              prefer: Format | None = None, piped: Format | None = None, full: bool = False,
              stdout: IO[str] | None = None, stderr: IO[str] | None = None,
              stdout_tty: bool | None = None, stderr_tty: bool | None = None,
              environ: dict[str, str] | None = None) -> Output:
        """The output for ``flags``: the format given, else ``prefer``, else table on a
        terminal and ``piped`` (plain unless said) otherwise; colour by the rule of `color_enabled`, in tables only;
        times in --tz, --utc, else ``zone`` (the profile's), else the local zone."""
        out = stdout if stdout is not None else sys.stdout
        err = stderr if stderr is not None else sys.stderr
        out_tty = _isatty(out) if stdout_tty is None else stdout_tty
        err_tty = _isatty(err) if stderr_tty is None else stderr_tty
        fmt = flags.format or prefer or (Format.table if out_tty else piped or Format.plain)
        color = fmt is Format.table and color_enabled((flags.color or Color.auto).value,
                                                      out_tty, environ)
        times = TimeFormat.from_options(flags.utc, flags.tz or (None if flags.utc else zone))
        return cls(format=fmt, color=color, times=times, full=full,
                   relative_times=fmt is Format.table and out_tty, stdout=out, stderr=err,
                   stdout_tty=out_tty, stderr_tty=err_tty)

    # -- stderr: every line passes through escape(), as notes quote server text -----------

    def say(self, text: str) -> None:
        """A line for the person at the terminal that is not data ("No messages.")."""
        self.stderr.write(escape(text) + "\n")
        self.stderr.flush()

    def note(self, message: str) -> None:
        self.say(f"smscli: {message}")

    def warn(self, message: str) -> None:
        self.say(f"smscli: warning: {message}")

    def trace(self, message: str) -> None:
        self.say(f"debug: {message}")

    def error(self, error: SmscliError) -> None:
        """The error line; with json or ndjson also the error as a JSON record (on stderr,
        so that stdout stays data)."""
        hint = f"; {error.hint}" if error.hint else ""
        self.say(f"smscli: error: {error.message}{hint}")
        if self.format.machine:
            self.stderr.write(json.dumps(error.to_dict(), ensure_ascii=False) + "\n")
            self.stderr.flush()

    # -- progress and pager -----------------------------------------------------------------

    def progress(self, items: Iterable[Any], what: str = "messages", *,
                 printing: bool = True) -> Iterable[Any]:
        """``items``, counted on stderr while they come, by the one rule: stderr is a
        terminal, and stdout is not printing them on that same terminal as they come
        (``printing``: they are written to stdout while being fetched)."""
        if not self.stderr_tty or (printing and self.stdout_tty):
            return items
        from smscli.render.progress import with_progress

        return with_progress(items, self.stderr, what=what)

    def pager(self, wanted: bool = True) -> Any:
        """A pager for a table on a terminal (``LazyPager``), or None: not a table, piped,
        ``--no-pager``, or SMSCLI_PAGER/PAGER empty or ``cat``."""
        if not (wanted and self.format is Format.table and self.stdout_tty):
            return None
        from smscli.render.pager import LazyPager, pager_command

        command = pager_command()
        return LazyPager(command) if command else None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed, or not a file at all
        return False

