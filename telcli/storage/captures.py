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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from telcli.storage.state import StateDB

SOURCES = ("listen", "import", "pull")
_B64_CHUNK = 3 * 256 * 1024  # a multiple of 3: chunks encode to base64 that concatenates
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
    # What the delivery means (telcli.webhooks.events.Event.to_json()), None when it is not an
    # event telcli understands; deliveries counts this one and every re-delivery of the event.
    event: dict[str, Any] | None = None
    deliveries: int = 1

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

    def json_line(self) -> Iterator[str]:
        """``json.dumps(self.to_json(), separators=(",", ":"))`` in pieces, the bodies' base64
        written a chunk at a time: a 60 MiB body costs a few MiB more, not four more copies
        (the base64 text, the JSON text, its encoding). ``webhook listen --json`` writes it."""
        bodies = [self.body, self.response.body if self.response else b""]
        import secrets

        nonce = secrets.token_hex(16)  # placeholders no sender can put in a header or URL
        marks = [f"body-{nonce}-{i}" for i in range(2)]
        data = replace(self, body=b"", response=self.response and replace(self.response, body=b""))
        shape = data.to_json()
        shape["body_b64"], shape["body_size"] = marks[0], len(self.body)
        if shape["response"] is not None:
            shape["response"]["body_b64"] = marks[1]
        text = json.dumps(shape, separators=(",", ":"))
        for mark, body in zip(marks, bodies, strict=True):
            quoted = json.dumps(mark)
            if quoted not in text:
                continue
            head, text = text.split(quoted, 1)
            yield head + '"'
            for start in range(0, len(body), _B64_CHUNK):
                yield base64.b64encode(body[start : start + _B64_CHUNK]).decode("ascii")
            text = '"' + text
        yield text

    def summary_json(self) -> dict[str, Any]:
        """The list view: everything but the bytes, with what the delivery means."""
        data = self.to_json()
        del data["headers"], data["body_b64"]
        data["event"] = self.event
        data["deliveries"] = self.deliveries
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
    before: str | None = None  # ISO-8601 UTC, exclusive (--older-than, retention)
    source: str | None = None
    limit: int | None = None
    newest_first: bool = True
    # Over the normalised events (event_type above matches the provider's event type or the
    # common one): a number on either end, a call or message id, the provider's status word.
    number: str | None = None
    call: str | None = None
    status: str | None = None


_COLUMNS = (
    "id, received_at, source, method, url, headers, body, provider, event_type, sid,"
    " forwarded_to, response_status, response_headers, response_body, latency_ms, error,"
    " fingerprint, event,"
    " (SELECT COUNT(*) FROM capture_deliveries d WHERE d.capture_id = captures.id) + 1"
)
# Indexed fields of the normalised event, in _values' order after fingerprint.
_EVENT_FIELDS = ("event_id", "kind", "call_id", "message_id", "from_number", "to_number",
                 "status", "occurred_at")  # fmt: skip


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
        event=_event(r[17]),
        deliveries=_int_or_none(r[18]) or 1,
    )


def _event(text: Any, loads: Callable[[str], Any] | None = None) -> dict[str, Any] | None:
    if not isinstance(text, str):
        return None
    try:
        value = (loads or json.loads)(text)
    except (ValueError, RecursionError):
        # orjson refuses some JSON the stdlib reads (a lone surrogate escape, NaN): such a row
        # is read the stdlib's way, as before.
        return None if loads is None else _event(text)
    if not isinstance(value, dict):
        return None
    if loads is not None and float in map(type, value.values()):
        # orjson reads an integer past 64 bits as a float: read the row exactly. Events carry
        # no floats (and meta only strings), so this costs the common row one C-level scan.
        return _event(text)
    return value


def event_columns(event: dict[str, Any] | None) -> tuple[Any, ...]:
    """The stored form of an event: its JSON, then the indexed fields (_EVENT_FIELDS)."""
    if event is None:
        return (None, None, None, None, None, None, None, None, None)
    return (
        json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        event.get("event_id"),
        event.get("event_type"),
        event.get("call_id"),
        event.get("message_id"),
        event.get("from"),
        event.get("to"),
        event.get("status"),
        event.get("occurred_at"),
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
        *event_columns(c.event),
    )


_INSERT = (
    "INSERT OR IGNORE INTO captures (received_at, source, method, url, headers, body, provider,"
    " event_type, sid, forwarded_to, response_status, response_headers, response_body,"
    " latency_ms, error, fingerprint, event, " + ", ".join(_EVENT_FIELDS) + ", normalized)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
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
                known = self._redelivery(conn, c)
                if known is not None:
                    stored.append(known)
                    continue
                cur = _insert(conn, c)
                if cur.rowcount:
                    stored.append(replace(c, id=int(cur.lastrowid or 0)))
                    continue
                row = conn.execute(
                    "SELECT id FROM captures WHERE fingerprint = ?", (c.fingerprint,)
                ).fetchone()
                stored.append(replace(c, id=-int(row[0]) if row else 0))
        return stored

    def _redelivery(self, conn: Any, c: Capture) -> Capture | None:
        """When ``c`` is an event already stored (same provider and event id, from listen,
        pull or import), record it as one more delivery of that event and return the stored
        capture with ``id`` negated; None when it is a new event (or no event at all)."""
        event_id = (c.event or {}).get("event_id")
        if not event_id or not c.provider:
            return None
        row = conn.execute(
            "SELECT id, fingerprint FROM captures WHERE provider = ? AND event_id = ?",
            (c.provider, event_id),
        ).fetchone()
        if row is None:
            return None
        same = c.fingerprint is not None and row[1] == c.fingerprint
        if c.fingerprint is not None and not same:
            # Captured live (no fingerprint) or pulled (the delivery record's id): an export
            # of it imported back is still that delivery.
            full = conn.execute(f"SELECT {_COLUMNS} FROM captures WHERE id = ?", (row[0],))
            same = content_fingerprint(_row(full.fetchone())) == c.fingerprint
        if not same:
            conn.execute(
                "INSERT OR IGNORE INTO capture_deliveries"
                " (capture_id, received_at, source, response_status, fingerprint)"
                " VALUES (?, ?, ?, ?, ?)",
                (row[0], c.received_at, c.source,
                 None if c.response is None else c.response.status, c.fingerprint),
            )  # fmt: skip
        count = conn.execute(
            "SELECT COUNT(*) FROM capture_deliveries WHERE capture_id = ?", (row[0],)
        ).fetchone()[0]
        return replace(c, id=-int(row[0]), deliveries=int(count) + 1)

    def unnormalized(self, limit: int = 500) -> list[Capture]:
        """Captures stored before events were normalised (see services.webhooks)."""
        rows = self.db.conn.execute(
            f"SELECT {_COLUMNS} FROM captures WHERE normalized = 0 ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        return [_row(r) for r in rows]

    def set_events(self, events: Iterable[tuple[int, dict[str, Any] | None]]) -> None:
        """Store the normalised event of captures already stored (None: not an event). An
        event id another capture already has is left out: that capture is the event."""
        with self.db.write() as conn:
            for capture_id, event in events:
                values = event_columns(event)
                clash = (
                    values[1] is not None
                    and conn.execute(
                        "SELECT 1 FROM captures WHERE event_id = ? AND id != ? AND provider ="
                        " (SELECT provider FROM captures WHERE id = ?)",
                        (values[1], capture_id, capture_id),
                    ).fetchone()
                )
                if clash:
                    values = (values[0], None, *values[2:])
                conn.execute(
                    "UPDATE captures SET event = ?, " + " = ?, ".join(_EVENT_FIELDS)
                    + " = ?, normalized = 1 WHERE id = ?",
                    (*values, capture_id),
                )  # fmt: skip

    def deliveries(self, capture_id: int) -> list[tuple[str, str, int | None]]:
        """(received_at, source, response status) of every delivery of a capture's event,
        the stored one first."""
        first = self.db.conn.execute(
            "SELECT received_at, source, response_status FROM captures WHERE id = ?",
            (capture_id,),
        ).fetchall()
        more = self.db.conn.execute(
            "SELECT received_at, source, response_status FROM capture_deliveries"
            " WHERE capture_id = ? ORDER BY received_at, id",
            (capture_id,),
        ).fetchall()
        return [(str(r[0]), str(r[1]), _int_or_none(r[2])) for r in [*first, *more]]

    def get(self, capture_id: int) -> Capture | None:
        row = self.db.conn.execute(
            f"SELECT {_COLUMNS} FROM captures WHERE id = ?", (capture_id,)
        ).fetchone()
        return None if row is None else _row(row)

    def query(self, flt: CaptureFilter) -> list[Capture]:
        return list(self.iter(flt))

    def iter(self, flt: CaptureFilter) -> Iterator[Capture]:
        sql, args = self._where(flt, f"SELECT {_COLUMNS} FROM captures WHERE 1=1")
        cursor = self.db.conn.execute(sql, args)
        while True:
            rows = cursor.fetchmany(200)
            if not rows:
                return
            for row in rows:
                yield _row(row)

    def iter_events(self, flt: CaptureFilter) -> Iterator[dict[str, Any]]:
        """The normalised events of the matching captures (no bodies read), each with its
        ``capture_id``; captures that are not events are skipped."""
        sql, args = self._where(
            flt, "SELECT id, event FROM captures WHERE event IS NOT NULL", newest_first=False
        )
        # orjson decodes these small documents in about half the stdlib's time: `webhook
        # outcomes` reads one per event, 100,000 of them in issue 15's bar.
        import orjson

        for capture_id, text in self.db.conn.execute(sql, args):
            event = _event(text, orjson.loads)
            if event is not None:
                event["capture_id"] = capture_id
                yield event

    def _where(
        self, flt: CaptureFilter, sql: str, *, newest_first: bool | None = None
    ) -> tuple[str, list[Any]]:
        args: list[Any] = []
        if flt.ids:
            sql += f" AND id IN ({','.join('?' * len(flt.ids))})"
            args.extend(flt.ids)
        if flt.provider:
            sql += " AND provider = ?"
            args.append(flt.provider)
        if flt.event_type:
            sql += " AND (event_type = ? OR kind = ?)"
            args += [flt.event_type, flt.event_type]
        if flt.sid:
            sql += " AND sid = ?"
            args.append(flt.sid)
        if flt.source:
            sql += " AND source = ?"
            args.append(flt.source)
        if flt.since:
            sql += " AND received_at >= ?"
            args.append(flt.since)
        if flt.before:
            sql += " AND received_at < ?"
            args.append(flt.before)
        if flt.number:
            sql += " AND id IN (SELECT id FROM captures WHERE from_number = ?"
            sql += " UNION SELECT id FROM captures WHERE to_number = ?)"
            args += [flt.number, flt.number]
        if flt.call:
            sql += " AND (call_id = ? OR message_id = ?)"
            args += [flt.call, flt.call]
        if flt.status:
            sql += " AND status = ?"
            args.append(flt.status)
        newest = flt.newest_first if newest_first is None else newest_first
        sql += " ORDER BY received_at DESC, id DESC" if newest else " ORDER BY id"
        if flt.limit:
            sql += f" LIMIT {int(flt.limit)}"
        return sql, args

    def delete(self, flt: CaptureFilter) -> int:
        """Delete the matching captures (and their deliveries); returns how many."""
        where, args = self._where(flt, "SELECT id FROM captures WHERE 1=1")
        with self.db.write() as conn:
            return int(conn.execute(f"DELETE FROM captures WHERE id IN ({where})", args).rowcount)

    def count(self) -> int:
        return int(self.db.conn.execute("SELECT COUNT(*) FROM captures").fetchone()[0])
