"""`telcli history` over a large ledger, measured side by side with `telcli --help` (not a
pytest test).

    python tests/benchmarks/bench_history.py [--rows 100000] [--runs 15]

Fills a fresh TELCLI_HOME's ledger with ``--rows`` operations (a realistic mix of actions,
providers, outcomes, request ids and prices, spread over a year), then runs each command N
times, interleaved so machine noise hits all alike, and prints the median wall time, the ratio
to `telcli --help` and the peak RSS.

Bar (issue 16): `telcli history --json` <= 1.5x `telcli --help`. It holds because the newest
rows come from the created_at index (the default --limit is 100), and the command imports no
more than it needs. The full exports (`--limit 0`) are printed for information: they stream
every row, so their time grows with the ledger while their memory does not.
Exits 1 when the bar is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ACTIONS = [
    ("buy", 30),
    ("release", 8),
    ("configure", 10),
    ("sms", 25),
    ("call", 15),
    ("address.create", 3),
    ("vapi.import", 5),
    ("vapi.assign", 4),
]


def fill(home: Path, rows: int) -> None:
    """``rows`` ledger entries written the way telcli writes them (schema by telcli itself)."""
    from telcli.storage.state import StateDB

    db = StateDB(home / "state.db")
    db.ledger_begin("buy", "twilio", "default", "+14155550100")  # migrates the new file
    db.close()
    rng = random.Random(16)
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / rows
    names, weights = zip(*ACTIONS, strict=True)
    batch = []
    for i in range(rows):
        when = (start + step * i).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        op = rng.choices(names, weights)[0]
        provider = "vapi" if op.startswith("vapi") else rng.choice(("twilio", "telnyx"))
        status = rng.choices(("succeeded", "failed", "unknown"), (90, 8, 2))[0]
        rid = "RQ" + os.urandom(16).hex() if provider == "twilio" else str(rng.getrandbits(128))
        priced = op in ("buy", "sms", "call")
        batch.append(
            (
                op,
                provider,
                "default",
                f"+1415555{i % 10000:04d}",
                status,
                "PN" + os.urandom(16).hex() if status == "succeeded" else None,
                json.dumps({"reconciled": True} if rng.random() < 0.02 else {}),
                when,
                when,
                f"op_{i:012x}",
                None if provider == "vapi" else rid,
                "AC12…cdef" if provider == "twilio" else "key …cdef",
                "ops",
                "jump-1",
                rng.choice((None, "acme", "globex")),
                f"{rng.randint(1, 300) / 100:.2f}" if priced else None,
                "USD" if priced else None,
            )
        )
    conn = sqlite3.connect(home / "state.db")
    with conn:
        conn.executemany(
            "INSERT INTO ledger (op, provider, profile, target, status, result_id, detail,"
            " created_at, updated_at, operation_id, request_id, account, os_user, host, tenant,"
            " price, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    conn.close()


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and stdout bytes of one child process (stdout goes to a
    file: a full export is tens of MB, and a pipe nobody reads would stall it)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} failed:\n{err.read().decode()}")
        return wall, usage.ru_maxrss / 1024, out.tell()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--fill", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        fill(args.fill, args.rows)
        return 0
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        began = time.perf_counter()
        # In a child: the rows built in this process would count in every later child's
        # peak RSS (a fork copies the parent before exec).
        subprocess.run(
            [py, __file__, "--fill", str(home), "--rows", str(args.rows)],
            check=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        print(f"ledger: {args.rows} rows written in {time.perf_counter() - began:.1f} s")
        env = {**os.environ, "TELCLI_HOME": str(home), "NO_COLOR": "1"}
        env.pop("TELCLI_DEBUG", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        telcli = [py, "-m", "telcli"]
        cases: dict[str, tuple[list[str], float | None]] = {
            "telcli --help": ([*telcli, "--help"], None),
            "telcli history --json": ([*telcli, "history", "--json"], 1.5),
            "telcli history --since 7d --action buy --json": (
                [*telcli, "history", "--since", "7d", "--action", "buy", "--json"],
                None,
            ),
            "telcli history --limit 0 --format ndjson (all rows)": (
                [*telcli, "history", "--limit", "0", "--format", "ndjson"],
                None,
            ),
            "telcli history --limit 0 --json (all rows)": (
                [*telcli, "history", "--limit", "0", "--json"],
                None,
            ),
        }
        for argv, _ in cases.values():  # warm caches (bytecode, page cache) before measuring
            run_once(argv, env)
        walls: dict[str, list[float]] = {k: [] for k in cases}
        rss: dict[str, float] = dict.fromkeys(cases, 0.0)
        sizes: dict[str, int] = dict.fromkeys(cases, 0)
        for _ in range(args.runs):
            for name, (argv, _) in cases.items():
                wall, peak, size = run_once(argv, env)
                walls[name].append(wall)
                rss[name] = max(rss[name], peak)
                sizes[name] = size
    base = statistics.median(walls["telcli --help"])
    failed = False
    print(f"{'command':55} {'median':>9} {'ratio':>6} {'bar':>5} {'peak RSS':>9} {'stdout':>9}")
    for name, (_, bar) in cases.items():
        med = statistics.median(walls[name])
        ratio = med / base
        ok = bar is None or ratio <= bar
        failed |= not ok
        bar_text = "" if bar is None else f"{bar:.1f}x"
        print(
            f"{name:55} {med * 1000:7.0f}ms {ratio:5.2f}x {bar_text:>5} {rss[name]:6.1f}MiB"
            f" {sizes[name] / 1e6:7.2f}MB{'' if ok else '  MISSED'}"
        )
    print(
        f"runs per command: {args.runs}; ledger rows: {args.rows}; python {sys.version.split()[0]}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
