"""``history search`` itself, and a way to run it without loading Typer: a search is over in
a few milliseconds, and Typer alone takes longer than that to import.

``main(argv)`` answers ``history search QUERY`` with the options it knows and returns the
exit code, or None for anything else (then Typer runs, as always). smscli/entry.py calls it
before loading Typer; both paths run ``run_search``.
"""

from __future__ import annotations

import sys
from typing import Any

_VALUED = {"--archive": "archive", "--limit": "limit", "-n": "limit", "--output": "output",
           "-o": "output", "--color": "color", "--tz": "tz", "--session": "session_id",
           "--since": "since", "--until": "until", "--type": "types", "-t": "types",
           "--state": "state", "--customer": "customer", "--agent": "agent"}
_REPEATED = {"types", "state", "customer", "agent"}
_FORMATS = ("table", "plain", "json", "ndjson")
_COLORS = ("auto", "always", "never")


def run_search(output: Any, query: str, *, limit: int = 20, session_id: str | None = None,
               types: list[str] | None = None, state: list[str] | None = None,
               customer: list[str] | None = None, agent: list[str] | None = None,
               since: str | None = None, until: str | None = None,
               archive: str | None = None, demo: bool = False) -> None:
    """Search and print the hits on ``output`` (render/output.py's Output); ``demo``: the
    demo's archive is the default (archive/paths.py)."""
    from smscli.archive.paths import resolve_path
    from smscli.archive.reading import SessionFilter
    from smscli.archive.search import search
    from smscli.archive.searchout import write_hits
    from smscli.archive.store import Archive
    from smscli.when import moment_ms

    def when(text: str | None, option: str) -> int | None:
        return None if text is None else moment_ms(text, option)

    wanted = SessionFilter(tuple(state or ()), tuple(customer or ()), tuple(agent or ()))
    with Archive(resolve_path(archive, demo=demo)) as opened:
        hits = search(opened, query, limit=limit, sessions=wanted, session_id=session_id,
                      types=types, since=when(since, "--since"), until=when(until, "--until"))
    if output.template is not None:
        from smscli.archive.searchout import template_lines
        from smscli.render.template import TemplateLines

        output.stdout.write(template_lines(hits, output.times, TemplateLines(output)))
        return
    write_hits(hits, output.format.value, output.stdout, output.times, output.color,
               output.highlight)


def main(argv: list[str]) -> int | None:
    """Run ``history search`` from ``argv`` (without the program name) if every option is
    one this parser knows; None otherwise, and nothing has been done."""
    if argv[:2] != ["history", "search"]:
        return None
    parsed = _parse(argv[2:])
    if parsed is None:
        return None
    from smscli.errors import SmscliError
    from smscli.render.output import Output

    query = parsed.pop("query")
    output = Output()  # for an error before the flags are understood
    try:
        output = _output(parsed)
        run_search(output, query, **parsed)
        sys.stdout.flush()
    except SmscliError as exc:
        output.error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet()
    return 0


def _output(parsed: dict[str, Any]) -> Any:
    """The Output that AppState.output() builds from the same flags (cli/state.py): the
    profile's time zone unless --utc or --tz decide."""
    from smscli.render.output import Color, Format, Output, OutputFlags

    fmt, color = parsed.pop("output", None), parsed.pop("color", None)
    flags = OutputFlags(format=Format(fmt) if fmt else None,
                        color=Color(color) if color else None,
                        utc=parsed.pop("utc", False), tz=parsed.pop("tz", None))
    zone = None
    if not (flags.tz or flags.utc):
        from smscli import config

        settings = config.resolve({})
        for warning in settings.warnings:
            Output().warn(warning)
        zone = settings.tz
    return Output.build(flags, zone=zone)


def _parse(args: list[str]) -> dict[str, Any] | None:
    """The options of a plain search, or None for anything this does not know (help,
    abbreviations, a bad value: Typer then says what it says)."""
    found: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if arg == "--":
            positional += args[i + 1:]
            break
        if arg in ("--json", "--utc"):
            if arg == "--json":
                found["output"] = "json"
            else:
                found["utc"] = True
            i += 1
            continue
        if name in _VALUED and name.startswith("--") or arg in _VALUED:
            key = _VALUED[name if eq else arg]
            if not eq:
                if i + 1 >= len(args):
                    return None
                value = args[i + 1]
                i += 1
            if key in _REPEATED:
                found.setdefault(key, []).append(value)
            else:
                found[key] = value
            i += 1
            continue
        if arg.startswith("-") and arg != "-":
            return None
        positional.append(arg)
        i += 1
    if len(positional) != 1:
        return None
    found["query"] = positional[0]
    if "limit" in found:
        if not found["limit"].isdigit() or int(found["limit"]) < 1:
            return None
        found["limit"] = int(found["limit"])
    if found.get("output") not in (None, *_FORMATS) or found.get("color") not in (None,
                                                                                 *_COLORS):
        return None
    return found


def _quiet() -> None:
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
