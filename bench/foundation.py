"""Start-up time and a 2,000-message dump: wall time (median of N runs) and peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

RUNS = int(os.environ.get("BENCH_RUNS", "7"))
LONG_SESSION = "0000La9E3HVT00ZR"


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Median wall seconds and the largest peak RSS (MiB) over RUNS runs of argv."""
    walls, peaks = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        peaks.append(usage.ru_maxrss / 1024)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(argv)}: {proc.stderr.read().decode()}")
    return statistics.median(walls), max(peaks)


def main() -> None:
    from smscli.emulator import Emulator

    env = {**os.environ, "SMSCLI_PASSWORD": "demo"}
    env.pop("SMSCLI_DEMO", None)
    py = sys.executable
    smscli = [py, "-m", "smscli"]
    with Emulator(users={"demo": "demo"}, seed=1) as emu:
        remote = smscli + ["--server", emu.url, "--user", "demo"]
        rows = [
            ("python -c pass", [py, "-c", "pass"]),
            ("smscli --version", smscli + ["--version"]),
            ("smscli --help", smscli + ["--help"]),
            ("sessions list -o json (emulator on loopback)", remote + ["sessions", "list",
                                                                       "-o", "json"]),
            (f"messages {LONG_SESSION} -o ndjson (2,000+ msgs)",
             remote + ["messages", LONG_SESSION, "-o", "ndjson"]),
            (f"messages {LONG_SESSION} -o plain", remote + ["messages", LONG_SESSION,
                                                            "-o", "plain"]),
            (f"messages {LONG_SESSION} -o table --color always",
             remote + ["messages", LONG_SESSION, "-o", "table", "--color", "always"]),
            (f"--demo messages {LONG_SESSION} -o ndjson (emulator in-process)",
             smscli + ["--demo", "messages", LONG_SESSION, "-o", "ndjson"]),
        ]
        base = None
        print(f"{'command':<62} {'median ms':>10} {'x pass':>7} {'peak MiB':>9}")
        for name, argv in rows:
            wall, peak = measure(argv, env)
            base = base or wall
            print(f"{name:<62} {wall * 1000:>10.1f} {wall / base:>7.1f} {peak:>9.1f}")
    print(f"({RUNS} runs each; python {sys.version.split()[0]}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
