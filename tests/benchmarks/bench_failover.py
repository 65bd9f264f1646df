"""Failover under faults, measured against the same work without faults (not a pytest test).

    python tests/benchmarks/bench_failover.py [--workers 8] [--rtt-ms 100] [--seed 1]

The work: 200 searches (both providers each) and 50 purchases (25 numbers at each provider)
against the in-process sandbox, interleaved, on a pool of workers. Each operation gets its own
AppContext, as separate ``telcli`` processes of a script would, all sharing one state DB (ledger,
breakers) and one sandbox. Every request pays ``--rtt-ms`` in both runs: the sandbox answers in
microseconds, real providers do not (Twilio and Telnyx number APIs take 100-500 ms), and
backoff is only comparable to a realistic request. The ratio falls as the round trip grows:
with 20% errors every fifth request is paid twice whatever the backoff, and a search waits for
the slower of its two providers: 36% of searches pay at least one extra round trip, so about
1.36x is the floor for searches whatever the client does.

The rate limit is a ceiling: the work peaks near 60 requests/s per provider, so the default
(100/s) fires rarely; the sandbox's 429s say ``Retry-After: 1`` (whole seconds, like the real
APIs), and each one pauses every worker of that account for a second (client-side pacing,
issue 14, which also learns the limit from them). A limit below the work's demand measures the
limit, not the client: the floor is then requests / (limit x providers), printed as the
limit's own bound.

The faulty run adds, seeded: 503 on 20% of every operation of both providers, a dropped
response (the purchase done, the answer lost) on 5% of purchases, and a rate limit of
``--rate-limit`` requests a second per provider (429 with Retry-After). A purchase is driven like
a script drives ``telcli numbers buy``: exit 6 (provably not bought) is re-run, exit 7 is
settled with ``telcli numbers reconcile`` and re-run if that says not bought.

A third run (issue 10) answers ``--late-rate`` (10%) of the purchases after the request
timeout, which it sets to ``--late-timeout`` (1 s) for that run: the provider still buys the
number ``--late-times`` (1.5) timeouts after it was sent (tests/late.py holds the request back),
so a lookup right after the timeout finds nothing and telcli must wait within the settle window
instead of buying again. It prints the duplicates (bar 0) and its wall time against the clean
run (no bar: each late purchase costs its timeout plus the wait for the landing).

Bars (issue 3): every operation ends settled (ledger succeeded/failed only, agreeing with the
sandbox), 0 duplicate purchases, and faulty wall time <= 1.5x the clean run. Exits 1 when a bar
is missed. A duplicate is a purchase that reached the provider for a number it had already sold
us: the sandbox refuses it ("not available"), so counting only successful purchases would never
see one, least of all a re-send that overtakes a late purchase.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telcli.context import AppContext
from telcli.errors import OutcomeUnknown, ProviderRejected, TelcliError
from telcli.models import NumberQuery
from telcli.sandbox.faults import FaultInjector, FaultRule
from telcli.sandbox.transport import SandboxTransport
from telcli.services import numbers as svc
from telcli.storage.credentials import MemoryStore
from telcli.storage.state import StateDB

AREA_CODES = ["415", "212", "312", "617", "206", "303", "512", "305"]
MAX_RUNS = 6  # how often the script runs `numbers buy` for one number before giving up


class Observed(FaultInjector):
    """The faults, plus counts of what the sandbox saw and did."""

    def __init__(self, rules: list[FaultRule]) -> None:
        super().__init__(
            None, [r.__class__(**{**r.__dict__, "id": -(i + 1)}) for i, r in enumerate(rules)]
        )
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.committed: Counter[str] = Counter()  # purchases done, per number
        # Purchases that reached the provider for a number it had already sold us. The sandbox
        # refuses those ("not available"), so `committed` alone never sees a second purchase:
        # this counts the request telcli should never have sent.
        self.duplicates = 0

    def before(self, operation: str, request: Any) -> Any:
        with self.lock:
            self.counts["requests"] += 1
        try:
            answer = super().before(operation, request)
        except Exception:
            with self.lock:
                self.counts["timeouts"] += 1
            raise
        if answer is not None:
            with self.lock:
                self.counts[f"injected {answer.status}"] += 1
        return answer

    def after(self, operation: str, request: Any, response: Any) -> Any:
        if operation.endswith(".purchase"):
            number = _purchased_number(request)
            with self.lock:
                self.duplicates += self.committed[number] > 0
                self.committed[number] += 200 <= response.status < 300
        try:
            return super().after(operation, request, response)
        except Exception:
            with self.lock:
                self.counts["dropped responses"] += 1
            raise


def _purchased_number(request: Any) -> str:
    if request.host.endswith("twilio.com"):
        return dict(request.form_items).get("PhoneNumber", "?")
    return request.json()["phone_numbers"][0]["phone_number"]


@dataclass
class Run:
    name: str
    wall: float = 0.0
    searches_ok: int = 0
    searches_failed: int = 0
    bought: int = 0
    not_bought: list[str] = field(default_factory=list)
    buy_runs: int = 0
    reconciles: int = 0
    notes: Counter[str] = field(default_factory=Counter)
    sandbox: Observed | None = None
    problems: list[str] = field(default_factory=list)
    waited: float = 0.0
    late: int = 0  # purchases that landed after their request timed out
    lock: threading.Lock = field(default_factory=threading.Lock)


def context(home: Path, transport: Any, run: Run | None = None) -> AppContext:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELCLI_", "TWILIO_", "TELNYX_"))
    }
    env.update(TELCLI_HOME=str(home), TELCLI_SANDBOX="1")

    def sleep(seconds: float) -> None:
        if run is not None:
            with run.lock:
                run.waited += seconds  # backoff between retries, summed over workers
        time.sleep(seconds)

    ctx = AppContext(env=env, credential_store=MemoryStore(), sleep=sleep)
    ctx.sandbox_transport = transport  # one sandbox (and one fault schedule) for all
    return ctx


class RealClock:
    """What tests/late.py needs of a clock, in real time."""

    monotonic = staticmethod(time.monotonic)
    sleep = staticmethod(time.sleep)


def run_work(
    name: str,
    rules: list[FaultRule],
    numbers: list[str],
    args: argparse.Namespace,
    *,
    late: float = 0.0,
) -> Run:
    run = Run(name)
    lock = run.lock
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        observed = Observed(rules)
        run.sandbox = observed
        transport: Any = SandboxTransport(home / "sandbox.db", faults=observed)
        sandbox = transport
        if late:
            sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo: tests.late
            from tests.late import LateTransport

            (home / "config.yaml").write_text(f"timeout: {args.late_timeout}\n")
            after = args.late_times * args.late_timeout

            def delay(kind: str, provider: str, k: int) -> float | None:
                hit = random.Random(f"{args.seed}:{provider}:{k}").random() < late
                return after if kind == "purchase" and hit else None

            transport = LateTransport(sandbox, RealClock(), delay)

        def note(line: str) -> None:
            kind = line.split(": ", 1)[-1].split(" (", 1)[0][:60]
            with lock:
                run.notes[kind] += 1

        def search(i: int) -> None:
            ctx = context(home, transport, run)
            query = NumberQuery(area_code=AREA_CODES[i % len(AREA_CODES)], limit=5)
            try:
                svc.search(ctx.carriers(None, notify=note), query, notify=note)
                ok = True
            except TelcliError:
                ok = False
            finally:
                ctx.state.close()
            with lock:
                if ok:
                    run.searches_ok += 1
                else:
                    run.searches_failed += 1

        def buy_once(number: str) -> str:
            """One `telcli numbers buy NUMBER --yes`: 'bought', 'not bought' or 'unknown'."""
            ctx = context(home, transport, run)
            try:
                carriers = ctx.carriers(None, notify=note)
                carrier, offer = svc.quote(carriers, number, notify=note)
                svc.buy(
                    carrier,
                    offer,
                    state=ctx.state,
                    profile=ctx.ledger_profile,
                    notify=note,
                    tries=3,
                    retry=ctx.retry_policy,
                    settle=ctx.settle,
                )
                return "bought"
            except OutcomeUnknown:
                return "unknown"
            except ProviderRejected as exc:
                return "bought" if "already yours" in exc.message else "not bought"
            except TelcliError:
                return "not bought"
            finally:
                ctx.state.close()

        def reconcile() -> None:
            ctx = context(home, transport, run)
            try:
                svc.reconcile(
                    ctx.carriers(None),
                    state=ctx.state,
                    profile=ctx.ledger_profile,
                    providers=ctx.settings.providers,
                )
            except TelcliError:
                pass
            finally:
                ctx.state.close()

        def purchase(number: str) -> None:
            for _ in range(MAX_RUNS):
                with lock:
                    run.buy_runs += 1
                outcome = buy_once(number)
                if outcome == "unknown":
                    with lock:
                        run.reconciles += 1
                    reconcile()
                    outcome = buy_once(number)  # the re-run reconciles first, then decides
                    with lock:
                        run.buy_runs += 1
                if outcome == "bought":
                    with lock:
                        run.bought += 1
                    return
            with lock:
                run.not_bought.append(number)

        jobs: list[tuple[Any, Any]] = [(search, i) for i in range(args.searches)]
        jobs += [(purchase, n) for n in numbers]
        random.Random(args.seed).shuffle(jobs)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            for future in [pool.submit(fn, arg) for fn, arg in jobs]:
                future.result()
        run.wall = time.perf_counter() - start
        if late:
            transport.settle_all()  # anything still held lands before the books are checked
            run.late = transport.landed_late
        run.problems = check(home, sandbox, numbers, observed)
    return run


def check(
    home: Path, transport: SandboxTransport, numbers: list[str], observed: Observed
) -> list[str]:
    """Settled and no duplicates: the ledger against the sandbox, number by number."""
    problems = []
    owned = set(transport.state.owned_phone_numbers())
    db = StateDB(home / "state.db")
    try:
        entries = db.ledger_entries(op="buy")
    finally:
        db.close()
    open_ = [e for e in entries if e.status not in ("succeeded", "failed")]
    if open_:
        problems.append(f"{len(open_)} ledger entries not settled: {[e.status for e in open_]}")
    for number in numbers:
        ok = [e for e in entries if e.target == number and e.status == "succeeded"]
        if (number in owned) != (len(ok) == 1) or len(ok) > 1:
            problems.append(f"{number}: owned={number in owned}, ledger succeeded x{len(ok)}")
    if observed.duplicates:
        problems.append(f"{observed.duplicates} duplicate purchases")
    return problems


def pick_numbers(count: int) -> list[str]:
    """Numbers to buy, half from each provider, as a clean sandbox offers them."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        transport = SandboxTransport(home / "sandbox.db")
        ctx = context(home, transport)
        picked: list[str] = []
        try:
            for provider in ("twilio", "telnyx"):
                carrier = ctx.carrier(provider)
                found: list[str] = []
                for code in AREA_CODES:
                    offers = carrier.search_numbers(NumberQuery(area_code=code, limit=20))
                    found += [o.phone_number for o in offers if o.phone_number not in found]
                    if len(found) >= count // 2:
                        break
                picked += found[: count // 2]
        finally:
            ctx.state.close()
    return picked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--purchases", type=int, default=50)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rtt-ms", type=int, default=100)
    parser.add_argument("--error-rate", type=float, default=0.20)
    parser.add_argument("--drop-rate", type=float, default=0.05)
    parser.add_argument("--rate-limit", type=float, default=100.0, help="requests/s per provider")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--late-rate", type=float, default=0.10, help="purchases answered late")
    parser.add_argument("--late-timeout", type=float, default=1.0, help="request timeout, s")
    parser.add_argument("--late-times", type=float, default=1.5, help="x the timeout")
    args = parser.parse_args()

    numbers = pick_numbers(args.purchases)
    rtt = (
        [FaultRule(p, latency_ms=args.rtt_ms) for p in ("twilio", "telnyx")] if args.rtt_ms else []
    )
    faults = [
        *rtt,
        *(FaultRule(p, rate_limit=args.rate_limit) for p in ("twilio", "telnyx")),
        *(
            FaultRule(p, status=503, rate=args.error_rate, seed=args.seed + i)
            for i, p in enumerate(("twilio", "telnyx"))
        ),
        *(
            FaultRule(
                p, "purchase", drop_response=True, rate=args.drop_rate, seed=args.seed + 10 + i
            )
            for i, p in enumerate(("twilio", "telnyx"))
        ),
    ]
    clean = run_work("clean", rtt, numbers, args)
    faulty = run_work("faults", faults, numbers, args)
    slow = run_work("late", rtt, numbers, args, late=args.late_rate)

    print(
        f"work: {args.searches} searches + {len(numbers)} purchases, {args.workers} workers,"
        f" {args.rtt_ms} ms per request in both runs"
    )
    print(
        f"faults: 503 on {args.error_rate:.0%} of every operation, dropped responses on"
        f" {args.drop_rate:.0%} of purchases, {args.rate_limit:g} requests/s per provider"
    )
    print(
        f"late: {args.late_rate:.0%} of purchases answered {args.late_times:g}x the"
        f" {args.late_timeout:g} s request timeout after they were sent"
    )
    for r in (clean, faulty, slow):
        assert r.sandbox is not None
        seen = dict(sorted(r.sandbox.counts.items()))
        print(
            f"  {r.name:6}  wall {r.wall:6.2f} s  searches ok {r.searches_ok}"
            f" failed {r.searches_failed}  bought {r.bought}/{len(numbers)}"
            f" (buy runs {r.buy_runs}, reconciles {r.reconciles})"
            f"  waited {r.waited:.1f} s in backoff (all workers)  sandbox saw {seen}"
        )
        if r.notes:
            top = ", ".join(f"{k!r} x{v}" for k, v in r.notes.most_common(4))
            print(f"          notes: {top}")
    ratio = faulty.wall / clean.wall
    settled = not clean.problems and not faulty.problems
    duplicates = faulty.sandbox.duplicates  # type: ignore[union-attr]
    throttled = faulty.sandbox.counts["injected 429"]  # type: ignore[union-attr]
    print(f"rate limit fired {throttled} times (each 429 honoured: Retry-After 1 s)")
    sent = faulty.sandbox.counts["requests"]  # type: ignore[union-attr]
    bound = sent / (args.rate_limit * 2)
    print(
        f"the limit's own bound: {sent} requests at {args.rate_limit * 2:g}/s = {bound:.2f} s;"
        f" faulty wall / bound: {faulty.wall / bound:.2f}x (issue 14: <= 1.3x at 40/s)"
    )
    print(f"ratio faults/clean: {ratio:.2f}x (bar <= 1.5x)")
    print(f"settled: {'yes' if settled else 'NO'}; duplicates: {duplicates} (bar 0)")
    late_dups = slow.sandbox.duplicates  # type: ignore[union-attr]
    print(
        f"late answers: {slow.late} purchases landed after their timeout; ratio late/clean:"
        f" {slow.wall / clean.wall:.2f}x; settled: {'yes' if not slow.problems else 'NO'};"
        f" duplicates: {late_dups} (bar 0)"
    )
    for r in (clean, faulty, slow):
        for p in r.problems:
            print(f"  {r.name}: {p}")
        if r.not_bought:
            print(f"  {r.name}: gave up on {len(r.not_bought)} purchases after {MAX_RUNS} runs")
    ok = settled and duplicates == 0 and ratio <= 1.5 and not faulty.not_bought
    ok = ok and late_dups == 0 and not slow.problems and not slow.not_bought
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
