"""Network figures of smscli against the emulator and hostile servers (printed, not asserted).

- requests per idle minute of a CometD follow against the emulator (scaled from --idle-seconds)
- requests in the 10 s after the connection of an idle held long-poll is cut (fault proxy)
- peak RSS of `messages ID` on a gzip bomb (4 GiB inflated)
- time to give up on a server trickling one byte a second

Usage: python bench/network.py [--idle-seconds 60] [--deadline 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from netkit import SESSION, Child, FaultProxy, GwsServer, gzip_bomb, trickle  # noqa: E402

FOLLOWED = "0000BENCHNETWORK"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSCLI_")}
    return {**env, "SMSCLI_PASSWORD": "demo", **extra}


def _add_session(emu) -> None:  # type: ignore[no-untyped-def]
    agent = {"type": "Agent", "nickname": "Bench", "participantId": "00BB00000000A001"}
    emu.state.add_session({"id": FOLLOWED, "state": "Chatting", "participants": [agent],
                           "capabilities": ["SendMessage", "Complete"], "userData": {}})


def _follow(url: str) -> Child:
    return Child(["--server", url, "--user", "demo", "messages", FOLLOWED, "-f",
                  "--no-history", "-o", "ndjson"], _env())


def idle_rate(seconds: float) -> float:
    from smscli.emulator import Emulator

    with Emulator(users={"demo": "demo"}, seed=1) as emu:
        _add_session(emu)
        child = _follow(emu.url)
        time.sleep(3)  # start-up requests are not idle ones
        before = emu.stats.requests
        time.sleep(seconds)
        during = emu.stats.requests - before
        child.close()
    return during * 60 / seconds


def after_cut(window: float = 10.0) -> tuple[int, int]:
    """Requests reaching the emulator in ``window`` s after an idle long-poll is cut."""
    from smscli.emulator import Emulator

    with Emulator(users={"demo": "demo"}, seed=1) as emu:
        _add_session(emu)
        with FaultProxy(("127.0.0.1", emu.port)) as proxy:
            child = _follow(proxy.url)
            time.sleep(4)  # idle: one /meta/connect held
            before = emu.stats.requests
            cut = proxy.cut_all()
            time.sleep(window)
            during = emu.stats.requests - before
            child.close()
    return cut, during


def bomb_rss(cap_mb: int) -> tuple[int, float, int]:
    with GwsServer() as server:
        server.on(f"/api/v2/me/smssessions/{SESSION}/messages", gzip_bomb(4096))
        child = Child(["--server", server.url, "--user", "u", "messages", SESSION, "-o",
                       "ndjson"], _env(SMSCLI_MAX_RESPONSE_MB=str(cap_mb)))
        code = child.wait(60)
    return child.maxrss_kib // 1024, child.elapsed, code


def trickle_give_up(deadline: float) -> tuple[float, int, int]:
    with GwsServer() as server:
        server.on("/api/v2/me/smssessions", trickle(every=1.0))
        child = Child(["--server", server.url, "--user", "u", "sessions", "list", "-o",
                       "json"], _env(SMSCLI_DEADLINE=f"{deadline:g}"))
        code = child.wait(deadline + 30)  # -9: still trickling well past the deadline
        hits = server.hits.count("/api/v2/me/smssessions")
    return child.elapsed, code, hits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--deadline", type=float, default=2, help="SMSCLI_DEADLINE, trickle")
    parser.add_argument("--cap-mb", type=int, default=32, help="SMSCLI_MAX_RESPONSE_MB, bomb")
    args = parser.parse_args()
    print(f"idle follow (CometD), requests per minute:  {idle_rate(args.idle_seconds):.1f} "
          f"(measured over {args.idle_seconds:g} s)")
    cut, during = after_cut()
    print(f"requests in the 10 s after cutting {cut} connection(s) of an idle follow:  {during}")
    rss, elapsed, code = bomb_rss(args.cap_mb)
    print(f"gzip bomb (4 GiB inflated), cap {args.cap_mb} MB:  peak RSS {rss} MiB, "
          f"exit {code} after {elapsed:.1f} s")
    elapsed, code, hits = trickle_give_up(args.deadline)
    print(f"trickle (1 byte/s), deadline {args.deadline:g} s:  gave up after {elapsed:.1f} s, "
          f"exit {code}, {hits} requests")


if __name__ == "__main__":
    main()
