"""Tenant onboarding at scale on the embedded sandbox (not a pytest test).

    python tests/benchmarks/bench_tenants.py [--tenants 100] [--concurrency 8] [--runs 3]
        [--rss-tenants 1000]

Prints, measured side by side in one run:

- `tenants apply` of N tenants (no faults), one number each, webhooks/Telnyx wiring and a VAPI
  assistant, with --concurrency 8: wall time, and requests per tenant (counted from the
  --debug HTTP log, which prints one line per request);
- a re-apply of the same plan (nothing to do): wall time and its ratio to the first run
  (bar: <= 10%);
- peak RSS of `tenants plan` with 1,000 tenants (bar: <= 150 MiB). `plan`, not `apply`: the
  sandbox stocks about 850 numbers, fewer than 1,000 tenants need, and `plan` does the same
  discovery, one search per distinct criteria and the same per-tenant bookkeeping.

Exits 1 when a bar is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REAPPLY_BAR = 0.10
RSS_BAR_MIB = 150
# US numbers the sandbox stocks without an address requirement: 96 local across both
# carriers (12 in each shared area code, 6 in each carrier-only one), 40 toll-free. Tenants
# rotate over area codes (shared ones twice) so both carriers sell and none runs out.
SHARED, ONE_CARRIER = ["415", "212", "312", "512"], ["206", "303", "617", "808", "213", "305"]
AREAS = SHARED * 2 + ONE_CARRIER + ["404", "702"]


def plan_text(count: int) -> str:
    lines = [
        "version: 1",
        "defaults:",
        "  country: US",
        '  max_monthly_price: "5.00"',
        "  providers: [twilio, telnyx]",
        "  webhooks: {voice_url: 'https://hooks.example.com/{tenant}/voice',"
        " sms_url: 'https://hooks.example.com/{tenant}/sms'}",
        "  telnyx: {connection: '1234567890',"
        " messaging_profile: '400174d0-4b2c-4a0e-a5ff-5b3d7e6b0001'}",
        "  vapi: {assistant: Receptionist}",
        "tenants:",
    ]
    for i in range(count):
        lines.append(f"  - id: tenant-{i:04d}")
        lines.append(f"    name: Tenant {i}")
        if i % 5 == 4:
            lines.append("    type: toll-free")
        else:
            lines.append(f'    area_code: "{AREAS[i % len(AREAS)]}"')
    return "\n".join(lines) + "\n"


def run(argv: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, proc


def peak_rss_mib(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run ``argv`` and return (its peak resident set size in MiB, exit code)."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, proc.returncode  # Linux: KiB


REQUEST_LINE = re.compile(r"^http: [A-Z]+ https?://", re.MULTILINE)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rss-tenants", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="first applies (fresh sandboxes)")
    args = parser.parse_args()
    py = sys.executable
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TELCLI_HOME": str(Path(tmp) / "home"), "NO_COLOR": "1"}
        # Bytecode caches on, as for any user (this sandbox's shells turn them off).
        for name in ("TELCLI_DEBUG", "TELCLI_SANDBOX_FAULTS", "TELCLI_PROFILE"):
            env.pop(name, None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        plan = Path(tmp) / "plan.yaml"
        plan.write_text(plan_text(args.tenants))
        t = [py, "-m", "telcli", "--sandbox"]
        apply = ["--debug", "tenants", "apply", str(plan), "--yes", "--json"]
        apply += ["--concurrency", str(args.concurrency)]

        # Warm up: compile and cache every module either run imports.
        warm = {**env, "TELCLI_HOME": str(Path(tmp) / "warm")}
        run([*t, "tenants", "apply", str(plan), "--tenant", "tenant-0000", "--yes"], warm)

        # Interleaved, medians: a shared machine's noise hits every figure alike.
        firsts, agains, floors = [], [], []
        requests = again_requests = 0
        for i in range(args.runs):
            home = {**env, "TELCLI_HOME": str(Path(tmp) / f"home-{i}")}
            wall, proc = run([*t, *apply], home)
            if proc.returncode != 0:
                print(proc.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"apply exited {proc.returncode}")
            firsts.append(wall)
            requests = len(REQUEST_LINE.findall(proc.stderr))
            for _ in range(2):
                wall, proc = run([*t, *apply], home)
                if proc.returncode != 0:
                    raise SystemExit(f"re-apply exited {proc.returncode}:\n{proc.stderr[-3000:]}")
                agains.append(wall)
                again_requests = len(REQUEST_LINE.findall(proc.stderr))
                floors.append(run([*t, "numbers", "list", "--json"], home)[0])
        first, again, floor = (statistics.median(x) for x in (firsts, agains, floors))
        ratio = again / first
        print(
            f"apply, {args.tenants} tenants, --concurrency {args.concurrency}: {first:.2f} s"
            f" (median of {len(firsts)}), {requests} requests"
            f" ({requests / args.tenants:.1f} per tenant)"
        )
        print(
            f"re-apply (nothing to do): {again:.2f} s (median of {len(agains)}),"
            f" {again_requests} requests; {ratio:.1%} of the first run (bar <= {REAPPLY_BAR:.0%})"
        )
        print(
            f"  for scale: `numbers list` on the same sandbox (start-up, SDK imports and the"
            f" carrier listings a re-apply cannot skip): {floor:.2f} s (median)"
        )
        if ratio > REAPPLY_BAR:
            failed = True
            print("  BAR MISSED: re-apply")

        big = Path(tmp) / "big.yaml"
        big.write_text(plan_text(args.rss_tenants))
        env_big = {**env, "TELCLI_HOME": str(Path(tmp) / "home-big")}
        start = time.perf_counter()
        rss, code = peak_rss_mib([*t, "tenants", "plan", str(big), "--json"], env_big)
        wall = time.perf_counter() - start
        print(
            f"plan, {args.rss_tenants} tenants: peak RSS {rss:.1f} MiB (bar <= {RSS_BAR_MIB}),"
            f" {wall:.2f} s, exit {code}"
        )
        if code != 0 or rss > RSS_BAR_MIB:
            failed = True
            print("  BAR MISSED: plan RSS" if rss > RSS_BAR_MIB else f"  plan exited {code}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
