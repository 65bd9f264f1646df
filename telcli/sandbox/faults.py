"""Fault injection for the sandbox: errors, latency, rate limits, timeouts and lost responses,
per provider and operation, seeded and deterministic.

A :class:`FaultInjector` is the sandbox's :class:`~telcli.sandbox.app.FaultHook`. Rules come
from two places:

- ``telcli sandbox faults set ...``: stored in the sandbox's SQLite file (table
  ``sandbox_faults``, which ``sandbox reset`` leaves alone), so every later process, in-process
  sandbox or ``sandbox serve``, sees them, and their counters continue across processes;
- ``TELCLI_SANDBOX_FAULTS``: rules for one process (tests), counted in memory. Either JSON (a
  rule object or a list of them, keys as in :meth:`FaultRule.to_json`) or a short form,
  ``;``-separated: ``twilio.purchase:status=503,rate=0.2,seed=7;telnyx:drop-response``.

Whether the k-th request a rule matches is hit depends only on the rule's seed and k
(``Random(f"{seed}:{k}").random() < rate``), so a schedule replays exactly. The kinds:

- ``status``: answer with that status and the provider's own error body, without running the
  operation (a 429 carries ``Retry-After: 1``);
- ``timeout``: do not run the operation and never answer (in process: ``httpx.ReadTimeout`` at
  once; over HTTP the connection is held 30 s, then closed);
- ``drop_response``: run the operation (its effects are committed), then cut the connection
  before the answer: the ambiguous case;
- ``latency``: sleep that long before the operation (alone or with any kind above). In
  process, as over HTTP, a client whose read timeout is shorter gets no answer: it waits its
  timeout, the operation still runs (as the server would run it), and the client sees
  ``httpx.ReadTimeout`` (see :func:`answer_within`);
- ``rate_limit``: at most N requests per second per account (a token bucket holding one
  second's worth, so N at once after a quiet second): beyond that a 429 with the seconds until
  the next request would be allowed in ``Retry-After`` (whole seconds, at least 1), like the
  real APIs. The bucket is kept in the sandbox's SQLite file, for rules from the environment
  too, so every process using one sandbox shares each account's limit (``sandbox serve`` is
  one process and holds one).
"""

from __future__ import annotations

import json
import math
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from telcli.sandbox import telnyx, twilio
from telcli.sandbox.wire import DropConnection, Request, Response

PROVIDERS = ("twilio", "telnyx")
HANG_SECONDS = 30.0
_TWILIO_ACCOUNT = re.compile(r"/Accounts/(AC[0-9a-fA-F]{32})")

_TABLE = """
CREATE TABLE IF NOT EXISTS sandbox_faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0
)
"""
# One token bucket per rate-limit rule and account: ``tat`` is when it would be empty.
_BUCKETS = """
CREATE TABLE IF NOT EXISTS sandbox_rate_limits (
    key TEXT PRIMARY KEY,
    tat REAL NOT NULL
)
"""


@dataclass
class Patience:
    """How long the client of the request being handled waits for its answer (its read
    timeout, seconds), and whether injected latency outlasted it."""

    left: float
    late: bool = False


_PATIENCE: ContextVar[Patience | None] = ContextVar("telcli_sandbox_patience", default=None)


@contextmanager
def answer_within(seconds: float | None) -> Iterator[Patience | None]:
    """While handling one in-process request whose client waits ``seconds`` (None: for
    ever), injected latency is cut at that point and marks the request ``late``: the
    transport then raises ``httpx.ReadTimeout`` instead of answering, as a socket would."""
    if seconds is None:
        yield None
        return
    patience = Patience(max(float(seconds), 0.0))
    token = _PATIENCE.set(patience)
    try:
        yield patience
    finally:
        _PATIENCE.reset(token)


# Longer than anything a client waits; far larger values overflow the sleep underneath
# (`time.sleep(1e20)` raises OverflowError in a `sandbox serve` request thread).
MAX_LATENCY_MS = 3_600_000


class FaultError(ValueError):
    """A fault rule that makes no sense (the CLI turns it into a usage error)."""


class Hang(DropConnection):
    """The operation never answers: a timeout from the client's point of view. Nothing ran."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


@dataclass(frozen=True)
class FaultRule:
    provider: str
    operation: str | None = None  # "purchase", "twilio.purchase", "pricing" (a prefix)...
    status: int | None = None
    rate: float = 1.0
    latency_ms: int = 0
    rate_limit: float | None = None  # requests per second
    timeout: bool = False
    drop_response: bool = False
    seed: int = 0
    id: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise FaultError(f"unknown provider {self.provider!r}: use twilio or telnyx")
        if self.operation is not None and not self.operation.strip(". "):
            raise FaultError("the operation name is empty")
        if self.operation and "." in self.operation:
            head = self.operation.split(".", 1)[0]
            if head in PROVIDERS and head != self.provider:
                raise FaultError(f"operation {self.operation!r} is not a {self.provider} one")
        if self.status is not None and not 400 <= self.status <= 599:
            raise FaultError(f"status {self.status} is not an error status (400-599)")
        if not 0.0 <= self.rate <= 1.0:
            raise FaultError(f"rate {self.rate} is not a probability between 0 and 1")
        if not 0 <= self.latency_ms <= MAX_LATENCY_MS:
            raise FaultError(
                f"latency must be from 0 to {MAX_LATENCY_MS} ms (an hour), not {self.latency_ms}"
            )
        if self.rate_limit is not None and not (0 < self.rate_limit < math.inf):
            raise FaultError(
                f"a rate limit must allow a finite number of requests per second above 0,"
                f" not {self.rate_limit:g}"
            )
        kinds = [k for k in ("status", "timeout", "drop_response") if getattr(self, k)]
        if len(kinds) > 1:
            raise FaultError("choose one of --status, --timeout and --drop-response per fault")
        if not kinds and not self.latency_ms and self.rate_limit is None:
            raise FaultError(
                "this fault does nothing: give --status, --timeout, --drop-response,"
                " --latency or --rate-limit"
            )

    @property
    def kind(self) -> str:
        if self.status is not None:
            return f"status {self.status}"
        if self.timeout:
            return "timeout"
        if self.drop_response:
            return "drop-response"
        return "latency" if self.latency_ms else "rate-limit"

    @property
    def target(self) -> str:
        op = self.operation or "*"
        return op if op.startswith(f"{self.provider}.") else f"{self.provider}.{op}"

    def matches(self, operation: str) -> bool:
        if not operation.startswith(f"{self.provider}."):
            return False
        if self.operation is None:
            return True
        want = self.target
        return operation == want or operation.startswith(want + ".")

    def hit(self, k: int) -> bool:
        """Is the k-th matching request (1-based) affected? Depends on seed and k only."""
        if self.rate >= 1.0:
            return True
        return random.Random(f"{self.seed}:{k}").random() < self.rate

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k != "id"}
        return {"id": self.id, **data, "kind": self.kind, "target": self.target}


# --- parsing ----------------------------------------------------------------------------------

_FIELDS = {
    "provider",
    "operation",
    "status",
    "rate",
    "latency_ms",
    "rate_limit",
    "timeout",
    "drop_response",
    "seed",
}


def parse_rate_limit(text: str) -> float:
    """``10/s``, ``10`` (per second) or ``600/m`` -> requests per second."""
    value, _, unit = text.strip().partition("/")
    per = {"": 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0}.get(unit.strip().lower())
    try:
        count = float(value)
    except ValueError:
        per = None
    if per is None:
        raise FaultError(f"rate limit {text!r} is not like 10/s or 600/m")
    return count / per


def _rule(data: Mapping[str, Any]) -> FaultRule:
    unknown = set(data) - _FIELDS - {"id", "kind", "target", "latency"}
    if unknown:
        raise FaultError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
    values = {k: v for k, v in data.items() if k in _FIELDS}
    if "latency" in data:
        values["latency_ms"] = data["latency"]
    try:
        if isinstance(values.get("rate_limit"), str):
            values["rate_limit"] = parse_rate_limit(values["rate_limit"])
        for key, kind in (("status", int), ("latency_ms", int), ("seed", int)):
            if values.get(key) is not None:
                values[key] = kind(values[key])
        for key in ("rate", "rate_limit"):
            if values.get(key) is not None:
                values[key] = float(values[key])
        return FaultRule(**values)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, FaultError):
            raise
        raise FaultError(f"bad fault {dict(data)}: {exc}") from None


def _short(text: str) -> FaultRule:
    # twilio.purchase:status=503,rate=0.2   or   telnyx:drop-response
    head, _, settings = text.partition(":")
    provider, _, operation = head.strip().partition(".")
    data: dict[str, Any] = {"provider": provider, "operation": operation or None}
    for item in filter(None, (s.strip() for s in settings.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip().replace("-", "_")
        data[key] = value.strip() if eq else True
    return _rule(data)


def parse_rules(spec: str | None) -> list[FaultRule]:
    """The rules in ``TELCLI_SANDBOX_FAULTS`` (JSON, or the short form)."""
    if not spec or not spec.strip():
        return []
    text = spec.strip()
    if text[0] in "[{":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise FaultError(f"TELCLI_SANDBOX_FAULTS is not valid JSON: {exc}") from None
        items = data if isinstance(data, list) else [data]
        if not all(isinstance(i, dict) for i in items):
            raise FaultError("TELCLI_SANDBOX_FAULTS must be a JSON object or a list of objects")
        rules = [_rule(i) for i in items]
    else:
        rules = [_short(part) for part in text.split(";") if part.strip()]
    return [replace(r, id=-(i + 1)) for i, r in enumerate(rules)]


# --- counters -----------------------------------------------------------------------------------


class _MemoryCounters:
    """Counters of one process (rules from the environment, with no sandbox file)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[int, int] = {}
        self._buckets: dict[str, float] = {}

    def next(self, rule: FaultRule) -> int:
        with self._lock:
            k = self._seen.get(rule.id or 0, 0) + 1
            self._seen[rule.id or 0] = k
            return k

    def admit(self, rule: FaultRule, account: str, now: float) -> float | None:
        key = _bucket_key(rule, account)
        with self._lock:
            wait, self._buckets[key] = _take(rule, now, self._buckets.get(key, 0.0))
            return wait


def _bucket_key(rule: FaultRule, account: str) -> str:
    # By what the rule says, not its id: the same rule from the environment of several
    # processes is one limit.
    return f"{rule.target}|{rule.rate_limit!r}|{account}"


def _take(rule: FaultRule, now: float, tat: float) -> tuple[float | None, float]:
    """One request against a token bucket of ``rate_limit`` per second holding one second's
    worth (GCRA). Returns (seconds until a request would be allowed, or None: allowed; the new
    ``tat``)."""
    assert rule.rate_limit is not None
    interval = 1.0 / rule.rate_limit
    tolerance = max(0.0, rule.rate_limit - 1.0) * interval  # a burst of N after a quiet second
    tat = max(tat, now)
    if tat - now > tolerance + 1e-9:  # float sums of intervals must not refuse the Nth
        return tat - tolerance - now, tat
    return None, tat + interval


def _account(request: Request) -> str:
    """Who the request counts against: the Twilio account in the path, else the credential
    (hashed: the sandbox file keeps no secret)."""
    import hashlib

    found = _TWILIO_ACCOUNT.search(request.path)
    if found:
        return found.group(1)
    auth = request.headers.get("authorization", "")
    return hashlib.sha256(auth.encode()).hexdigest()[:12]


class FaultStore:
    """The rules set with ``telcli sandbox faults set``, in the sandbox's SQLite file."""

    def __init__(self, db_path: Path | str) -> None:
        self.db_path = Path(db_path)

    @contextmanager
    def _connect(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        from telcli.storage.private import prepare_db

        prepare_db(self.db_path)
        conn = sqlite3.connect(self.db_path, isolation_level=None, timeout=10)
        try:
            conn.execute("PRAGMA busy_timeout = 10000")
            if write:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(_TABLE)
                    yield conn
                except BaseException:
                    if conn.in_transaction:  # SQLite may have rolled back already
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            else:
                yield conn
        finally:
            conn.close()

    def rules(self) -> list[FaultRule]:
        try:
            with self._connect() as conn:
                rows = conn.execute("SELECT id, rule FROM sandbox_faults ORDER BY id").fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        return [replace(_rule(json.loads(raw)), id=rid) for rid, raw in rows]

    def add(self, rule: FaultRule) -> FaultRule:
        data = {k: v for k, v in asdict(rule).items() if k != "id"}
        with self._connect(write=True) as conn:
            cur = conn.execute("INSERT INTO sandbox_faults (rule) VALUES (?)", (json.dumps(data),))
            return replace(rule, id=int(cur.lastrowid or 0))

    def clear(self, *, provider: str | None = None, rule_id: int | None = None) -> list[FaultRule]:
        """Remove rules (all, one provider's, or one by id); returns what went."""
        gone = [
            r
            for r in self.rules()
            if (provider is None or r.provider == provider) and (rule_id is None or r.id == rule_id)
        ]
        if gone:
            with self._connect(write=True) as conn:
                conn.executemany("DELETE FROM sandbox_faults WHERE id = ?", [(r.id,) for r in gone])
        return gone

    def next(self, rule: FaultRule) -> int:
        with self._connect(write=True) as conn:
            conn.execute("UPDATE sandbox_faults SET seen = seen + 1 WHERE id = ?", (rule.id,))
            row = conn.execute(
                "SELECT seen FROM sandbox_faults WHERE id = ?", (rule.id,)
            ).fetchone()
            return int(row[0]) if row else 1

    def admit(self, rule: FaultRule, account: str, now: float) -> float | None:
        key = _bucket_key(rule, account)
        with self._connect(write=True) as conn:
            conn.execute(_BUCKETS)
            row = conn.execute(
                "SELECT tat FROM sandbox_rate_limits WHERE key = ?", (key,)
            ).fetchone()
            wait, tat = _take(rule, now, row[0] if row else 0.0)
            conn.execute(
                "INSERT INTO sandbox_rate_limits (key, tat) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET tat = excluded.tat",
                (key, tat),
            )
            return wait


# --- the hook -----------------------------------------------------------------------------------


def _error(provider: str, status: int, retry_after: float | None = None) -> Response:
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after else None
    if provider == "twilio":
        messages = {
            429: (20429, "Too Many Requests"),
            500: (20500, "Internal Server Error"),
            503: (20503, "Service Unavailable"),
        }
        number, message = messages.get(status, (20000 + status, f"Sandbox fault: HTTP {status}"))
        return twilio.error(status, number, message, headers)
    codes = {
        401: ("10009", "Authentication failed"),
        404: ("10005", "Resource not found"),
        429: ("10011", "Too many requests"),
    }
    code, title = codes.get(
        status, ("10007", "Unexpected error") if status >= 500 else ("10015", "Bad Request")
    )
    response = telnyx.error(status, code, title, f"Sandbox fault: HTTP {status}")
    if headers:
        response = Response(response.status, {**response.headers, **headers}, response.body)
    return response


class FaultInjector:
    """The fault hook: stored rules (re-read on every request, so ``faults set`` in another
    process takes effect at once) plus the environment's."""

    def __init__(
        self,
        store: FaultStore | None = None,
        rules: Sequence[FaultRule] = (),
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.env_rules = list(rules)
        self.memory = _MemoryCounters()
        self.sleep = sleep
        self.clock = clock

    @classmethod
    def for_sandbox(cls, db_path: Path | str, env_spec: str | None = None) -> FaultInjector:
        return cls(FaultStore(db_path), parse_rules(env_spec))

    def rules(self) -> list[FaultRule]:
        stored = self.store.rules() if self.store is not None else []
        return stored + self.env_rules

    def _counters(self, rule: FaultRule) -> Any:
        return self.memory if (rule.id or 0) < 0 or self.store is None else self.store

    def before(self, operation: str, request: Request) -> Response | None:
        for rule in self.rules():
            if not rule.matches(operation):
                continue
            counters = self._counters(rule)
            if rule.rate_limit is not None:
                # Rate limits count in the sandbox file whatever the rule's origin.
                limits = self.store if self.store is not None else self.memory
                wait = limits.admit(rule, _account(request), self.clock())
                if wait is not None:
                    return _error(rule.provider, 429, retry_after=wait)
            if rule.drop_response or (rule.rate_limit is not None and rule.kind == "rate-limit"):
                continue  # decided after the operation ran / nothing more to do
            if not rule.hit(counters.next(rule)):
                continue
            if rule.latency_ms:
                self._delay(rule.latency_ms / 1000)
            if rule.status is not None:
                return _error(
                    rule.provider, rule.status, retry_after=1 if rule.status == 429 else None
                )
            if rule.timeout:
                raise Hang(HANG_SECONDS)
        return None

    def _delay(self, seconds: float) -> None:
        """Injected latency, no longer than the in-process client waits (answer_within)."""
        patience = _PATIENCE.get()
        if patience is None:
            self.sleep(seconds)
            return
        if patience.late:
            return  # the client has gone: nobody waits for the rest
        if seconds >= patience.left:
            self.sleep(patience.left)
            patience.left, patience.late = 0.0, True
            return
        self.sleep(seconds)
        patience.left -= seconds

    def after(self, operation: str, request: Request, response: Response) -> Response:
        for rule in self.rules():
            if rule.drop_response and rule.matches(operation):
                counters = self._counters(rule)
                if rule.hit(counters.next(rule)):
                    if rule.latency_ms:
                        self._delay(rule.latency_ms / 1000)
                    raise DropConnection(f"sandbox fault: {operation} response dropped")
        return response
