"""Captured webhooks in the state DB (migration 3): the exact request and, when forwarded,
the receiver's answer.

Bodies are BLOBs (raw bytes, never decoded). Headers are ``(name, value)`` pairs in the
order received, duplicates kept; values are the wire bytes decoded as ISO-8859-1, which
maps every byte to one code point and back, so nothing is lost. Secrets given to telcli
never enter this table; what a sender put in its own headers is data the user captured.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from telcli.storage.state import StateDB

SOURCES = ("listen", "import", "pull")
Header = tuple[str, str]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """An ISO-8601 time (``Z`` or an offset; naive means UTC) as an aware datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class CapturedResponse:
    """What the receiver answered when the capture was forwarded (or replayed)."""

    status: int | None
    headers: tuple[Header, ...] = ()
    body: bytes = b""
    latency_ms: float | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "headers": [list(h) for h in self.headers],
            "body_b64": base64.b64encode(self.body).decode("ascii"),
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 3),
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Capture:
    """One captured delivery. ``id`` is 0 until stored."""

    method: str
    url: str
    headers: tuple[Header, ...]
    body: bytes
    received_at: str = field(default_factory=utc_now)
    source: str = "import"
    provider: str | None = None
    event_type: str | None = None
    sid: str | None = None
    forwarded_to: str | None = None
    response: CapturedResponse | None = None
    id: int = 0
    fingerprint: str | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    @property
    def content_type(self) -> str | None:
        return self.header("Content-Type")

    def to_json(self) -> dict[str, Any]:
        """The export format (one NDJSON line per capture); ``webhook import`` reads it back."""
        return {
            "id": self.id,
            "received_at": self.received_at,
            "source": self.source,
            "method": self.method,
            "url": self.url,
            "headers": [list(h) for h in self.headers],
            "body_b64": base64.b64encode(self.body).decode("ascii"),
            "body_size": len(self.body),
            "provider": self.provider,
            "event_type": self.event_type,
            "sid": self.sid,
            "forwarded_to": self.forwarded_to,
            "response": None if self.response is None else self.response.to_json(),
        }

    def summary_json(self) -> dict[str, Any]:
        """The list view: everything but the bytes."""
        data = self.to_json()
        del data["headers"], data["body_b64"]
        response = self.response
        data["response"] = (
            None
            if response is None
            else {
                "status": response.status,
                "latency_ms": data["response"]["latency_ms"],
                "error": response.error,
            }
        )
        return data


def content_fingerprint(capture: Capture) -> str:
    """A stable hash of what makes an imported capture itself, so re-importing is a no-op."""
    h = hashlib.sha256()
    for part in (capture.received_at, capture.method, capture.url):
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    h.update(json.dumps(capture.headers, ensure_ascii=True).encode("ascii") + b"\0")
    h.update(capture.body)
    return "sha256:" + h.hexdigest()


@dataclass(frozen=True, slots=True)
class CaptureFilter:
    ids: tuple[int, ...] = ()
    provider: str | None = None
    event_type: str | None = None
    sid: str | None = None
    since: str | None = None  # ISO-8601 UTC, inclusive
    source: str | None = None
    limit: int | None = None
    newest_first: bool = True


_COLUMNS = (
    "id, received_at, source, method, url, headers, body, provider, event_type, sid,"
    " forwarded_to, response_status, response_headers, response_body, latency_ms, error,"
    " fingerprint"
)


# Reading is defensive: a row written by an older telcli, or by hand, with a value of the wrong
# type is shown with that field empty rather than breaking every list, show and export.


def _pairs(text: Any) -> tuple[Header, ...]:
    try:
        pairs = json.loads(text) if text else []
        return tuple((str(k), str(v)) for k, v in pairs)
    except (ValueError, TypeError, RecursionError):
        return ()


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ms_or_none(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogateescape") if isinstance(value, str) else b""


def _row(r: Sequence[Any]) -> Capture:
    response = None
    if r[11] is not None or r[15] is not None:
        response = CapturedResponse(
            status=_int_or_none(r[11]),
            headers=_pairs(r[12]),
            body=_bytes(r[13]),
            latency_ms=_ms_or_none(r[14]),
            error=_str_or_none(r[15]),
        )
    return Capture(
        id=r[0],
        received_at=str(r[1] or ""),
        source=str(r[2] or ""),
        method=str(r[3] or ""),
        url=str(r[4] or ""),
        headers=_pairs(r[5]),
        body=_bytes(r[6]),
        provider=_str_or_none(r[7]),
        event_type=_str_or_none(r[8]),
        sid=_str_or_none(r[9]),
        forwarded_to=_str_or_none(r[10]),
        response=response,
        fingerprint=_str_or_none(r[16]),
    )


def _values(c: Capture) -> tuple[Any, ...]:
    resp = c.response
    return (
        c.received_at,
        c.source,
        c.method,
        c.url,
        json.dumps([list(h) for h in c.headers], ensure_ascii=True),
        c.body,
        c.provider,
        c.event_type,
        c.sid,
        c.forwarded_to,
        None if resp is None else resp.status,
        None if resp is None else json.dumps([list(h) for h in resp.headers], ensure_ascii=True),
        None if resp is None else resp.body,
        None if resp is None else resp.latency_ms,
        None if resp is None else resp.error,
        c.fingerprint,
    )


_INSERT = (
    "INSERT OR IGNORE INTO captures (received_at, source, method, url, headers, body, provider,"
    " event_type, sid, forwarded_to, response_status, response_headers, response_body,"
    " latency_ms, error, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


# Bodies this big are written with SQLite's incremental blob I/O: binding a 60 MB value makes
# SQLite build the row in memory (two more copies of it); zeroblob + blobopen writes it in
# place, a MiB at a time, so `webhook listen` holds one copy per body, not three.
BLOB_STREAM_MIN = 1 << 20
_INSERT_ZEROBLOB = _INSERT.replace(
    "VALUES (?, ?, ?, ?, ?, ?,", "VALUES (?, ?, ?, ?, ?, zeroblob(?),"
)


def _insert(conn: Any, c: Capture) -> Any:
    values = _values(c)
    if len(c.body) < BLOB_STREAM_MIN:
        return conn.execute(_INSERT, values)
    cur = conn.execute(_INSERT_ZEROBLOB, (*values[:5], len(c.body), *values[6:]))
    if cur.rowcount:
        view = memoryview(c.body)
        with conn.blobopen("captures", "body", cur.lastrowid) as blob:
            for start in range(0, len(view), BLOB_STREAM_MIN):
                blob.write(view[start : start + BLOB_STREAM_MIN])
    return cur


class CaptureStore:
    """Reads and writes captures. Writes are short ``BEGIN IMMEDIATE`` transactions."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def add(self, capture: Capture) -> Capture:
        """Store one capture; returns it with its id (an existing id when it was a duplicate)."""
        return self.add_many([capture])[0]

    def add_many(self, captures: Iterable[Capture]) -> list[Capture]:
        """Store captures in one transaction. Duplicates (same fingerprint) are not stored
        again; the existing row's id is returned for them with ``id`` negated."""
        stored: list[Capture] = []
        with self.db.write() as conn:
            for c in captures:
                cur = _insert(conn, c)
                if cur.rowcount:
                    stored.append(replace(c, id=int(cur.lastrowid or 0)))
                    continue
                row = conn.execute(
                    "SELECT id FROM captures WHERE fingerprint = ?", (c.fingerprint,)
                ).fetchone()
                stored.append(replace(c, id=-int(row[0]) if row else 0))
        return stored

    def get(self, capture_id: int) -> Capture | None:
        row = self.db.conn.execute(
            f"SELECT {_COLUMNS} FROM captures WHERE id = ?", (capture_id,)
        ).fetchone()
        return None if row is None else _row(row)

    def query(self, flt: CaptureFilter) -> list[Capture]:
        return list(self.iter(flt))

    def iter(self, flt: CaptureFilter) -> Iterator[Capture]:
        sql = f"SELECT {_COLUMNS} FROM captures WHERE 1=1"
        args: list[Any] = []
        if flt.ids:
            sql += f" AND id IN ({','.join('?' * len(flt.ids))})"
            args.extend(flt.ids)
        if flt.provider:
            sql += " AND provider = ?"
            args.append(flt.provider)
        if flt.event_type:
            sql += " AND event_type = ?"
            args.append(flt.event_type)
        if flt.sid:
            sql += " AND sid = ?"
            args.append(flt.sid)
        if flt.source:
            sql += " AND source = ?"
            args.append(flt.source)
        if flt.since:
            sql += " AND received_at >= ?"
            args.append(flt.since)
        sql += " ORDER BY received_at DESC, id DESC" if flt.newest_first else " ORDER BY id"
        if flt.limit:
            sql += f" LIMIT {int(flt.limit)}"
        cursor = self.db.conn.execute(sql, args)
        while True:
            rows = cursor.fetchmany(200)
            if not rows:
                return
            for row in rows:
                yield _row(row)

    def count(self) -> int:
        return int(self.db.conn.execute("SELECT COUNT(*) FROM captures").fetchone()[0])
