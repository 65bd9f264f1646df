"""Startup and footprint bars, measured side by side in one run (not a pytest test).

    python tests/benchmarks/bench_startup.py [--runs 15]

Runs each command N times, interleaved (so machine noise hits all alike), and prints the
median wall time, the ratio to a bare two-command Typer app's --help, and the peak RSS.
Bars (issue 2 and 4): telcli --help <= 1.3x bare; sandbox commands <= 2.5x bare; peak RSS
<= 80 MiB. Exits 1 when a bar is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

BARE = textwrap.dedent(
    """
    import typer
    app = typer.Typer()

    @app.command()
    def one() -> None:
        pass

    @app.command()
    def two() -> None:
        pass

    app()
    """
)


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        env = {**os.environ, "TELCLI_HOME": str(Path(tmp) / "home"), "NO_COLOR": "1"}
        env.pop("TELCLI_DEBUG", None)
        # Installed packages carry bytecode; measure that, not compiling from source each run.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        telcli = [py, "-m", "telcli"]
        cases: dict[str, tuple[list[str], float | None]] = {
            "bare typer --help": ([py, str(bare), "--help"], None),
            "telcli --help": ([*telcli, "--help"], 1.3),
            "telcli --sandbox numbers search --country US --json": (
                [*telcli, "--sandbox", "numbers", "search", "--country", "US", "--json"],
                2.5,
            ),
            "telcli --sandbox numbers list --json": (
                [*telcli, "--sandbox", "numbers", "list", "--json"],
                2.5,
            ),
        }
        for argv, _ in cases.values():  # warm caches (bytecode, sandbox DB) before measuring
            run_once(argv, env)
        walls: dict[str, list[float]] = {k: [] for k in cases}
        rss: dict[str, float] = dict.fromkeys(cases, 0.0)
        for _ in range(args.runs):
            for name, (argv, _) in cases.items():
                wall, peak = run_once(argv, env)
                walls[name].append(wall)
                rss[name] = max(rss[name], peak)
    base = statistics.median(walls["bare typer --help"])
    failed = False
    print(f"{'command':58} {'median':>9} {'ratio':>6} {'bar':>5} {'peak RSS':>9}")
    for name, (_, bar) in cases.items():
        med = statistics.median(walls[name])
        ratio = med / base
        ok = (bar is None or ratio <= bar) and (name.startswith("bare") or rss[name] <= 80)
        failed |= not ok
        bar_text = "" if bar is None else f"{bar:.1f}x"
        print(
            f"{name:58} {med * 1000:7.0f}ms {ratio:5.2f}x {bar_text:>5} {rss[name]:6.1f}MiB"
            f"{'' if ok else '  MISSED'}"
        )
    print(f"runs per command: {args.runs}; RSS bar 80 MiB; python {sys.version.split()[0]}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
