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


def run_search(app_state: Any, query: str, *, limit: int = 20, session_id: str | None = None,
               types: list[str] | None = None, state: list[str] | None = None,
               customer: list[str] | None = None, agent: list[str] | None = None,
               since: str | None = None, until: str | None = None,
               archive: str | None = None, choice: Any = None) -> None:
    from smscli.archive.paths import resolve_path
    from smscli.archive.reading import SessionFilter
    from smscli.archive.search import search
    from smscli.archive.searchout import write_hits
    from smscli.archive.store import Archive
    from smscli.archive.when import moment_ms

    options = app_state.output_options(choice)

    def when(text: str | None, option: str) -> int | None:
        return None if text is None else moment_ms(text, option)

    wanted = SessionFilter(tuple(state or ()), tuple(customer or ()), tuple(agent or ()))
    with Archive(resolve_path(archive)) as opened:
        hits = search(opened, query, limit=limit, sessions=wanted, session_id=session_id,
                      types=types, since=when(since, "--since"), until=when(until, "--until"))
    write_hits(hits, options.format, sys.stdout, options.times, options.color)


def main(argv: list[str]) -> int | None:
    """Run ``history search`` from ``argv`` (without the program name) if every option is
    one this parser knows; None otherwise, and nothing has been done."""
    if argv[:2] != ["history", "search"]:
        return None
    parsed = _parse(argv[2:])
    if parsed is None:
        return None
    from smscli.errors import SmscliError

    query = parsed.pop("query")
    choice = _Choice(parsed.pop("output", None), parsed.pop("color", None),
                     parsed.pop("utc", False), parsed.pop("tz", None))
    app_state = _State()
    try:
        run_search(app_state, query, choice=choice, **parsed)
        sys.stdout.flush()
    except SmscliError as exc:
        app_state.report(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _quiet()
    return 0


class _Choice:
    def __init__(self, output: str | None, color: str | None, utc: bool,
                 tz: str | None) -> None:
        self.output, self.color, self.utc, self.tz = output, color, utc, tz


class _State:
    """What run_search needs of cli/state.py's AppState, as it does it, without loading the
    parts (the client, settings of every kind) a search never uses."""

    format_in_use = "plain"

    def output_options(self, choice: _Choice) -> Any:
        from smscli.render.base import (
            OutputOptions,
            TimeFormat,
            color_enabled,
            default_format,
        )

        isatty = sys.stdout.isatty()
        fmt = choice.output or default_format(isatty)
        self.format_in_use = fmt
        color = fmt == "table" and color_enabled(choice.color or "auto", isatty)
        zone = choice.tz
        if zone is None and not choice.utc:
            from smscli import config

            settings = config.resolve({})
            for warning in settings.warnings:
                self.say(f"warning: {warning}")
            zone = settings.tz
        return OutputOptions(format=fmt, color=color,
                             times=TimeFormat.from_options(choice.utc, zone),
                             relative_times=fmt == "table" and isatty)

    def say(self, message: str) -> None:
        from smscli.safety import escape

        print(f"smscli: {escape(message)}", file=sys.stderr, flush=True)

    def report(self, error: Any) -> None:
        hint = f"; {error.hint}" if error.hint else ""
        self.say(f"error: {error.message}{hint}")
        if self.format_in_use in ("json", "ndjson"):
            import json

            print(json.dumps(error.to_dict(), ensure_ascii=False), file=sys.stderr, flush=True)


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
