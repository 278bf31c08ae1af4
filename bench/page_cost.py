"""Where a page of a long dump goes, in CPU milliseconds, one layer at a time, in this process.

Against bench/prepared.py (started here), 100 pages of 1,000 messages as smscli asks for
them, each layer timed on its own (best of ``--runs`` passes; CPU time, steadier than wall
time on a busy machine):

- ``urllib3 pool``: the request on the pool that the requests session holds, its body read
  in one call: the floor of any HTTP client built on urllib3;
- ``requests``: ``Session.request`` and the body read in one call: what requests adds;
- ``transport.send``: smscli's request (deadline watch, body cap, ``_read_body``);
- ``client.get``: that, plus the envelope and the decoding (``envelope.parse_json``);
- ``iter_messages``: the whole transcript a page at a time, as a dump reads it (without
  the prefetching thread): requests, decoding and paging;
- ``decode``: ``envelope.parse_json`` of the bodies alone;
- ``ndjson``, ``plain``: the writers' ``messages(page)`` to /dev/null.

Each version is measured in child processes, ``--rounds`` of them, interleaved with those of
``--baseline DIR`` (another checkout, e.g. ``git archive`` of it, unpacked) when given.

Usage: python bench/page_cost.py [--runs 7] [--rounds 3] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SESSION = "0000BIG000100000"
PAGES = [(1, 1000)] + [(k * 1000, 1001) for k in range(1, 100)]


def best_ms(work: Callable[[], object], runs: int) -> float:
    """The fastest of ``runs`` passes, in CPU milliseconds a page."""
    work()  # warm: connections, caches
    times = []
    for _ in range(runs):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return min(times) * 1000 / len(PAGES)


def measure(url: str, runs: int) -> dict[str, float]:
    from urllib.parse import urlencode

    import requests

    from smscli import envelope, transport
    from smscli.client import GwsClient
    from smscli.render.base import TimeFormat
    from smscli.render.machine import NdjsonStream
from smscli.render.plain import PlainWriter

    client = GwsClient(url, "bench", "bench")
    path = f"/api/v2/me/smssessions/{SESSION}/messages"
    http = client.http
    pool = http.get_adapter(url).poolmanager.connection_from_url(url)
    headers = {**http.headers, "Authorization": requests.auth._basic_auth_str("bench", "bench")}
    got: dict[str, float] = {}

    def on_pool() -> None:
        for start, count in PAGES:
            query = urlencode({"startIndex": start, "count": count})
            answer = pool.urlopen("GET", f"{path}?{query}", headers=headers, redirect=False,
                                  preload_content=False, decode_content=False, retries=False)
            answer.read(int(answer.headers["Content-Length"]), decode_content=False)
            answer.release_conn()

    def on_requests() -> None:
        for start, count in PAGES:
            answer = http.request("GET", url + path, params={"startIndex": start,
                                                             "count": count},
                                  stream=True, allow_redirects=False, timeout=(5, 30))
            answer.raw.read(int(answer.headers["Content-Length"]), decode_content=False)
            answer.close()

    bodies: list[bytes] = []

    def on_transport() -> None:
        bodies.clear()
        for start, count in PAGES:
            answer = transport.send(http, "GET", url + path, client.limits, where="bench",
                                    timeout=(5, 30), params={"startIndex": start,
                                                             "count": count})
            bodies.append(answer.content)

    def on_client() -> None:
        for start, count in PAGES:
            client.get(path, {"startIndex": start, "count": count})

    def on_pages() -> None:
        for _ in client.iter_messages(SESSION, pages=True):
            pass

    got["urllib3 pool"] = best_ms(on_pool, runs)
    got["requests"] = best_ms(on_requests, runs)
    got["transport.send"] = best_ms(on_transport, runs)
    got["client.get"] = best_ms(on_client, runs)
    got["iter_messages"] = best_ms(on_pages, runs)
    got["decode"] = best_ms(lambda: [envelope.parse_json(b) for b in bodies], runs)
    pages = [envelope.parse_json(b)["messages"] for b in bodies]
    sink = open(os.devnull, "w", encoding="utf-8")

    def write_ndjson() -> None:
        stream = NdjsonStream(sink)
        for page in pages:
            stream.messages(page)

    def write_plain() -> None:
        stream = PlainWriter(sink, TimeFormat.from_options(False, None)).message_stream()
        for page in pages:
            stream.messages(page)

    got["ndjson"] = best_ms(write_ndjson, runs)
    got["plain"] = best_ms(write_plain, runs)
    client.close()
    return got


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7, help="passes in each round")
    parser.add_argument("--rounds", type=int, default=3, help="child processes per version")
    parser.add_argument("--baseline", type=Path, help="another smscli checkout to compare")
    parser.add_argument("--url", help=argparse.SUPPRESS)  # a child measuring a baseline
    args = parser.parse_args()
    if args.url:  # the child: print the figures as JSON
        print(json.dumps(measure(args.url, args.runs)))
        return
    server = subprocess.Popen([sys.executable, str(HERE / "prepared.py"), "--big", "100000"],
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    url = server.stdout.readline().split()[0]
    versions = {"now": HERE.parent}
    if args.baseline:
        versions = {"before": args.baseline.resolve(), **versions}
    columns: dict[str, dict[str, float]] = {}
    try:
        for _ in range(args.rounds):  # versions interleaved: a busy moment hits both
            for name, checkout in versions.items():
                env = {**os.environ, "PYTHONPATH": str(checkout)}
                out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--url",
                                      url, "--runs", str(args.runs)], env=env, cwd=checkout,
                                     capture_output=True, text=True, check=True).stdout
                got = json.loads(out)
                seen = columns.setdefault(name, got)
                for layer, value in got.items():
                    seen[layer] = min(seen[layer], value)
    finally:
        server.terminate()
        server.wait()
    print(f"CPU ms a page of 1,000 messages (best of {args.rounds} x {args.runs} passes "
          "of 100 pages)")
    print(f"{'layer':<16}" + "".join(f"{name:>10}" for name in columns))
    for layer in columns["now"]:
        print(f"{layer:<16}" + "".join(f"{c[layer]:>10.3f}" for c in columns.values()))


if __name__ == "__main__":
    main()
