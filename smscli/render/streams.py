"""Writing a transcript to a MessageStream: a message or a page at a time, and what is
written still goes out when the transcript breaks off."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from smscli.render.base import MessageStream

FLUSH_EVERY_S = 0.05  # a dump's reader sees lines within this, without a write per line

if TYPE_CHECKING:  # a class made only for the type checker: nothing to build at start-up
    class PageStream(MessageStream, Protocol):
        """A stream that also takes a page of messages in one call."""

        def messages(self, page: list) -> None: ...


def write_all(stream: MessageStream, messages: Iterable[Any]) -> int:
    """Write every message to a stream and close it; returns how many were written."""
    count = 0
    try:
        for raw in messages:
            stream.message(raw)
            count += 1
    except BaseException:
        drain(stream)
        raise
    stream.close()
    return count


def write_pages(stream: PageStream, pages: Iterable[list]) -> int:
    """``write_all`` of the messages of ``pages``, a page (a list) to a call: the same bytes,
    without a Python call per message on the way (a long dump: paging.iter_pages)."""
    count = 0
    try:
        for page in pages:
            stream.messages(page)
            count += len(page)
    except BaseException:
        drain(stream)
        raise
    stream.close()
    return count


def drain(stream: Any) -> None:
    """The transcript broke off (the network, Ctrl-C): what was rendered still goes out, as
    it would have from the text stream's own buffer."""
    drain = getattr(stream, "drain", None)
    if drain is not None:
        with contextlib.suppress(Exception):
            drain()
