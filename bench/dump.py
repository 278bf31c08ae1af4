"""Long transcripts: smscli's dump against `curl | jq` on the same emulator, same run.

Prints, for 10,000 and 100,000 messages: wall time (median of N runs), the ratio to
`curl -s URL?count=0 | jq -c '.messages[]'`, and peak memory (RSS) of smscli; then the
emulator's share (a bare `curl > /dev/null` of the whole transcript).
Usage: python bench/dump.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

SIZES = (10_000, 100_000)


def run(cmd: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds of a shell pipeline, and the peak RSS (MiB) of its largest process."""
    start = time.perf_counter()
    proc = subprocess.Popen(["bash", "-c", cmd], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed ({status}): {cmd}")
    return wall, usage.ru_maxrss / 1024


def smscli_peak(argv: list[str], env: dict[str, str]) -> float:
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return usage.ru_maxrss / 1024


def median(cmd: str, env: dict[str, str], runs: int) -> float:
    return statistics.median(run(cmd, env)[0] for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    serve = subprocess.Popen([sys.executable, "-m", "smscli", "emulator", "serve", "--port",
                              "0", "--rate", "0", *sum((["--big", str(n)] for n in SIZES), [])],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = serve.stdout.readline().strip()  # type: ignore[union-attr]
        env = {**os.environ, "SMSCLI_PASSWORD": "demo", "SMSCLI_SERVER": url,
               "SMSCLI_USER": "demo", "FORCE_COLOR": "1"}
        py = sys.executable
        print(f"{'messages':>9} {'command':<34} {'median s':>9} {'x curl|jq':>10} "
              f"{'peak MiB':>9}")
        for size in SIZES:
            session = f"0000BIG{size:09d}"
            messages = f"{url}/api/v2/me/smssessions/{session}/messages?count=0"
            curl = f"curl -s -u demo:demo '{messages}'"
            # Warm the emulator's cache of encoded messages before timing anything.
            run(f"{curl} > /dev/null", env)
            base = median(f"{curl} | jq -c '.messages[]'", env, args.runs)
            print(f"{size:>9,} {'curl -s | jq -c .messages[]':<34} {base:>9.2f} {1.0:>10.2f}")
            for fmt in ("ndjson", "plain", "table"):
                argv = [py, "-m", "smscli", "messages", session, "-o", fmt]
                wall = median(" ".join(argv), env, args.runs)
                peak = smscli_peak(argv, env)
                print(f"{size:>9,} {'smscli -o ' + fmt:<34} {wall:>9.2f} {wall / base:>10.2f} "
                      f"{peak:>9.1f}")
            serving = median(f"{curl} > /dev/null", env, args.runs)
            print(f"{size:>9,} {'emulator alone (curl > /dev/null)':<34} {serving:>9.2f} "
                  f"{serving / base:>10.2f}")
    finally:
        serve.terminate()
        serve.wait()


if __name__ == "__main__":
    main()
