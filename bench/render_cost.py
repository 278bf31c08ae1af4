"""Microseconds a message of each transcript format's own work, without network or threads.

A dump's wall time mixes start-up, the server, the HTTP client, JSON decoding and the writer,
with two threads sharing one interpreter lock. This measures the writer's share alone: a
synthetic transcript (the one bench/prepared.py serves) is decoded once with
envelope.parse_json, then each format writes it to /dev/null through a text stream, as a dump
writes to stdout (table with colour at 80 columns). The paging layer's per-page work
(paging.tail_of_page) is timed too.

``--baseline DIR`` times another checkout of smscli the same way (a subprocess with
PYTHONPATH=DIR), the runs interleaved, so before and after come from one run.

Usage: python bench/render_cost.py [--messages 20000] [--runs 5] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMATS = ("ndjson", "json", "plain", "table")


def one_run(size: int) -> dict[str, float]:
    """Microseconds a message for each format (and the paging tail), in this interpreter."""
    from smscli.emulator.scenario import add_big_session
    from smscli.emulator.state import EmulatorState
    from smscli.envelope import parse_json
    from smscli.paging import tail_of_page
    from smscli.render import Output, TimeFormat, make_renderer

    state = EmulatorState()
    session_id = add_big_session(state, size)
    body = b'{"messages":[' + b",".join(state.encoded_messages(session_id, 1, 0)) + b"]}"
    messages = parse_json(body)["messages"]
    result: dict[str, float] = {}
    with open(os.devnull, "w", encoding="utf-8") as out:
        for fmt in FORMATS:
            options = Output(format=fmt, color=True, times=TimeFormat(None), width=80)
            renderer = make_renderer(options, out)
            started = time.perf_counter()
            renderer.transcript(iter(messages))
            result[fmt] = (time.perf_counter() - started) / size * 1e6
    pages = [messages[start:start + 1001] for start in range(0, size, 1000)]
    started = time.perf_counter()
    for number, page in enumerate(pages):
        tail_of_page(page, number * 1000 + 1)
    result["paging tail"] = (time.perf_counter() - started) / size * 1e6
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another smscli checkout to compare")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(args.messages)))
        return
    versions = {"now": HERE.parent}
    if args.baseline:
        versions = {"before": args.baseline.resolve(), "now": HERE.parent}
    got: dict[str, list[dict[str, float]]] = {v: [] for v in versions}
    for _ in range(args.runs):  # interleaved: a noisy moment lands on every version alike
        for version, path in versions.items():
            env = {**os.environ, "PYTHONPATH": str(path)}
            out = subprocess.run([sys.executable, __file__, "--one", "--messages",
                                  str(args.messages)], env=env, check=True,
                                 capture_output=True, text=True).stdout
            got[version].append(json.loads(out))
    print(f"us a message, median of {args.runs} runs of {args.messages:,} messages")
    print(f"{'':<12}" + "".join(f"{v:>10}" for v in versions))
    for key in got["now"][0]:
        print(f"{key:<12}" + "".join(
            f"{statistics.median(run[key] for run in got[v]):>10.2f}" for v in versions))


if __name__ == "__main__":
    main()
