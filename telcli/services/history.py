"""The operations history: a read model over the ledger (`telcli history`).

Every money- or people-touching operation is a ledger row (``storage.state``): purchases,
releases, configuration, addresses, VAPI changes, test messages and calls, reconciliations,
tenant steps. This module turns rows into :class:`HistoryEntry` records (what an auditor,
finance or support reads) and parses the ``--since`` window. Rows are streamed, never all
held at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from telcli.errors import UsageProblem

# What the ledger's statuses mean to a reader.
OUTCOMES = {"succeeded": "done", "failed": "failed", "unknown": "unknown", "pending": "pending"}
_SPAN = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    since: str | None = None  # ISO-8601 UTC, as the ledger stores times
    action: str | None = None
    target: str | None = None
    provider: str | None = None
    tenant: str | None = None
    limit: int | None = None  # None: every row


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One operation as the audit trail shows it."""

    id: int
    time: str  # when telcli recorded the intent (UTC)
    finished_at: str  # when the outcome was last recorded (UTC)
    action: str
    target: str
    provider: str
    profile: str
    account: str | None
    status: str  # the ledger's: pending | succeeded | failed | unknown
    reconciled: bool  # the outcome was settled by a lookup, not by the provider's answer
    price: str | None
    currency: str | None
    request_id: str | None
    operation_id: str | None
    user: str | None
    host: str | None
    tenant: str | None
    result_id: str | None
    error: str | None

    @property
    def outcome(self) -> str:
        """``done``, ``failed``, ``unknown``, ``pending``, or ``unknown → reconciled as done``."""
        word = OUTCOMES.get(self.status, self.status)
        return f"unknown → reconciled as {word}" if self.reconciled else word

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "finished_at": self.finished_at,
            "action": self.action,
            "target": self.target,
            "provider": self.provider,
            "profile": self.profile,
            "account": self.account,
            "outcome": self.outcome,
            "status": self.status,
            "reconciled": self.reconciled,
            "price": self.price,
            "currency": self.currency,
            "request_id": self.request_id,
            "operation_id": self.operation_id,
            "user": self.user,
            "host": self.host,
            "tenant": self.tenant,
            "result_id": self.result_id,
            "error": self.error,
        }


def entry_of(row: Any) -> HistoryEntry:
    """A ``storage.state.LedgerEntry`` as the history shows it."""
    detail = row.detail if isinstance(row.detail, dict) else {}
    error = detail.get("error")
    return HistoryEntry(
        id=row.id,
        time=row.created_at,
        finished_at=row.updated_at,
        action=row.op,
        target=row.target,
        provider=row.provider,
        profile=row.profile,
        account=row.account,
        status=row.status,
        reconciled=bool(detail.get("reconciled")) and row.status in ("succeeded", "failed"),
        # A failed operation provably did not happen: it cost nothing, whatever was quoted
        # (a sum of the price column must not count it). Unknown and pending keep theirs.
        price=None if row.status == "failed" else row.price,
        currency=None if row.status == "failed" else row.currency,
        request_id=row.request_id,
        operation_id=row.operation_id,
        user=row.os_user,
        host=row.host,
        tenant=row.tenant,
        result_id=row.result_id,
        error=None if error is None else str(error),
    )


def entries(state: Any, query: HistoryQuery) -> Iterator[HistoryEntry]:
    """The matching operations, newest first, streamed."""
    rows = state.ledger_history(
        since=query.since,
        op=query.action,
        target=query.target,
        provider=query.provider,
        tenant=query.tenant,
        limit=query.limit,
    )
    return (entry_of(row) for row in rows)


def parse_since(text: str, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> str:
    """``--since``: a span back from now (``90m``, ``24h``, ``7d``, ``2w``) or a UTC date or
    time (``2026-12-01``, ``2026-12-01T09:30``, with an offset or ``Z`` for another zone), as
    the ISO-8601 UTC string the ledger stores. UsageProblem (exit 2) otherwise."""
    value = text.strip()
    span = _SPAN.match(value.lower())
    if span:
        start = now() - timedelta(**{_UNITS[span.group(2)]: int(span.group(1))})
    else:
        try:
            start = datetime.fromisoformat(value.replace("z", "Z"))
        except ValueError:
            raise UsageProblem(
                f"--since {text!r} is neither a span nor a date",
                hint="e.g. --since 24h, --since 7d or --since 2026-12-01 (UTC)",
            ) from None
        start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    return start.isoformat(timespec="milliseconds").replace("+00:00", "Z")
