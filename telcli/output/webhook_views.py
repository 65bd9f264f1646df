"""Columns for captured webhooks and replay results (table and TSV share the getters)."""

from __future__ import annotations

from typing import Any

from telcli.output.views import Column


def _path(url: str) -> str:
    rest = url.split("://", 1)[-1]
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else "/"


def _response(c: Any) -> object:
    r = c.response
    if r is None:
        return ""
    return r.error if r.status is None else r.status


CAPTURES = (
    Column("ID", lambda c: c.id, justify="right"),
    Column("Received", lambda c: c.received_at, drop=2),
    Column("Source", lambda c: c.source, drop=3),
    Column("Provider", lambda c: c.provider or "", "cyan"),
    Column("Event", lambda c: c.event_type or ""),
    Column("SID", lambda c: c.sid or "", "dim", keep=True, drop=5),
    Column("Method", lambda c: c.method),
    Column("Path", lambda c: _path(c.url), "bold"),
    Column("Bytes", lambda c: len(c.body), justify="right", drop=4),
    Column("Response", _response, justify="right"),
    # What the delivery means (webhooks/events): after the raw columns, so TSV fields 1-10
    # keep their places.
    Column("Type", lambda c: _event(c, "event_type")),
    Column("Call/message", lambda c: _event(c, "call_id") or _event(c, "message_id"), keep=True),
    Column("From", lambda c: _event(c, "from"), keep=True),
    Column("To", lambda c: _event(c, "to"), keep=True),
    Column("Status", lambda c: _event(c, "status"), drop=1),
    Column("Deliveries", lambda c: c.deliveries, justify="right", drop=1),
)


def _event(c: Any, name: str) -> object:
    return (c.event or {}).get(name) or ""


OUTCOMES = (
    Column("Call/message", lambda o: o.id, keep=True),
    Column("Kind", lambda o: o.kind, drop=3),
    Column("Provider", lambda o: o.provider, "cyan"),
    Column("Class", lambda o: o.outcome_class or "unsettled", "bold"),
    Column("Duration", lambda o: "" if o.duration_seconds is None else o.duration_seconds,
           justify="right"),
    Column("Events", lambda o: o.events, justify="right", drop=2),
    Column("Complete", lambda o: o.complete, drop=2),
    Column("From", lambda o: o.from_ or "", keep=True),
    Column("To", lambda o: o.to or "", keep=True),
    Column("Started", lambda o: o.started_at or "", drop=1),
    Column("Reason", lambda o: o.reason or ""),
)  # fmt: skip


def _latency(r: Any) -> str:
    return "" if r.latency_ms is None else f"{r.latency_ms:.1f}"


REPLAYS = (
    Column("Capture", lambda r: r.capture_id, justify="right"),
    Column("Attempt", lambda r: r.attempt, justify="right"),
    Column("Status", lambda r: r.status if r.status is not None else r.error, "bold"),
    Column("ms", _latency, justify="right"),
    Column("OK", lambda r: r.ok),
    Column("Differs", lambda r: "" if r.differs is None else r.differs),
    Column("Signature", lambda r: r.signature),
    Column("URL", lambda r: r.url),
    # --twice: how the second answer compares with the first (after the columns it had).
    Column("Twice", lambda r: r.idempotency or ""),
    Column("Detail", lambda r: r.idempotency_detail or "", drop=1),
)
