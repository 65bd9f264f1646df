"""The sandbox's own SQLite file: what each emulated account owns.

Separate ``telcli`` processes (a shell loop, a test running the CLI as a subprocess, a
``sandbox serve`` next to them) share one file, so the database runs in WAL mode, every write
takes the write lock up front (``BEGIN IMMEDIATE``) and transactions stay short. Each call opens
its own connection and closes it again: connections are never shared between threads, and the
server's worker threads leave nothing behind.

Rows hold the provider's own resource as JSON (``data``), keyed by provider and id; the phone
number is unique across the whole file, which is what makes a double purchase impossible even
when two processes race for the same number.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from telcli.storage.private import enable_wal, prepare_db

# 2: ``resources`` (addresses, requirement groups, VAPI phone numbers/assistants/credentials).
SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE IF NOT EXISTS numbers (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    provider     TEXT NOT NULL,
    id           TEXT NOT NULL,
    phone_number TEXT NOT NULL UNIQUE,
    data         TEXT NOT NULL,
    UNIQUE (provider, id)
);
CREATE TABLE IF NOT EXISTS orders (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    id       TEXT NOT NULL,
    data     TEXT NOT NULL,
    UNIQUE (provider, id)
);
CREATE TABLE IF NOT EXISTS resources (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    kind     TEXT NOT NULL,
    id       TEXT NOT NULL,
    data     TEXT NOT NULL,
    UNIQUE (provider, kind, id)
);
"""

Resource = dict[str, Any]


class AlreadyOwned(Exception):
    """The phone number is already owned in this sandbox (by any provider's account)."""

    def __init__(self, phone_number: str) -> None:
        super().__init__(phone_number)
        self.phone_number = phone_number


class SandboxState:
    """Owned numbers and orders of the emulated accounts, in one SQLite file."""

    def __init__(self, db_path: Path | str, *, busy_timeout_ms: int = 10_000) -> None:
        self.db_path = Path(db_path)
        self._busy_timeout_ms = busy_timeout_ms
        prepare_db(self.db_path)  # 0600 in a 0700 directory, like the state DB
        self._migrate()

    # -- connections ---------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(
            self.db_path, isolation_level=None, timeout=self._busy_timeout_ms / 1000
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            # WAL + NORMAL never corrupts the file; a power cut may lose the last purchases,
            # which an emulator can afford, and commits stop waiting for fsync.
            conn.execute("PRAGMA synchronous = NORMAL")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction that holds the write lock from its first statement."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._connect() as conn:
            # WAL is a property of the file: set once, every later connection gets it.
            enable_wal(conn)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                    # One statement at a time: executescript() would commit the lock away.
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- numbers -------------------------------------------------------------------------

    def owned_phone_numbers(self) -> set[str]:
        """Every number owned in this sandbox, by any provider (hidden from every search)."""
        with self._connect() as conn:
            return {row[0] for row in conn.execute("SELECT phone_number FROM numbers")}

    def add_number(self, provider: str, id_: str, phone_number: str, data: Resource) -> None:
        """Record a purchase. Raises AlreadyOwned when the number is owned already."""
        with self._write() as conn:
            self._insert_number(conn, provider, id_, phone_number, data)

    @staticmethod
    def _insert_number(
        conn: sqlite3.Connection, provider: str, id_: str, phone_number: str, data: Resource
    ) -> None:
        try:
            conn.execute(
                "INSERT INTO numbers (provider, id, phone_number, data) VALUES (?, ?, ?, ?)",
                (provider, id_, phone_number, json.dumps(data)),
            )
        except sqlite3.IntegrityError:
            raise AlreadyOwned(phone_number) from None

    def get_number(self, provider: str, id_: str) -> Resource | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT data FROM numbers WHERE provider = ? AND id = ?", (provider, id_)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def list_numbers(self, provider: str) -> list[Resource]:
        """The provider's owned numbers in purchase order (oldest first)."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT data FROM numbers WHERE provider = ? ORDER BY seq", (provider,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def update_number(
        self, provider: str, id_: str, change: Callable[[Resource], Resource]
    ) -> Resource | None:
        """Read, change and write back one number atomically; None when it is not owned."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT data FROM numbers WHERE provider = ? AND id = ?", (provider, id_)
            ).fetchone()
            if row is None:
                return None
            data = change(json.loads(row[0]))
            conn.execute(
                "UPDATE numbers SET data = ? WHERE provider = ? AND id = ?",
                (json.dumps(data), provider, id_),
            )
            return data

    def remove_number(self, provider: str, id_: str) -> Resource | None:
        """Release a number; returns what it was, or None when it was not owned."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT data FROM numbers WHERE provider = ? AND id = ?", (provider, id_)
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM numbers WHERE provider = ? AND id = ?", (provider, id_))
            return json.loads(row[0])

    # -- orders (Telnyx number orders) -----------------------------------------------------

    def add_order(
        self,
        provider: str,
        id_: str,
        data: Resource,
        numbers: list[tuple[str, str, Resource]],
    ) -> None:
        """Record an order and the numbers it bought, all or nothing.

        ``numbers`` holds ``(id, phone_number, data)`` per number. Raises AlreadyOwned (and
        records nothing) when any of them is owned already.
        """
        with self._write() as conn:
            for number_id, phone_number, number_data in numbers:
                self._insert_number(conn, provider, number_id, phone_number, number_data)
            conn.execute(
                "INSERT INTO orders (provider, id, data) VALUES (?, ?, ?)",
                (provider, id_, json.dumps(data)),
            )

    def get_order(self, provider: str, id_: str) -> Resource | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT data FROM orders WHERE provider = ? AND id = ?", (provider, id_)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def list_orders(self, provider: str) -> list[Resource]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT data FROM orders WHERE provider = ? ORDER BY seq", (provider,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    # -- other resources (addresses, requirement groups, VAPI objects) ----------------------

    def add_resource(self, provider: str, kind: str, id_: str, data: Resource) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO resources (provider, kind, id, data) VALUES (?, ?, ?, ?)",
                (provider, kind, id_, json.dumps(data)),
            )

    def get_resource(self, provider: str, kind: str, id_: str) -> Resource | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT data FROM resources WHERE provider = ? AND kind = ? AND id = ?",
                (provider, kind, id_),
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def list_resources(self, provider: str, kind: str) -> list[Resource]:
        """Oldest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT data FROM resources WHERE provider = ? AND kind = ? ORDER BY seq",
                (provider, kind),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def update_resource(
        self, provider: str, kind: str, id_: str, change: Callable[[Resource], Resource]
    ) -> Resource | None:
        with self._write() as conn:
            row = conn.execute(
                "SELECT data FROM resources WHERE provider = ? AND kind = ? AND id = ?",
                (provider, kind, id_),
            ).fetchone()
            if row is None:
                return None
            data = change(json.loads(row[0]))
            conn.execute(
                "UPDATE resources SET data = ? WHERE provider = ? AND kind = ? AND id = ?",
                (json.dumps(data), provider, kind, id_),
            )
            return data

    def remove_resource(self, provider: str, kind: str, id_: str) -> Resource | None:
        with self._write() as conn:
            row = conn.execute(
                "SELECT data FROM resources WHERE provider = ? AND kind = ? AND id = ?",
                (provider, kind, id_),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "DELETE FROM resources WHERE provider = ? AND kind = ? AND id = ?",
                (provider, kind, id_),
            )
            return json.loads(row[0])

    # -- housekeeping --------------------------------------------------------------------

    def reset(self) -> dict[str, int]:
        """Forget everything the emulated accounts own: the sandbox as on first use.

        Returns how many rows went, per table (``{"numbers": 3, "orders": 1, ...}``).
        """
        with self._write() as conn:
            present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            # `activity` (test SMS and calls) is created by the lifecycles on first use.
            return {
                table: conn.execute(f"DELETE FROM {table}").rowcount
                for table in ("numbers", "orders", "resources", "activity")
                if table in present
            }
