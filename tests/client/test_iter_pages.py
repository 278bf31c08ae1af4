"""A transcript a page at a time (``iter_messages(pages=True)``, paging.iter_pages): the
messages of the per-message walk, no page empty, the same overlaps skipped, the same guard.

The truth is the emulator's own transcript, read over HTTP from the real client; the pages'
messages joined must be it, message for message, whatever the page size, start, repeated
and -1 indexes (docs/gws-notes.md, "Paging").
"""

from __future__ import annotations

import threading
import time
from itertools import chain
from typing import Any

import pytest
from netkit import GwsServer
from test_client import bare_emulator, transcript_session

from smscli.client import ClientOptions, GwsClient
from smscli.models import message_key
from smscli.paging import NoProgressError


def client_for(url: str) -> GwsClient:
    return GwsClient(url, "demo", "demo", ClientOptions(read_timeout=10.0, connect_timeout=5.0))


INDEXES = [
    [1, 2, 3, 4, 5, 6],                # an exact multiple of the page size
    [1, 2, 3, 7, 8, 20, 21],           # gaps
    [1, 2, 3, -1],                     # TranscriptSaveDone at the end
    [1, 2, -1, 3, 4, -1, 5, 6, 7],     # -1 in the middle, on page boundaries
    [1, 2, 2, 3, 3, 3, 4],             # repeated indexes split across pages
    [1, 1, 1, 1, 1, 2],                # a page that is all one repeated index
    [],                                # nothing at all
]


@pytest.mark.parametrize("indexes", INDEXES)
@pytest.mark.parametrize("page_size", [1, 2, 3, 50])
@pytest.mark.parametrize("prefetch", [False, True])
def test_pages_hold_the_transcript_once_in_order(indexes: list[int], page_size: int,
                                                 prefetch: bool) -> None:
    with bare_emulator() as emu:
        session_id = transcript_session(emu, indexes)
        truth = emu.state.messages(session_id, 1, 0)
        with client_for(emu.url) as client:
            pages = list(client.iter_messages(session_id, page_size=page_size,
                                              prefetch=prefetch, pages=True))
            flat = list(client.iter_messages(session_id, page_size=page_size))
    assert all(isinstance(page, list) and page for page in pages)
    joined = list(chain.from_iterable(pages))
    assert joined == truth == flat
    assert [m["text"] for m in joined] == [f"m{n}" for n in range(len(indexes))]
    assert len({message_key(m) for m in joined}) == len(joined)
    if page_size < len(indexes):
        assert len(pages) > 1  # the overlaps were really crossed


@pytest.mark.parametrize("start", [2, 3, 4, 6])
@pytest.mark.parametrize("page_size", [1, 2, 5])
def test_pages_from_a_start_index(start: int, page_size: int) -> None:
    indexes = [1, 2, 2, 3, -1, 4, 5, 5, 6]
    with bare_emulator() as emu:
        session_id = transcript_session(emu, indexes)
        truth = emu.state.messages(session_id, start, 0)
        with client_for(emu.url) as client:
            pages = list(client.iter_messages(session_id, start=start, page_size=page_size,
                                              pages=True))
    assert list(chain.from_iterable(pages)) == truth
    assert truth  # the start is inside the transcript


def test_the_fetched_pages_are_not_changed_by_the_walk() -> None:
    """A page handed on may be the fetched list itself; the walk never edits what a fetch
    returned (the tail of each page is read again to find the next start)."""
    transcript = [{"index": i // 2 + 1, "type": "Text", "text": f"m{i}"} for i in range(9)]
    fetched: list[tuple[list, list]] = []

    def fetch(start: int, count: int) -> list:
        page = [m for m in transcript if m["index"] >= start][:count]
        fetched.append((page, [dict(m) for m in page]))
        return page

    from smscli.paging import iter_pages

    pages = list(iter_pages(fetch, 1, 3))
    assert list(chain.from_iterable(pages)) == transcript
    assert all(page == copy for page, copy in fetched)


def test_a_server_ignoring_start_index_stops_the_page_walk_too() -> None:
    with GwsServer(history=5) as server:
        server.same_page = True
        with client_for(server.url) as client, pytest.raises(NoProgressError):
            for _ in client.iter_messages(server.session_id, page_size=2, pages=True):
                pass


def _prefetchers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "smscli-prefetch"]


def test_closing_the_page_walk_stops_its_prefetching_thread() -> None:
    with bare_emulator() as emu:
        session_id = transcript_session(emu, list(range(1, 200)))
        with client_for(emu.url) as client:
            before = len(_prefetchers())
            pages: Any = client.iter_messages(session_id, page_size=5, prefetch=True,
                                              pages=True)
            first = next(pages)
            assert [m["index"] for m in first] == [1, 2, 3, 4, 5]
            pages.close()
            deadline = time.monotonic() + 10  # generous: two busy cores
            while len(_prefetchers()) > before and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(_prefetchers()) == before
