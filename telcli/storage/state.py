"""The local state database: one SQLite file (WAL) shared safely by parallel telcli processes.

Schema changes are migrations keyed by ``PRAGMA user_version``. Writes use short
``BEGIN IMMEDIATE`` transactions. Secrets never enter this file: the ledger stores
operation names, providers, phone numbers, provider IDs, masked account names and error
messages only.

Recording an operation in the ledger (the audit trail `telcli history` reads, and the journal
of anything that spends money or reaches people) is one of two calls:

- ``with operation(state, "address.create", "twilio", profile, target) as step:`` around the
  provider call: intent before, outcome after (done, failed, or unknown when the request may
  have taken effect), ``step.result_id`` / ``step.target`` set inside when known;
- ``entry = state.ledger_begin(...)`` / ``state.ledger_finish(entry, status, ...)`` when the
  outcome needs reconciling first (purchases, test messages).

Either way the row gets the command run's operation id, OS user, host and masked account
(:class:`RunInfo`), and the last provider request id seen while the entry was open.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telcli import correlation
from telcli.errors import ConfigError, OutcomeUnknown, ProviderUnavailable, TelcliError

MIGRATIONS: list[str] = [
    # 1: the operation ledger (intent before a write, outcome after)
    """
    CREATE TABLE ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        op TEXT NOT NULL,
        provider TEXT NOT NULL,
        profile TEXT NOT NULL,
        target TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'unknown')),
        result_id TEXT,
        detail TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX ledger_target ON ledger (op, target, status);
    """,
    # 2: circuit breakers, one row per provider and profile (see storage/breakers.py)
    """
    CREATE TABLE breakers (
        provider TEXT NOT NULL,
        profile TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'closed'
            CHECK (state IN ('closed', 'open', 'half-open')),
        failures INTEGER NOT NULL DEFAULT 0,
        window_start REAL,
        opened_at REAL,
        open_until REAL,
        probe_until REAL,
        last_error TEXT,
        last_error_at REAL,
        last_success_at REAL,
        latency TEXT NOT NULL DEFAULT '[]',
        updated_at REAL NOT NULL,
        PRIMARY KEY (provider, profile)
    );
    """,
    # 3: captured webhooks, raw bytes (see storage/captures.py). Headers are a JSON array of
    # [name, value] pairs (order and duplicates kept); fingerprint makes re-imports and
    # re-pulls idempotent (NULL for live captures, which may legitimately repeat).
    """
    CREATE TABLE captures (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        received_at TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('listen', 'import', 'pull')),
        method TEXT NOT NULL,
        url TEXT NOT NULL,
        headers TEXT NOT NULL,
        body BLOB NOT NULL,
        provider TEXT,
        event_type TEXT,
        sid TEXT,
        forwarded_to TEXT,
        response_status INTEGER,
        response_headers TEXT,
        response_body BLOB,
        latency_ms REAL,
        error TEXT,
        fingerprint TEXT UNIQUE
    );
    CREATE INDEX captures_provider ON captures (provider, event_type);
    CREATE INDEX captures_sid ON captures (sid);
    CREATE INDEX captures_received ON captures (received_at)
    """,
    # 4: the ledger as an audit trail (`telcli history`): who ran it where, under which
    # operation id, against which account, what the provider called the request, what it
    # cost, and for which tenant. created_at gets an index for `history --since`.
    """
    ALTER TABLE ledger ADD COLUMN operation_id TEXT;
    ALTER TABLE ledger ADD COLUMN request_id TEXT;
    ALTER TABLE ledger ADD COLUMN account TEXT;
    ALTER TABLE ledger ADD COLUMN os_user TEXT;
    ALTER TABLE ledger ADD COLUMN host TEXT;
    ALTER TABLE ledger ADD COLUMN tenant TEXT;
    ALTER TABLE ledger ADD COLUMN price TEXT;
    ALTER TABLE ledger ADD COLUMN currency TEXT;
    CREATE INDEX ledger_created ON ledger (created_at);
    CREATE INDEX ledger_target_time ON ledger (target, created_at)
    """,
    # 5: per-tenant leases (`tenants apply|remove`): one process converges a tenant at a time
    """
    CREATE TABLE tenant_leases (
        profile TEXT NOT NULL,
        tenant TEXT NOT NULL,
        owner TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        expires_at REAL NOT NULL,
        PRIMARY KEY (profile, tenant)
    )
    """,
    # 6: client-side pacing, one token bucket per provider account (see storage/ratelimits.py),
    # and the 429s of the last hour per account (for `providers status`)
    """
    CREATE TABLE ratelimits (
        provider TEXT NOT NULL,
        profile TEXT NOT NULL,
        account TEXT NOT NULL,
        ceiling REAL NOT NULL,
        rate REAL NOT NULL,
        tat REAL NOT NULL,
        paused_until REAL NOT NULL,
        known REAL,
        decreased_at REAL NOT NULL,
        window_start REAL NOT NULL,
        window_count INTEGER NOT NULL,
        previous_count INTEGER NOT NULL,
        updated_at REAL NOT NULL,
        last_throttled_at REAL,
        PRIMARY KEY (provider, profile, account)
    );
    CREATE TABLE throttles (
        provider TEXT NOT NULL,
        profile TEXT NOT NULL,
        account TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX throttles_account ON throttles (provider, profile, account, at)
    """,
    # 7: the process that recorded an intent (issue 10; host is column 4's): a pending entry
    # of a process that may still run is waited for, never settled while its request may land
    """
    ALTER TABLE ledger ADD COLUMN pid INTEGER
    """,
    # 8: what each capture means (webhooks/events): the normalised record as JSON, its indexed
    # fields, and re-deliveries of an event already stored (same provider and event id).
    # `normalized` is 0 for rows stored before this migration (CaptureStore backfills them).
    """
    ALTER TABLE captures ADD COLUMN event TEXT;
    ALTER TABLE captures ADD COLUMN normalized INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE captures ADD COLUMN event_id TEXT;
    ALTER TABLE captures ADD COLUMN kind TEXT;
    ALTER TABLE captures ADD COLUMN call_id TEXT;
    ALTER TABLE captures ADD COLUMN message_id TEXT;
    ALTER TABLE captures ADD COLUMN from_number TEXT;
    ALTER TABLE captures ADD COLUMN to_number TEXT;
    ALTER TABLE captures ADD COLUMN status TEXT;
    ALTER TABLE captures ADD COLUMN occurred_at TEXT;
    CREATE UNIQUE INDEX captures_event ON captures (provider, event_id)
        WHERE event_id IS NOT NULL;
    CREATE INDEX captures_call ON captures (call_id) WHERE call_id IS NOT NULL;
    CREATE INDEX captures_message ON captures (message_id) WHERE message_id IS NOT NULL;
    CREATE INDEX captures_from ON captures (from_number) WHERE from_number IS NOT NULL;
    CREATE INDEX captures_to ON captures (to_number) WHERE to_number IS NOT NULL;
    CREATE INDEX captures_kind ON captures (kind);
    CREATE INDEX captures_unnormalized ON captures (normalized) WHERE normalized = 0;
    CREATE TABLE capture_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        capture_id INTEGER NOT NULL REFERENCES captures (id) ON DELETE CASCADE,
        received_at TEXT NOT NULL,
        source TEXT NOT NULL,
        response_status INTEGER,
        fingerprint TEXT UNIQUE
    );
    CREATE INDEX capture_deliveries_capture ON capture_deliveries (capture_id)
    """,
]

LEDGER_STATUSES = ("pending", "succeeded", "failed", "unknown")
LEDGER_COLUMNS = (
    "id, op, provider, profile, target, status, result_id, detail, created_at, updated_at,"
    " operation_id, request_id, account, os_user, host, tenant, price, currency, pid"
)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    op: str
    provider: str
    profile: str
    target: str
    status: str
    result_id: str | None
    detail: dict[str, Any]
    created_at: str
    updated_at: str
    operation_id: str | None = None
    request_id: str | None = None
    account: str | None = None
    os_user: str | None = None
    host: str | None = None
    tenant: str | None = None
    price: str | None = None
    currency: str | None = None
    pid: int | None = None  # the process that recorded the intent, on ``host``

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> LedgerEntry:
        """One row selected as :data:`LEDGER_COLUMNS`."""
        return cls(*row[:7], json.loads(row[7] or "{}"), *row[8:])  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "op": self.op,
            "provider": self.provider,
            "profile": self.profile,
            "target": self.target,
            "status": self.status,
            "result_id": self.result_id,
            "detail": self.detail,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return str(os.getuid()) if hasattr(os, "getuid") else ""


def _hostname() -> str:
    import socket

    return socket.gethostname()


@dataclass
class RunInfo:
    """What every ledger row of one command run carries: its operation id (``--debug`` shows
    it), the OS user and host that ran it, and each provider's account, masked
    (``storage.credentials.account_label``), filled in as providers are set up."""

    operation_id: str = field(default_factory=correlation.new_operation_id)
    os_user: str = field(default_factory=_os_user)
    host: str = field(default_factory=_hostname)
    accounts: dict[str, str] = field(default_factory=dict)


class StateDB:
    """The state DB at ``path``, opened on first use. It is kept private (0600, directory
    0700: ``storage.private``); ``notify`` hears, in one line, when an existing file others
    could read had to be tightened."""

    def __init__(
        self,
        path: Path,
        run: RunInfo | None = None,
        *,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._run = run
        self._notify = notify
        self._collectors: dict[int, correlation.Collector] = {}

    @property
    def run(self) -> RunInfo:
        if self._run is None:
            self._run = RunInfo()
        return self._run

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            from telcli.storage.private import enable_wal, prepare_db

            try:
                tightened = prepare_db(self.path)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                enable_wal(conn)
                conn.execute("PRAGMA busy_timeout=30000")
                conn.execute("PRAGMA foreign_keys=ON")
            except (OSError, sqlite3.Error) as exc:
                raise ConfigError(
                    f"cannot open the state database {self.path}: {exc}",
                    hint="set TELCLI_HOME to a writable directory",
                ) from None
            self._conn = conn
            if tightened and self._notify is not None:
                self._notify(f"{self.path} was readable by other users; made it private (0600)")
            self._migrate()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _migrate(self) -> None:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise ConfigError(
                    f"{self.path} was written by a newer telcli (schema {version})",
                    hint="upgrade telcli, or point TELCLI_HOME elsewhere",
                )
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # --- the operation ledger -------------------------------------------------------------

    def ledger_begin(
        self,
        op: str,
        provider: str,
        profile: str,
        target: str,
        detail: dict[str, Any] | None = None,
        *,
        tenant: str | None = None,
        price: str | None = None,
        currency: str | None = None,
    ) -> int:
        """Record an intent before the request that acts on it is sent.

        ``op`` is the action `telcli history --action` filters on (``buy``, ``release``,
        ``configure``, ``address.create``, ``vapi.import``, ``tenants.apply``...), ``target``
        the E.164 number or provider id acted on, ``detail`` a small JSON object of
        non-secret facts. From now until :meth:`ledger_finish`, provider request ids seen in
        this thread are collected for the entry."""
        with self.write() as conn:
            entry = self._insert(
                conn, op, provider, profile, target, detail, tenant, price, currency
            )
        self._collectors[entry] = correlation.collect()
        return entry

    def ledger_claim(
        self,
        op: str,
        provider: str,
        profile: str,
        target: str,
        detail: dict[str, Any] | None = None,
        *,
        tenant: str | None = None,
        price: str | None = None,
        currency: str | None = None,
    ) -> tuple[int | None, list[LedgerEntry]]:
        """:meth:`ledger_begin`, unless ``target`` already has an open (pending or unknown)
        entry of ``op`` in ``profile``: (new id, []) or (None, the open entries, newest
        first). Check and insert are one transaction, so two processes never both claim it."""
        with self.write() as conn:
            rows = conn.execute(
                f"SELECT {LEDGER_COLUMNS} FROM ledger WHERE op = ? AND target = ? AND profile = ?"
                " AND status IN ('pending', 'unknown') ORDER BY id DESC",
                (op, target, profile),
            ).fetchall()
            if rows:
                return None, [LedgerEntry.from_row(r) for r in rows]
            entry = self._insert(
                conn, op, provider, profile, target, detail, tenant, price, currency
            )
        self._collectors[entry] = correlation.collect()
        return entry, []

    def _insert(
        self,
        conn: sqlite3.Connection,
        op: str,
        provider: str,
        profile: str,
        target: str,
        detail: dict[str, Any] | None,
        tenant: str | None,
        price: str | None,
        currency: str | None,
    ) -> int:
        now = _now()
        run = self.run
        cur = conn.execute(
            "INSERT INTO ledger (op, provider, profile, target, status, detail, created_at,"
            " updated_at, operation_id, account, os_user, host, tenant, price, currency, pid)"
            " VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                op,
                provider,
                profile,
                target,
                json.dumps(detail or {}),
                now,
                now,
                run.operation_id,
                run.accounts.get(provider),
                run.os_user,
                run.host,
                tenant,
                price,
                currency,
                os.getpid(),
            ),
        )
        return int(cur.lastrowid or 0)

    def ledger_finish(
        self,
        entry_id: int,
        status: str,
        *,
        result_id: str | None = None,
        detail: dict[str, Any] | None = None,
        request_id: str | None = None,
        target: str | None = None,
        price: str | None = None,
        currency: str | None = None,
    ) -> None:
        """Record the outcome of ``entry_id``: ``succeeded``, ``failed`` or ``unknown``
        (``detail={"reconciled": True}`` when a lookup, not the answer, decided it). The
        provider's request id defaults to the last one seen since :meth:`ledger_begin`."""
        if status not in LEDGER_STATUSES:
            raise ValueError(status)
        collector = self._collectors.pop(entry_id, None)
        extra = dict(detail or {})
        with self.write() as conn:
            row = conn.execute(
                "SELECT detail, provider FROM ledger WHERE id = ?", (entry_id,)
            ).fetchone()
            if collector is not None and row is not None:
                collector.close()
                seen = collector.of(row[1])
                request_id = request_id or (seen[-1] if seen else None)
                if len(seen) > 1:
                    extra["request_ids"] = seen
            merged = {**json.loads(row[0] or "{}"), **extra} if row else extra
            conn.execute(
                "UPDATE ledger SET status = ?, result_id = COALESCE(?, result_id), detail = ?,"
                " updated_at = ?, request_id = COALESCE(?, request_id),"
                " target = COALESCE(?, target), price = COALESCE(?, price),"
                " currency = COALESCE(?, currency) WHERE id = ?",
                (
                    status,
                    result_id,
                    json.dumps(merged),
                    _now(),
                    request_id,
                    target,
                    price,
                    currency,
                    entry_id,
                ),
            )

    def ledger_price(self, entry_id: int, price: str, currency: str | None) -> None:
        """What ``entry_id`` cost, once the provider says (a message or call is priced when
        it is done, after the answer that finished the entry); its outcome stays as it is."""
        with self.write() as conn:
            conn.execute(
                "UPDATE ledger SET price = ?, currency = COALESCE(?, currency) WHERE id = ?",
                (price, currency, entry_id),
            )

    def ledger_entries(
        self,
        *,
        op: str | None = None,
        target: str | None = None,
        statuses: tuple[str, ...] | None = None,
        limit: int | None = None,
        after: int | None = None,
    ) -> list[LedgerEntry]:
        """Newest first. ``after``: only entries with a larger id (written since then)."""
        sql = f"SELECT {LEDGER_COLUMNS} FROM ledger WHERE 1=1"
        args: list[Any] = []
        if after is not None:
            sql += " AND id > ?"
            args.append(after)
        if op:
            sql += " AND op = ?"
            args.append(op)
        if target:
            sql += " AND target = ?"
            args.append(target)
        if statuses:
            sql += f" AND status IN ({','.join('?' * len(statuses))})"
            args.extend(statuses)
        sql += " ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [LedgerEntry.from_row(r) for r in self.conn.execute(sql, args).fetchall()]

    # --- tenant leases ----------------------------------------------------------------------

    def lease_acquire(
        self, profile: str, tenant: str, owner: str, host: str, pid: int, seconds: float
    ) -> str | None:
        """Take the lease on ``tenant``; None when taken, else who holds it ("pid N on HOST").

        A lease is free when it expired, or when its holder ran on this host and that process
        is gone (killed, crashed): a later run takes over at once."""
        import time

        now = time.time()
        with self.write() as conn:
            row = conn.execute(
                "SELECT owner, host, pid, expires_at FROM tenant_leases"
                " WHERE profile = ? AND tenant = ?",
                (profile, tenant),
            ).fetchone()
            if row is not None and row[0] != owner:
                alive = row[3] > now and (row[1] != host or _alive(int(row[2])))
                if alive:
                    return f"pid {row[2]} on {row[1]}"
            conn.execute(
                "INSERT OR REPLACE INTO tenant_leases (profile, tenant, owner, host, pid,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (profile, tenant, owner, host, pid, now + seconds),
            )
        return None

    def lease_renew(self, profile: str, tenant: str, owner: str, seconds: float) -> None:
        import time

        with self.write() as conn:
            conn.execute(
                "UPDATE tenant_leases SET expires_at = ? WHERE profile = ? AND tenant = ?"
                " AND owner = ?",
                (time.time() + seconds, profile, tenant, owner),
            )

    def lease_release(self, profile: str, tenant: str, owner: str) -> None:
        with self.write() as conn:
            conn.execute(
                "DELETE FROM tenant_leases WHERE profile = ? AND tenant = ? AND owner = ?",
                (profile, tenant, owner),
            )

    def ledger_history(
        self,
        *,
        since: str | None = None,
        op: str | None = None,
        target: str | None = None,
        provider: str | None = None,
        tenant: str | None = None,
        limit: int | None = None,
    ) -> Iterator[LedgerEntry]:
        """Ledger rows newest first, streamed from the cursor (the ``created_at`` index serves
        the order, ``--since`` and ``--limit``). ``op`` matches the action or, given a
        family name like ``vapi``, every ``vapi.*`` action; ``since`` is an ISO-8601 UTC
        time as stored (``2026-12-01T00:00:00.000Z``)."""
        sql = f"SELECT {LEDGER_COLUMNS} FROM ledger WHERE 1=1"
        args: list[Any] = []
        if since:
            sql += " AND created_at >= ?"
            args.append(since)
        if op:
            escaped = op.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            sql += " AND (op = ? OR op LIKE ? ESCAPE '\\')"
            args += [op, escaped + ".%"]
        for column, value in (("target", target), ("provider", provider), ("tenant", tenant)):
            if value:
                sql += f" AND {column} = ?"
                args.append(value)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        for row in self.conn.execute(sql, args):
            yield LedgerEntry.from_row(row)


@dataclass
class Step:
    """What :func:`operation` records when the block ends: set inside it what becomes known
    (the id the provider gave, a target known only then, the price charged)."""

    result_id: str | None = None
    target: str | None = None
    price: str | None = None
    currency: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@contextmanager
def operation(
    state: StateDB | None,
    op: str,
    provider: str,
    profile: str,
    target: str,
    detail: dict[str, Any] | None = None,
    *,
    tenant: str | None = None,
    price: str | None = None,
    currency: str | None = None,
) -> Iterator[Step]:
    """Record one provider write in the ledger: the intent before the block, the outcome
    after it. The block's exception decides the outcome and is re-raised: a refusal or any
    other telcli error is ``failed``; a request that may have reached the provider
    (``ProviderUnavailable`` with ``sent``, ``OutcomeUnknown``) or an interruption is
    ``unknown``. With ``state=None`` nothing is recorded (library use, tests)."""
    step = Step()
    if state is None:
        yield step
        return
    entry = state.ledger_begin(
        op, provider, profile, target, detail, tenant=tenant, price=price, currency=currency
    )

    def finish(status: str, error: str | None = None) -> None:
        extra = {**step.detail, **({"error": error} if error else {})}
        state.ledger_finish(
            entry,
            status,
            result_id=step.result_id,
            detail=extra,
            target=step.target,
            price=step.price,
            currency=step.currency,
        )

    try:
        yield step
    except (ProviderUnavailable, OutcomeUnknown) as exc:
        sent = not isinstance(exc, ProviderUnavailable) or exc.sent
        finish("unknown" if sent else "failed", exc.message)
        raise
    except TelcliError as exc:
        finish("failed", exc.message)
        raise
    except BaseException:
        finish("unknown", "interrupted")
        raise
    finish("succeeded")


def _alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (signal 0 probes without sending)."""
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def owner_alive(entry: LedgerEntry) -> bool | None:
    """Whether the process that recorded ``entry`` still runs: True/False on this host, None
    when it cannot be told (another host, or an entry from before pids were recorded)."""
    if entry.pid is None or entry.host != _hostname():
        return None
    return _alive(entry.pid)
