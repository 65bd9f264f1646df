"""Private files (stdlib only): what telcli keeps on disk is its user's alone, whatever the
umask, like gh's hosts file. Directories telcli creates (``TELCLI_HOME``, the platform state
directory) are 0700; its SQLite files (``state.db``, ``sandbox.db``) and their ``-wal`` and
``-shm`` companions are 0600. They hold captured webhook bodies (customers' phone numbers and
message text, ``Authorization`` and ``Cookie`` headers) and the operations ledger.

SQLite creates a database's ``-wal`` and ``-shm`` files with the database file's own mode
(whatever the umask), so creating the database 0600 first is what keeps all three private.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DIR_MODE = 0o700
FILE_MODE = 0o600
_SIDECARS = ("-wal", "-shm", "-journal")


def ensure_dir(path: Path) -> None:
    """Create ``path`` and any missing parents 0700 (the umask cannot widen or narrow it).
    Directories that already exist are left as they are: they may be shared on purpose."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another telcli process made it first
            continue
        os.chmod(directory, DIR_MODE)  # mkdir's mode is cut by the umask


def prepare_db(path: Path) -> list[Path]:
    """Ready the SQLite file ``path`` to be opened privately: its directory exists, the file
    exists with mode 0600, and it and its companions are tightened to 0600 where others could
    read or write them. Returns the files that had to be tightened (oldest telcli versions and
    copies made with a loose umask), so the caller can say so."""
    ensure_dir(path.parent)
    # Never open (and close) an existing database: closing any descriptor of a file drops
    # every POSIX lock this process holds on it, those of SQLite connections in other threads
    # included, and SQLite then corrupts the file ("database disk image is malformed"; see
    # sqlite.org/howtocorrupt.html, 2.2). Only a file that does not exist yet is created.
    if not path.exists():
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)  # empty: an empty DB
        except FileExistsError:  # another thread or process made it first
            pass
        else:
            os.close(fd)
    tightened: list[Path] = []
    if os.name != "posix":  # Windows has no group/other mode bits to tighten
        return tightened
    for file in (path, *(path.with_name(path.name + s) for s in _SIDECARS)):
        try:
            mode = os.stat(file).st_mode
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(file, FILE_MODE)
            tightened.append(file)
    return tightened


def enable_wal(conn: Any, *, wait: float = 30.0) -> None:
    """Put ``conn``'s database in WAL mode. Switching a new file needs a moment alone with
    it, and SQLite answers "database is locked" at once, without its busy handler, while
    another process is creating or switching the same file: telcli processes started
    together on a fresh TELCLI_HOME retry for up to ``wait`` seconds instead of failing."""
    import sqlite3
    import time

    deadline = time.monotonic() + wait
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)
