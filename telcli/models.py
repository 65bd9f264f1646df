"""Provider-neutral models (frozen dataclasses) and enums. Stdlib only: no Rich, no httpx.

Every model that a carrier returned carries ``provider``. ``to_json()`` is the stable
``--json`` shape: snake_case keys, E.164 numbers, money as decimal strings plus currency,
UTC ISO-8601 times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

# E164 is defined in phone.py (which needs nothing from this module) and re-exported here.
# The value sets live in enums.py (light, for command signatures); re-exported from here.
from telcli.enums import (  # noqa: F401
    CARRIERS,
    AddressRequirement,
    CallExpect,
    Capability,
    ListFormat,
    NumberType,
    ProviderChoice,
    ProviderName,
    SmsExpect,
)
from telcli.phone import E164, international_format, national_format

T = TypeVar("T")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    # Whole seconds: providers disagree on precision (Telnyx sends milliseconds), and a
    # time in --json is for reading and comparing, not for ordering events within a second.
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _caps(caps: tuple[Capability, ...]) -> list[str]:
    return [str(c) for c in caps]


@dataclass(frozen=True, slots=True)
class NumberQuery:
    country: str = "US"
    number_type: NumberType = NumberType.local
    area_code: str | None = None
    contains: str | None = None
    locality: str | None = None
    region: str | None = None
    capabilities: tuple[Capability, ...] = ()
    limit: int = 20


@dataclass(frozen=True, slots=True)
class AvailableNumber:
    provider: ProviderName
    phone_number: E164
    country: str
    number_type: NumberType
    locality: str | None = None
    region: str | None = None
    capabilities: tuple[Capability, ...] = ()
    monthly_price: Decimal | None = None
    upfront_price: Decimal | None = None
    currency: str | None = None
    address_requirement: AddressRequirement = AddressRequirement.none

    def to_json(self) -> dict[str, Any]:
        return {
            "phone_number": self.phone_number,
            "national_format": national_format(self.phone_number),
            "international_format": international_format(self.phone_number),
            "country": self.country,
            "number_type": str(self.number_type),
            "locality": self.locality,
            "region": self.region,
            "capabilities": _caps(self.capabilities),
            "monthly_price": _money(self.monthly_price),
            "upfront_price": _money(self.upfront_price),
            "currency": self.currency,
            "address_requirement": str(self.address_requirement),
            "provider": str(self.provider),
        }


@dataclass(frozen=True, slots=True)
class NumberConfig:
    """What ``numbers configure`` may change. ``None`` leaves a setting as it is.

    Twilio: voice_url -> VoiceUrl, sms_url -> SmsUrl, status_callback -> StatusCallback.
    Telnyx: connection_id and messaging_profile_id on the number; voice_url, sms_url and
    status_callback are only settable through the connection / messaging profile.
    """

    voice_url: str | None = None
    sms_url: str | None = None
    status_callback: str | None = None
    connection_id: str | None = None
    messaging_profile_id: str | None = None
    friendly_name: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f) is None for f in self.__slots__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class TenantTag:
    """The tenant a write records at the provider: its id (``[a-z0-9][a-z0-9-]{0,39}``,
    checked by ``telcli.tenancy.check_tenant_id``) and an optional display name, which
    Twilio's FriendlyName and VAPI's name carry after the id (``acme-dental · Acme Dental``)."""

    id: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class OwnedNumber:
    provider: ProviderName
    phone_number: E164
    id: str
    country: str | None = None
    friendly_name: str | None = None
    capabilities: tuple[Capability, ...] = ()
    voice_url: str | None = None
    sms_url: str | None = None
    status_callback: str | None = None
    connection_id: str | None = None
    messaging_profile_id: str | None = None
    address_id: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    # The tenant recorded at the provider (telcli/tenancy.py), None when untagged.
    tenant: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "phone_number": self.phone_number,
            "national_format": national_format(self.phone_number),
            "international_format": international_format(self.phone_number),
            "id": self.id,
            "country": self.country,
            "friendly_name": self.friendly_name,
            "capabilities": _caps(self.capabilities),
            "voice_url": self.voice_url,
            "sms_url": self.sms_url,
            "status_callback": self.status_callback,
            "connection_id": self.connection_id,
            "messaging_profile_id": self.messaging_profile_id,
            "address_id": self.address_id,
            "status": self.status,
            "created_at": _time(self.created_at),
            "tenant": self.tenant,
            "provider": str(self.provider),
        }


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at one provider, as reported in ``attempts`` of write results."""

    provider: ProviderName
    outcome: str  # "ok" | "skipped" | "failed" | "unknown"
    error: str | None = None
    elapsed_ms: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": str(self.provider),
            "outcome": self.outcome,
            "error": self.error,
            "elapsed_ms": self.elapsed_ms,
        }


@dataclass(frozen=True, slots=True)
class Purchase:
    """The result of ``numbers buy``: what was bought, where, at what price."""

    number: OwnedNumber
    monthly_price: Decimal | None = None
    upfront_price: Decimal | None = None
    currency: str | None = None
    dry_run: bool = False
    attempts: tuple[Attempt, ...] = field(default=())

    @property
    def provider(self) -> ProviderName:
        return self.number.provider

    def to_json(self) -> dict[str, Any]:
        data = self.number.to_json()
        data.update(
            id=None if self.dry_run else data["id"],  # nothing was bought: no id yet
            monthly_price=_money(self.monthly_price),
            upfront_price=_money(self.upfront_price),
            currency=self.currency,
            dry_run=self.dry_run,
            attempts=[a.to_json() for a in self.attempts],
        )
        return data


@dataclass(frozen=True, slots=True)
class Release:
    phone_number: E164
    provider: ProviderName
    id: str
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "phone_number": self.phone_number,
            "provider": str(self.provider),
            "id": self.id,
            "released": not self.dry_run,
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True, slots=True)
class CredentialStatus:
    provider: ProviderName
    profile: str
    source: str  # "env" | "keyring" | "sandbox" | "missing" | "unavailable"
    last4: str | None = None
    verified: bool | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": str(self.provider),
            "profile": self.profile,
            "source": self.source,
            "last4": self.last4,
            "verified": self.verified,
            "detail": self.detail,
        }


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Settlement:
    """One ledger entry settled by ``numbers reconcile``: what it said, what it says now."""

    entry_id: int
    op: str  # "buy" | "release"
    phone_number: str
    provider: str
    was: str  # the ledger status before: "pending" | "unknown" | "failed"
    status: str  # now: "succeeded" | "failed" | "unknown"
    result_id: str | None = None
    note: str = ""

    @classmethod
    def of(cls, entry: Any, status: str, *, result_id: str | None = None, note: str = "") -> Any:
        return cls(
            entry.id, entry.op, entry.target, entry.provider, entry.status, status, result_id, note
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "entry_id": self.entry_id,
            "op": self.op,
            "phone_number": self.phone_number,
            "provider": self.provider,
            "was": self.was,
            "status": self.status,
            "result_id": self.result_id,
            "note": self.note,
        }


# -- regulatory addresses, prices, VAPI, audit (issue 4) -------------------------------------


@dataclass(frozen=True, slots=True)
class AddressInput:
    """What ``addresses create`` sends. Twilio: CustomerName, Street, City, Region,
    PostalCode, IsoCountry (CreateAddress). Telnyx: first/last name or business name,
    street_address, locality, administrative_area, postal_code, country_code."""

    customer_name: str
    street: str
    city: str
    region: str
    postal_code: str
    country: str
    business_name: str | None = None
    friendly_name: str | None = None
    # Created for this tenant: recorded in Twilio's FriendlyName / Telnyx's customer_reference.
    tenant: TenantTag | None = None


@dataclass(frozen=True, slots=True)
class Address:
    provider: ProviderName
    id: str
    customer_name: str
    street: str
    city: str
    region: str | None
    postal_code: str | None
    country: str
    business_name: str | None = None
    friendly_name: str | None = None
    validated: bool | None = None
    created_at: datetime | None = None
    tenant: str | None = None  # recorded at the provider (telcli/tenancy.py); None: untagged

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_name": self.customer_name,
            "business_name": self.business_name,
            "street": self.street,
            "city": self.city,
            "region": self.region,
            "postal_code": self.postal_code,
            "country": self.country,
            "friendly_name": self.friendly_name,
            "validated": self.validated,
            "created_at": _time(self.created_at),
            "tenant": self.tenant,
            "provider": str(self.provider),
        }


@dataclass(frozen=True, slots=True)
class NumberPrice:
    """One number type's price in one country at one carrier (``numbers pricing``)."""

    provider: ProviderName
    country: str
    number_type: str  # a NumberType value, or the carrier's own word for other types
    monthly_price: Decimal | None
    upfront_price: Decimal | None
    currency: str | None
    base_price: Decimal | None = None  # Twilio: the list price before discounts

    def to_json(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "number_type": self.number_type,
            "monthly_price": _money(self.monthly_price),
            "upfront_price": _money(self.upfront_price),
            "base_price": _money(self.base_price),
            "currency": self.currency,
            "provider": str(self.provider),
        }


@dataclass(frozen=True, slots=True)
class VapiNumber:
    """A phone number imported into VAPI (TwilioPhoneNumber / TelnyxPhoneNumber / ...)."""

    id: str
    phone_number: str
    carrier: str  # VAPI's ``provider``: twilio, telnyx, vapi, vonage, byo-phone-number
    name: str | None = None
    assistant_id: str | None = None
    assistant_name: str | None = None
    server_url: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    tenant: str | None = None  # read from ``name`` (telcli/tenancy.py); None: untagged

    @property
    def provider(self) -> ProviderName:
        return ProviderName.vapi

    def to_json(self) -> dict[str, Any]:
        return {
            "phone_number": self.phone_number,
            "id": self.id,
            "carrier": self.carrier,
            "name": self.name,
            "assistant_id": self.assistant_id,
            "assistant_name": self.assistant_name,
            "server_url": self.server_url,
            "status": self.status,
            "created_at": _time(self.created_at),
            "tenant": self.tenant,
            "provider": "vapi",
        }


@dataclass(frozen=True, slots=True)
class Assistant:
    id: str
    name: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": _time(self.created_at),
            "updated_at": _time(self.updated_at),
            "provider": "vapi",
        }


@dataclass(frozen=True, slots=True)
class ProviderResource:
    """A named account resource a number points at: a Telnyx connection (``kind``
    ``connection``: Call Control / TeXML application, SIP connection) or messaging profile
    (``messaging_profile``). ``type`` is the connection's record_type. Never a secret."""

    provider: ProviderName
    kind: str
    id: str
    name: str | None = None
    type: str | None = None
    active: bool | None = None
    webhook_url: str | None = None
    created_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "type": self.type,
            "active": self.active,
            "webhook_url": self.webhook_url,
            "created_at": _time(self.created_at),
            "provider": str(self.provider),
        }


@dataclass(frozen=True, slots=True)
class Drift:
    """One finding of ``telcli audit``: what is wrong with a number, and the fixing command."""

    phone_number: str
    kind: str  # not_in_vapi | no_assistant | not_owned | no_webhook
    provider: str  # the carrier (or "vapi" for numbers no carrier owns)
    detail: str
    fix: str

    def to_json(self) -> dict[str, Any]:
        return {
            "phone_number": self.phone_number,
            "kind": self.kind,
            "provider": self.provider,
            "detail": self.detail,
            "fix": self.fix,
        }


@dataclass(frozen=True, slots=True)
class ProviderFailure:
    """A provider that could not answer a read which others did answer."""

    provider: str
    error: str
    exit_code: int

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "error": self.error, "exit_code": self.exit_code}


class Listing(list[T]):
    """Rows from every provider that answered, plus ``errors``: the providers that did not.

    A list, so code that only wants the rows is unchanged; a command shows the rows and, when
    ``errors`` is not empty, exits 7 (incomplete) so no script reads "provider down" as
    "nothing there"."""

    def __init__(self, rows: Any = (), errors: Any = ()) -> None:
        super().__init__(rows)
        self.errors: list[ProviderFailure] = list(errors)


# -- test SMS and test calls (issue 6) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageResult:
    """One outbound message as the carrier reports it. ``status`` uses Twilio's vocabulary
    (queued, sending, sent, delivered, undelivered, failed); Telnyx statuses are mapped onto
    it and the original is kept in ``carrier_status``."""

    provider: ProviderName
    id: str
    to: str
    from_: str
    status: str
    carrier_status: str | None = None
    body: str | None = None
    segments: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "to": self.to,
            "from": self.from_,
            "status": self.status,
            "carrier_status": self.carrier_status,
            "segments": self.segments,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "price": _money(self.price),
            "currency": self.currency,
            "created_at": _time(self.created_at),
            "updated_at": _time(self.updated_at),
            "provider": str(self.provider),
        }


@dataclass(frozen=True, slots=True)
class CallResult:
    """One outbound call as the carrier reports it. ``status`` uses Twilio's vocabulary
    (queued, ringing, in-progress, completed, busy, no-answer, failed, canceled).
    ``session_id``/``leg_id`` carry Telnyx's call_session_id/call_leg_id (``id`` is the
    call_control_id there, the Call SID at Twilio)."""

    provider: ProviderName
    id: str
    to: str
    from_: str
    status: str
    carrier_status: str | None = None
    duration: int | None = None  # seconds, once ended
    answered: bool | None = None
    error_code: str | None = None
    error_message: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    session_id: str | None = None
    leg_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "to": self.to,
            "from": self.from_,
            "status": self.status,
            "carrier_status": self.carrier_status,
            "duration": self.duration,
            "answered": self.answered,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "price": _money(self.price),
            "currency": self.currency,
            "session_id": self.session_id,
            "leg_id": self.leg_id,
            "started_at": _time(self.started_at),
            "ended_at": _time(self.ended_at),
            "provider": str(self.provider),
        }
