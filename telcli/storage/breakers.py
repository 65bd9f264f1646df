"""Circuit breakers, one per provider and profile, kept in the state DB so that a shell loop of
separate ``telcli`` processes stops calling a provider that is down.

    closed ──N consecutive failures within `window`──▶ open
      ▲                                                  │ `cooldown` passes
      └──────── the probe succeeds ◀── half-open ◀───────┘
                 (the probe fails: open again for another `cooldown`)

Only retryable unavailability (network, timeouts, 429, 5xx) counts as a failure; a provider
that answers, even with a 4xx or a credential error, is up. While half-open exactly one request,
the probe, is let through across all processes: the process that moves the row to half-open
holds a lease on it until the probe ends or `cooldown` passes (a probe that died with its
process cannot wedge the breaker).

Every state change is one short ``BEGIN IMMEDIATE`` transaction on one row, so concurrent
processes serialize on SQLite's write lock and never corrupt it. Times are wall-clock epoch
seconds (monotonic clocks are per process). The row also keeps the last latency samples of
successful calls, for ``telcli providers status``.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telcli.errors import ProviderUnavailable

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
LATENCY_SAMPLES = 20


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    failures: int = 5
    window: float = 60.0
    cooldown: float = 30.0


class CircuitOpen(ProviderUnavailable):
    """The breaker refused the call: nothing was sent (``sent=False``), so even a write may
    go to the next provider."""

    def __init__(self, message: str, *, provider: str, until: float, hint: str | None = None):
        super().__init__(message, provider=provider, sent=False, hint=hint)
        self.until = until


def failures_text(n: int) -> str:
    return f"{n} failure" if n == 1 else f"{n} failures"


def clock_time(when: float) -> str:
    """Local wall-clock time for messages: ``14:03:27``."""
    return datetime.fromtimestamp(when).strftime("%H:%M:%S")


def iso_time(when: float | None) -> str | None:
    if when is None:
        return None
    stamp = datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")
    return stamp.replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Breaker:
    """One row: what ``providers status`` shows."""

    provider: str
    profile: str
    state: str = CLOSED
    failures: int = 0
    open_until: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    last_success_at: float | None = None
    latency: tuple[int, ...] = ()

    @property
    def median_latency_ms(self) -> int | None:
        return int(statistics.median(self.latency)) if self.latency else None

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "profile": self.profile,
            "state": self.state,
            "failures": self.failures,
            "open_until": iso_time(self.open_until) if self.state != CLOSED else None,
            "last_error": self.last_error,
            "last_error_at": iso_time(self.last_error_at),
            "last_success_at": iso_time(self.last_success_at),
            "median_latency_ms": self.median_latency_ms,
        }


_COLUMNS = (
    "provider, profile, state, failures, open_until, last_error, last_error_at,"
    " last_success_at, latency"
)


def _breaker(row: Sequence[Any]) -> Breaker:
    return Breaker(
        provider=row[0],
        profile=row[1],
        state=row[2],
        failures=row[3],
        open_until=row[4],
        last_error=row[5],
        last_error_at=row[6],
        last_success_at=row[7],
        latency=tuple(json.loads(row[8] or "[]")),
    )


class Breakers:
    """The breakers of one profile. Safe to share between threads (one lock, one connection)
    and between processes (SQLite write lock)."""

    def __init__(
        self,
        state: Any,
        profile: str,
        settings: BreakerSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._state = state
        self.profile = profile
        self.settings = settings or BreakerSettings()
        self.clock = clock
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        # Providers whose half-open probe this process holds: its own later calls go through.
        self._probing: set[str] = set()

    # --- plumbing -------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        # Our own connection, usable from the worker threads that reads run in. The state
        # DB's connection is bound to the thread that opens it, so the schema is brought up to
        # date through a short-lived StateDB of our own rather than by touching it.
        if self._conn is None:
            from telcli.storage.state import StateDB

            migrate = StateDB(self._state.path)
            try:
                migrate.conn  # noqa: B018 - opens the file and applies the migrations
            finally:
                migrate.close()
            conn = sqlite3.connect(
                self._state.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA busy_timeout=30000")
            # WAL + NORMAL stays consistent after a crash; losing the very last breaker update
            # on power loss is harmless, and it saves an fsync per call.
            conn.execute("PRAGMA synchronous=NORMAL")
            self._conn = conn
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _write(self, provider: str) -> Iterator[tuple[sqlite3.Connection, Breaker, float]]:
        """One IMMEDIATE transaction on the provider's row (created closed if missing)."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                now = self.clock()
                conn.execute(
                    "INSERT OR IGNORE INTO breakers (provider, profile, updated_at)"
                    " VALUES (?, ?, ?)",
                    (provider, self.profile, now),
                )
                row = conn.execute(
                    f"SELECT {_COLUMNS} FROM breakers WHERE provider = ? AND profile = ?",
                    (provider, self.profile),
                ).fetchone()
                yield conn, _breaker(row), now
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _update(self, conn: sqlite3.Connection, provider: str, now: float, **values: Any) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        conn.execute(
            f"UPDATE breakers SET {sets}, updated_at = ? WHERE provider = ? AND profile = ?",
            (*values.values(), now, provider, self.profile),
        )

    def get(self, provider: str) -> Breaker:
        with self._lock:
            row = (
                self._connection()
                .execute(
                    f"SELECT {_COLUMNS} FROM breakers WHERE provider = ? AND profile = ?",
                    (provider, self.profile),
                )
                .fetchone()
            )
        return _breaker(row) if row else Breaker(provider, self.profile)

    # --- the state machine ----------------------------------------------------------------

    def before(self, provider: str) -> None:
        """Ask to call ``provider``. Returns when the call may go ahead (closed, or this
        process now holds the half-open probe); raises :class:`CircuitOpen` otherwise,
        without any network."""
        if provider in self._probing or self.get(provider).state == CLOSED:
            return  # the common case costs one read
        with self._write(provider) as (conn, row, now):
            if row.state == CLOSED:
                return
            (probe_until,) = conn.execute(
                "SELECT probe_until FROM breakers WHERE provider = ? AND profile = ?",
                (provider, self.profile),
            ).fetchone()
            if row.state == OPEN and now < (row.open_until or 0):
                until = row.open_until or now
                raise CircuitOpen(
                    f"circuit open for {provider} until {clock_time(until)}",
                    provider=provider,
                    until=until,
                    hint=f"{provider} failed {failures_text(row.failures)} in a row"
                    f" (last: {row.last_error}); it is tried again after the cool-down, or now"
                    f" after `telcli providers reset {provider}`",
                )
            if row.state == HALF_OPEN and now < (probe_until or 0):
                raise CircuitOpen(
                    f"circuit half-open for {provider}: another telcli process is testing it"
                    f" until {clock_time(probe_until)}",
                    provider=provider,
                    until=probe_until,
                    hint=f"retry in a moment, or run `telcli providers reset {provider}`",
                )
            # Cool-down over (or the previous probe's lease ran out): this call is the probe.
            self._update(
                conn, provider, now, state=HALF_OPEN, probe_until=now + self.settings.cooldown
            )
            self._probing.add(provider)

    def success(self, provider: str, elapsed_ms: int | None = None) -> str:
        """The provider answered. Closes the breaker; returns the state it was in."""
        self._probing.discard(provider)
        with self._write(provider) as (conn, row, now):
            (raw,) = conn.execute(
                "SELECT latency FROM breakers WHERE provider = ? AND profile = ?",
                (provider, self.profile),
            ).fetchone()
            samples = json.loads(raw or "[]")
            if elapsed_ms is not None:
                samples = [*samples, int(elapsed_ms)][-LATENCY_SAMPLES:]
            self._update(
                conn,
                provider,
                now,
                state=CLOSED,
                failures=0,
                window_start=None,
                opened_at=None,
                open_until=None,
                probe_until=None,
                last_success_at=now,
                latency=json.dumps(samples),
            )
            return row.state

    def failure(self, provider: str, error: str) -> tuple[Breaker, bool]:
        """A retryable failure. Returns the breaker as it now is, and whether this failure
        opened it."""
        settings = self.settings
        self._probing.discard(provider)
        with self._write(provider) as (conn, row, now):
            (window_start,) = conn.execute(
                "SELECT window_start FROM breakers WHERE provider = ? AND profile = ?",
                (provider, self.profile),
            ).fetchone()
            if window_start is None or now - window_start > settings.window:
                failures, window_start = 1, now
            else:
                failures = row.failures + 1
            values: dict[str, Any] = {
                "failures": failures,
                "window_start": window_start,
                "last_error": error[:300],
                "last_error_at": now,
            }
            if row.state == HALF_OPEN or (row.state == CLOSED and failures >= settings.failures):
                values.update(
                    state=OPEN,
                    opened_at=now,
                    open_until=now + settings.cooldown,
                    probe_until=None,
                )
            self._update(conn, provider, now, **values)
            state = values.get("state", row.state)
            open_until = values.get("open_until", row.open_until)
        after = Breaker(
            provider,
            self.profile,
            state,
            failures,
            open_until,
            error[:300],
            now,
            row.last_success_at,
            row.latency,
        )
        return after, state == OPEN and row.state != OPEN

    def release(self, provider: str) -> None:
        """The call ended without telling anything about the provider's health (a bug, an
        interrupt, a credential missing before any request): give the probe back, if this
        process held it, so the next call can probe."""
        if provider not in self._probing:
            return
        self._probing.discard(provider)
        with self._write(provider) as (conn, row, now):
            if row.state == HALF_OPEN:
                self._update(conn, provider, now, probe_until=None)

    def reset(self, provider: str | None = None) -> list[str]:
        """Close the breakers of ``provider`` (None: all of this profile); returns the
        providers whose breaker was not already closed."""
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                sql = "SELECT provider FROM breakers WHERE profile = ? AND state != 'closed'"
                args: list[Any] = [self.profile]
                if provider is not None:
                    sql += " AND provider = ?"
                    args.append(provider)
                changed = [r[0] for r in conn.execute(sql, args).fetchall()]
                conn.execute(
                    "UPDATE breakers SET state = 'closed', failures = 0, window_start = NULL,"
                    " opened_at = NULL, open_until = NULL, probe_until = NULL, updated_at = ?"
                    " WHERE profile = ?" + (" AND provider = ?" if provider is not None else ""),
                    [self.clock(), *args],
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return sorted(changed)

    def all(self, providers: Sequence[str]) -> list[Breaker]:
        """One breaker per provider (closed when never used), in the order given."""
        return [self.get(p) for p in providers]
