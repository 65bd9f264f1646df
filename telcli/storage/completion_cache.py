"""The completion cache: values TAB can offer without starting Python or asking a provider.

One small text file per kind under ``<state dir>/completion/`` (``sandbox/`` inside it for
sandbox work, so emulator numbers never show up for the real account; profiles are shared).
A line is ``VALUE<TAB>SCOPE``: the scope (a provider, or empty) lets one provider's listing
replace its own entries and leave the others'. The shell scripts in ``completions/`` read the
value up to the tab with builtins only.

telcli's own commands keep it fresh (``numbers list|buy|release``, ``webhook list|listen``,
``vapi assistants``, profiles from the config file, ``telcli completion refresh``); a stale
entry is simply offered. Writing it never fails a command: the cache is a convenience, so an
unwritable directory is ignored. Files are private (0600, directory 0700): owned numbers and
capture ids are the operator's business.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

KINDS = ("numbers", "captures", "profiles", "assistants", "tenants")
# At most this many entries per kind: TAB must stay instant however long the history.
MAX_ENTRIES = 2000


def _clean(value: str) -> str | None:
    """A value fit for a shell word list: one line, no tab, no control characters."""
    value = value.strip()
    if not value or any(ord(ch) < 32 or ch == "\x7f" for ch in value) or " " in value:
        return None
    return value


# Kinds that do not depend on the account: the sandbox shares them with real work.
SHARED = ("profiles",)


class CompletionCache:
    def __init__(self, directory: Path, *, sandbox: bool = False) -> None:
        self.directory = directory
        self.sandbox = sandbox

    def path(self, kind: str) -> Path:
        if kind not in KINDS:
            raise ValueError(f"unknown completion kind {kind!r}")
        if self.sandbox and kind not in SHARED:
            return self.directory / "sandbox" / kind
        return self.directory / kind

    def sync(self, kind: str, values: Iterable[str], *, source: Path) -> None:
        """Replace ``kind`` when ``source`` (e.g. config.yaml) changed since it was written:
        two stat calls when nothing changed, so every command can afford it."""
        try:
            changed = source.stat().st_mtime_ns
        except OSError:
            return
        try:
            if self.path(kind).stat().st_mtime_ns >= changed:
                return
        except OSError:
            pass
        self.replace(kind, values)

    def read(self, kind: str) -> list[tuple[str, str]]:
        """(value, scope) pairs, oldest first; [] when there is no cache yet."""
        try:
            text = self.path(kind).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return []
        pairs = []
        for line in text.splitlines():
            value, _, scope = line.partition("\t")
            if value:
                pairs.append((value, scope))
        return pairs

    def values(self, kind: str) -> list[str]:
        return [value for value, _ in self.read(kind)]

    def replace(self, kind: str, values: Iterable[str], *, scope: str = "") -> None:
        """Make ``values`` the whole of ``scope``'s entries; other scopes' entries stay."""
        kept = [(v, s) for v, s in self.read(kind) if s != scope]
        self._write(kind, kept + [(v, scope) for v in values])

    def add(self, kind: str, values: Iterable[str], *, scope: str = "") -> None:
        new = list(values)
        fresh = set(new)
        kept = [(v, s) for v, s in self.read(kind) if v not in fresh]
        self._write(kind, kept + [(v, scope) for v in new])

    def discard(self, kind: str, values: Iterable[str]) -> None:
        gone = set(values)
        self._write(kind, [(v, s) for v, s in self.read(kind) if v not in gone])

    def _write(self, kind: str, pairs: list[tuple[str, str]]) -> None:
        seen: dict[str, str] = {}
        for value, scope in pairs:
            clean = _clean(value)
            if clean is not None:
                seen.pop(clean, None)  # the newest mention wins and moves to the end
                seen[clean] = _clean(scope) or ""
        lines = [f"{v}\t{s}\n" for v, s in list(seen.items())[-MAX_ENTRIES:]]
        with contextlib.suppress(OSError):
            self._atomic_write(self.path(kind), "".join(lines))

    def _atomic_write(self, path: Path, text: str) -> None:
        missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
        for directory in reversed(missing):
            directory.mkdir(mode=0o700, exist_ok=True)
            os.chmod(directory, 0o700)  # mkdir's mode is cut by the umask
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)  # whatever the umask
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
