"""Private files: TELCLI_HOME 0700, the state and sandbox DBs (WAL and SHM included) 0600,
whatever the umask; an existing state DB others can read is tightened, with a note."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from telcli.storage.private import prepare_db
from telcli.storage.state import StateDB

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def test_a_sandbox_session_leaves_only_private_files(umask, telcli, make_ctx, tmp_path):
    home = tmp_path / "fresh" / "telcli"  # neither exists yet
    env = {"TELCLI_HOME": str(home)}
    found = telcli("--sandbox", "numbers", "search", "--limit", "1", "--json", env=env)
    assert found.exit_code == 0, found
    number = found.stdout.split('"phone_number": "')[1].split('"')[0]
    assert telcli("--sandbox", "numbers", "buy", number, "--yes", env=env).exit_code == 0
    assert mode(home) == 0o700 and mode(home.parent) == 0o700
    files = [p for p in home.rglob("*") if p.is_file()]
    assert {"state.db", "sandbox.db"} <= {p.name for p in files}
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}

    # While a connection is open SQLite keeps -wal and -shm beside the DB: private too.
    db = StateDB(home / "state.db")
    db.ledger_begin("buy", "twilio", "default", "+14155550100")
    for suffix in ("-wal", "-shm"):
        assert mode(home / f"state.db{suffix}") == 0o600, suffix
    db.close()


def test_an_existing_readable_state_db_is_tightened_once_with_a_note(telcli, home):
    db = StateDB(home / "state.db")
    db.ledger_begin("buy", "twilio", "default", "+14155550100")
    db.close()
    os.chmod(home / "state.db", 0o644)
    first = telcli("history")
    assert first.exit_code == 0, first
    assert first.stderr == (
        f"warning: {home / 'state.db'} was readable by other users; made it private (0600)\n"
    )
    assert mode(home / "state.db") == 0o600
    assert first.stdout.count("\n") == 1  # the data is unaffected
    again = telcli("history")
    assert again.stderr == "" and again.stdout == first.stdout


def test_prepare_db_tightens_the_companions_and_leaves_existing_dirs(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    path = shared / "x.db"
    path.write_bytes(b"")
    (shared / "x.db-wal").write_bytes(b"")
    os.chmod(path, 0o666)
    os.chmod(shared / "x.db-wal", 0o644)
    assert prepare_db(path) == [path, shared / "x.db-wal"]
    assert (mode(path), mode(shared / "x.db-wal"), mode(shared)) == (0o600, 0o600, 0o755)
    assert prepare_db(path) == []


def _open_state_db(path: str, barrier, results) -> None:
    from telcli.storage.state import StateDB

    barrier.wait()
    try:
        StateDB(Path(path)).conn  # noqa: B018
        results.put("ok")
    except Exception as exc:  # reported to the test, which names it
        results.put(repr(exc))


@pytest.mark.slow
def test_processes_started_together_on_a_fresh_home_all_open_the_state_db(tmp_path):
    # Switching a new file to WAL made SQLite answer "database is locked" at once to the
    # others (11 of 30 rounds of 8 processes failed before enable_wal retried).
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    for round_ in range(15):
        path = tmp_path / f"home{round_}" / "state.db"
        path.parent.mkdir()
        barrier, results = ctx.Barrier(8), ctx.Queue()
        procs = [
            ctx.Process(target=_open_state_db, args=(str(path), barrier, results)) for _ in range(8)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        outcomes = [results.get(timeout=10) for _ in procs]
        assert outcomes == ["ok"] * 8, outcomes
