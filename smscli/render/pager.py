"""A pager for long table output on a terminal, started only once there is something to show."""

from __future__ import annotations

import io
import os
import shlex
import subprocess
import sys
from typing import IO

DEFAULT_PAGER = "less -FRX"


def pager_command(environ: dict[str, str] | None = None) -> list[str] | None:
    """SMSCLI_PAGER, then PAGER, then ``less -FRX``; an empty value or ``cat`` means none."""
    env = os.environ if environ is None else environ
    value = env.get("SMSCLI_PAGER")
    if value is None:
        value = env.get("PAGER")
    if value is None:
        value = DEFAULT_PAGER
    try:
        words = shlex.split(value)
    except ValueError:
        return None
    if not words or words == ["cat"]:
        return None
    return words


def pager_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Our environment without any SMSCLI_* variable, and ``LESS=FRX`` unless set.

    SMSCLI_PASSWORD is among them: a pager, or a program it starts (``less`` runs an editor
    or a shell command), has no business with our secrets. ``LESS=FRX`` as git does: colours
    through, and quit at once when the text fits one screen.
    """
    env = os.environ if environ is None else environ
    clean = {key: value for key, value in env.items() if not key.startswith("SMSCLI_")}
    clean.setdefault("LESS", "FRX")
    return clean


class LazyPager(io.TextIOBase):
    """Text written here goes to the pager, which starts at the first write (none for nothing).

    If the pager cannot be started, output goes to stdout instead. Closing waits for the
    pager, so the prompt comes back only after the user quits it.
    """

    def __init__(self, command: list[str], fallback: IO[str] | None = None) -> None:
        self.command = command
        self.fallback = fallback or sys.stdout
        self._proc: subprocess.Popen | None = None
        self._stream: IO[str] | None = None

    def _open(self) -> IO[str]:
        if self._stream is None:
            env = pager_environment()
            try:
                self._proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, env=env)
            except OSError:
                self._stream = self.fallback
            else:
                assert self._proc.stdin is not None
                self._stream = io.TextIOWrapper(self._proc.stdin, encoding="utf-8",
                                                errors="replace")
        return self._stream

    def write(self, text: str) -> int:
        return self._open().write(text)

    def flush(self) -> None:
        if self._stream is not None and not self._stream.closed:
            self._stream.flush()

    def isatty(self) -> bool:
        return True

    def close(self) -> None:
        """Hand the rest to the pager and wait for the user to quit it."""
        try:
            if self._stream is not None and self._stream is not self.fallback:
                self._stream.close()
        except (BrokenPipeError, ValueError):
            pass  # the user quit before the end: that is fine
        finally:
            if self._proc is not None:
                self._proc.wait()
            super().close()
