"""Client-side pacing against a provider rate limit, on the embedded sandbox (not a pytest test).

    python tests/benchmarks/bench_pacing.py [--tenants 40] [--concurrency 8] [--limit 10]

Every run gets a fresh TELCLI_HOME (state DB: the shared bucket; sandbox DB: the limit, a
token bucket per account holding one second's worth). The applies run twice: with the default
ceilings (twilio 100, telnyx 50 requests/s), far above the limit, so the pacer has to learn it
from 429s (the hard case), then with ``rate_limits`` set to the limit (what an operator who
knows the account's limit configures). Each figure is set against the limit's own bound,
the time the limit alone needs: successful requests to the busier carrier / ``--limit``
(429s are counted, not bound). Wall times include starting Python and telcli.
Requests and 429s are read from the ``--debug`` log (one line per response).

1. ``tenants apply`` of ``--tenants`` tenants, ``--concurrency 8``, sandbox limit ``--limit``
   requests/s on each carrier. Bars: wall <= 1.25x the bound, 429s <= 5% of requests.
2. Two ``tenants apply`` at once, disjoint halves of the same tenants (even and odd), one
   account (one TELCLI_HOME). Bars: combined wall <= 1.3x the bound, 429s <= 5%.
3. For scale, the same apply with no limit (what the work costs where nothing binds).
4. Four processes listing numbers as fast as they may (tests/pacing_worker.py), 5 s:
   combined rate against the limit, and 429s.

Exits 1 when a bar is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tenants import plan_text

ROOT = Path(__file__).resolve().parents[2]
RESPONSE = re.compile(r"^http: [A-Z]+ https?://([^/\s]+)\S* -> (\d{3}) \(", re.MULTILINE)
CARRIER = {"api.twilio.com": "twilio", "pricing.twilio.com": "twilio", "api.telnyx.com": "telnyx"}


def environment(home: Path, limit: float | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELCLI_", "TWILIO_", "TELNYX_", "VAPI_"))
    }
    env.update(TELCLI_HOME=str(home), TELCLI_SANDBOX="1", NO_COLOR="1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if limit is not None:
        env["TELCLI_SANDBOX_FAULTS"] = (
            f"twilio:rate-limit={limit:g}/s;telnyx:rate-limit={limit:g}/s"
        )
    return env


def apply(plan: Path, env: dict[str, str], concurrency: int) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "telcli", "--debug", "tenants", "apply", str(plan), "--yes"]
    argv += ["--json", "--concurrency", str(concurrency)]
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def tally(stderr: str) -> tuple[Counter[str], Counter[str]]:
    """(successful responses per carrier, 429s per carrier) from a --debug log."""
    ok: Counter[str] = Counter()
    throttled: Counter[str] = Counter()
    for host, status in RESPONSE.findall(stderr):
        carrier = CARRIER.get(host, "vapi")
        if status == "429":
            throttled[carrier] += 1
        else:
            ok[carrier] += 1
    return ok, throttled


def applies(
    plans: list[Path], home: Path, limit: float | None, concurrency: int, *, known: bool = False
) -> dict:
    """Run one ``tenants apply`` per plan at once on one TELCLI_HOME. ``known``: config.yaml
    sets ``rate_limits`` to the limit (the pacer starts there instead of learning it)."""
    env = environment(home, limit)
    if known and limit:
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.yaml").write_text(
            f"rate_limits: {{twilio: {limit:g}, telnyx: {limit:g}}}\n"
        )
    start = time.perf_counter()
    procs = [apply(plan, env, concurrency) for plan in plans]
    ok: Counter[str] = Counter()
    throttled: Counter[str] = Counter()
    not_done = []
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode == 7:  # a tenant not done (two applies racing for one number...)
            not_done += re.findall(r"^error: (.*not done.*)$", err, re.MULTILINE)
        elif proc.returncode != 0:
            log = home / f"apply-{proc.pid}.log"
            log.write_text(err)
            print(err[-2000:], file=sys.stderr)
            raise SystemExit(f"tenants apply exited {proc.returncode} (log: {log})")
        o, t = tally(err)
        ok.update(o)
        throttled.update(t)
    wall = time.perf_counter() - start
    busiest = max(ok["twilio"], ok["telnyx"])
    total = sum(ok.values()) + sum(throttled.values())
    return {
        "wall": wall,
        "bound": busiest / limit if limit else None,
        "ok": dict(ok),
        "throttled": dict(throttled),
        "share": sum(throttled.values()) / total if total else 0.0,
        "not_done": not_done,
    }


def workers(home: Path, limit: float, count: int, seconds: float) -> dict:
    env = environment(home, limit)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.pacing_worker"],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for p in procs:  # every worker warm, however long the machine took to start it
        assert p.stdout is not None and p.stdout.readline() == "ready\n"
    start = time.time() + 0.5
    for p in procs:
        assert p.stdin is not None
        p.stdin.write(f"{start} {start + seconds}\n")
        p.stdin.flush()
    reports = [json.loads(p.communicate()[0]) for p in procs]
    sent = sum(start <= t < start + seconds for r in reports for t in r["times"])
    refused = sum(start <= t < start + seconds for r in reports for t in r["refused"])
    return {"rate": sent / seconds, "share": refused / sent if sent else 0.0, "sent": sent}


def halve(plan: str, parity: int) -> str:
    """Every other tenant of ``plan``: the even ones or the odd ones. Tenants rotate over area
    codes, so the halves ask for different area codes and race for toll-free numbers only."""
    head, _, body = plan.partition("tenants:\n")
    entries = ["  - id:" + e for e in body.split("  - id:")[1:]]
    return head + "tenants:\n" + "".join(entries[parity::2])


def line(name: str, r: dict, bar: float) -> bool:
    ratio = r["wall"] / r["bound"]
    ok = ratio <= bar and r["share"] <= 0.05
    print(
        f"  {name}: wall {r['wall']:.2f} s, bound {r['bound']:.2f} s -> {ratio:.2f}x"
        f" (bar <= {bar}x); 429s {r['share']:.1%} (bar <= 5%);"
        f" ok {r['ok']}, 429 {r['throttled']}  {'ok' if ok else 'BAR MISSED'}"
    )
    for problem in r["not_done"]:
        print(f"    (exit 7: {problem})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--limit", type=float, default=10.0, help="sandbox requests/s per carrier")
    args = parser.parse_args()
    passed = True
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        whole = root / "all.yaml"
        whole.write_text(plan_text(args.tenants))
        east, west = root / "east.yaml", root / "west.yaml"
        east.write_text(halve(plan_text(args.tenants), 0))
        west.write_text(halve(plan_text(args.tenants), 1))

        print(
            f"pacing: sandbox limit {args.limit:g} requests/s per carrier, {args.tenants}"
            f" tenants, --concurrency {args.concurrency}; default ceilings (learnt from 429s):"
        )
        one = applies([whole], root / "one", args.limit, args.concurrency)
        passed &= line("one tenants apply", one, 1.25)
        two = applies([east, west], root / "two", args.limit, args.concurrency)
        passed &= line("two tenants apply at once (disjoint halves)", two, 1.3)
        print(f"  with rate_limits set to {args.limit:g} (the pacer starts at the limit):")
        one = applies([whole], root / "one-known", args.limit, args.concurrency, known=True)
        passed &= line("one tenants apply", one, 1.25)
        two = applies([east, west], root / "two-known", args.limit, args.concurrency, known=True)
        passed &= line("two tenants apply at once (disjoint halves)", two, 1.3)
        free = applies([whole], root / "free", None, args.concurrency)
        print(
            f"  for scale, the same apply with no limit: wall {free['wall']:.2f} s, ok {free['ok']}"
        )
        four = workers(root / "workers", args.limit, 4, 5.0)
        print(
            f"  four processes listing numbers for 5 s: {four['rate']:.1f} requests/s"
            f" ({four['rate'] / args.limit:.0%} of the limit), 429s {four['share']:.1%}"
            f" of {four['sent']}"
        )
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
