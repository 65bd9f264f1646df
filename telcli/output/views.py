"""Columns per model: header, getter, style.

Table and TSV share the getters, so the two views cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    get: Callable[[Any], object]
    style: str | None = None
    justify: str = "left"
    tsv: bool = True  # False: tables only (a second rendering of a value TSV already has)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list | frozenset | set):
        return ",".join(str(v) for v in value)
    return str(value)


def cell(column: Column, item: Any) -> str:
    return _text(column.get(item))


def _national(item: Any) -> str:
    from telcli.phone import national_format

    return national_format(item.phone_number)


def _international(item: Any) -> str:
    from telcli.phone import international_format

    return international_format(item.phone_number)


def _place(item: Any) -> str:
    return ", ".join(p for p in (item.locality, item.region) if p)


def money(amount: Any, currency: str | None) -> str:
    if amount is None:
        return ""
    return f"{format(amount, 'f')} {currency or ''}".strip()


AVAILABLE_NUMBERS = (
    Column("Number", lambda n: n.phone_number, "bold"),
    Column("National", _national),
    Column("International", _international, tsv=False),
    Column("Locality", _place),
    Column("Type", lambda n: n.number_type),
    Column("Capabilities", lambda n: n.capabilities),
    Column("Monthly", lambda n: money(n.monthly_price, n.currency), justify="right"),
    Column("Upfront", lambda n: money(n.upfront_price, n.currency), justify="right"),
    Column("Address", lambda n: n.address_requirement),
    Column("Provider", lambda n: n.provider, "cyan"),
)

OWNED_NUMBERS = (
    Column("Number", lambda n: n.phone_number, "bold"),
    Column("National", _national),
    Column("International", _international, tsv=False),
    Column("Provider", lambda n: n.provider, "cyan"),
    Column("ID", lambda n: n.id, "dim"),
    Column("Name", lambda n: n.friendly_name),
    Column("Capabilities", lambda n: n.capabilities),
    Column("Voice URL", lambda n: n.voice_url or n.connection_id),
    Column("SMS URL", lambda n: n.sms_url or n.messaging_profile_id),
    Column("Status", lambda n: n.status),
    # Last, so TSV readers that cut earlier columns by position keep working.
    Column("Tenant", lambda n: n.tenant),
)

PURCHASE = (
    Column("Number", lambda p: p.number.phone_number, "bold"),
    Column("Provider", lambda p: p.provider, "cyan"),
    Column("ID", lambda p: p.number.id, "dim"),
    Column("Monthly", lambda p: money(p.monthly_price, p.currency), justify="right"),
    Column("Upfront", lambda p: money(p.upfront_price, p.currency), justify="right"),
    Column("Dry run", lambda p: p.dry_run),
)

RELEASE = (
    Column("Number", lambda r: r.phone_number, "bold"),
    Column("Provider", lambda r: r.provider, "cyan"),
    Column("ID", lambda r: r.id, "dim"),
    Column("Released", lambda r: not r.dry_run),
)

CREDENTIALS = (
    Column("Provider", lambda c: c.provider, "cyan"),
    Column("Profile", lambda c: c.profile),
    Column("Source", lambda c: c.source),
    Column("Key", lambda c: f"…{c.last4}" if c.last4 else ""),
    Column("Verified", lambda c: "" if c.verified is None else c.verified),
    Column("Detail", lambda c: c.detail),
)

LEDGER = (
    Column("ID", lambda e: e.id, justify="right"),
    Column("Operation", lambda e: e.op),
    Column("Target", lambda e: e.target, "bold"),
    Column("Provider", lambda e: e.provider, "cyan"),
    Column("Status", lambda e: e.status),
    Column("Result", lambda e: e.result_id),
    Column("Updated", lambda e: e.updated_at),
)

SETTLEMENTS = (
    Column("Entry", lambda s: s.entry_id, justify="right"),
    Column("Operation", lambda s: s.op),
    Column("Number", lambda s: s.phone_number, "bold"),
    Column("Provider", lambda s: s.provider, "cyan"),
    Column("Was", lambda s: s.was),
    Column("Now", lambda s: s.status),
    Column("Result", lambda s: s.result_id, "dim"),
    Column("Note", lambda s: s.note),
)


def _latency(b: Any) -> str:
    ms = b.median_latency_ms
    return "" if ms is None else f"{ms} ms"


def _when(value: Any) -> str:
    """Epoch seconds as UTC ISO-8601 (tables and TSV alike)."""
    from datetime import UTC, datetime

    if value is None:
        return ""
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


PROVIDER_STATUS = (
    Column("Provider", lambda p: p.provider, "cyan"),
    Column("Profile", lambda p: p.profile),
    Column("Credentials", lambda p: p.credentials),
    Column("Breaker", lambda p: p.state, "bold"),
    Column("Until", lambda p: _when(p.breaker.open_until if p.state == "open" else None)),
    Column("Failures", lambda p: p.breaker.failures, justify="right"),
    Column("Last error", lambda p: p.breaker.last_error),
    Column("At", lambda p: _when(p.breaker.last_error_at)),
    Column("Latency", lambda p: _latency(p.breaker), justify="right"),
)


# -- addresses, prices, VAPI, audit (issue 4) -------------------------------------------------

ADDRESSES = (
    Column("ID", lambda a: a.id, "dim"),
    Column("Provider", lambda a: a.provider, "cyan"),
    Column("Name", lambda a: a.business_name or a.customer_name, "bold"),
    Column("Street", lambda a: a.street),
    Column("City", lambda a: a.city),
    Column("Region", lambda a: a.region),
    Column("Postal code", lambda a: a.postal_code),
    Column("Country", lambda a: a.country),
    Column("Label", lambda a: a.friendly_name),
    Column("Tenant", lambda a: a.tenant),
)

PRICES = (
    Column("Country", lambda p: p.country),
    Column("Type", lambda p: p.number_type, "bold"),
    Column("Monthly", lambda p: money(p.monthly_price, p.currency), justify="right"),
    Column("Upfront", lambda p: money(p.upfront_price, p.currency), justify="right"),
    Column("List price", lambda p: money(p.base_price, p.currency), justify="right"),
    Column("Provider", lambda p: p.provider, "cyan"),
)

VAPI_NUMBERS = (
    Column("Number", lambda n: n.phone_number, "bold"),
    Column("National", _national),
    Column("International", _international, tsv=False),
    Column("Carrier", lambda n: n.carrier, "cyan"),
    Column("Name", lambda n: n.name),
    Column("Assistant", lambda n: n.assistant_name or n.assistant_id),
    Column("Server URL", lambda n: n.server_url),
    Column("VAPI ID", lambda n: n.id, "dim"),
    Column("Tenant", lambda n: n.tenant),
)

ASSISTANTS = (
    Column("ID", lambda a: a.id, "dim"),
    Column("Name", lambda a: a.name, "bold"),
    Column("Updated", lambda a: a.to_json()["updated_at"]),
)

DRIFT = (
    Column("Number", lambda d: d.phone_number, "bold"),
    Column("Provider", lambda d: d.provider, "cyan"),
    Column("Drift", lambda d: d.kind, "yellow"),
    Column("Detail", lambda d: d.detail),
    Column("Fix", lambda d: d.fix),
)
