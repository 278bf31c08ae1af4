"""Where the archive lives, and creating its directory and file private from the start."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

FILE_NAME = "archive.sqlite3"
DEMO_FILE_NAME = "demo-archive.sqlite3"  # with --demo: the demo never mixes into your archive


def default_path(environ: Mapping[str, str] | None = None,
                 platform: str | None = None) -> Path:
    """The platform's data directory: $XDG_DATA_HOME or ~/.local/share on Linux and the BSDs,
    ~/Library/Application Support on macOS, %LOCALAPPDATA% on Windows; then smscli/."""
    env = os.environ if environ is None else environ
    system = platform or sys.platform
    home = Path(env.get("HOME") or Path.home())
    if system == "darwin":
        base = home / "Library" / "Application Support"
    elif system.startswith("win"):
        base = Path(env.get("LOCALAPPDATA") or home / "AppData" / "Local")
    else:
        xdg = env.get("XDG_DATA_HOME", "")
        # The XDG spec: a relative value is invalid and is to be ignored.
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base / "smscli" / FILE_NAME


def resolve_path(flag: str | Path | None, environ: Mapping[str, str] | None = None, *,
                 demo: bool = False) -> Path:
    """--archive PATH, else SMSCLI_ARCHIVE, else the default; with ``demo`` (--demo) the
    default is a file of its own beside it, so the demo's sessions stay out of the archive
    of a real server."""
    env = os.environ if environ is None else environ
    if flag:
        return Path(flag).expanduser()
    if env.get("SMSCLI_ARCHIVE"):
        return Path(env["SMSCLI_ARCHIVE"]).expanduser()
    path = default_path(env)
    return path.with_name(DEMO_FILE_NAME) if demo else path


def create_private(path: Path) -> None:
    """Make the directories (0700, each one we create) and an empty file (0600) at ``path``.

    Both are created with their final mode (os.mkdir and os.open take it; the umask can only
    take bits away), so the archive is never readable by others, not even for a moment.
    SQLite creates the -wal and -shm files with the mode of the database file.
    """
    missing: list[Path] = []
    parent = path.parent
    while not parent.exists():
        missing.append(parent)
        if parent.parent == parent:
            break
        parent = parent.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # made by another process at the same moment: it is theirs to have made
    os.close(fd)
