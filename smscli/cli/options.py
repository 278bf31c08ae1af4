"""Options shared by several commands, defined once."""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional, TypeVar

import typer
from typer._click.exceptions import UsageError as ClickUsageError  # Typer vendors Click
from typer.core import TyperArgument

from smscli.render.output import Color, Format, Output, OutputFlags

if TYPE_CHECKING:
    from smscli.render.highlight import Highlighter
    from smscli.render.template import Template


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

# The live views that watch many sessions (sessions watch, tail, record) pace themselves alike.
# The filters that several commands share (messages, tail, history).
CustomerOpt = Annotated[Optional[list[str]], typer.Option(
    "--customer", metavar="NAME", help="Only sessions with a customer whose nickname holds "
    "NAME (repeatable, case-insensitive).", show_default=False)]
AgentOpt = Annotated[Optional[list[str]], typer.Option(
    "--agent", metavar="NAME", help="Only sessions with an agent whose nickname holds NAME "
    "(repeatable, case-insensitive).", show_default=False)]
TypeOpt = Annotated[Optional[list[str]], typer.Option(
    "--type", "-t", metavar="TYPE", help="Only messages of this type (repeatable), e.g. Text.",
    show_default=False)]
NoTypingOpt = Annotated[bool, typer.Option(
    "--no-typing", help="Leave out TypingStarted and TypingStopped.")]
PollOpt = Annotated[bool, typer.Option(
    "--poll", help="Poll the session list and transcripts instead of using CometD "
    "notifications.")]
IntervalOpt = Annotated[float, typer.Option(
    "--interval", metavar="SECONDS", help="Seconds between polls (with --poll, or when "
    "CometD is not available).", min=0.05)]
MaxRetriesOpt = Annotated[Optional[int], typer.Option(
    "--max-retries", metavar="N", help="Give up (exit 6) after N failed reconnects in a "
    "row [default: never].", min=0, show_default=False)]

_OUTPUT_OPTIONS: dict[str, tuple[Any, Any]] = {  # parameter name: (type, default)
    "output": (OutputOpt, None),
    "json_": (JsonOpt, False),
    "color": (ColorOpt, None),
    "utc": (UtcOpt, False),
    "tz": (TzOpt, None),
}
Command = TypeVar("Command", bound=Callable[..., Any])


class LineFormat(str, Enum):
    """The formats of a command that also writes templates (`output_flags(template=True)`):
    ``-o template`` exists only there, so it is not one of `Format`'s (every command's)."""

    table = "table"
    plain = "plain"
    json = "json"
    ndjson = "ndjson"
    template = "template"

    def __str__(self) -> str:
        return self.value


LineOutputOpt = Annotated[Optional[LineFormat], typer.Option(
    "--output", "-o", metavar="FORMAT", help="Output format: table, plain, json, ndjson, or "
    "template (see --template) [default: table on a terminal, plain otherwise].",
    show_default=False)]
TemplateOpt = Annotated[Optional[str], typer.Option(
    "--template", metavar="TEMPLATE", help="One line per item from TEMPLATE over the item's "
    "JSON, e.g. '{index:>5} {from.nickname|?} {type!style}: {text|}'; @NAME for templates.NAME "
    "of the profile. Implies -o template. See README, \"Templates and highlights\".",
    show_default=False)]
HighlightOpt = Annotated[Optional[list[str]], typer.Option(
    "--highlight", metavar="TEXT", help="Mark TEXT (any case) where it shows in human output "
    "(repeatable); json and ndjson are never changed.", show_default=False)]
HighlightRegexOpt = Annotated[Optional[list[str]], typer.Option(
    "--highlight-regex", metavar="REGEX", help="Mark what REGEX matches, as --highlight "
    "(repeatable); one that takes too long on a text leaves it unmarked.",
    show_default=False)]
_TEMPLATE_OPTIONS: dict[str, tuple[Any, Any]] = {
    "template": (TemplateOpt, None),
    "highlight": (HighlightOpt, None),
    "highlight_regex": (HighlightRegexOpt, None),
}
_LOOK = "smscli.look"  # where output_flags leaves the template and highlights (ctx.meta)


@dataclass(frozen=True, slots=True)
class Look:
    """--template and --highlight as a command was given them, checked and compiled."""

    template: Template | None = None
    highlight: Highlighter | None = None


def output_flags(*names: str, template: bool = False,
                 **declared: Any) -> Callable[[Command], Command]:
    """Give a command the output options (all five, or those named: ``"utc", "tz"``),
    defined here once; ``declared`` replaces one's declaration (``output=...`` for another
    help text). The command does not see them: they become ``state.command_flags`` (an
    `OutputFlags`), and the command asks ``state.output()`` for its `Output`. The command
    must take ``ctx: typer.Context``.

    ``template``: also --template, --highlight and --highlight-regex, and ``-o template``;
    they are checked here (a usage error, exit 2, before anything is fetched) and the
    command passes its `Output` through `with_look` to have them."""
    chosen = names or tuple(_OUTPUT_OPTIONS)
    kinds = {name: declared.get(name, _OUTPUT_OPTIONS[name][0]) for name in chosen}
    if template and "output" in chosen and "output" not in declared:
        kinds["output"] = LineOutputOpt
    looks = tuple(_TEMPLATE_OPTIONS) if template else ()

    def decorate(command: Command) -> Command:
        signature = inspect.signature(command, eval_str=True)
        extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                   default=_OUTPUT_OPTIONS[name][1],
                                   annotation=kinds[name]) for name in chosen]
        extra += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                    default=_TEMPLATE_OPTIONS[name][1],
                                    annotation=_TEMPLATE_OPTIONS[name][0]) for name in looks]

        @functools.wraps(command)
        def with_output_flags(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in chosen}
            asked = {name: kwargs.pop(name) for name in looks}
            fmt = given.get("output")
            template_format = fmt is not None and fmt.value == "template"
            if fmt is not None:
                given["output"] = None if template_format else Format(fmt.value)
            ctx = kwargs["ctx"]
            ctx.obj.command_flags = OutputFlags.of(**given)
            if template:
                ctx.meta[_LOOK] = _look(ctx, template_format, **asked)
            return command(*args, **kwargs)

        parameters = [*signature.parameters.values(), *extra]
        with_output_flags.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=parameters)
        with_output_flags.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_output_flags  # type: ignore[return-value]

    return decorate


def with_look(ctx: typer.Context, output: Output) -> Output:
    """The command's `Output` with the --template and --highlight it was given (see
    `output_flags`): a template makes the format plain (never paged) with colour by the
    table's rule; highlights stay off json and ndjson."""
    look: Look = ctx.meta.get(_LOOK) or Look()
    if look.template is not None:
        from smscli.render.base import color_enabled

        wanted = ctx.obj.given.color or Color.auto
        output = output.but(format=Format.plain, template=look.template, relative_times=False,
                            color=color_enabled(wanted.value, output.stdout_tty))
    if look.highlight is not None and not output.format.machine:
        output = output.but(highlight=look.highlight)
        if output.format is Format.plain and look.template is None:
            # Plain lines are data; marked only for a person at a terminal, where colour is.
            from smscli.render.base import color_enabled

            wanted = ctx.obj.given.color or Color.auto
            output = output.but(color=color_enabled(wanted.value, output.stdout_tty))
    return output


def _look(ctx: typer.Context, template_format: bool, template: str | None,
          highlight: list[str] | None, highlight_regex: list[str] | None) -> Look:
    """The template and highlights asked for, or a usage error: a malformed template (with
    its column), an unknown @NAME, a bad regular expression, formats that contradict."""
    state = ctx.obj
    other = state.given.format  # a format other than template, here or before the command
    if template is not None and other is not None:
        refuse(ctx, f"--template does not combine with -o {other}")
    if template_format and other is not None:
        refuse(ctx, f"-o template and -o {other} contradict each other")
    if template_format and template is None:
        refuse(ctx, "-o template needs --template TEMPLATE")
    parsed = None
    if template is not None:
        from smscli.render.template import TemplateError, parse

        name, text = _saved_template(ctx, template)
        try:
            parsed = parse(text)
        except TemplateError as exc:
            refuse(ctx, f"--template{' @' + name if name else ''}: {exc}")
    marker = None
    if highlight or highlight_regex:
        from smscli.render.highlight import Highlighter, HighlightError

        try:
            marker = Highlighter(highlight or (), highlight_regex or (), warn=state.warn)
        except HighlightError as exc:
            refuse(ctx, str(exc))
    return Look(parsed, marker)


def _saved_template(ctx: typer.Context, template: str) -> tuple[str | None, str]:
    """``@NAME``: (NAME, the profile's templates.NAME); any other text is the template."""
    import re

    if not re.fullmatch(r"@[A-Za-z0-9_.-]+", template):
        return None, template
    name = template[1:]
    saved = ctx.obj.settings().templates
    if name not in saved:
        known = ", ".join(sorted(saved))
        where = f"profile {ctx.obj.settings().profile!r}" if ctx.obj.settings().profile \
            else "the config file (no profile is in use)"
        refuse(ctx, f"--template: no template {name!r} in {where}; "
               + (f"known: {known}" if known else "it has none (templates.NAME = \"...\")"))
    return name, saved[name]


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
