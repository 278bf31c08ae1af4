"""Every figure of the performance table in one run, as ratios, against a prepared server.

Start-up (``--version``, ``--help``, every ``CMD --help``) and ``sessions list -o json`` are
ratios to ``python -c pass`` in the same venv. The 100,000-message dumps (ndjson, plain, table
with colour forced at 80 columns) are ratios to ``curl -s URL?count=0 | jq -c '.messages[]'``,
both against bench/prepared.py, which answers from bodies prepared before it listens: the
server's own share (a bare ``curl > /dev/null`` of the whole transcript) is printed too. Peak
RSS is the largest of the three formats, at 10,000 and at 100,000 messages.

``--baseline DIR`` also measures another checkout of smscli (e.g. ``git archive`` of an older
commit unpacked in DIR) with the same interpreter and packages, interleaved run by run, so
before and after come from one run on one machine.

Usage: python bench/perf2.py [--runs 3] [--startup-runs 9] [--baseline DIR] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

SIZES = (10_000, 100_000)
HELPS = (["messages"], ["export"], ["doctor"], ["completion"], ["sessions"], ["emulator"],
         ["config"], ["sessions", "list"], ["sessions", "show"], ["sessions", "stats"],
         ["sessions", "watch"], ["config", "show"], ["config", "init"], ["config", "profiles"],
         ["config", "use"], ["emulator", "serve"])
GOALS = {"--version": "<= 3x", "--help": "<= 6x", "CMD --help": "<= 6x",
         "sessions list -o json": "<= 10x", "ndjson": "<= 0.5x", "plain": "<= 0.6x",
         "table": "<= 1.2x", "peak RSS": "<= 48 MiB flat"}


def timed(argv: list[str] | str, env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds of one run (a string runs in bash), the peak RSS (MiB) of its largest
    process and the CPU seconds (user + system) of it and its children; stdout goes to
    /dev/null."""
    shell = isinstance(argv, str)
    start = time.perf_counter()
    proc = subprocess.Popen(["bash", "-c", argv] if shell else argv, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed ({status}): {argv}: {err.decode(errors='replace')[-500:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def medians(commands: dict[str, tuple[list[str] | str, dict[str, str]]],
            runs: int) -> dict[str, tuple[float, float, float]]:
    """Median wall seconds, largest peak RSS and median CPU seconds of each command, runs
    interleaved so a noisy moment of the machine spreads over every command rather than
    landing on one. CPU time is the steadier figure on a busy machine: wall time also counts
    the waits for a core that other processes hold."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, float] = dict.fromkeys(commands, 0.0)
    for name, (argv, env) in commands.items():  # one untimed run: caches, pages, .pyc files
        timed(argv, env)
    for _ in range(runs):
        for name, (argv, env) in commands.items():
            wall, peak, cpu = timed(argv, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
            peaks[name] = max(peaks[name], peak)
    return {name: (statistics.median(walls[name]), peaks[name], statistics.median(cpus[name]))
            for name in commands}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="runs of each dump")
    parser.add_argument("--startup-runs", type=int, default=9, help="runs of each start-up")
    parser.add_argument("--baseline", type=Path, help="another smscli checkout to compare")
    parser.add_argument("--quick", action="store_true", help="1 dump run, 5 start-up runs")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.startup_runs = 1, 5
    for tool in ("curl", "jq"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed for the baseline")
    versions = {"now": REPO}
    if args.baseline:
        versions = {"before": args.baseline.resolve(), "now": REPO}
    py = sys.executable

    started = time.perf_counter()
    # A process of its own: a child forked from a bench holding the bodies would count them
    # in its peak RSS, and the server's work stays off this process's GIL.
    bigs = [arg for n in SIZES for arg in ("--big", str(n))]
    server = subprocess.Popen([py, str(HERE / "prepared.py"), *bigs], stdout=subprocess.PIPE,
                              text=True)
    assert server.stdout is not None
    url, mib = server.stdout.readline().split()
    print(f"prepared server at {url} ({time.perf_counter() - started:.1f} s to prepare "
          f"{mib} MiB of bodies)")
    try:
        rows, misses = measure(args, versions, url)
    finally:
        server.terminate()
        server.wait()
    report(rows, versions, misses, args)


def measure(args: argparse.Namespace, versions: dict[str, Path], url: str
            ) -> tuple[list[tuple[str, str, dict[str, str]]], int]:
    script = Path(sys.executable).with_name("smscli")
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("SMSCLI_")}
        # As a user runs it: this sandbox's PYTHONUNBUFFERED makes every write a system call,
        # and PYTHONDONTWRITEBYTECODE recompiles every module at each start.
        for name in ("NO_COLOR", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"):
            base_env.pop(name, None)
        base_env.update({"SMSCLI_CONFIG_DIR": tmp, "XDG_CACHE_HOME": tmp,
                         "SMSCLI_SERVER": url, "SMSCLI_USER": "bench",
                         "SMSCLI_PASSWORD": "bench", "COLUMNS": "80", "FORCE_COLOR": "1"})
        envs = {v: {**base_env, "PYTHONPATH": str(path)} for v, path in versions.items()}
        rows: list[tuple[str, str, dict[str, str]]] = []  # figure, goal, version -> cell

        # -- start-up ------------------------------------------------------------------------
        startup: dict[str, tuple[list[str] | str, dict[str, str]]] = {
            "pass": ([py, "-c", "pass"], base_env)}
        for v, env in envs.items():
            startup[f"{v} --version"] = ([str(script), "--version"], env)
            startup[f"{v} --help"] = ([str(script), "--help"], env)
            for cmd in HELPS:
                startup[f"{v} {' '.join(cmd)} --help"] = ([str(script), *cmd, "--help"], env)
            startup[f"{v} list"] = ([str(script), "sessions", "list", "-o", "json"], env)
        got = medians(startup, args.startup_runs)
        pass_s = got["pass"][0]
        print(f"python -c pass: {pass_s * 1000:.1f} ms (median of {args.startup_runs})")

        def x_pass(key: str) -> str:
            return f"{got[key][0] / pass_s:.1f}x ({got[key][0] * 1000:.0f} ms)"

        rows.append(("--version vs python -c pass", GOALS["--version"],
                     {v: x_pass(f"{v} --version") for v in versions}))
        rows.append(("--help vs python -c pass", GOALS["--help"],
                     {v: x_pass(f"{v} --help") for v in versions}))
        for v in versions:
            worst = max((f"{v} {' '.join(c)} --help" for c in HELPS), key=lambda k: got[k][0])
            rows_key = worst.removeprefix(f"{v} ")
            if v == next(iter(versions)):
                rows.append(("slowest CMD --help vs python -c pass", GOALS["CMD --help"], {}))
            rows[-1][2][v] = f"{x_pass(worst)} {rows_key.removesuffix(' --help')}"
        rows.append(("sessions list -o json, loopback", GOALS["sessions list -o json"],
                     {v: x_pass(f"{v} list") for v in versions}))

        # -- long transcripts ----------------------------------------------------------------
        peaks: dict[str, dict[int, float]] = {v: {} for v in versions}
        for size in SIZES:
            session = f"0000BIG{size:09d}"
            whole = f"{url}/api/v2/me/smssessions/{session}/messages?count=0"
            dumps: dict[str, tuple[list[str] | str, dict[str, str]]] = {
                "curl|jq": (f"curl -s '{whole}' | jq -c '.messages[]'", base_env),
                "curl": (f"curl -s '{whole}' > /dev/null", base_env)}
            for v, env in envs.items():
                for fmt in ("ndjson", "plain", "table"):
                    dumps[f"{v} {fmt}"] = ([str(script), "messages", session, "-o", fmt], env)
            got_dump = medians(dumps, args.runs)
            for v in versions:
                peaks[v][size] = max(got_dump[f"{v} {f}"][1] for f in ("ndjson", "plain",
                                                                       "table"))
            if size != SIZES[-1]:
                continue
            base = got_dump["curl|jq"][0]
            print(f"{size:,} messages: curl | jq {base:.2f} s (CPU {got_dump['curl|jq'][2]:.2f} s),"
                  f" curl > /dev/null {got_dump['curl'][0]:.3f} s (median of {args.runs})")
            for fmt in ("ndjson", "plain", "table"):
                label = f"{size:,} messages, {fmt}" + (" (colour, 80 columns)"
                                                      if fmt == "table" else "")
                rows.append((label + " vs curl | jq", GOALS[fmt],
                             {v: f"{got_dump[f'{v} {fmt}'][0] / base:.2f}x "
                                 f"({got_dump[f'{v} {fmt}'][0]:.2f} s, "
                                 f"CPU {got_dump[f'{v} {fmt}'][2]:.2f} s)" for v in versions}))
            rows.append(("server's share: curl > /dev/null vs curl | jq", "-",
                         dict.fromkeys(versions, f"{got_dump['curl'][0] / base:.2f}x "
                                                 f"({got_dump['curl'][0]:.3f} s)")))
        rows.append(("peak RSS, 10k / 100k messages (largest format)", GOALS["peak RSS"],
                     {v: " / ".join(f"{peaks[v][s]:.0f}" for s in SIZES) + " MiB"
                      for v in versions}))
        with urllib.request.urlopen(f"{url}/bench/misses") as answer:
            misses = int(answer.read())
    return rows, misses


def report(rows: list[tuple[str, str, dict[str, str]]], versions: dict[str, Path],
           misses: int, args: argparse.Namespace) -> None:
    width = max(len(r[0]) for r in rows)
    head = f"{'figure':<{width}}  {'goal':<14}" + "".join(f"  {v:<34}" for v in versions)
    print("\n" + head)
    for figure, goal, cells in rows:
        print(f"{figure:<{width}}  {goal:<14}" + "".join(f"  {cells.get(v, ''):<34}"
                                                         for v in versions))
    if misses:
        print(f"({misses} pages were not prepared in advance and were built once)")
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} cores; "
          f"startup median of {args.startup_runs}, dumps median of {args.runs})")


if __name__ == "__main__":
    main()
