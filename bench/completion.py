"""The time of one TAB: static completion in the shells, `__complete sessions` warm and cold."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
REPO = Path(__file__).resolve().parent.parent
STATIC_LINE = "smscli sessions list --o"  # options of a subcommand: all shell code


def process_ms(argv: list[str], env: dict[str, str], before: object = None) -> float:
    """Median wall milliseconds of RUNS runs of argv; ``before()`` runs untimed before each."""
    walls = []
    for _ in range(RUNS):
        if callable(before):
            before()
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                       check=True)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls) * 1000


def bash_tab_ms(line: str, env: dict[str, str]) -> float | None:
    """Median milliseconds of the completion function for ``line``, timed inside bash."""
    bash = shutil.which("bash")
    if not bash:
        return None
    script = f"""
source {REPO / 'completions' / 'smscli.bash'}
COMP_LINE='{line}' COMP_POINT={len(line)}
for ((n = 0; n < {RUNS}; n++)); do
    start=$EPOCHREALTIME; COMPREPLY=(); _smscli smscli; end=$EPOCHREALTIME
    echo $(( (${{end/./}} - ${{start/./}}) ))
done"""
    out = subprocess.run([bash, "--norc", "-c", script], capture_output=True, text=True,
                         env=env, check=True).stdout
    return statistics.median(int(us) for us in out.split()) / 1000


_FISH_TIME = re.compile(r"Executed in\s+([\d.]+)\s+(micros|millis|secs)")


def fish_tab_ms(line: str, env: dict[str, str]) -> float | None:
    """Median milliseconds of ``complete -C line`` (fish's `time`), script already loaded."""
    fish = shutil.which("fish")
    if not fish:
        return None
    script = (f"source {REPO / 'completions' / 'smscli.fish'}; complete -C '{line}' >/dev/null; "
              + f"for n in (seq {RUNS}); time complete -C '{line}' >/dev/null; end")
    err = subprocess.run([fish, "--no-config", "-c", script], capture_output=True, text=True,
                         env=env, check=True).stderr
    scale = {"micros": 0.001, "millis": 1.0, "secs": 1000.0}
    return statistics.median(float(v) * scale[u] for v, u in _FISH_TIME.findall(err))


def main() -> None:
    from smscli.emulator import Emulator

    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp, \
            Emulator(users={"demo": "demo"}, seed=1, traffic_rate=0.0) as emu:
        bin_dir = Path(tmp, "bin")
        bin_dir.mkdir()
        (bin_dir / "smscli").write_text(f'#!/bin/sh\nexec "{py}" -m smscli "$@"\n')
        (bin_dir / "smscli").chmod(0o755)
        cache = Path(tmp, "cache")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMSCLI_")}
        env.update({"XDG_CACHE_HOME": str(cache), "SMSCLI_CONFIG_DIR": str(Path(tmp, "config")),
                    "SMSCLI_SERVER": emu.url, "SMSCLI_USER": "demo", "SMSCLI_PASSWORD": "demo",
                    "PATH": f"{bin_dir}:{env.get('PATH', '')}",
                    "PYTHONPATH": f"{REPO}:{env.get('PYTHONPATH', '')}".rstrip(":")})
        complete = [py, "-m", "smscli", "__complete", "sessions"]

        def drop_cache() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        pass_ms = process_ms([py, "-c", "pass"], env)
        rows: list[tuple[str, float | None]] = [
            ("python -c pass (a process, for scale)", pass_ms),
            (f"bash: {STATIC_LINE}<TAB> (shell code only)", bash_tab_ms(STATIC_LINE, env)),
            (f"fish: {STATIC_LINE}<TAB> (shell code only)", fish_tab_ms(STATIC_LINE, env)),
            ("smscli __complete sessions, cold cache (emulator on loopback)",
             process_ms(complete, env, before=drop_cache)),
            ("smscli __complete sessions, warm cache", process_ms(complete, env)),
            ("bash: smscli messages <TAB>, warm cache (shell + process)",
             bash_tab_ms("smscli messages ", env)),
            ("smscli --help (for comparison)", process_ms([py, "-m", "smscli", "--help"], env)),
        ]
    print(f"{'one TAB':<64} {'median ms':>10} {'x pass':>7}")
    for name, ms in rows:
        if ms is None:
            print(f"{name:<64} {'(shell not installed)':>18}")
        else:
            print(f"{name:<64} {ms:>10.2f} {ms / pass_ms:>7.2f}")
    print(f"({RUNS} runs each; python {sys.version.split()[0]}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
