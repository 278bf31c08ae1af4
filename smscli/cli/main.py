"""The smscli application: global options, command groups and the one error boundary."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Annotated, Any

import typer

from smscli import __version__, threads
from smscli.cli import (
    completion_cmd,
    config_cmd,
    doctor_cmd,
    emulator_cmd,
    export_cmd,
    history_cmd,
    messages,
    record_cmd,
    sessions,
    tail_cmd,
)
from smscli.cli.fit import end_line
from smscli.cli.options import ColorOpt, JsonOpt, OutputOpt, TzOpt, UtcOpt
from smscli.cli.state import AppState
from smscli.errors import EXIT_ERROR, EXIT_INTERRUPTED, SmscliError
from smscli.render.output import OutputFlags
from smscli.safety import escape

app = typer.Typer(
    name="smscli",
    help="Look inside Genesys Web Services SMS sessions: list them, show one, dump or "
    "follow a transcript.\n\n\b\nExamples:\n  smscli --demo sessions list\n"
    "  smscli --demo messages 0000Na9B26EF002G\n"
    "  smscli --server https://gws.example.com --user agent1 sessions list --json | jq .",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(sessions.app, name="sessions",
              short_help="The agent's SMS sessions: list, show, watch, stats.")
app.command("messages", epilog=messages.EPILOG)(messages.messages)
app.command("tail", epilog=tail_cmd.EPILOG)(tail_cmd.tail)
app.command("record", epilog=record_cmd.EPILOG)(record_cmd.record)
app.add_typer(history_cmd.app, name="history",
              short_help="The local archive, offline: list, show, messages, search, import.")
app.add_typer(emulator_cmd.app, name="emulator")
app.add_typer(config_cmd.app, name="config")
app.command("export", epilog=export_cmd.EPILOG)(export_cmd.export)
app.command("doctor", epilog=doctor_cmd.EPILOG)(doctor_cmd.doctor)
app.command("completion", no_args_is_help=True, epilog=completion_cmd.EPILOG)(completion_cmd.completion)

_current: AppState | None = None
_terminal: tuple[bool, bool] | None = None  # main(terminal=...): what tests say the streams are


def _version(value: bool) -> None:
    if value:
        print(f"smscli {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    server: Annotated[str | None, typer.Option(
        metavar="URL", help="GWS base URL, e.g. https://gws.example.com (env SMSCLI_SERVER).",
        show_default=False)] = None,
    user: Annotated[str | None, typer.Option(
        metavar="NAME", help="GWS user name (env SMSCLI_USER). The password comes from SMSCLI_PASSWORD "
        "or a hidden prompt, never from the command line.", show_default=False)] = None,
    profile: Annotated[str | None, typer.Option(
        metavar="NAME", help="Profile from the config file (env SMSCLI_PROFILE).", show_default=False)] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
    ca_bundle: Annotated[str | None, typer.Option(
        "--ca-bundle", metavar="PATH", help="CA certificates to verify the server's TLS "
        "certificate with (env SMSCLI_CA_BUNDLE).", show_default=False)] = None,
    insecure: Annotated[bool, typer.Option(
        "--insecure", help="Do not verify the server's TLS certificate (warns on every run).")
    ] = False,
    demo: Annotated[bool, typer.Option(
        "--demo", help="Run against a built-in GWS emulator with live demo traffic "
        "(env SMSCLI_DEMO=1).")] = False,
    output: OutputOpt = None,
    json_: JsonOpt = False,
    color: ColorOpt = None,
    utc: UtcOpt = False,
    tz: TzOpt = None,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Trace HTTP exchanges (secrets redacted) and show tracebacks.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    global _current
    state = AppState(
        flags={"server": server, "user": user, "profile": profile, "demo": demo,
               "password_stdin": password_stdin, "ca_bundle": ca_bundle,
               "verify": False if insecure else None},
        global_flags=OutputFlags.of(output, json_, color, utc, tz),
        debug=debug or os.environ.get("SMSCLI_DEBUG", "") not in ("", "0"),
        terminal=_terminal,
    )
    _current = state
    ctx.obj = state
    ctx.call_on_close(state.close)


class OutputClosed(Exception):
    """The reader of stdout went away (``smscli ... | head -1``)."""


class _GuardedStdout:
    """stdout whose broken pipe becomes OutputClosed, which Click would otherwise turn into 1."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise OutputClosed() from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise OutputClosed() from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_command: Any = None


def _click_command() -> Any:
    """The Click command Typer builds from ``app``, built once: what ``app(...)`` would build
    again on each call (about 14 ms, which a process pays once but a test calling main()
    in-process pays every time)."""
    global _command
    if _command is None:
        _command = typer.main.get_command(app)
    return _command


def main(argv: list[str] | None = None, *, terminal: tuple[bool, bool] | None = None) -> int:
    """Run the app and turn every outcome into an exit code; never a traceback unless --debug.

    ``terminal``: (stdout, stderr) are terminals or not, whatever the streams say, so that a
    test can run the terminal paths in this process (the `Output` reads it)."""
    global _current, _terminal
    _current = None
    _terminal = terminal
    real_stdout = sys.stdout
    sys.stdout = _GuardedStdout(real_stdout)  # type: ignore[assignment]
    try:
        with threads.ctrl_c_remembered():
            _click_command()(args=argv, prog_name="smscli", standalone_mode=True)
        sys.stdout.flush()
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:  # Typer's word for a KeyboardInterrupt
            end_line()
        return _exit_code(exc.code)
    except SmscliError as exc:
        state = _current or AppState(terminal=terminal)
        if state.debug:
            traceback.print_exc()
        error = state.explain(exc)
        state.report(error)
        return error.exit_code
    except KeyboardInterrupt:
        end_line()
        return EXIT_INTERRUPTED
    except OutputClosed:
        return _quiet_broken_pipe(real_stdout)
    except Exception as exc:  # the last line of defence: a bug must still not dump a traceback
        if (_current and _current.debug) or os.environ.get("SMSCLI_DEBUG"):
            traceback.print_exc()
        print(f"smscli: internal error: {type(exc).__name__}: {escape(str(exc))[:300]}; "
              "rerun with --debug and report it", file=sys.stderr)
        return EXIT_ERROR
    finally:
        sys.stdout = real_stdout
    return 0


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _quiet_broken_pipe(stdout: Any) -> int:
    """Stop quietly with 0, like a reader that had all it wanted; silence the final flush."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
    except (OSError, ValueError):
        pass
    return 0


def run() -> None:
    sys.exit(main())
