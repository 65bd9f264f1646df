"""The carrier protocol every provider implements, and the settings a provider is built from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol
from urllib.parse import quote

from telcli.errors import ProviderRejected, UsageProblem
from telcli.models import (
    Address,
    AddressInput,
    AvailableNumber,
    NumberConfig,
    NumberPrice,
    NumberQuery,
    NumberType,
    OwnedNumber,
    ProviderName,
    TenantTag,
)

if TYPE_CHECKING:
    import httpx

    from telcli.transport import DebugLog, RetryPolicy


def segment(value: object, what: str = "id") -> str:
    """One URL path segment built from a value (an id, a country code), percent-encoded.

    Every identifier goes into a path through here, never by plain interpolation: an id
    such as ``../../IncomingPhoneNumbers`` or ``US?x=1#`` must not reach another endpoint or
    rewrite the query. ``.`` and ``..`` cannot be encoded away (servers normalise them), so
    they are refused along with the empty string and text that is not valid UTF-8."""
    from telcli.validate import shown, undecodable

    text = str(value)
    if text in ("", ".", "..") or undecodable(text) is not None:
        raise UsageProblem(f"{shown(text)} is not a valid {what}")
    return quote(text, safe="")


class HangupUnavailable(ProviderRejected):
    """The provider offers no way to end this call now (VAPI: live call control is off for
    the call's assistant, or its control URL refused the request): the call ends on its own.
    Not a failure of the hang-up request itself, which raises the usual errors."""


@dataclass(frozen=True)
class ProviderSettings:
    """Everything a provider needs; it never reads env, config or keyring itself.

    ``credentials``: twilio -> account_sid + (auth_token | api_key + api_secret);
    telnyx/vapi -> api_key. ``base_urls`` overrides hosts: key "api" (the main host) and,
    for Twilio, "pricing". ``transport`` replaces the network (sandbox, tests). ``retry`` is
    the command's retry policy: pass it to ``transport.build_client(retry=...)``.
    """

    credentials: Mapping[str, str]
    base_urls: Mapping[str, str] = field(default_factory=dict)
    transport: httpx.BaseTransport | None = None
    timeout: float | None = None
    debug_log: DebugLog | None = None
    retry: RetryPolicy | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(
            v for k, v in self.credentials.items() if k in ("auth_token", "api_key", "api_secret")
        )


class CarrierProvider(Protocol):
    """One carrier (Twilio, Telnyx). Every method maps HTTP failures onto telcli.errors:
    401/403 -> AuthError; other 4xx -> ProviderRejected (with the provider's message);
    429/5xx/timeouts/connection failures -> ProviderUnavailable (``sent`` says whether the
    request may have reached the provider)."""

    name: ProviderName

    def verify(self) -> str:
        """One cheap authenticated call; returns a short account description. Raises AuthError."""
        ...

    def search_numbers(self, query: NumberQuery) -> list[AvailableNumber]:
        """Numbers available to buy, with price and address requirement where known."""
        ...

    def purchase(
        self,
        phone_number: str,
        *,
        address_id: str | None = None,
        tenant: TenantTag | None = None,
    ) -> OwnedNumber:
        """Buy one number. Not idempotent at the provider: callers must never blindly retry.
        ``tenant`` is recorded in the purchase request itself (telcli/tenancy.py), so the
        number is never owned untagged; the result's ``tenant`` says what the provider holds."""
        ...

    def list_owned(self, tenant: str | None = None) -> list[OwnedNumber]:
        """Every number the account owns (all pages); with ``tenant``, only that tenant's
        (filtered on the server where the API can, always checked again here)."""
        ...

    def find_owned(self, phone_number: str) -> OwnedNumber | None:
        """The owned number with this E.164, or None (used for reconciliation)."""
        ...

    def release(self, number: OwnedNumber) -> None:
        """Release an owned number."""
        ...

    def configure(self, number: OwnedNumber, config: NumberConfig) -> OwnedNumber:
        """Apply the non-None fields of ``config``; returns the number as it now is.
        Raises UsageProblem for settings this carrier cannot take on a number."""
        ...

    def set_tenant(self, number: OwnedNumber, tenant: TenantTag | None) -> OwnedNumber:
        """Record ``tenant`` on an owned number, or clear it with None; returns the number as
        it now is (adopting a number bought by hand, offboarding a tenant)."""
        ...

    def create_address(self, address: AddressInput) -> Address:
        """Create a regulatory address (Twilio CreateAddress, Telnyx CreateAddress).
        A validation refusal is ProviderRejected with the provider's per-field text."""
        ...

    def list_addresses(self, country: str | None = None) -> list[Address]:
        """The account's addresses (all pages), optionally of one ISO country."""
        ...

    def delete_address(self, address_id: str) -> None:
        """Delete an address; ProviderRejected while a number uses it (Twilio 21625)."""
        ...

    def pricing(self, country: str, number_type: NumberType | None = None) -> list[NumberPrice]:
        """Monthly (and upfront, where the carrier has one) price per number type."""
        ...
