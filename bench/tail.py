"""`smscli tail` over many busy sessions: loss, duplicates, publish-to-stdout latency, and how
many CometD clients it used.

The emulator (in this process, the "busy" scenario: 50 Chatting sessions) gets traffic at
--rate messages a second across its sessions, with its lifecycle on (a session arrives, one
leaves the chat, one completes, every 10 s); `smscli tail -o ndjson` runs as a real process.
Latency is from the moment the emulator publishes a message to the moment its line is read
from tail's stdout. Loss and duplicates compare every line with the emulator's transcripts.

Usage: python bench/tail.py [--sessions 50] [--rate 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(sessions: int, rate: float, seconds: float, poll: bool) -> dict[str, Any]:
    from smscli.emulator import Emulator
    from smscli.emulator.busy import build_busy_state
    from smscli.emulator.traffic import TrafficGenerator
    from smscli.models import message_key

    published: dict[tuple, float] = {}
    shown: list[tuple[tuple, float]] = []
    handshakes = Counter[str]()
    with Emulator(users={"demo": "demo"}, state=build_busy_state(sessions), seed=1) as emu:
        def on_change(notification: dict) -> None:
            data = notification.get("data", {})
            sid = str(data.get("smssessionUri", "")).rsplit("/", 1)[-1]
            for message in data.get("messages", []) or []:
                published.setdefault((sid, message_key(message)), time.perf_counter())

        emu.state.subscribe(on_change)
        handle = emu.cometd.handle

        def counting(body: bytes, user: str) -> Any:
            for channel in ("/meta/handshake", "/meta/connect"):
                if channel.encode() in body:
                    handshakes[channel] += 1
            return handle(body, user)

        emu.cometd.handle = counting  # type: ignore[method-assign]
        env = {**os.environ, "SMSCLI_PASSWORD": "demo", "COLUMNS": "120"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "smscli", "--server", emu.url, "--user", "demo", "tail",
             "-o", "ndjson", *(["--poll", "--interval", "1"] if poll else [])],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        notes: list[str] = []

        def read() -> None:
            for line in proc.stdout:  # type: ignore[union-attr]
                record = json.loads(line)
                sid = record.pop("sessionId")
                shown.append(((sid, message_key(record)), time.perf_counter()))

        threading.Thread(target=read, daemon=True).start()
        threading.Thread(target=lambda: notes.extend(proc.stderr), daemon=True).start()
        # Ready when it has read every session and waits for events (or polls once more).
        deadline = time.monotonic() + 60
        ready = (lambda: emu.stats.requests > sessions + 3) if poll else (
            lambda: emu.cometd.connects >= 1)
        while not ready():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"tail never became ready: {''.join(notes)[-2000:]}")
            time.sleep(0.02)
        time.sleep(0.2 if not poll else 1.5)
        before = {sid: emu.state.message_count(sid) for sid in emu.state.session_ids()}
        traffic = TrafficGenerator(emu.state, rate, seed=2)
        traffic.start()
        time.sleep(seconds)
        traffic.stop()
        expected = set()
        for sid in emu.state.session_ids():
            for message in emu.state.messages(sid)[before.get(sid, 0):]:
                expected.add((sid, message_key(message)))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not expected <= {key for key, _ in shown}:
            time.sleep(0.05)
        proc.terminate()
        proc.wait(10)
    keys = [key for key, _ in shown]
    latencies = [(at - published[key]) * 1000 for key, at in shown if key in published]
    return {
        "messages": len(expected), "shown": len(shown),
        "lost": len(expected - set(keys)),
        "duplicates": len(keys) - len(set(keys)),
        "unexpected": len(set(keys) - expected),
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": pct(latencies, 99) if latencies else float("nan"),
        "max": max(latencies) if latencies else float("nan"),
        "handshakes": handshakes["/meta/handshake"], "connects": handshakes["/meta/connect"],
        "sessions": len(before), "final_sessions": len(emu.state.session_ids()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--rate", type=float, default=100.0,
                        help="messages a second across all sessions")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--poll", action="store_true", help="measure --poll as well")
    args = parser.parse_args()
    print(f"{args.sessions} busy sessions, {args.rate:g} messages/s for {args.seconds:g} s "
          "(sessions also arrive and complete every 10 s)")
    print(f"{'transport':<9} {'sessions':>8} {'messages':>8} {'lost':>5} {'dupes':>5} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'CometD clients':>14} {'connects':>8}")
    for poll in ([False, True] if args.poll else [False]):
        r = run(args.sessions, args.rate, args.seconds, poll)
        print(f"{'poll' if poll else 'cometd':<9} {r['final_sessions']:>8} {r['messages']:>8} "
              f"{r['lost']:>5} {r['duplicates']:>5} {r['p50']:>7.1f} {r['p99']:>7.1f} "
              f"{r['max']:>7.1f} {r['handshakes']:>14} {r['connects']:>8}")
        if r["unexpected"]:
            print(f"  {r['unexpected']} lines printed that are not in the transcripts")


if __name__ == "__main__":
    main()
