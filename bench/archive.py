"""The archive's goals (issue 14): `history import` of N generated messages (messages a
second, archive size against the ndjson), and `history search WORD` as whole commands
(p50/p95 for the first 20 hits) next to `python -c pass`.

    python bench/archive.py                      # 1,000,000 messages
    python bench/archive.py --messages 50000 --runs 15
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = (
    "sim", "card", "line", "phone", "bill", "plan", "data", "roaming", "order", "delivery",
    "account", "password", "payment", "invoice", "upgrade", "contract", "network", "signal",
    "coverage", "charger", "screen", "battery", "store", "visit", "today", "tomorrow", "thanks",
    "please", "help", "check", "number", "email", "address",
)
NEEDLE = "refund"  # in about one message of a hundred
SESSION_SIZE = 200
FAST = ("import sys; from smscli.archive.quick import main; "
        "code = main(sys.argv[1:]); sys.exit(code)")


def generate(path: Path, count: int, seed: int = 14) -> None:
    """ndjson records as `smscli tail -o ndjson` writes them: messages with a sessionId."""
    rng = random.Random(seed)
    start = 1_796_000_000_000
    customer = {"type": "Customer", "nickname": "", "participantId": "009052BDEE39003C"}
    agent = {"type": "Agent", "nickname": "Agent1", "participantId": "009052BDEE4A003E"}
    with open(path, "w", encoding="utf-8") as out:
        for n in range(count):
            session, index = divmod(n, SESSION_SIZE)
            customer["nickname"] = f"Person{session % 997}"
            words = rng.choices(WORDS, k=rng.randint(4, 14))
            if rng.random() < 0.01:
                words.insert(rng.randrange(len(words)), NEEDLE)
            millis = start + n * 1500
            record = {"index": index + 1, "type": "Text",
                      "from": customer if index % 2 else agent,
                      "text": " ".join(words).capitalize(), "visibility": "All",
                      "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis / 1000))
                      + f".{millis % 1000:03d}Z",
                      "timestampSeconds": millis, "sessionId": f"0000BENCH{session:07d}"}
            out.write(json.dumps(record, separators=(",", ":")) + "\n")


def timed(argv: list[str], env: dict[str, str], cpu: list[float] | None = None) -> float:
    """Wall seconds of one run; its CPU seconds (user and system) go to ``cpu``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    begin = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   check=True)
    wall = time.perf_counter() - begin
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return wall


def percentiles(argv: list[str], env: dict[str, str], runs: int
                ) -> tuple[float, float, float]:
    """p50 and p95 of the wall time, and p50 of the CPU time, in ms. On a busy machine the
    CPU time tells what the command costs; the wall time what a person waits."""
    timed(argv, env)  # warm the page cache
    cpu: list[float] = []
    walls = sorted(timed(argv, env, cpu) * 1000 for _ in range(runs))
    p95 = walls[min(len(walls) - 1, round(0.95 * (len(walls) - 1)))]
    return statistics.median(walls), p95, statistics.median(cpu) * 1000


def import_figures(count: int, source: Path, archive: Path, env: dict[str, str]) -> None:
    for stale in archive.parent.glob(archive.name + "*"):
        stale.unlink()
    generate(source, count)
    seconds = timed([sys.executable, "-m", "smscli", "history", "import", str(source)], env)
    ndjson_mb = source.stat().st_size / 1e6
    archive_mb = sum(f.stat().st_size for f in archive.parent.glob(archive.name + "*")) / 1e6
    print(f"history import of {count:,} messages ({ndjson_mb:.1f} MB ndjson): "
          f"{seconds:.1f} s, {count / seconds:,.0f} messages/s (goal >= 20,000)")
    print(f"archive size: {archive_mb:.1f} MB, {archive_mb / ndjson_mb:.2f}x the ndjson "
          "(goal <= 2x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30, help="search runs per command")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and leave the files there")
    parser.add_argument("--search-only", action="store_true",
                        help="with --keep: search the archive a previous run left in DIR")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="smscli-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    source, archive = work / "messages.ndjson", work / "archive.sqlite3"
    # As a user runs it: this sandbox's PYTHONUNBUFFERED makes every write a system call, and
    # PYTHONDONTWRITEBYTECODE recompiles every module at each start (bench/perf2.py does so).
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSCLI_") and k not in
           ("NO_COLOR", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE")}
    env.update({"SMSCLI_ARCHIVE": str(archive), "SMSCLI_CONFIG_DIR": str(work)})
    try:
        if not (args.search_only and args.keep and archive.exists()):
            import_figures(args.messages, source, archive, env)
        search = ["history", "search", NEEDLE, "-o", "plain"]
        rows = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("quick.main alone (archive/quick.py, without smscli/entry.py)",
             [sys.executable, "-c", FAST, *search]),
            ("python -m smscli history search (the command: entry.py, then quick.py)",
             [sys.executable, "-m", "smscli", *search]),
        ]
        print(f"search {NEEDLE!r}, first 20 hits, {args.runs} runs each (goal p50 <= 50 ms):")
        print(f"  (load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())})")
        for label, argv in rows:
            p50, p95, cpu = percentiles(argv, env, args.runs)
            print(f"  {label:<72} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  cpu p50 {cpu:6.1f} ms")
    finally:
        if not args.keep:
            for file in work.iterdir():
                file.unlink()
            work.rmdir()


if __name__ == "__main__":
    main()
