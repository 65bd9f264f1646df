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
    # On a narrow terminal (output/console.py): a `keep` column (a phone number, an ID: what
    # an operator copies) is never cut or wrapped; columns with a `drop` rank leave the table,
    # highest rank first, until the rest fits; any other column wraps.
    keep: bool = False
    drop: int = 0
    table: bool = True  # False: TSV only (a detail too wide for a terminal table)


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


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 number``, ``2 numbers``, ``0 captures``: messages say what they count right."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def money(amount: Any, currency: str | None) -> str:
    if amount is None:
        return ""
    return f"{format(amount, 'f')} {currency or ''}".strip()


AVAILABLE_NUMBERS = (
    Column("Number", lambda n: n.phone_number, "bold", keep=True),
    Column("National", _national, drop=8),
    Column("International", _international, tsv=False, drop=9),
    Column("Locality", _place, drop=5),
    Column("Type", lambda n: n.number_type, drop=3),
    Column("Capabilities", lambda n: n.capabilities, drop=4),
    Column("Monthly", lambda n: money(n.monthly_price, n.currency), justify="right", keep=True),
    Column("Upfront", lambda n: money(n.upfront_price, n.currency), justify="right", drop=6),
    Column("Address", lambda n: n.address_requirement),
    Column("Provider", lambda n: n.provider, "cyan", keep=True),
)

OWNED_NUMBERS = (
    Column("Number", lambda n: n.phone_number, "bold", keep=True),
    Column("National", _national, drop=8),
    Column("International", _international, tsv=False, drop=9),
    Column("Provider", lambda n: n.provider, "cyan", keep=True),
    Column("ID", lambda n: n.id, "dim", keep=True),
    Column("Name", lambda n: n.friendly_name, drop=5),
    Column("Capabilities", lambda n: n.capabilities, drop=4),
    Column("Voice URL", lambda n: n.voice_url or n.connection_id, drop=3),
    Column("SMS URL", lambda n: n.sms_url or n.messaging_profile_id, drop=2),
    Column("Status", lambda n: n.status),
    # Last, so TSV readers that cut earlier columns by position keep working.
    Column("Tenant", lambda n: n.tenant),
)

PURCHASE = (
    Column("Number", lambda p: p.number.phone_number, "bold", keep=True),
    Column("Provider", lambda p: p.provider, "cyan", keep=True),
    Column("ID", lambda p: p.number.id, "dim", keep=True),
    Column("Monthly", lambda p: money(p.monthly_price, p.currency), justify="right", keep=True),
    Column("Upfront", lambda p: money(p.upfront_price, p.currency), justify="right"),
    Column("Dry run", lambda p: p.dry_run),
)

RELEASE = (
    Column("Number", lambda r: r.phone_number, "bold", keep=True),
    Column("Provider", lambda r: r.provider, "cyan", keep=True),
    Column("ID", lambda r: r.id, "dim", keep=True),
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
    Column("Target", lambda e: e.target, "bold", keep=True),
    Column("Provider", lambda e: e.provider, "cyan"),
    Column("Status", lambda e: e.status),
    Column("Result", lambda e: e.result_id, keep=True),
    Column("Updated", lambda e: e.updated_at),
)

SETTLEMENTS = (
    Column("Entry", lambda s: s.entry_id, justify="right"),
    Column("Operation", lambda s: s.op),
    Column("Number", lambda s: s.phone_number, "bold", keep=True),
    Column("Provider", lambda s: s.provider, "cyan"),
    Column("Was", lambda s: s.was),
    Column("Now", lambda s: s.status),
    Column("Result", lambda s: s.result_id, "dim", keep=True),
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
    # VAPI has no breaker (it is never failed over): its breaker cells are empty.
    Column("Breaker", lambda p: p.state or "", "bold"),
    Column("Until", lambda p: _when(p.breaker.open_until if p.state == "open" else None)),
    Column("Failures", lambda p: p.breaker.failures if p.breaker else "", justify="right"),
    Column("Last error", lambda p: p.breaker and p.breaker.last_error),
    Column("At", lambda p: _when(p.breaker and p.breaker.last_error_at)),
    Column("Latency", lambda p: _latency(p.breaker) if p.breaker else "", justify="right"),
    Column("Rate/s", lambda p: f"{p.rate:g}/{p.ceiling:g}", justify="right"),
    Column("429s 1h", lambda p: p.pacing.throttled_last_hour if p.pacing else 0, justify="right"),
    Column("Paused until", lambda p: _when(p.pacing.paused_until if p.pacing else None)),
)


# -- addresses, prices, VAPI, audit (issue 4) -------------------------------------------------

ADDRESSES = (
    Column("ID", lambda a: a.id, "dim", keep=True),
    Column("Provider", lambda a: a.provider, "cyan", keep=True),
    Column("Name", lambda a: a.business_name or a.customer_name, "bold"),
    Column("Street", lambda a: a.street, drop=3),
    Column("City", lambda a: a.city),
    Column("Region", lambda a: a.region, drop=4),
    Column("Postal code", lambda a: a.postal_code, drop=2),
    Column("Country", lambda a: a.country),
    Column("Label", lambda a: a.friendly_name, drop=5),
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
    Column("Number", lambda n: n.phone_number, "bold", keep=True),
    Column("National", _national, drop=8),
    Column("International", _international, tsv=False, drop=9),
    Column("Carrier", lambda n: n.carrier, "cyan"),
    Column("Name", lambda n: n.name, drop=5),
    Column("Assistant", lambda n: n.assistant_name or n.assistant_id),
    Column("Server URL", lambda n: n.server_url, drop=4),
    Column("VAPI ID", lambda n: n.id, "dim", keep=True),
    Column("Tenant", lambda n: n.tenant),
)

ASSISTANTS = (
    Column("ID", lambda a: a.id, "dim", keep=True),
    Column("Name", lambda a: a.name, "bold"),
    Column("Updated", lambda a: a.to_json()["updated_at"]),
)

PROVIDER_RESOURCES = (
    Column("ID", lambda r: r.id, "dim", keep=True),
    Column("Name", lambda r: r.name, "bold"),
    Column("Type", lambda r: r.type, drop=2),
    Column("Active", lambda r: r.active),
    Column("Webhook URL", lambda r: r.webhook_url, drop=1),
    Column("Created", lambda r: r.to_json()["created_at"], drop=3),
)

DRIFT = (
    Column("Number", lambda d: d.phone_number, "bold", keep=True),
    Column("Provider", lambda d: d.provider, "cyan"),
    Column("Drift", lambda d: d.kind, "yellow"),
    Column("Detail", lambda d: d.detail, drop=5),
    Column("Fix", lambda d: d.fix),
)


def _short_time(iso_time: str) -> str:
    return iso_time[:19].replace("T", " ") if iso_time else ""


# `telcli history`: the table keeps what fits a terminal (who and where go first, the outcome
# and the ids never); TSV carries every field.
HISTORY = (
    Column("Time (UTC)", lambda e: _short_time(e.time), tsv=False),
    Column("Time", lambda e: e.time, table=False),
    Column("Action", lambda e: e.action, "bold"),
    Column("Target", lambda e: e.target, keep=True),
    Column("Provider", lambda e: e.provider, "cyan", drop=2),
    Column("Profile", lambda e: e.profile, drop=5),
    Column("Account", lambda e: e.account, drop=6),
    # What an auditor reads first: never dropped for a narrow terminal.
    Column("Outcome", lambda e: e.outcome, keep=True),
    Column("Price", lambda e: f"{e.price} {e.currency or ''}".strip() if e.price else "", drop=1),
    Column("Request ID", lambda e: e.request_id, "dim", keep=True),
    Column("Operation", lambda e: e.operation_id, "dim", drop=3),
    Column("User", lambda e: e.user, drop=4),
    Column("Host", lambda e: e.host, drop=7),
    Column("Tenant", lambda e: e.tenant, table=False),
    Column("Result ID", lambda e: e.result_id, table=False),
    Column("Error", lambda e: e.error, table=False),
)
