"""Run every benchmark in one go and print their tables: python bench/all.py [--quick]

--quick shortens the follow benchmark (100 messages, 10 idle seconds) and uses fewer runs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    suites = [
        ("start-up and a 2,400-message dump", ["foundation.py"]),
        ("long transcripts against curl | jq", ["dump.py", "--runs", "1" if quick else "3"]),
        ("every figure of issue 13, against a prepared server",
         ["perf2.py", *(["--quick"] if quick else [])]),
        ("each transcript format's own cost a message", ["render_cost.py",
                                                         *(["--runs", "1"] if quick else [])]),
        ("one TAB of shell completion", ["completion.py"]),
        ("follow latency and idle requests",
         ["follow.py", *(["--messages", "100", "--idle-seconds", "10"] if quick else [])]),
    ]
    failed = 0
    for title, argv in suites:
        print(f"\n== {title} (bench/{' '.join(argv)})", flush=True)
        failed += subprocess.call([sys.executable, str(HERE / argv[0]), *argv[1:]]) != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
