"""Options shared by several commands, defined once."""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, NoReturn, Optional

import typer
from typer._click.exceptions import UsageError as ClickUsageError  # Typer vendors Click
from typer.core import TyperArgument


class Format(str, Enum):
    table = "table"
    plain = "plain"
    json = "json"
    ndjson = "ndjson"


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


OutputOpt = Annotated[Optional[Format], typer.Option(
    "--output", "-o", metavar="FORMAT", help="Output format: table, plain, json or ndjson "
    "[default: table on a terminal, plain otherwise].", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Short for --output json.")]
ColorOpt = Annotated[Optional[Color], typer.Option(
    "--color", metavar="WHEN", help="Colour in table output: auto, always or never [default: auto].",
    show_default=False)]
UtcOpt = Annotated[bool, typer.Option("--utc", help="Show times in UTC.")]
TzOpt = Annotated[Optional[str], typer.Option(
    "--tz", metavar="ZONE", help="Show times in this IANA time zone, e.g. Europe/Paris.")]

# Values smscli knows; a server may send others, which stay allowed as filters.
KNOWN_STATES = ("Invited", "Chatting", "LeftChat", "Completed", "Revoked")


def refuse(ctx: typer.Context, message: str) -> NoReturn:
    """A usage error: the usage line, a pointer to -h and one line of what is wrong; exit 2."""
    raise ClickUsageError(message, ctx)


def warn_unknown(what: str, asked: list[str] | None, known: tuple[str, ...],
                 found_any: bool) -> None:
    """When a filter matched nothing and a value in it is not one we know, say so on stderr
    with the known values: a typo (``--state Chating``) must not look like "no sessions"."""
    if found_any or not asked:
        return
    lowered = {k.lower() for k in known}
    unknown = [value for value in asked if value.lower() not in lowered]
    if unknown:
        from smscli.safety import escape

        print(f"smscli: no {what} matched {escape(', '.join(unknown))}, which is not a known "
              f"{what} (known: {', '.join(known)})", file=sys.stderr, flush=True)


def _usage_metavar(make_metavar: Callable[..., str]) -> Callable[..., str]:
    """Typer writes a required argument as ``{ID}`` in the usage line; write it ``ID``."""

    def patched(self: Any, ctx: Any, *, usage: bool = False) -> str:
        text = make_metavar(self, ctx, usage=usage)
        if usage and self.metavar and text == f"{{{self.metavar}}}":
            return str(self.metavar)
        return text

    return patched


TyperArgument.make_metavar = _usage_metavar(TyperArgument.make_metavar)  # type: ignore
