"""The local state database: one SQLite file (WAL) shared safely by parallel telcli processes.

Schema changes are migrations keyed by ``PRAGMA user_version``. Writes use short
``BEGIN IMMEDIATE`` transactions. Secrets never enter this file: the ledger stores
operation names, providers, phone numbers, provider IDs and error messages only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telcli.errors import ConfigError

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
]

LEDGER_STATUSES = ("pending", "succeeded", "failed", "unknown")


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


class StateDB:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA busy_timeout=30000")
                conn.execute("PRAGMA foreign_keys=ON")
            except (OSError, sqlite3.Error) as exc:
                raise ConfigError(
                    f"cannot open the state database {self.path}: {exc}",
                    hint="set TELCLI_HOME to a writable directory",
                ) from None
            self._conn = conn
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
    ) -> int:
        """Record an intent before the request that acts on it is sent."""
        now = _now()
        with self.write() as conn:
            cur = conn.execute(
                "INSERT INTO ledger (op, provider, profile, target, status, detail, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                (op, provider, profile, target, json.dumps(detail or {}), now, now),
            )
            return int(cur.lastrowid or 0)

    def ledger_finish(
        self,
        entry_id: int,
        status: str,
        *,
        result_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        if status not in LEDGER_STATUSES:
            raise ValueError(status)
        with self.write() as conn:
            row = conn.execute("SELECT detail FROM ledger WHERE id = ?", (entry_id,)).fetchone()
            merged = {**json.loads(row[0] or "{}"), **(detail or {})} if row else (detail or {})
            conn.execute(
                "UPDATE ledger SET status = ?, result_id = COALESCE(?, result_id), detail = ?,"
                " updated_at = ? WHERE id = ?",
                (status, result_id, json.dumps(merged), _now(), entry_id),
            )

    def ledger_entries(
        self,
        *,
        op: str | None = None,
        target: str | None = None,
        statuses: tuple[str, ...] | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]:
        sql = "SELECT * FROM ledger WHERE 1=1"
        args: list[Any] = []
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
        rows = self.conn.execute(sql, args).fetchall()
        return [
            LedgerEntry(
                id=r[0],
                op=r[1],
                provider=r[2],
                profile=r[3],
                target=r[4],
                status=r[5],
                result_id=r[6],
                detail=json.loads(r[7] or "{}"),
                created_at=r[8],
                updated_at=r[9],
            )
            for r in rows
        ]
