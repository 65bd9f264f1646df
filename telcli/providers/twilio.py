"""Twilio carrier: the official ``twilio`` SDK, sending through telcli's httpx transport.

The SDK builds every request (paths, parameter casing, form encoding, paging) and parses every
response into its instance objects; :class:`_HttpxAdapter` hands the request to
:func:`telcli.transport.send`, so one client, one debug log, the sandbox and respx see Twilio
traffic like any other. Non-2xx responses are turned into telcli errors inside the adapter,
where the raw body is still at hand (the SDK's ``TwilioRestException`` keeps only part of it),
by the one helper :func:`_status_error`.

Nothing from ``twilio`` is imported at module level: ``twilio.rest`` pulls in ``requests``, and
the first touch of ``client.api`` imports every 2010-04-01 resource module (``twilio.rest.api``
and ``twilio.rest.api.v2010.account`` import all their children in ``__init__``, so no narrower
import exists). Both happen on the first request, never on ``import telcli.providers.twilio``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import httpx

from telcli import tenancy, transport
from telcli.errors import (
    AuthError,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    UsageProblem,
)
from telcli.models import (
    E164,
    Address,
    AddressInput,
    AddressRequirement,
    AvailableNumber,
    CallResult,
    Capability,
    MessageResult,
    NumberConfig,
    NumberPrice,
    NumberQuery,
    NumberType,
    OwnedNumber,
    ProviderName,
    TenantTag,
)
from telcli.providers.base import ProviderSettings, segment

if TYPE_CHECKING:
    from twilio.rest import Client

PROVIDER = "twilio"
API_BASE = "https://api.twilio.com"
PRICING_BASE = "https://pricing.twilio.com"
# settings.base_urls key -> the real origin it replaces (prism.md, "Pointing clients at Prism").
_HOST_KEYS = {API_BASE: "api", PRICING_BASE: "pricing"}
# ListIncomingPhoneNumber: PageSize maximum is 1000; fewer pages means fewer round trips.
_OWNED_PAGE_SIZE = 1000
# ClientBase reads TWILIO_ACCOUNT_SID/AUTH_TOKEN/EDGE/REGION from ``environment or os.environ``;
# an empty mapping is falsy and falls through to os.environ, so this one is deliberately
# non-empty. Providers never read the environment (and EDGE/REGION would rewrite our hosts).
_NO_ENVIRONMENT: Mapping[str, str] = {"TWILIO_EDGE": "", "TWILIO_REGION": ""}
# FetchPhoneNumberCountry (Pricing v1) spells the number types "local", "mobile" and
# "toll free" (with a space); compare with spaces, dashes and underscores removed.
_PRICE_TYPES = {
    NumberType.local: "local",
    NumberType.mobile: "mobile",
    NumberType.toll_free: "tollfree",
}

T = TypeVar("T")
# Twilio names every request in this response header ("RQ" + 32 hex); support asks for it.
# (Not in the OpenAPI document, which declares no response headers.)
REQUEST_ID_HEADER = "Twilio-Request-Id"
# What the current SDK call is doing ("purchase of +1..."), for error messages. A context
# variable, so concurrent threads sharing one provider name their own operations.
_WHAT: ContextVar[str] = ContextVar("telcli_twilio_operation", default="request")
# The request id of the last answer the adapter handed the SDK in this context: an answer the
# SDK then cannot read is reported with it.
_LAST_REQUEST_ID: ContextVar[str | None] = ContextVar("telcli_twilio_request_id", default=None)


def _status_error(response: httpx.Response, what: str) -> ProviderError | AuthError:
    """The one place a Twilio error response becomes a telcli error.

    Bodies seen: Twilio's legacy ``{"code": 21452, "message": ..., "more_info": ..., "status"}``,
    its RFC 9457 ``{"type", "title", "status", "code", "detail"}``, and Prism's problem+json
    (``detail`` plus a ``validation`` array, no ``code``).
    """
    detail = ""
    code: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = str(body.get("message") or body.get("detail") or body.get("title") or "")
        if body.get("code") is not None:
            code = str(body["code"])
        problems = [
            str(v.get("message")) for v in body.get("validation") or [] if isinstance(v, dict)
        ]
        if problems:
            detail = f"{detail} ({'; '.join(problems)})" if detail else "; ".join(problems)
    elif response.text.strip():
        detail = response.text.strip().splitlines()[0][:200]
    return transport.status_error(PROVIDER, response, detail, code=code, what=what)


@cache
def _adapter_class() -> type[Any]:
    """Build the adapter class on first use: it must subclass ``twilio.http.HttpClient``."""
    from twilio.http import HttpClient
    from twilio.http.response import Response

    class HttpxAdapter(HttpClient):  # type: ignore[misc]
        """``twilio.http.HttpClient`` over a telcli httpx client (see module docstring)."""

        def __init__(self, client: httpx.Client, base_urls: Mapping[str, str]) -> None:
            super().__init__(logging.getLogger("telcli.twilio"), False, None)
            self.client = client
            self.base_urls = {k: v.rstrip("/") for k, v in base_urls.items() if v}

        def rewrite(self, url: str) -> str:
            parts = urlsplit(url)
            origin = f"{parts.scheme}://{parts.netloc}"
            override = self.base_urls.get(_HOST_KEYS.get(origin, ""))
            if not override:
                return url
            return override + parts.path + (f"?{parts.query}" if parts.query else "")

        def request(
            self,
            method: str,
            url: str,
            params: dict[str, object] | None = None,
            data: dict[str, object] | None = None,
            headers: dict[str, str] | None = None,
            auth: tuple[str, str] | None = None,
            timeout: float | None = None,
            allow_redirects: bool = False,
        ) -> Response:
            kwargs: dict[str, Any] = {
                "params": params or None,
                "headers": headers,
                "auth": auth,
                "follow_redirects": allow_redirects,
            }
            if data:
                # A dict of str/list: httpx form-encodes lists as repeated keys, as requests does.
                kwargs["data"] = data
            if timeout is not None:
                kwargs["timeout"] = timeout
            response = transport.send(
                self.client, method, self.rewrite(url), provider=PROVIDER, **kwargs
            )
            if not 200 <= response.status_code < 300:
                raise _status_error(response, _WHAT.get())
            _LAST_REQUEST_ID.set(transport.request_id_of(response))
            return Response(response.status_code, response.text, dict(response.headers))

    return HttpxAdapter


# (monthly price, currency) for one number type; a plain tuple keeps the import light.
_Prices = tuple[Decimal | None, str | None]
_NO_PRICES: _Prices = (None, None)


class TwilioProvider:
    """Twilio Programmable Voice/Messaging numbers through the 2010-04-01 API and Pricing v1."""

    name = ProviderName.twilio

    def __init__(self, settings: ProviderSettings) -> None:
        self._settings = settings
        self._sdk: Client | None = None

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def account_sid(self) -> str:
        sid = self._settings.credentials.get("account_sid", "")
        if not sid:
            raise AuthError(
                "twilio account SID is missing",
                hint="set TWILIO_ACCOUNT_SID or run `telcli auth login twilio`",
            )
        return sid

    def _client(self) -> Client:
        if self._sdk is not None:
            return self._sdk
        creds = self._settings.credentials
        account_sid = self.account_sid
        api_key, api_secret = creds.get("api_key", ""), creds.get("api_secret", "")
        if api_key and api_secret:
            username, password = api_key, api_secret
        elif creds.get("auth_token"):
            username, password = account_sid, creds["auth_token"]
        else:
            raise AuthError(
                "twilio credentials are incomplete: need an auth token, or an API key and secret",
                hint="set TWILIO_AUTH_TOKEN or run `telcli auth login twilio`",
            )
        from twilio.rest import Client

        http = transport.build_client(
            transport=self._settings.transport,
            debug_log=self._settings.debug_log,
            secrets=self._settings.secrets,
            timeout=self._settings.timeout or transport.DEFAULT_TIMEOUT,
            retry=self._settings.retry,
            request_id_header=REQUEST_ID_HEADER,
        )
        self._sdk = Client(
            username=username,
            password=password,
            account_sid=account_sid,
            http_client=_adapter_class()(http, self._settings.base_urls),
            environment=_NO_ENVIRONMENT,
            user_agent_extensions=[transport.USER_AGENT],
        )
        return self._sdk

    def _call(self, what: str, fn: Callable[[Client], T]) -> T:
        """Run one SDK operation; errors raised by the adapter name ``what``."""
        client = self._client()
        token = _WHAT.set(what)
        answered = _LAST_REQUEST_ID.set(None)
        from twilio.base.exceptions import TwilioException

        try:
            return fn(client)
        except (json.JSONDecodeError, TwilioException) as exc:
            # The SDK parsing a 2xx body that is not JSON, or a list page without its records
            # key ("Page Records can not be deserialized": the spec requires none of them).
            # The adapter raises telcli's own errors, so no TwilioRestException arrives here.
            detail = "" if isinstance(exc, json.JSONDecodeError) else f" ({exc})"
            request_id = _LAST_REQUEST_ID.get()
            raise ProviderUnavailable(
                f"twilio sent an unreadable response on {what}{transport.cite(request_id)}"
                + detail,
                provider=PROVIDER,
                request_id=request_id,
            ) from None
        finally:
            _LAST_REQUEST_ID.reset(answered)
            _WHAT.reset(token)

    def _account(self, client: Client) -> Any:
        return client.api.v2010.accounts(segment(self.account_sid, "account SID"))

    # -- CarrierProvider --------------------------------------------------------------------

    def verify(self) -> str:
        # FetchAccount: GET /2010-04-01/Accounts/{Sid}.json
        account = self._call("account check", lambda c: self._account(c).fetch())
        name = account.friendly_name or account.sid
        return f"{name} ({account.sid}, {account.status})"

    def search_numbers(self, query: NumberQuery) -> list[AvailableNumber]:
        # ListAvailablePhoneNumberLocal / Mobile / TollFree share one parameter set.
        params: dict[str, Any] = {"limit": query.limit, "page_size": query.limit}
        if query.area_code:
            # AreaCode is `type: integer` in the spec (US/CA only); Prism rejects non-digits.
            if not query.area_code.isdigit():
                raise UsageProblem(
                    f"area code {query.area_code!r} is not a number",
                    hint="give digits only, e.g. --area-code 415",
                )
            params["area_code"] = int(query.area_code)
        if query.contains:
            params["contains"] = query.contains
        if query.locality:
            params["in_locality"] = query.locality
        if query.region:
            params["in_region"] = query.region
        flags = {
            Capability.voice: "voice_enabled",
            Capability.sms: "sms_enabled",
            Capability.mms: "mms_enabled",
            Capability.fax: "fax_enabled",
        }
        for cap in query.capabilities:
            params[flags[cap]] = True
        country = query.country.upper()

        def search(client: Client) -> list[Any]:
            numbers = self._account(client).available_phone_numbers(segment(country, "country"))
            listing = {
                NumberType.local: numbers.local,
                NumberType.mobile: numbers.mobile,
                NumberType.toll_free: numbers.toll_free,
            }[query.number_type]
            return list(listing.list(**params))

        try:
            records = self._call(f"number search in {country}", search)
        except ProviderRejected as exc:
            if exc.status != 404:
                raise
            # Twilio has no AvailablePhoneNumbers resource for a number type it has none of
            # in a country (US Mobile): "The requested resource ... was not found". That is
            # an empty answer to "what can I buy", not a failure.
            records = []
        prices = self._prices(country, query.number_type) if records else _NO_PRICES
        return [_available(r, query, country, prices) for r in records]

    def _prices(self, country: str, number_type: NumberType) -> _Prices:
        """Monthly price from Pricing v1 FetchPhoneNumberCountry; None when it cannot be had.

        Pricing is a separate host and permission; a failure there (other than rejected
        credentials) must not hide the numbers themselves.
        """
        try:
            record = self._call(
                f"price lookup for {country}",
                lambda c: c.pricing.v1.phone_numbers.countries(segment(country, "country")).fetch(),
            )
        except AuthError:
            raise
        except ProviderError:
            return _NO_PRICES
        currency = (record.price_unit or "").upper() or None
        wanted = _PRICE_TYPES[number_type]
        for entry in record.phone_number_prices or []:
            kind = re.sub(r"[\s_-]", "", str(entry.get("number_type", "")).lower())
            if kind == wanted:
                return _decimal(entry.get("current_price")), currency
        return None, currency

    def purchase(
        self,
        phone_number: str,
        *,
        address_id: str | None = None,
        tenant: TenantTag | None = None,
    ) -> OwnedNumber:
        # CreateIncomingPhoneNumber: form body PhoneNumber (+ AddressSid). The tenant travels
        # in the same request as FriendlyName, so the number is never untagged.
        kwargs: dict[str, Any] = {"phone_number": phone_number}
        if address_id:
            kwargs["address_sid"] = address_id
        if tenant is not None:
            kwargs["friendly_name"] = tenancy.twilio_name(tenant.id, tenant.name)
        record = self._call(
            f"purchase of {phone_number}",
            lambda c: self._account(c).incoming_phone_numbers.create(**kwargs),
        )
        return _owned(record)

    def list_owned(self, tenant: str | None = None) -> list[OwnedNumber]:
        # ListIncomingPhoneNumber; the SDK follows next_page_uri through every page. Its
        # FriendlyName filter matches the whole name exactly, and a tenant's label also holds
        # its display name (which may have changed since the purchase): so a tenant's numbers
        # are picked out here, by the id the label starts with.
        records = self._call(
            "number listing",
            lambda c: list(
                self._account(c).incoming_phone_numbers.stream(page_size=_OWNED_PAGE_SIZE)
            ),
        )
        owned = [_owned(r) for r in records]
        return owned if tenant is None else [n for n in owned if n.tenant == tenant]

    def find_owned(self, phone_number: str) -> OwnedNumber | None:
        records = self._call(
            f"lookup of {phone_number}",
            lambda c: list(
                self._account(c).incoming_phone_numbers.stream(phone_number=phone_number)
            ),
        )
        for record in records:
            if record.phone_number == phone_number:
                return _owned(record)
        return None

    def release(self, number: OwnedNumber) -> None:
        # DeleteIncomingPhoneNumber: 204 with no body.
        self._call(
            f"release of {number.phone_number}",
            lambda c: self._account(c).incoming_phone_numbers(segment(number.id)).delete(),
        )

    def configure(self, number: OwnedNumber, config: NumberConfig) -> OwnedNumber:
        telnyx_only = [
            f"--{name.replace('_', '-')}"
            for name in ("connection_id", "messaging_profile_id")
            if getattr(config, name) is not None
        ]
        if telnyx_only:
            raise UsageProblem(
                f"{' and '.join(telnyx_only)} only apply to Telnyx numbers; "
                f"{number.phone_number} is a Twilio number",
                hint="for Twilio pass --voice-url, --sms-url or --status-callback",
            )
        friendly_name = config.friendly_name
        if friendly_name is not None and number.tenant:
            # The FriendlyName carries the tenant: a new name keeps it.
            friendly_name = tenancy.twilio_name(number.tenant, friendly_name)
        fields = {
            "voice_url": config.voice_url,
            "sms_url": config.sms_url,
            "status_callback": config.status_callback,
            "friendly_name": friendly_name,
        }
        changes = {k: v for k, v in fields.items() if v is not None}
        if not changes:
            return number
        # UpdateIncomingPhoneNumber: VoiceUrl, SmsUrl, StatusCallback, FriendlyName.
        record = self._call(
            f"update of {number.phone_number}",
            lambda c: self._account(c).incoming_phone_numbers(segment(number.id)).update(**changes),
        )
        return _owned(record)

    def set_tenant(self, number: OwnedNumber, tenant: TenantTag | None) -> OwnedNumber:
        """Record ``tenant`` on an owned number (UpdateIncomingPhoneNumber FriendlyName), or
        with None clear it: the name goes back to Twilio's default, the number itself
        (national format for NANP numbers, E.164 otherwise)."""
        from telcli.phone import national_format

        if tenant is not None:
            name = tenancy.twilio_name(tenant.id, tenant.name)
        elif number.phone_number.startswith("+1"):
            name = national_format(number.phone_number)
        else:
            name = number.phone_number
        record = self._call(
            f"tenant update of {number.phone_number}",
            lambda c: (
                self._account(c)
                .incoming_phone_numbers(segment(number.id))
                .update(friendly_name=name)
            ),
        )
        return _owned(record)

    # -- regulatory addresses (Addresses resource of the 2010-04-01 API) ---------------------

    def create_address(self, address: AddressInput) -> Address:
        # CreateAddress: CustomerName, Street, City, Region, PostalCode, IsoCountry required.
        kwargs: dict[str, Any] = {
            "customer_name": address.business_name or address.customer_name,
            "street": address.street,
            "city": address.city,
            "region": address.region,
            "postal_code": address.postal_code,
            "iso_country": address.country.upper(),
        }
        if address.tenant is not None:
            # The tenant's address: its FriendlyName says whose (telcli/tenancy.py).
            kwargs["friendly_name"] = tenancy.twilio_name(
                address.tenant.id, address.friendly_name or address.tenant.name
            )
        elif address.friendly_name:
            kwargs["friendly_name"] = address.friendly_name
        record = self._call(
            f"address creation in {address.country.upper()}",
            lambda c: self._account(c).addresses.create(**kwargs),
        )
        return _address(record)

    def list_addresses(self, country: str | None = None) -> list[Address]:
        # ListAddress filters by IsoCountry on the server; the SDK follows every page.
        kwargs: dict[str, Any] = {"page_size": _OWNED_PAGE_SIZE}
        if country:
            kwargs["iso_country"] = country.upper()
        records = self._call(
            "address listing", lambda c: list(self._account(c).addresses.stream(**kwargs))
        )
        return [_address(r) for r in records]

    def delete_address(self, address_id: str) -> None:
        # DeleteAddress: 204. Twilio refuses (400, code 21625) while a number uses it.
        self._call(
            f"deletion of address {address_id}",
            lambda c: self._account(c).addresses(segment(address_id)).delete(),
        )

    def pricing(self, country: str, number_type: NumberType | None = None) -> list[NumberPrice]:
        """Pricing v1 FetchPhoneNumberCountry: one monthly price per number type."""
        iso = country.upper()
        record = self._call(
            f"price lookup for {iso}",
            lambda c: c.pricing.v1.phone_numbers.countries(segment(iso, "country")).fetch(),
        )
        currency = (record.price_unit or "").upper() or None
        names = {v: k for k, v in _PRICE_TYPES.items()}
        prices = []
        for entry in record.phone_number_prices or []:
            raw = str(entry.get("number_type", ""))
            kind = names.get(re.sub(r"[\s_-]", "", raw.lower()))
            if number_type is not None and kind != number_type:
                continue
            prices.append(
                NumberPrice(
                    provider=ProviderName.twilio,
                    country=iso,
                    number_type=str(kind) if kind else raw,
                    monthly_price=_decimal(entry.get("current_price")),
                    # Twilio bills the first month on purchase; there is no separate setup fee.
                    upfront_price=None,
                    currency=currency,
                    base_price=_decimal(entry.get("base_price")),
                )
            )
        return prices

    # -- test SMS and calls (Messages / Calls of the 2010-04-01 API; issue 6) -------------

    def send_sms(
        self,
        to: str,
        from_: str,
        body: str,
        *,
        media_urls: Sequence[str] = (),
        status_callback: str | None = None,
    ) -> MessageResult:
        """CreateMessage. Not idempotent: one call sends one message; never retried."""
        kwargs: dict[str, Any] = {"to": to, "from_": from_, "body": body}
        if media_urls:
            kwargs["media_url"] = list(media_urls)
        if status_callback:
            kwargs["status_callback"] = status_callback
        record = self._call(f"SMS to {to}", lambda c: self._account(c).messages.create(**kwargs))
        return _message(record)

    def fetch_message(self, message_id: str) -> MessageResult:
        """FetchMessage: the message's current status (idempotent GET)."""
        record = self._call(
            f"status of message {message_id}",
            lambda c: self._account(c).messages(segment(message_id)).fetch(),
        )
        return _message(record)

    def find_messages(self, to: str, from_: str, since: datetime) -> list[MessageResult]:
        """Messages to ``to`` from ``from_`` created at or after ``since`` (reconciliation).

        ListMessage filters on DateSent, which a queued message does not have yet, so the
        newest page (one request: a test was just sent) is filtered on date_created here."""
        records = self._call(
            f"messages to {to}",
            lambda c: list(self._account(c).messages.page(to=to, from_=from_, page_size=50)),
        )
        found = [_message(r) for r in records]
        return [m for m in found if m.created_at is None or m.created_at >= since]

    def place_call(
        self,
        to: str,
        from_: str,
        *,
        twiml: str | None = None,
        url: str | None = None,
        status_callback: str | None = None,
        timeout: int | None = None,
        time_limit: int | None = None,
    ) -> CallResult:
        """CreateCall with inline TwiML or a TwiML URL. Not idempotent; never retried."""
        kwargs: dict[str, Any] = {"to": to, "from_": from_}
        if url:
            kwargs["url"] = url
        else:
            kwargs["twiml"] = twiml or "<Response><Say>This is a telcli test call.</Say></Response>"
        if status_callback:
            kwargs["status_callback"] = status_callback
            kwargs["status_callback_event"] = ["initiated", "ringing", "answered", "completed"]
        if timeout is not None:
            kwargs["timeout"] = timeout
        if time_limit is not None:
            kwargs["time_limit"] = time_limit
        record = self._call(f"call to {to}", lambda c: self._account(c).calls.create(**kwargs))
        return _call_result(record)

    def fetch_call(self, call_id: str) -> CallResult:
        """FetchCall: the call's current status, duration and price."""
        record = self._call(
            f"status of call {call_id}", lambda c: self._account(c).calls(segment(call_id)).fetch()
        )
        return _call_result(record)

    def hangup_call(self, call_id: str) -> CallResult:
        """End a call telcli placed (UpdateCall with Status): ``canceled`` for one still
        queued or ringing; Twilio leaves an answered call alone on ``canceled``, so one that
        answers ``in-progress`` is then ended with ``completed``. The call as updated."""

        def update(status: str) -> Any:
            return self._call(
                f"hang-up of call {call_id}",
                lambda c: self._account(c).calls(segment(call_id)).update(status=status),
            )

        record = update("canceled")
        if str(record.status) == "in-progress":
            record = update("completed")
        return _call_result(record)

    def sms_price(self, to: str) -> tuple[Decimal | None, str | None]:
        """Price of one outbound SMS segment to ``to`` (FetchMessagingCountry, Pricing v1):
        the highest current local-number price among the country's carriers, as an estimate
        made before the carrier of the destination is known. (None, None) when unknown."""
        from telcli.phone import country_of

        country = country_of(to)
        if not country:
            return None, None
        record = self._call(
            f"SMS price lookup for {country}",
            lambda c: c.pricing.v1.messaging.countries(segment(country, "country")).fetch(),
        )
        prices = [
            (
                re.sub(r"[\s_-]", "", str(p.get("number_type", "")).lower()),
                _decimal(p.get("current_price")),
            )
            for entry in record.outbound_sms_prices or []
            for p in entry.get("prices") or []
        ]
        local = [v for kind, v in prices if kind == "local" and v is not None]
        found = local or [v for _, v in prices if v is not None]
        return (max(found) if found else None), ((record.price_unit or "").upper() or None)

    def call_price(self, to: str) -> tuple[Decimal | None, str | None]:
        """Price per minute of an outbound call to ``to`` (FetchVoiceNumber, Pricing v1
        ``/v1/Voice/Numbers/{Number}``: ``outbound_call_price.current_price``, ``price_unit``).
        (None, None) when Twilio publishes none."""
        record = self._call(
            f"call price lookup for {to}",
            lambda c: c.pricing.v1.voice.numbers(segment(to, "number")).fetch(),
        )
        price = _decimal((record.outbound_call_price or {}).get("current_price"))
        return price, ((record.price_unit or "").upper() or None) if price is not None else None

    def find_calls(self, to: str, from_: str, since: datetime) -> list[CallResult]:
        """Calls to ``to`` from ``from_`` created at or after ``since`` (reconciliation).
        ListCall's StartTime filter misses queued calls, so filter date_created here."""
        records = self._call(
            f"calls to {to}",
            lambda c: list(self._account(c).calls.page(to=to, from_=from_, page_size=50)),
        )
        found = [(r, _call_result(r)) for r in records]
        return [
            call
            for r, call in found
            if not isinstance(r.date_created, datetime) or r.date_created >= since
        ]


# -- payload -> models ----------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _capabilities(raw: Any) -> tuple[Capability, ...]:
    # The spec examples use lowercase keys; the live API answers {"voice", "SMS", "MMS", "fax"}
    # for AvailablePhoneNumbers, so compare case-insensitively.
    flags = {str(k).lower(): bool(v) for k, v in (raw or {}).items()}
    return tuple(c for c in Capability if flags.get(c.value))


def _requirement(value: Any) -> AddressRequirement:
    try:
        return AddressRequirement(str(value or "none").lower())
    except ValueError:
        return AddressRequirement.none


def _text(value: Any) -> str:
    # Every field of every Twilio resource is nullable in the spec (even phone_number and
    # sid): a model's required text becomes "" rather than None, which would break sorting
    # and formatting further up.
    return "" if value is None else str(value)


def _blank(value: str | None) -> str | None:
    # Twilio answers "" for unset URLs (sms_url: "", voice_url: null in the same record).
    return value or None


def _available(record: Any, query: NumberQuery, country: str, prices: _Prices) -> AvailableNumber:
    return AvailableNumber(
        provider=ProviderName.twilio,
        phone_number=E164(_text(record.phone_number)),
        country=_text(record.iso_country or country).upper(),
        number_type=query.number_type,
        locality=_blank(record.locality),
        region=_blank(record.region),
        capabilities=_capabilities(record.capabilities),
        monthly_price=prices[0],
        upfront_price=None,
        currency=prices[1],
        address_requirement=_requirement(record.address_requirements),
    )


def _owned(record: Any) -> OwnedNumber:
    from telcli.phone import country_of

    created = record.date_created if isinstance(record.date_created, datetime) else None
    return OwnedNumber(
        provider=ProviderName.twilio,
        phone_number=E164(_text(record.phone_number)),
        id=_text(record.sid),
        # IncomingPhoneNumber carries no country field; derive it from the number itself.
        country=country_of(_text(record.phone_number)),
        friendly_name=_blank(record.friendly_name),
        capabilities=_capabilities(record.capabilities),
        voice_url=_blank(record.voice_url),
        sms_url=_blank(record.sms_url),
        status_callback=_blank(record.status_callback),
        address_id=_blank(record.address_sid),
        status=_blank(record.status),
        created_at=created,
        tenant=tenancy.tenant_of_twilio_name(record.friendly_name),
    )


def _address(record: Any) -> Address:
    created = record.date_created if isinstance(record.date_created, datetime) else None
    return Address(
        provider=ProviderName.twilio,
        id=_text(record.sid),
        customer_name=_text(record.customer_name),
        street=_text(record.street),
        city=_text(record.city),
        region=_blank(record.region),
        postal_code=_blank(record.postal_code),
        country=_text(record.iso_country).upper(),
        friendly_name=_blank(record.friendly_name),
        validated=record.validated,
        created_at=created,
        tenant=tenancy.tenant_of_twilio_name(record.friendly_name),
    )


def _int(value: Any) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _when(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _price(value: Any) -> Decimal | None:
    # Twilio reports charges as negative decimal strings ("-0.00790"); telcli shows the cost.
    price = _decimal(value)
    return None if price is None else abs(price)


def _message(record: Any) -> MessageResult:
    return MessageResult(
        provider=ProviderName.twilio,
        id=record.sid,
        to=record.to,
        from_=record.from_,
        status=str(record.status or "queued"),
        carrier_status=str(record.status) if record.status else None,
        body=record.body,
        segments=_int(record.num_segments),
        error_code=None if record.error_code in (None, 0) else str(record.error_code),
        error_message=_blank(record.error_message),
        price=_price(record.price),
        currency=(record.price_unit or "").upper() or None,
        created_at=_when(record.date_created),
        updated_at=_when(record.date_updated),
    )


def _call_result(record: Any) -> CallResult:
    status = str(record.status or "queued")
    duration = _int(record.duration)
    return CallResult(
        provider=ProviderName.twilio,
        id=record.sid,
        to=record.to,
        from_=record._from,
        status=status,
        carrier_status=status,
        duration=duration,
        answered=None if duration is None else status == "completed",
        price=_price(record.price),
        currency=(record.price_unit or "").upper() or None,
        started_at=_when(record.start_time),
        ended_at=_when(record.end_time),
    )
