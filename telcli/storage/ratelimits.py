"""Client-side pacing: one token bucket per provider account (provider + profile + account id),
kept in the state DB so that every telcli process of a ``TELCLI_HOME`` draws from the same one.

``transport.send`` takes a token before every request (:meth:`Pacer.acquire`) and reports every
429 (:meth:`Pacer.throttled`); providers and services never see the bucket.

The bucket is a GCRA (a token bucket written as one timestamp): ``tat`` is when the bucket
would be empty. A request reserves the slot ``max(now, tat - burst, paused_until)`` and moves
``tat`` one interval on, in one short ``BEGIN IMMEDIATE`` transaction; the caller then sleeps
until its slot outside any lock, so waiting processes queue in order and never poll.

The rate adapts (AIMD), between a floor and the configured ceiling (``rate_limits``):

- a 429 lowers it multiplicatively, to ``DECREASE`` x what got through in the last second
  (requests sent minus those refused, when that is below the rate: a ceiling above the demand
  says nothing about the limit), and pauses every process of the account for ``Retry-After``
  (1 s without one). Only the first 429 of requests sent since the last decrease counts: the
  answers to requests already in flight lower the rate once, not once each. A 429 when almost
  nothing went out (a storm answered with pauses) only pauses: it says nothing of the rate;
- time without 429s raises it additively: quickly (``RECOVER``) back to just below the rate
  at which the last 429 came (``RECOVER_TO``), then slowly (``PROBE``) above it, so a limit
  once found is held for tens of seconds between probes; a minute without any 429 forgets it
  and the rate climbs back to the ceiling (``RAMP``).

Times are wall-clock epoch seconds (monotonic clocks are per process); a clock that steps
back is tolerated (nothing waits longer than ``MAX_PAUSE``). Secrets never enter the table:
accounts are Twilio account SIDs, or a short fingerprint of an API key.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Requests per second per account, the ceilings when config.yaml sets none (`rate_limits`).
# Twilio documents a per-account limit on concurrent API requests (100 by default); Telnyx
# and VAPI document per-account request rates. These are ceilings: a 429 teaches the pacer
# the account's real limit, and `rate_limits` sets a known one.
DEFAULT_RATES: Mapping[str, float] = {"twilio": 100.0, "telnyx": 50.0, "vapi": 20.0}

BURST = 0.1  # seconds of tokens that may gather while idle (at least one token)
DECREASE = 0.7  # multiplicative decrease on a 429
RECOVER_TO = 0.95  # fast recovery back to this fraction of the rate the last 429 came at...
RECOVER = 0.25  # ...gaining this fraction of that rate per second
PROBE = 0.005  # then probe above it: this fraction of that rate per second (additive)
FORGET = 60.0  # a minute without 429s: the limit learnt is forgotten...
RAMP = 0.05  # ...and the rate climbs back by this fraction of the ceiling per second
MIN_RATE = 1.0  # requests per second: the floor (or the ceiling, if lower)
MIN_SENT = 2.0  # a 429 when fewer requests went out in the last second says nothing of the rate
DEFAULT_PAUSE = 1.0  # a 429 without Retry-After pauses the account this long
MAX_PAUSE = 300.0  # no Retry-After (or clock step) pauses anything longer than this
THROTTLE_WINDOW = 3600.0  # `providers status` counts the 429s of the last hour


def account_id(provider: str, credentials: Mapping[str, str]) -> str:
    """The account a set of credentials belongs to, without any secret: Twilio's account SID
    (an identifier, not a secret), else a 12-hex-digit fingerprint of the API key."""
    sid = credentials.get("account_sid")
    if provider == "twilio" and sid:
        return sid
    key = credentials.get("api_key", "")
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Grant:
    """A reserved request slot: go at ``at`` (``wait`` seconds after asking)."""

    at: float
    wait: float
    rate: float
    paused: float  # seconds of a 429's pause still in force when asked (0: none)


@dataclass(frozen=True, slots=True)
class Bucket:
    """One account's pacing, as ``providers status`` shows it."""

    provider: str
    profile: str
    account: str
    rate: float
    ceiling: float
    throttled_last_hour: int
    paused_until: float | None
    last_throttled_at: float | None


class RateLimits:
    """The ``ratelimits`` table of one state DB. Safe to share between threads (one lock,
    one connection) and between processes (SQLite's write lock)."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            from telcli.storage.state import MIGRATIONS, StateDB

            def migrate() -> None:  # creates the file privately, brings the schema up to date
                db = StateDB(self.path)
                try:
                    db.conn  # noqa: B018
                finally:
                    db.close()

            if not self.path.exists():
                migrate()
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA busy_timeout=30000")
            # Each new context costs one cheap read, not a second open, once the schema is on.
            if conn.execute("PRAGMA user_version").fetchone()[0] < len(MIGRATIONS):
                migrate()
            # No fsync per token: losing the last pacing update on power loss is harmless.
            conn.execute("PRAGMA synchronous=NORMAL")
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def pacer(self, provider: str, profile: str, account: str, ceiling: float) -> Pacer:
        return Pacer(self, provider, profile, account, ceiling)

    def buckets(self, provider: str, profile: str) -> list[Bucket]:
        """The accounts of ``provider`` under ``profile``, most recently used first."""
        with self._lock:
            conn = self._connection()
            now = self.clock()
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM ratelimits WHERE provider = ? AND profile = ?"
                " ORDER BY updated_at DESC",
                (provider, profile),
            ).fetchall()
            out = []
            for row in rows:
                state = _State(*row)
                (count,) = conn.execute(
                    "SELECT COUNT(*) FROM throttles WHERE provider = ? AND profile = ?"
                    " AND account = ? AND at > ?",
                    (provider, profile, state.account, now - THROTTLE_WINDOW),
                ).fetchone()
                out.append(
                    Bucket(
                        provider,
                        profile,
                        state.account,
                        round(_grown(state, state.ceiling, now), 2),
                        state.ceiling,
                        int(count),
                        state.paused_until if state.paused_until > now else None,
                        state.last_throttled_at,
                    )
                )
        return out


_COLUMNS = (
    "account, ceiling, rate, tat, paused_until, known, decreased_at, window_start,"
    " window_count, previous_count, updated_at, last_throttled_at"
)


@dataclass(slots=True)
class _State:
    account: str
    ceiling: float
    rate: float
    tat: float
    paused_until: float
    known: float | None  # the rate the last 429 came at
    decreased_at: float
    window_start: float
    window_count: int
    previous_count: int
    updated_at: float
    last_throttled_at: float | None


def _floor(ceiling: float) -> float:
    return min(MIN_RATE, ceiling)


def _grown(state: _State, ceiling: float, now: float) -> float:
    """The rate after additive increase from ``updated_at`` (or the end of a pause) to
    ``now``, capped at ``ceiling``."""
    rate = min(state.rate, ceiling)
    start = max(state.updated_at, state.paused_until)
    if state.known is not None:
        # While the last 429 is recent: recover towards the limit it showed, then probe.
        until = min(now, (state.last_throttled_at or 0.0) + FORGET)
        if until > start:
            rate = _recovered(rate, state.known, until - start)
            start = until
    rate += RAMP * ceiling * max(0.0, now - start)
    return max(_floor(ceiling), min(rate, ceiling))


def _recovered(rate: float, known: float, elapsed: float) -> float:
    target = RECOVER_TO * known
    if rate < target:  # fast, back to just below the rate the last 429 came at
        step = min(elapsed, (target - rate) / (RECOVER * known))
        rate += RECOVER * known * step
        elapsed -= step
    return rate + PROBE * known * elapsed  # then slowly above it


def _sent_last_second(state: _State, now: float) -> float:
    """Requests sent in the last second (a sliding window over two fixed ones)."""
    age = max(0.0, now - state.window_start)
    if age >= 2.0:
        return 0.0
    if age >= 1.0:
        return state.window_count * (2.0 - age)
    return state.previous_count * (1.0 - age) + state.window_count


class Pacer:
    """One account's bucket, as one process uses it."""

    def __init__(
        self, limits: RateLimits, provider: str, profile: str, account: str, ceiling: float
    ) -> None:
        self.limits = limits
        self.provider = provider
        self.profile = profile
        self.account = account
        self.ceiling = float(ceiling)

    @contextmanager
    def _row(self) -> Iterator[tuple[sqlite3.Connection, _State, float]]:
        with self.limits._write() as conn:
            now = self.limits.clock()
            conn.execute(
                "INSERT OR IGNORE INTO ratelimits (provider, profile, account, ceiling, rate,"
                " tat, paused_until, decreased_at, window_start, window_count, previous_count,"
                " updated_at) VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, 0, 0, ?)",
                (self.provider, self.profile, self.account, self.ceiling, self.ceiling, now, now),
            )
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM ratelimits WHERE provider = ? AND profile = ?"
                " AND account = ?",
                (self.provider, self.profile, self.account),
            ).fetchone()
            state = _State(*row)
            # A clock stepped back must not leave the bucket waiting for the old future.
            state.tat = min(state.tat, now + MAX_PAUSE)
            state.paused_until = min(state.paused_until, now + MAX_PAUSE)
            state.updated_at = min(state.updated_at, now)
            yield conn, state, now

    def _save(self, conn: sqlite3.Connection, state: _State) -> None:
        conn.execute(
            "UPDATE ratelimits SET ceiling = ?, rate = ?, tat = ?, paused_until = ?, known = ?,"
            " decreased_at = ?, window_start = ?, window_count = ?, previous_count = ?,"
            " updated_at = ?, last_throttled_at = ?"
            " WHERE provider = ? AND profile = ? AND account = ?",
            (
                state.ceiling,
                state.rate,
                state.tat,
                state.paused_until,
                state.known,
                state.decreased_at,
                state.window_start,
                state.window_count,
                state.previous_count,
                state.updated_at,
                state.last_throttled_at,
                self.provider,
                self.profile,
                self.account,
            ),
        )

    def _slot(self, state: _State, now: float) -> tuple[float, float]:
        """(the rate now, the next free slot): the bucket may lag ``now`` by ``BURST`` s."""
        rate = _grown(state, self.ceiling, now)
        interval = 1.0 / rate
        burst = max(0.0, rate * BURST - 1.0) * interval
        return rate, max(now, state.tat - burst, state.paused_until)

    def acquire(self, max_wait: float | None = None) -> Grant | None:
        """Reserve the next request slot. Returns None, reserving nothing, when the slot is
        more than ``max_wait`` seconds away (call :meth:`next_slot` to say why)."""
        with self._row() as (conn, state, now):
            rate, at = self._slot(state, now)
            if max_wait is not None and at - now > max_wait:
                return None
            state.tat = max(state.tat, at) + 1.0 / rate
            age = at - state.window_start
            if age >= 2.0:
                state.window_start, state.previous_count, state.window_count = at, 0, 0
            elif age >= 1.0:
                state.window_start += 1.0
                state.previous_count, state.window_count = state.window_count, 0
            state.window_count += 1
            state.ceiling, state.rate, state.updated_at = self.ceiling, rate, now
            paused = max(0.0, state.paused_until - now)
            self._save(conn, state)
        return Grant(at, at - now, rate, paused)

    def next_slot(self) -> Grant:
        """When the next slot would be, without reserving it (for messages)."""
        with self._row() as (_conn, state, now):
            rate, at = self._slot(state, now)  # nothing is saved
        return Grant(at, at - now, rate, max(0.0, state.paused_until - now))

    def paused_until(self) -> float:
        """When the account's pause ends (0 when not paused): one read, no lock taken."""
        with self.limits._lock:
            row = (
                self.limits._connection()
                .execute(
                    "SELECT paused_until FROM ratelimits WHERE provider = ? AND profile = ?"
                    " AND account = ?",
                    (self.provider, self.profile, self.account),
                )
                .fetchone()
            )
        return float(row[0]) if row else 0.0

    def throttled(self, grant: Grant | None, retry_after: float | None) -> float:
        """A request answered 429. Pauses the account for ``retry_after`` (or
        :data:`DEFAULT_PAUSE`) and, for the first 429 since the last decrease, lowers the rate.
        Returns the rate now in force."""
        pause = DEFAULT_PAUSE if retry_after is None else retry_after
        pause = min(max(pause, 0.0), MAX_PAUSE)
        with self._row() as (conn, state, now):
            rate = _grown(state, self.ceiling, now)
            sent_at = grant.at if grant is not None else now
            (refused,) = conn.execute(
                "SELECT COUNT(*) FROM throttles WHERE provider = ? AND profile = ?"
                " AND account = ? AND at > ?",
                (self.provider, self.profile, self.account, now - 1.0),
            ).fetchone()
            # What got through in the last second: the best estimate of the account's limit.
            sent = _sent_last_second(state, now) - refused
            if sent_at >= state.decreased_at and sent >= MIN_SENT:
                basis = min(rate, sent)
                state.known = basis
                rate = max(_floor(self.ceiling), DECREASE * basis)
                state.decreased_at = now
            state.rate, state.updated_at = rate, now
            state.paused_until = max(state.paused_until, now + pause)
            state.last_throttled_at = now
            self._save(conn, state)
            conn.execute(
                "DELETE FROM throttles WHERE provider = ? AND profile = ? AND account = ?"
                " AND at <= ?",
                (self.provider, self.profile, self.account, now - THROTTLE_WINDOW),
            )
            conn.execute(
                "INSERT INTO throttles (provider, profile, account, at) VALUES (?, ?, ?, ?)",
                (self.provider, self.profile, self.account, now),
            )
        return rate
