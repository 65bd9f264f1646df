"""The provisioning path's commands against the in-process sandbox, each measured beside a
bare two-command Typer app's --help in the same run (not a pytest test).

    python tests/benchmarks/bench_provisioning.py [--runs 9]

Bar (issue 4): every command <= 2.5x the bare app's --help (median wall time, interleaved
runs so machine noise hits all alike). Exits 1 when a bar is missed. The sandbox is prepared
once (an address, a bought ZA number imported into VAPI), so every measured command is
repeatable: buy is measured with --dry-run (quote + address pick), import as the idempotent
update it becomes, assign/unassign alternate.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import BARE

BAR = 2.5
ADDRESS = [
    "--customer-name", "Thandi Nkosi", "--street", "12 Long Street", "--city", "Cape Town",
    "--region", "Western Cape", "--postal-code", "8001", "--country", "ZA",
]  # fmt: skip


def run_once(argv: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr}")
    return wall


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE)
        env = {**os.environ, "TELCLI_HOME": str(Path(tmp) / "home"), "NO_COLOR": "1"}
        for name in ("TELCLI_DEBUG", "PYTHONDONTWRITEBYTECODE", "TELCLI_SANDBOX_FAULTS"):
            env.pop(name, None)
        t = [py, "-m", "telcli", "--sandbox"]

        def setup(*argv: str) -> str:
            proc = subprocess.run([*t, *argv], env=env, capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(f"setup {' '.join(argv)} failed:\n{proc.stderr}")
            return proc.stdout

        setup("addresses", "create", "-p", "twilio", *ADDRESS)
        offer = json.loads(setup("numbers", "search", "-p", "twilio", "-c", "ZA", "--json"))
        number, spare = offer[0]["phone_number"], offer[1]["phone_number"]
        setup("numbers", "buy", number, "--yes")
        setup("vapi", "import", number, "--assistant", "Receptionist")

        cases: dict[str, tuple[list[str], tuple[int, ...]]] = {
            "bare typer --help": ([py, str(bare), "--help"], (0,)),
            "addresses create": ([*t, "addresses", "create", "-p", "telnyx", *ADDRESS], (0,)),
            "addresses list --json": ([*t, "addresses", "list", "--json"], (0,)),
            "numbers search -c ZA --json": ([*t, "numbers", "search", "-c", "ZA", "--json"], (0,)),
            "numbers pricing -c GB --json": (
                [*t, "numbers", "pricing", "-c", "GB", "--json"],
                (0,),
            ),
            "numbers buy --dry-run (address pick)": (
                [*t, "numbers", "buy", spare, "-p", "twilio", "--dry-run", "--json"],
                (0,),
            ),
            "vapi import (idempotent update)": (
                [*t, "vapi", "import", number, "-a", "Receptionist", "--json"],
                (0,),
            ),
            "vapi unassign": ([*t, "vapi", "unassign", number, "--json"], (0,)),
            "vapi assign": ([*t, "vapi", "assign", number, "-a", "Receptionist"], (0,)),
            "vapi numbers --json": ([*t, "vapi", "numbers", "--json"], (0,)),
            "vapi assistants --json": ([*t, "vapi", "assistants", "--json"], (0,)),
            "audit --json": ([*t, "audit", "--json"], (0,)),
        }
        for argv, ok in cases.values():  # warm bytecode and the sandbox DB first
            run_once(argv, env, ok)
        walls: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.runs):
            for name, (argv, ok) in cases.items():
                walls[name].append(run_once(argv, env, ok))
    base = statistics.median(walls["bare typer --help"])
    failed = False
    print(f"{'command (against the in-process sandbox)':44} {'median':>8} {'ratio':>6} {'bar':>5}")
    for name in cases:
        med = statistics.median(walls[name])
        ratio = med / base
        bare_row = name.startswith("bare")
        ok = bare_row or ratio <= BAR
        failed |= not ok
        bar = "" if bare_row else f"{BAR:.1f}x"
        print(f"{name:44} {med * 1000:6.0f}ms {ratio:5.2f}x {bar:>5}{'' if ok else '  MISSED'}")
    print(f"runs per command: {args.runs}; python {sys.version.split()[0]}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
