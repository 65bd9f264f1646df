"""Webhook outcomes and event lookups over a large store, side by side with `telcli --help`
(not a pytest test).

    python tests/benchmarks/bench_outcomes.py [--events 100000] [--runs 5]

Fills a fresh TELCLI_HOME with ``--events`` Twilio voice status callbacks (4 per call:
initiated, ringing, in-progress, completed), labelled and stored as `webhook listen` stores
them, then runs each command ``--runs`` times, interleaved, and prints the median wall times
and the ratios to `telcli --help`. Bars (issue 15): `webhook outcomes` <= 10x, `webhook list
--call X` <= 1.5x. Exits 1 when a bar is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

STATUSES = ("initiated", "ringing", "in-progress", "completed")


def fill(home: Path, events: int) -> str:
    from telcli.services.webhooks import label
    from telcli.storage.captures import Capture, CaptureStore
    from telcli.storage.state import StateDB

    store = CaptureStore(StateDB(home / "state.db"))
    batch: list[Capture] = []
    calls = events // len(STATUSES)
    for n in range(calls):
        sid = f"CA{n:032x}"
        for seq, status in enumerate(STATUSES):
            to = f"%2B1415555{n % 10000:04d}"
            body = (
                f"CallSid={sid}&CallStatus={status}&From=%2B14155550100&To={to}"
                f"&Direction=outbound-api&SequenceNumber={seq}"
                + (f"&CallDuration={n % 60}" if status == "completed" else "")
            ).encode()
            headers = (
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Twilio-Signature", "x"),
                ("I-Twilio-Idempotency-Token", f"{sid}-{seq}"),
            )
            batch.append(label(Capture("POST", "https://h.example.com/s", headers, body,
                                       source="listen")))  # fmt: skip
            if len(batch) >= 5000:
                store.add_many(batch)
                batch.clear()
    if batch:
        store.add_many(batch)
    return f"CA{calls // 2:032x}"


def timed(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    telcli = [sys.executable, "-m", "telcli"]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        start = time.perf_counter()
        call = fill(home, args.events)
        print(f"stored {args.events} events in {time.perf_counter() - start:.1f} s")
        env = {**os.environ, "TELCLI_HOME": str(home)}
        commands = {
            "telcli --help": [*telcli, "--help"],
            "webhook outcomes --json": [*telcli, "webhook", "outcomes", "--json"],
            f"webhook list --call {call[:10]}…": [*telcli, "webhook", "list", "--call", call],
        }
        for cmd in commands.values():  # warm the page cache, and normalise nothing later
            timed(cmd, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(timed(cmd, env))
        base = statistics.median(times["telcli --help"])
        bars = {"webhook outcomes --json": 10.0}
        failed = False
        for name, values in times.items():
            median = statistics.median(values)
            bar = bars.get(name, 1.5 if name.startswith("webhook list") else None)
            verdict = ""
            if bar is not None:
                ok = median <= bar * base
                failed |= not ok
                verdict = f"  bar <= {bar}x: {'met' if ok else 'MISSED'}"
            print(f"{name:<40} {median * 1000:8.0f} ms  {median / base:5.2f}x{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
