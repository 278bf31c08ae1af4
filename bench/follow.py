"""Follow latency (SendMessage accepted -> line on smscli's stdout) and idle request counts.

Usage: python bench/follow.py [--messages 500] [--idle-seconds 60]
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

import requests

SESSION = "0000BENCHFOLLOW1"


def start_follow(url: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "SMSCLI_PASSWORD": "demo"}
    return subprocess.Popen(
        [sys.executable, "-m", "smscli", "--server", url, "--user", "demo", "messages", SESSION,
         "-f", "--no-history", "-o", "ndjson", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)


def add_session(emu) -> None:  # type: ignore[no-untyped-def]
    agent = {"type": "Agent", "nickname": "Bench", "participantId": "00BB00000000A001"}
    emu.state.add_session({"id": SESSION, "state": "Chatting", "participants": [agent],
                           "capabilities": ["SendMessage", "Complete"], "userData": {}})


def latency(mode: str, count: int, pace: float) -> list[float]:
    from smscli.emulator import Emulator

    accepted: dict[str, float] = {}
    shown: dict[str, float] = {}
    with Emulator(users={"demo": "demo"}, seed=1) as emu:
        add_session(emu)

        def on_change(notification: dict) -> None:
            for message in notification.get("data", {}).get("messages", []):
                accepted.setdefault(message.get("text", ""), time.perf_counter())

        emu.state.subscribe(on_change)
        proc = start_follow(emu.url, *(["--poll", "--interval", "1"] if mode == "poll" else []))

        def read() -> None:
            for line in proc.stdout:  # type: ignore[union-attr]
                shown[json.loads(line)["text"]] = time.perf_counter()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        http = requests.Session()
        http.auth = ("demo", "demo")
        url = f"{emu.url}/api/v2/me/smssessions/{SESSION}"
        # --no-history: what is sent before the follow has subscribed is history. Send
        # warm-up messages until one shows, so the follow is live when measuring starts.
        warm = 0
        deadline = time.monotonic() + 30
        while not shown and time.monotonic() < deadline:
            warm += 1
            http.post(url, json={"operationName": "SendMessage", "text": f"warm-up {warm}"})
            time.sleep(0.2)
        time.sleep(0.5)
        warmed = set(shown)
        for n in range(count):
            http.post(url, json={"operationName": "SendMessage", "text": f"m{n}"})
            time.sleep(pace)
        deadline = time.monotonic() + 30
        while len(shown) < count + len(warmed) and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.terminate()
        proc.wait()
    missing = count + len(warmed) - len(shown)
    if missing:
        print(f"  {mode}: {missing} messages never shown", file=sys.stderr)
    return [(shown[t] - accepted[t]) * 1000 for t in shown if t not in warmed and t in accepted]


def idle_requests(mode: str, seconds: float) -> int:
    from smscli.emulator import Emulator

    with Emulator(users={"demo": "demo"}, seed=1) as emu:
        add_session(emu)
        proc = start_follow(emu.url, *(["--poll", "--interval", "1"] if mode == "poll" else []))
        time.sleep(3)  # start-up requests are not idle ones
        before = emu.stats.requests
        time.sleep(seconds)
        during = emu.stats.requests - before
        proc.terminate()
        proc.wait()
    return during


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--pace", type=float, default=0.02, help="seconds between sends")
    parser.add_argument("--idle-seconds", type=float, default=60)
    args = parser.parse_args()
    print(f"{'transport':<10} {'messages':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for mode in ("cometd", "poll"):
        values = latency(mode, args.messages, args.pace)
        print(f"{mode:<10} {len(values):>8} {statistics.median(values):>8.1f} "
              f"{pct(values, 99):>8.1f} {max(values):>8.1f}")
    print(f"\nrequests to the server in {args.idle_seconds:g} idle seconds of following:")
    for mode in ("cometd", "poll"):
        print(f"  {mode:<8} {idle_requests(mode, args.idle_seconds)}")


if __name__ == "__main__":
    main()
