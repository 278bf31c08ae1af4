"""``history import``: transcripts as ``messages -o json``/``-o ndjson`` and ``export ...
.json`` write them (and ndjson records that carry a ``sessionId``, or follow events)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from smscli.archive.writing import WritableArchive
from smscli.errors import SmscliError, UsageError

BATCH = 20_000  # messages a transaction: a smaller file is imported whole or not at all


@dataclass
class ImportReport:
    new: dict[str, int] = field(default_factory=dict)  # session id -> messages new
    seen: dict[str, int] = field(default_factory=dict)  # session id -> messages in the file
    named_after_file: str | None = None  # the session id taken from the file's name


class _NotJson(SmscliError):
    pass


def _parse(data: bytes) -> Any:
    from smscli.envelope import NOT_JSON, parse_json

    value = parse_json(data)
    if value is NOT_JSON:
        raise _NotJson("not JSON")
    return value


def records(stream: IO[bytes], name: str) -> Iterator[tuple[str, Any]]:
    """What a file holds, as ("message", raw) with a "sessionId" if it carried one, or
    ("session", object). A JSON document (an array of messages, a session object) or ndjson."""
    head = stream.read(65536)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    first = head.lstrip()[:1]
    if first == b"{":
        line, _, rest = head.lstrip().partition(b"\n")
        try:
            whole_line = isinstance(_parse(line), dict) and (rest or line.endswith(b"}"))
        except _NotJson:
            whole_line = False
        if whole_line:
            yield from _ndjson(head, stream, name)
            return
    data = head + stream.read()
    try:
        document = _parse(data)
    except _NotJson:
        raise SmscliError(f"{name} is neither JSON nor ndjson",
                          "import what smscli messages -o json, -o ndjson or export "
                          "... .json wrote") from None
    if isinstance(document, list):
        for raw in document:
            yield "message", raw
    elif isinstance(document, dict):
        yield _record(document)
    else:
        raise SmscliError(f"{name} holds no transcript (a JSON {type(document).__name__})")


def _ndjson(head: bytes, stream: IO[bytes], name: str) -> Iterator[tuple[str, Any]]:
    number = 0
    pending = head
    while True:
        chunk = stream.read(1 << 20)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        if not chunk:
            lines.append(pending)
        for line in lines:
            number += 1
            if not line.strip():
                continue
            try:
                yield _record(_parse(line))
            except _NotJson:
                raise SmscliError(f"{name} line {number} is not JSON",
                                  "the lines before it were imported") from None
        if not chunk:
            return


def _record(value: Any) -> tuple[str, Any]:
    if isinstance(value, dict):
        if "event" in value and isinstance(value.get("smssession"), dict):
            return "session", value["smssession"]  # a follow's --events record
        if "id" in value and "index" not in value and (
                "participants" in value or "state" in value):
            return "session", value  # sessions show -o json
    return "message", value


def import_file(archive: WritableArchive, path: str, session_id: str | None = None,
                redact: bool = False) -> ImportReport:
    """Store what the file holds; each message once however often it is imported."""
    if path == "-":
        return _import(archive, sys.stdin.buffer, "stdin", session_id, redact)
    try:
        with open(path, "rb") as stream:
            return _import(archive, stream, path, session_id
                           or _default_id(path), redact, named=session_id is None)
    except OSError as exc:
        raise SmscliError(f"cannot read {path}: {exc.strerror or exc}") from None


def _default_id(path: str) -> str:
    name = Path(path).name
    for suffix in (".ndjson", ".jsonl", ".json"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _import(archive: WritableArchive, stream: IO[bytes], name: str, fallback_id: str | None,
            redact: bool, named: bool = False) -> ImportReport:
    report = ImportReport()
    steps: list[tuple[str, Any]] = []  # for one transaction
    group: list[Any] = []
    group_id: str | None = None
    held = 0
    used_fallback = False
    now = time.time()
    mask: Any = None
    if redact:
        from smscli.redact import redact_value as mask

    def close_group() -> None:
        nonlocal group
        if group_id is not None and group:
            steps.append(("messages", (group_id, group)))
            report.seen[group_id] = report.seen.get(group_id, 0) + len(group)
        group = []

    def commit() -> None:
        nonlocal held
        close_group()
        if steps:
            for session_id, new in archive.import_batch(steps, now).items():
                report.new[session_id] = report.new.get(session_id, 0) + new
                report.seen.setdefault(session_id, 0)
        steps.clear()
        held = 0

    for kind, value in records(stream, name):
        if mask is not None:
            value = mask(value)
        if kind == "session":
            close_group()
            steps.append(("session", value))
            continue
        owner = value.pop("sessionId", None) if isinstance(value, dict) else None
        if not isinstance(owner, str) or not owner:
            if fallback_id is None:
                raise UsageError(f"{name} does not say which session it is",
                                 "add --session ID")
            owner = fallback_id
            used_fallback = True
        if owner != group_id:
            close_group()
            group_id = owner
        group.append(value)
        held += 1
        if held >= BATCH:
            commit()
    commit()
    if used_fallback and named:
        report.named_after_file = fallback_id
    return report
