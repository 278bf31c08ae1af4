"""``smscli __complete KIND WORDS...``: session ids and profile names for a TAB, fast and silent.

This runs before Typer, Rich or requests are imported (requests only on a cache miss), prints
``value<TAB>description`` lines and nothing else: on any failure, a missing password or a
server that does not answer within the budget, it prints nothing and exits 0.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from smscli import threads

if TYPE_CHECKING:
    from smscli.config import Settings

BUDGET_S = 0.75  # the whole TAB, interpreter start-up included, must stay under a second
CACHE_TTL_S = 60.0
_VALUE_FLAGS = {"--server": "server", "--user": "user", "--profile": "profile",
                "--ca-bundle": "ca_bundle"}
Row = tuple[str, str]


def budget(environ: dict[str, str] | None = None) -> float:
    """Seconds a TAB may wait for the server: BUDGET_S, or SMSCLI_COMPLETION_TIMEOUT (0.1 to
    10) for a slow link; a value that is not a number is ignored (a TAB never errs)."""
    text = (os.environ if environ is None else environ).get("SMSCLI_COMPLETION_TIMEOUT", "")
    try:
        value = float(text)
    except ValueError:
        return BUDGET_S
    return min(10.0, max(0.1, value)) if value == value else BUDGET_S


def main(argv: list[str]) -> int:
    """Answer ``__complete`` with ``argv`` = KIND WORDS...; returns the exit code, always 0."""
    deadline = time.monotonic() + budget()
    _silence_stderr()
    kinds = {"sessions": lambda words: sessions(flags_from_words(words), deadline),
             "profiles": lambda words: profiles(), "zones": lambda words: zones()}
    if not argv or argv[0] not in kinds:
        return 0
    rows: list[Row] = []

    def work() -> None:
        try:
            rows.extend(kinds[argv[0]](argv[1:]))
        except BaseException:  # noqa: BLE001 - a TAB shows nothing rather than an error
            rows.clear()

    # In a thread, so that a hung DNS lookup, TLS handshake or keyring cannot hold the prompt.
    worker = threads.start(work, "smscli-complete")
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        os._exit(0)
    with contextlib.suppress(Exception):  # a closed pipe, an odd value: still nothing shown
        sys.stdout.write("".join(_line(value, note) for value, note in rows))
        sys.stdout.flush()
    return 0


def _silence_stderr() -> None:
    """Library warnings (urllib3's InsecureRequestWarning, a keyring backend) must not show."""
    import warnings

    warnings.simplefilter("ignore")
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)  # C code writing to fd 2 too
        os.close(devnull)
    except OSError:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of this short process


def _line(value: str, note: str) -> str:
    """``value<TAB>note``; server text made inert, and values a terminal would act on dropped.

    A value starting with ``-`` is dropped too: completed onto the command line, a server's
    session id such as ``--server=http://evil`` would be read as an option.
    """
    from smscli.safety import escape

    if not value or value.startswith("-") or escape(value) != value:
        return ""
    note = escape(" ".join(note.split()))[:60]
    return f"{value}\t{note}\n" if note else f"{value}\n"


def flags_from_words(words: list[str]) -> dict:
    """--server, --user, --profile, --ca-bundle, --demo and --insecure from the command line."""
    flags: dict = {}
    remaining = iter(words)
    for word in remaining:
        word = _unquote(word)
        if word == "--":
            break
        name, equals, inline = word.partition("=")
        if name in _VALUE_FLAGS:
            value = inline if equals else next(remaining, None)
            if value is not None:
                flags[_VALUE_FLAGS[name]] = os.path.expanduser(_unquote(value))
        elif word == "--demo":
            flags["demo"] = True
        elif word == "--insecure":
            flags["verify"] = False
    return flags


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def profiles() -> list[Row]:
    """The profile names of the config file, each with its server."""
    from urllib.parse import urlsplit

    from smscli.config import load_config_file

    table = load_config_file().get("profiles")
    if not isinstance(table, dict):
        return []
    rows = []
    for name, profile in table.items():
        server = profile.get("server") if isinstance(profile, dict) else None
        if not isinstance(server, str) or "@" in urlsplit(server).netloc:
            server = ""  # a URL with credentials in it is not shown on the screen
        rows.append((str(name), server))
    return rows


def zones() -> list[Row]:
    """IANA time zone names for --tz, from the system's zone database (no network), and UTC."""
    from zoneinfo import available_timezones

    names = available_timezones() | {"UTC"}
    return [(name, "") for name in sorted(names) if not name.startswith(("posix/", "right/"))]


def sessions(flags: dict, deadline: float) -> list[Row]:
    """(id, state) of the sessions on the server the command line would use, cached a minute."""
    from smscli.config import resolve

    settings = resolve(flags)
    server, user = ("demo", "demo") if settings.demo else (settings.server, settings.user)
    if not server or not user:
        return []
    cache = cache_file(server, user)
    cached = read_cache(cache)
    if cached is not None:
        return cached
    rows = _demo_sessions() if settings.demo else _server_sessions(settings, deadline)
    write_cache(cache, rows)
    return rows


def _demo_sessions() -> list[Row]:
    from smscli.emulator.scenario import build_demo_state

    return _rows(build_demo_state().list_sessions())


def _server_sessions(settings: Settings, deadline: float) -> list[Row]:
    from urllib.parse import urlsplit

    from smscli.client import ClientOptions, GwsClient

    server = settings.server or ""
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return []
    password = settings.password(prompt=False)
    left = max(0.05, deadline - time.monotonic())
    options = ClientOptions(connect_timeout=left, read_timeout=left, retries=0,
                            verify=settings.ca_bundle or settings.verify)
    with GwsClient(server, settings.user, password, options) as client:
        return _rows(client.list_sessions())


def _rows(found: list) -> list[Row]:
    return [(str(s["id"]), str(s.get("state") or "")) for s in found
            if isinstance(s, dict) and s.get("id")]


# -- the cache: ids and states only, never a credential --------------------------------------


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/smscli``, else ``~/.cache/smscli``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "smscli"


def cache_file(server: str, user: str) -> Path:
    import hashlib

    digest = hashlib.sha256(f"{server}\0{user}".encode()).hexdigest()[:32]
    return cache_dir() / f"sessions-{digest}.json"


def read_cache(path: Path, now: float | None = None) -> list[Row] | None:
    """The rows stored less than CACHE_TTL_S ago in a file of ours, else None."""
    import json

    try:
        with open(path, "rb") as stream:
            if os.fstat(stream.fileno()).st_uid != os.getuid():
                return None
            document = json.load(stream)
        age = (time.time() if now is None else now) - float(document["time"])
        if not 0 <= age < CACHE_TTL_S:
            return None
        return [(str(value), str(note)) for value, note in document["sessions"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_cache(path: Path, rows: list[Row]) -> None:
    """Write atomically, mode 0600 in a 0700 directory; a cache that cannot be written is skipped."""
    import json

    from smscli.files import write_private

    try:
        write_private(path, json.dumps({"time": time.time(), "sessions": rows}))
    except OSError:
        pass
