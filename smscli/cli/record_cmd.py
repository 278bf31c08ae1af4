"""``smscli record``: keep every session of the agent in the local archive, until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from smscli.cli.history_cmd import ArchiveOpt
from smscli.cli.options import IntervalOpt, MaxRetriesOpt, PollOpt
from smscli.cli.state import AppState

EPILOG = (
    "\b\nExamples:\n"
    "  smscli --demo record --archive /tmp/demo.sqlite3\n"
    "  smscli record --redact\n"
    "  SMSCLI_ARCHIVE=~/sms.sqlite3 smscli --profile prod record --max-retries 20"
)


def record(
    ctx: typer.Context,
    archive: ArchiveOpt = None,
    redact: Annotated[bool, typer.Option(
        "--redact", help="Store phone numbers, e-mail addresses and long digit runs masked "
        "(in messages, user data and names), keeping the last four digits.")] = False,
    poll: PollOpt = False,
    interval: IntervalOpt = 1.0,
    max_retries: MaxRetriesOpt = None,
) -> None:
    """Keep every session of the agent in the local archive, until Ctrl-C (exit 0).

    Each message once, state changes with their times, participants, capabilities, user
    data, and when a session left the agent's list; sessions already over are kept too. A
    restart resumes where the archive ends, so a restart or a kill loses nothing the server
    still has. Read it with smscli history.
    """
    app_state: AppState = ctx.obj
    app_state.output()
    from smscli.archive.paths import resolve_path
    from smscli.archive.recorder import Recorder
    from smscli.archive.store import ArchiveError
    from smscli.archive.writing import WritableArchive
    from smscli.follow.tail import Tailer, TailOptions

    client = app_state.client()  # settings first: a missing server creates no archive
    path = resolve_path(archive, demo=app_state.settings().demo)
    opened = WritableArchive(path)  # a file that cannot be written says so before anything
    try:
        recorder = Recorder(opened, app_state.note, redact=redact)
        options = TailOptions(start_history=True, include_final=True, poll=poll,
                              interval=interval, max_retries=max_retries,
                              resume=recorder.resume)
        tailer = Tailer(client, options, app_state.note)
        recorder.attach(tailer.channel)
        app_state.note(f"recording into {path}{' (redacted)' if redact else ''}; "
                       "Ctrl-C to stop")
        try:
            for event in tailer.run():
                recorder.take(event)
        except KeyboardInterrupt:  # the one way a recording ends: a normal end, exit 0
            from smscli.cli.fit import end_line

            end_line()
        except ArchiveError:
            raise
        except BaseException:
            recorder.flush()  # what was taken in before the failure is kept
            raise
        finally:
            try:
                tailer.close()  # tells the server we leave; best effort, at most 2 s
            except KeyboardInterrupt:
                pass
        recorder.flush()
        app_state.note(recorder.summary())
    finally:
        opened.close()
