"""Options shared by several commands, defined once."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer


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
    "--output", "-o", help="Output format: table, plain, json or ndjson "
    "[default: table on a terminal, plain otherwise].", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Short for --output json.")]
ColorOpt = Annotated[Optional[Color], typer.Option(
    "--color", help="Colour in table output: auto, always or never [default: auto].",
    show_default=False)]
UtcOpt = Annotated[bool, typer.Option("--utc", help="Show times in UTC.")]
TzOpt = Annotated[Optional[str], typer.Option(
    "--tz", metavar="ZONE", help="Show times in this IANA time zone, e.g. Europe/Paris.")]
