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
    Column("SID", lambda c: c.sid or "", "dim", keep=True),
    Column("Method", lambda c: c.method),
    Column("Path", lambda c: _path(c.url), "bold"),
    Column("Bytes", lambda c: len(c.body), justify="right"),
    Column("Response", _response, justify="right"),
)


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
)
