"""Files written whole or not at all: config, follow cursors, completion cache, exports."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def interrupt_deferred() -> Iterator[None]:
    """A Ctrl-C that comes during the block takes effect when it ends, not half-way through.

    For writes that record what was already done (a follow's cursor after a printed line):
    interrupted, they would be lost while the work they record is not. Only the main thread
    receives signals; elsewhere the block runs as it is.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple] = []
    previous = signal.signal(signal.SIGINT, lambda *received: caught.append(received))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            if callable(previous):
                previous(*caught[0])  # Python's own handler raises KeyboardInterrupt here
            elif previous == signal.SIG_DFL:
                os.kill(os.getpid(), signal.SIGINT)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file, then a rename), mode 0600.

    A crash never leaves half a file, and the file is never readable by others, even for a
    moment: it may hold a password or a session's position.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # made 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


@contextmanager
def atomic_text_file(path: Path) -> Iterator[IO[str]]:
    """A UTF-8 file that appears whole at ``path`` on success and not at all on any error.

    A new file has mode 0600 (a transcript holds customer data). A regular file it replaces
    keeps its mode. A symbolic link at ``path`` is replaced by a new 0600 file, like any
    new file: the link's target is neither written nor consulted for a mode, so a link to a
    world-readable file cannot make an export world-readable, and a link planted into
    another place cannot redirect the write there.
    """
    from smscli.errors import SmscliError

    directory = path.parent if str(path.parent) else Path(".")
    try:
        info = os.lstat(path)
    except OSError:
        mode = None
    else:
        mode = stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                         dir=directory)  # made 0600
    except OSError as exc:
        raise SmscliError(f"cannot write {path}: {exc.strerror or exc}",
                          "check that the directory exists and is writable") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)  # a rename replaces a link itself, never its target
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):  # a full disk, FILE a directory: not a bug of ours
            raise SmscliError(f"cannot write {path}: {exc.strerror or exc}",
                              "nothing was written; check the path and the free space"
                              ) from None
        raise
