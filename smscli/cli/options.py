"""Options shared by several commands, defined once."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Annotated, Any, NoReturn, Optional, TypeVar

import typer
from typer._click.exceptions import UsageError as ClickUsageError  # Typer vendors Click
from typer.core import TyperArgument

from smscli.render.output import Color, Format, OutputFlags


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

_OUTPUT_OPTIONS: dict[str, tuple[Any, Any]] = {  # parameter name: (type, default)
    "output": (OutputOpt, None),
    "json_": (JsonOpt, False),
    "color": (ColorOpt, None),
    "utc": (UtcOpt, False),
    "tz": (TzOpt, None),
}
Command = TypeVar("Command", bound=Callable[..., Any])


def output_flags(*names: str, **declared: Any) -> Callable[[Command], Command]:
    """Give a command the output options (all five, or those named: ``"utc", "tz"``),
    defined here once; ``declared`` replaces one's declaration (``output=...`` for another
    help text). The command does not see them: they become ``state.command_flags`` (an
    `OutputFlags`), and the command asks ``state.output()`` for its `Output`. The command
    must take ``ctx: typer.Context``."""
    chosen = names or tuple(_OUTPUT_OPTIONS)
    kinds = {name: declared.get(name, _OUTPUT_OPTIONS[name][0]) for name in chosen}

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                   default=_OUTPUT_OPTIONS[name][1],
                                   annotation=kinds[name]) for name in chosen]

        @functools.wraps(command)
        def with_output_flags(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in chosen}
            kwargs["ctx"].obj.command_flags = OutputFlags.of(**given)
            return command(*args, **kwargs)

        parameters = [*signature.parameters.values(), *extra]
        with_output_flags.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=parameters)
        with_output_flags.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_output_flags  # type: ignore[return-value]

    return decorate


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
