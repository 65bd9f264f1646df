"""The state DB: migrations by user_version, WAL, the ledger, and parallel processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from telcli.errors import ConfigError
from telcli.storage.state import MIGRATIONS, StateDB


def test_fresh_db_is_migrated_and_in_wal_mode(tmp_path):
    db = StateDB(tmp_path / "s" / "state.db")
    assert db.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_ledger_round_trip_and_detail_merge(tmp_path):
    db = StateDB(tmp_path / "state.db")
    entry = db.ledger_begin("buy", "twilio", "default", "+14155550101", {"currency": "USD"})
    assert db.ledger_entries(statuses=("pending",))[0].id == entry
    db.ledger_finish(entry, "succeeded", result_id="PN1", detail={"reconciled": True})
    [row] = db.ledger_entries(op="buy", target="+14155550101")
    assert row.status == "succeeded" and row.result_id == "PN1"
    assert row.detail == {"currency": "USD", "reconciled": True}
    with pytest.raises(ValueError):
        db.ledger_finish(entry, "maybe")


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()
    with pytest.raises(ConfigError, match="newer telcli"):
        _ = StateDB(path).conn


def test_parallel_processes_do_not_lose_ledger_writes(tmp_path):
    path = tmp_path / "state.db"
    script = (
        "import sys; from pathlib import Path; from telcli.storage.state import StateDB\n"
        "db = StateDB(Path(sys.argv[1]))\n"
        "for i in range(40):\n"
        "    e = db.ledger_begin('buy', 'twilio', 'default', f'+1415555{sys.argv[2]}{i:03d}')\n"
        "    db.ledger_finish(e, 'succeeded', result_id=str(i))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path), str(n)]) for n in range(4)]
    assert [p.wait(60) for p in procs] == [0, 0, 0, 0]
    entries = StateDB(path).ledger_entries()
    assert len(entries) == 160 and {e.status for e in entries} == {"succeeded"}


def test_tenant_lease_is_exclusive_until_released_expired_or_its_process_died(tmp_path):
    import os

    db = StateDB(tmp_path / "state.db")
    me = os.getpid()
    assert db.lease_acquire("p", "acme", "run-1", "here", me, 60) is None
    # held by a live process on this host: busy; another profile or tenant: free
    assert db.lease_acquire("p", "acme", "run-2", "here", me, 60) == f"pid {me} on here"
    assert db.lease_acquire("q", "acme", "run-2", "here", me, 60) is None
    assert db.lease_acquire("p", "bolt", "run-2", "here", me, 60) is None
    db.lease_release("p", "acme", "run-2")  # not the holder: nothing happens
    assert db.lease_acquire("p", "acme", "run-2", "here", me, 60) is not None
    db.lease_release("p", "acme", "run-1")
    assert db.lease_acquire("p", "acme", "run-2", "here", me, 60) is None
    # its process is gone (SIGKILL): taken over at once; on another host only after expiry
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    assert db.lease_acquire("p", "dead", "run-3", "here", int(dead), 60) is None
    assert db.lease_acquire("p", "dead", "run-4", "here", me, 60) is None
    assert db.lease_acquire("p", "far", "run-5", "elsewhere", 1, 60) is None
    assert db.lease_acquire("p", "far", "run-6", "here", me, 60) == "pid 1 on elsewhere"
    assert db.lease_acquire("p", "gone", "run-7", "elsewhere", 1, -1) is None  # expired
    assert db.lease_acquire("p", "gone", "run-8", "here", me, 60) is None


def test_ledger_entries_after_an_id(tmp_path):
    db = StateDB(tmp_path / "state.db")
    first = db.ledger_begin("tenant.buy", "twilio", "p", "acme")
    second = db.ledger_begin("tenant.vapi", "vapi", "p", "acme")
    db.ledger_begin("tenant.vapi", "vapi", "p", "bolt")
    assert [e.id for e in db.ledger_entries(target="acme", after=first)] == [second]
    assert db.ledger_entries(target="acme", after=second) == []


def test_an_intent_records_its_process_and_a_claim_is_exclusive(tmp_path):
    import os

    from telcli.storage.state import _hostname, owner_alive

    db = StateDB(tmp_path / "state.db")
    first, blocked = db.ledger_claim("buy", "twilio", "default", "+14155550101")
    assert first is not None and blocked == []
    [entry] = db.ledger_entries()
    assert (entry.pid, entry.host) == (os.getpid(), _hostname())
    assert owner_alive(entry) is True
    # a second claim of the same number in the profile is refused while the first is open
    again, blocked = db.ledger_claim("buy", "twilio", "default", "+14155550101")
    assert again is None and [e.id for e in blocked] == [first]
    other, _ = db.ledger_claim("buy", "twilio", "acme", "+14155550101")  # another profile
    assert other is not None
    db.ledger_finish(first, "failed")
    assert db.ledger_claim("buy", "twilio", "default", "+14155550101")[0] is not None


def test_a_dead_owner_is_told_apart_from_a_live_one(tmp_path):
    from dataclasses import replace

    from telcli.storage.state import owner_alive

    db = StateDB(tmp_path / "state.db")
    db.ledger_begin("buy", "twilio", "default", "+14155550101")
    [entry] = db.ledger_entries()
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert owner_alive(replace(entry, pid=int(done.stdout))) is False  # exited and reaped
    assert owner_alive(replace(entry, host="elsewhere")) is None  # cannot tell
