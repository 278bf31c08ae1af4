"""Reading a transcript page by page: overlaps, repeated and -1 indexes, and a guard on progress.

GWS pages by message index (``startIndex``, ``count``). Indexes may repeat, jump, or be -1
(TranscriptSaveDone), so each next page starts at the last index seen rather than after it and
asks for as many more messages as it re-reads; what was already yielded is recognised by
message identity and skipped (docs/gws-notes.md, "Paging"). A server that ignores startIndex
or sends the same full page again is caught: the dump ends with a clear error instead of
printing the same messages forever.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

from smscli.errors import BadResponseError
from smscli.models import message_key, positive_index

Fetch = Callable[[int, int], list]  # (startIndex, count) -> the page's messages


class NoProgressError(BadResponseError):
    """The server keeps answering with messages we already have: retrying won't help."""


def iter_transcript(fetch: Fetch, start: int, size: int, prefetch: bool = False
                    ) -> Generator[Any, None, None]:
    """Every message from ``start`` on, each once, in server order."""
    pages = iter_pages(fetch, start, size, prefetch)
    try:
        for page in pages:
            yield from page
    finally:
        pages.close()  # at once, not when collected: the prefetching thread stops now


def iter_pages(fetch: Fetch, start: int, size: int, prefetch: bool = False
               ) -> Generator[list, None, None]:
    """The messages of ``iter_transcript`` a page at a time: lists, none empty, for a writer
    that takes a page in one call (a long dump). The lists may be the fetched pages
    themselves: read them, do not change them."""
    pages = _pages(fetch, max(start, 1), max(1, size))
    for page, overlap, sane in (prefetched(pages) if prefetch else pages):
        if sane:
            # Only the head of a page can repeat what was yielded: identify just those.
            head = len(overlap)
            if head:
                fresh = [raw for raw in page[:head] if message_key(raw) not in overlap]
                page = fresh + page[head:] if fresh else page[head:]
        elif overlap:
            page = [raw for raw in page if message_key(raw) not in overlap]
        if page:
            yield page


def _pages(fetch: Fetch, start: int, size: int) -> Iterator[tuple[list, set, bool]]:
    """Each page, the identities yielded before that it may repeat, and whether the server
    paged as asked (if not, the page holds only what is at or after the start index)."""
    overlap: set[tuple] = set()
    while True:
        want = size + len(overlap)
        page = fetch(start, want)
        full = len(page) >= want
        sane = _honours_start(page, start, len(overlap))
        if not sane:  # messages from before startIndex: this server ignores it
            page = [raw for raw in page if not _before(raw, start)]
        yield page, overlap, sane
        if not full:
            return
        next_start, next_overlap = tail_of_page(page, start)
        if next_start < start or (next_start == start and next_overlap <= overlap):
            raise NoProgressError(
                f"the server sent a full page at startIndex {start} with nothing new: "
                "no progress, stopping here",
                "the server does not page by startIndex as GWS does; try --debug")
        start, overlap = next_start, next_overlap


def _before(raw: Any, start: int) -> bool:
    index = positive_index(raw)
    return index is not None and index < start


def _honours_start(page: list, start: int, head: int) -> bool:
    """Whether the page begins where it was asked to (checked on its first indexed message)."""
    for raw in page[head:head + 4] if head < len(page) else page[:4]:
        index = positive_index(raw)
        if index is not None:
            return index >= start
    return True


def tail_of_page(page: list, start: int) -> tuple[int, set[tuple]]:
    """Where the next page starts (the highest index seen) and the messages already at it.

    A message without a positive index counts as part of the positive index before it, as the
    emulator does and as GWS's "index of the first returned message" suggests. Indexes rise
    through a page, so the tail is found walking back from its end.
    """
    last = _highest_index(page)
    if last is None or last <= start:
        # Nothing moved the index: the whole page sits at the start index.
        return start, {message_key(raw) for raw in page}
    tail = []
    for raw in reversed(page):
        index = positive_index(raw)
        if index is not None and index < last:
            break
        tail.append(raw)
    return last, {message_key(raw) for raw in tail}


def _highest_index(page: list) -> int | None:
    """The highest positive index in the page, or None: every message is looked at, so one
    out of order is not missed. The usual page (dicts whose indexes are ints) is read with one
    comprehension rather than a call per message."""
    try:
        indexes = [raw["index"] for raw in page]
    except (TypeError, KeyError, IndexError):
        indexes = []  # not every message is a dict with an index: the general path
    if indexes and set(map(type, indexes)) == {int}:
        highest = max(indexes)
        return highest if highest > 0 else None
    return max((i for i in map(positive_index, page) if i is not None), default=None)


@contextmanager
def fewer_collections(page_size: int) -> Iterator[None]:
    """Python's cyclic garbage collector set off far less often while a long transcript
    streams through, and as it was afterwards.

    A decoded page is some two containers a message, alive until written, then freed by
    reference counting. The collector counts containers made minus those freed and walks the
    young ones whenever the count passes 700: once a page, and now and then every object of
    the process, for cycles that pages do not have. With the bound at ten pages' worth, the
    pages in flight never reach it; cyclic garbage (a dump makes none a page: a full
    collection after a 100,000-message dump finds what a failed start-up leaves, some 1,800
    objects) is still collected once that much has piled up, so memory stays bounded.
    A threshold set higher elsewhere is kept.
    """
    import gc

    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 20 * page_size), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


_DONE = object()


def prefetched(pages: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Pages fetched by a background thread, at most ``depth`` ahead: the network and the
    server's work overlap with the rendering (bench/dump.py measures what it saves)."""
    import queue
    import threading

    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def fetch() -> None:
        try:
            for item in pages:
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            ready.put(exc)

    from smscli import threads

    threads.start(fetch, "smscli-prefetch")
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # the consumer stopped (limit, head, Ctrl-C): the fetcher stops too
