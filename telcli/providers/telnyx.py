"""Telnyx carrier: REST API v2 over httpx.

The ``telnyx`` SDK takes seconds to import, so it is used only by the test suite, as an oracle
of the wire format this module writes by hand. Paths, parameter names and bodies follow
``telnyx_v2.json`` (operationIds cited where a quirk drives the code).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from telcli import correlation, tenancy, transport
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
    ProviderResource,
    TenantTag,
)
from telcli.providers.base import ProviderSettings, segment

PROVIDER = "telnyx"
API_BASE = "https://api.telnyx.com/v2"
# ListPhoneNumbers: page[size] maximum is 250.
_PAGE_SIZE = 250
# A guard against a server that never reports a short page (e.g. a static mock).
_MAX_PAGES = 400
_NUMBER_TYPES = {
    # ListAvailablePhoneNumbers filter[phone_number_type] enum: local, toll_free, mobile, ...
    NumberType.local: "local",
    NumberType.mobile: "mobile",
    NumberType.toll_free: "toll_free",
}
_WEBHOOK_HINT = (
    "Telnyx sends a number's calls to its connection and its messages to its messaging "
    "profile: set the webhook URLs on those (Mission Control or the Telnyx API), then "
    "pass --connection-id and/or --messaging-profile-id here"
)
Params = list[tuple[str, str]]
# Telnyx's id for each request, which its support asks for (the OpenAPI document declares no
# response headers; the error objects' ``meta`` carries only a documentation ``url``).
REQUEST_ID_HEADER = "x-request-id"
# The customer_reference of the requirement group telcli creates for a number order: it is how
# an owned number's purchase address is found again (PhoneNumberDetailed does not carry it).
_GROUP_PREFIX = "telcli "


def _group_reference(phone_number: str) -> str:
    return _GROUP_PREFIX + phone_number


def _status_error(response: httpx.Response, what: str) -> ProviderError | AuthError:
    """The one place a Telnyx error response becomes a telcli error.

    Telnyx answers ``{"errors": [{"code": "10015", "title": ..., "detail": ...,
    "source": {"pointer": ...}}]}`` (numbers_Errors and messaging_Errors have this shape).
    """
    parts: list[str] = []
    code: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list):
        for err in errors:
            if not isinstance(err, dict):
                continue
            if code is None and err.get("code") is not None:
                code = str(err["code"])
            title, detail = err.get("title"), err.get("detail")
            text = f"{title}: {detail}" if title and detail and title != detail else title or detail
            if text:
                parts.append(str(text))
    elif isinstance(body, dict) and (body.get("detail") or body.get("title")):
        parts.append(str(body.get("detail") or body.get("title")))
    elif response.text.strip():
        parts.append(response.text.strip().splitlines()[0][:200])
    return transport.status_error(PROVIDER, response, "; ".join(parts), code=code, what=what)


class TelnyxProvider:
    """Telnyx numbers through API v2: number search, number orders, phone number settings."""

    name = ProviderName.telnyx

    def __init__(self, settings: ProviderSettings) -> None:
        self._settings = settings
        self._http: httpx.Client | None = None

    # -- plumbing ---------------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        if self._http is None:
            api_key = self._settings.credentials.get("api_key", "")
            if not api_key:
                raise AuthError(
                    "telnyx API key is missing",
                    hint="set TELNYX_API_KEY or run `telcli auth login telnyx`",
                )
            # An override replaces the whole base, /v2 included (Prism serves the paths
            # without the server's /v2: prism.md, "Base URLs").
            base = (self._settings.base_urls.get("api") or API_BASE).rstrip("/")
            self._http = transport.build_client(
                base + "/",
                headers={"Authorization": f"Bearer {api_key}"},
                transport=self._settings.transport,
                debug_log=self._settings.debug_log,
                secrets=self._settings.secrets,
                timeout=self._settings.timeout or transport.DEFAULT_TIMEOUT,
                retry=self._settings.retry,
                request_id_header=REQUEST_ID_HEADER,
            )
        return self._http

    def _request(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: Params | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body = self._request_any(method, path, what, params=params, json=json)
        return body if isinstance(body, dict) else {}

    def _request_any(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: Params | None = None,
        json: dict[str, Any] | None = None,
    ) -> Any:
        """The parsed JSON answer, whatever its shape (GetRequirementGroups answers a bare
        array); None for an empty body."""
        kwargs: dict[str, Any] = {}
        if params:
            kwargs["params"] = params
        if json is not None:
            kwargs["json"] = json
        response = transport.send(
            self._client(), method, path.lstrip("/"), provider=PROVIDER, **kwargs
        )
        if not 200 <= response.status_code < 300:
            raise _status_error(response, what)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            request_id = transport.request_id_of(response)
            raise ProviderUnavailable(
                f"telnyx sent an unreadable response on {what}{transport.cite(request_id)}",
                provider=PROVIDER,
                status=response.status_code,
                request_id=request_id,
            ) from None

    def _pages(self, params: Params, what: str) -> Iterable[dict[str, Any]]:
        """Every record of ListPhoneNumbers, page by page.

        Stops at a short page or at meta.total_pages. The page number is counted here, not
        read back from meta.page_number (Prism's static example always says page 2 of 3).
        """
        page = 1
        while page <= _MAX_PAGES:
            body = self._request(
                "GET",
                "/phone_numbers",
                what,
                params=[*params, ("page[number]", str(page)), ("page[size]", str(_PAGE_SIZE))],
            )
            data = [r for r in body.get("data") or [] if isinstance(r, dict)]
            yield from data
            total_pages = (body.get("meta") or {}).get("total_pages")
            if len(data) < _PAGE_SIZE or (isinstance(total_pages, int) and page >= total_pages):
                return
            page += 1

    # -- CarrierProvider --------------------------------------------------------------------

    def verify(self) -> str:
        # Any authenticated GET proves the key; ListPhoneNumbers with one record is the cheapest.
        body = self._request(
            "GET", "/phone_numbers", "credential check", params=[("page[size]", "1")]
        )
        total = (body.get("meta") or {}).get("total_results")
        owned = f", {total} numbers on the account" if isinstance(total, int) else ""
        return f"Telnyx API key accepted{owned}"

    def search_numbers(
        self, query: NumberQuery, *, requirements: bool = True
    ) -> list[AvailableNumber]:
        # ListAvailablePhoneNumbers: one deepObject `filter` parameter, sent as filter[...]=.
        # AvailablePhoneNumber carries no address requirement, so (with ``requirements``) one
        # ListRegulatoryRequirementsPhoneNumbers request fetches them for the whole page.
        country = query.country.upper()
        params: Params = [
            ("filter[country_code]", country),
            ("filter[phone_number_type]", _NUMBER_TYPES[query.number_type]),
        ]
        if query.area_code:
            params.append(("filter[national_destination_code]", query.area_code))
        if query.contains:
            params.append(("filter[phone_number][contains]", query.contains))
        if query.locality:
            params.append(("filter[locality]", query.locality))
        if query.region:
            params.append(("filter[administrative_area]", query.region))
        if query.capabilities:
            # filter[features] is an array; the official SDK joins arrays with commas
            # (Querystring(array_format="comma")), so telcli sends the same.
            params.append(("filter[features]", ",".join(str(c) for c in query.capabilities)))
        params.append(("filter[limit]", str(query.limit)))
        body = self._request(
            "GET", "/available_phone_numbers", f"number search in {country}", params=params
        )
        records = [r for r in body.get("data") or [] if isinstance(r, dict)]
        found = [_available(r, query, country) for r in records if r.get("phone_number")]
        if not requirements or not found:
            return found
        try:
            needs = self._requirements([n.phone_number for n in found])
        except ProviderRejected:
            return found  # requirements unknown: the numbers themselves are still worth showing
        return [
            replace(n, address_requirement=_address_requirement(needs.get(n.phone_number)))
            for n in found
        ]

    def purchase(
        self,
        phone_number: str,
        *,
        address_id: str | None = None,
        tenant: TenantTag | None = None,
    ) -> OwnedNumber:
        # CreateNumberOrder. Its phone_numbers[] items take no address, only a
        # requirement_group_id (or bundle_id) "to satisfy number requirements": on Telnyx the
        # address of a regulated number travels inside a requirement group. ``address_id`` is
        # an address (as `telcli addresses list` shows), so a requirement group holding it is
        # created first (CreateRequirementGroup) and the order names that group.
        # The tenant travels in the order itself as its customer_reference (the only free
        # text CreateNumberOrderRequest takes; `tags` exist only on UpdatePhoneNumber).
        entry: dict[str, str] = {"phone_number": phone_number}
        if address_id:
            group_id = self._requirement_group(phone_number, address_id)
            if group_id:
                entry["requirement_group_id"] = group_id
        order_body: dict[str, Any] = {"phone_numbers": [entry]}
        if tenant is not None:
            order_body["customer_reference"] = tenancy.telnyx_reference(tenant.id)
        what = f"purchase of {phone_number}"
        with correlation.watching() as seen:
            body = self._request("POST", "/number_orders", what, json=order_body)
        order = body.get("data") or {}
        ordered = next(
            (
                n
                for n in order.get("phone_numbers") or []
                if isinstance(n, dict) and n.get("phone_number") == phone_number
            ),
            {},
        )
        order_status = str(order.get("status") or "")
        number_status = str(ordered.get("status") or order_status)
        if "failure" in (order_status, number_status):
            request_id = seen.last(PROVIDER)
            raise ProviderRejected(
                f"telnyx number order {order.get('id', '')} for {phone_number} failed"
                + transport.cite(request_id),
                provider=PROVIDER,
                status=None,
                request_id=request_id,
                hint="run `telcli numbers search` for another number",
            )
        owned = self._resolve_order(phone_number, order, ordered, number_status)
        if tenant is not None and owned.tenant != tenant.id and owned.status == "active":
            owned = self._tag_bought(owned, tenant)
        # PhoneNumberDetailed does not say which address it was bought with; the caller does.
        return replace(owned, address_id=address_id) if address_id else owned

    def _tag_bought(self, owned: OwnedNumber, tenant: TenantTag) -> OwnedNumber:
        """The spec does not say that a number order's customer_reference is copied onto
        its numbers; when the bought number does not show it, it is written on the number
        (UpdatePhoneNumber). The purchase has happened: a failure here must not read as a
        failed purchase, so the number is returned as listed (``tenant`` None tells)."""
        try:
            return self.set_tenant(owned, tenant)
        except (ProviderError, AuthError):
            return owned

    def _resolve_order(
        self, phone_number: str, order: dict[str, Any], ordered: dict[str, Any], status: str
    ) -> OwnedNumber:
        """The owned PhoneNumber behind an accepted order.

        The order's phone_numbers[].id is a *number order phone number* id (record_type
        number_order_phone_number), not the id PhoneNumber operations take, so the number is
        looked up. The order has been accepted at this point: a failing lookup must not turn
        into an error that reads like a failed purchase.
        """
        try:
            owned = self.find_owned(phone_number)
        except (ProviderError, AuthError):
            owned = None
        if owned is not None:
            return owned
        # Not listed yet (the order is still pending, or listing lags): report what the
        # order says, marked pending, with the order's own id for the number.
        return OwnedNumber(
            provider=ProviderName.telnyx,
            phone_number=E164(phone_number),
            id=str(ordered.get("id") or order.get("id") or ""),
            country=ordered.get("country_iso_alpha2") or ordered.get("country_code"),
            connection_id=order.get("connection_id"),
            messaging_profile_id=order.get("messaging_profile_id"),
            status="purchase-pending" if status != "success" else "active",
            created_at=_time(order.get("created_at")),
            tenant=tenancy.tenant_of_telnyx_reference(order.get("customer_reference")),
        )

    def list_owned(self, tenant: str | None = None) -> list[OwnedNumber]:
        # ListPhoneNumbers filter[customer_reference] narrows to one tenant on the server; the
        # spec does not say whether it matches exactly, so the tenant is checked again here.
        params: Params = []
        if tenant is not None:
            params.append(("filter[customer_reference]", tenancy.telnyx_reference(tenant)))
        seen: dict[str, OwnedNumber] = {}
        for record in self._pages(params, "number listing"):
            number = _owned(record)
            if tenant is None or number.tenant == tenant:
                seen.setdefault(number.id, number)
        return self._detailed(list(seen.values()))

    def find_owned(self, phone_number: str) -> OwnedNumber | None:
        # ListPhoneNumbers filter[phone_number]: "Requires at least three digits.
        # Non-numerical characters will result in no values being returned" -- so no "+".
        digits = re.sub(r"\D", "", phone_number)
        for record in self._pages([("filter[phone_number]", digits)], f"lookup of {phone_number}"):
            if record.get("phone_number") == phone_number:
                return self._detailed([_owned(record)], phone_number)[0]
        return None

    def _detailed(self, numbers: list[OwnedNumber], one: str | None = None) -> list[OwnedNumber]:
        """``numbers`` with their capabilities and purchase address filled in.

        PhoneNumberDetailed carries neither. Every number Telnyx sells is a voice number (each
        has voice settings, GetPhoneNumberVoiceSettings); SMS and MMS are the non-null
        ``features`` of its messaging settings (GetPhoneNumberMessagingSettings, one request
        per number, a few at once). The address a number was bought with lives in the
        requirement group telcli created for its order (``customer_reference`` "telcli
        +E164", see :meth:`_requirement_group`): one GetRequirementGroups request finds them
        all (``one``: only that number's).
        """
        if not numbers:
            return numbers
        addresses = self._purchase_addresses(one)
        features = self._each(numbers, self._messaging_features)
        return [
            replace(
                n,
                capabilities=tuple(c for c in Capability if c == Capability.voice or c in found),
                address_id=n.address_id or addresses.get(n.phone_number),
            )
            for n, found in zip(numbers, features, strict=True)
        ]

    @staticmethod
    def _each(numbers: list[OwnedNumber], fetch: Any) -> list[Any]:
        """``fetch(number)`` for every number, up to 8 at once, in order."""
        if len(numbers) == 1:
            return [fetch(numbers[0])]
        import contextvars
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(8, len(numbers))) as pool:
            futures = [pool.submit(contextvars.copy_context().run, fetch, n) for n in numbers]
            return [f.result() for f in futures]

    def _messaging_features(self, number: OwnedNumber) -> frozenset[str]:
        """GetPhoneNumberMessagingSettings ``features``: {"sms": MessagingFeatureSet | null,
        "mms": ...}; a set is there only when the number can do it. A number Telnyx has no
        messaging settings for (4xx) can do neither."""
        try:
            path = f"/phone_numbers/{segment(number.id)}/messaging"
        except UsageProblem:
            return frozenset()  # a record without a usable id: nothing to ask about
        try:
            body = self._request("GET", path, f"messaging settings of {number.phone_number}")
        except ProviderRejected:
            return frozenset()
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        features = data.get("features") if isinstance(data.get("features"), dict) else {}
        return frozenset(str(k) for k, v in features.items() if isinstance(v, dict))

    def _purchase_addresses(self, phone_number: str | None = None) -> dict[str, str]:
        """{phone number: address id} from the ordering requirement groups telcli created
        (GetRequirementGroups answers a bare array). Unknown (a refused lookup) is empty."""
        params: Params = [("filter[action]", "ordering")]
        if phone_number:
            params.append(("filter[customer_reference]", _group_reference(phone_number)))
        try:
            answer = self._request_any(
                "GET", "/requirement_groups", "requirement groups", params=params
            )
        except ProviderRejected:
            return {}
        if isinstance(answer, dict):  # tolerate a {"data": [...]} wrap
            answer = answer.get("data")
        groups = answer if isinstance(answer, list) else []
        found: dict[str, str] = {}
        for group in groups:
            if not isinstance(group, dict):
                continue
            reference = str(group.get("customer_reference") or "")
            if not reference.startswith(_GROUP_PREFIX):
                continue
            for requirement in group.get("regulatory_requirements") or []:
                if (
                    isinstance(requirement, dict)
                    and "address" in _field_type(requirement)
                    and requirement.get("field_value")
                ):
                    number = reference.removeprefix(_GROUP_PREFIX)
                    found.setdefault(number, str(requirement["field_value"]))
                    break
        return found

    def release(self, number: OwnedNumber) -> None:
        # DeletePhoneNumber: 200 with the deleted number's final representation.
        self._request(
            "DELETE", f"/phone_numbers/{segment(number.id)}", f"release of {number.phone_number}"
        )

    def configure(self, number: OwnedNumber, config: NumberConfig) -> OwnedNumber:
        webhook_fields = [
            f"--{name.replace('_', '-')}"
            for name in ("voice_url", "sms_url", "status_callback")
            if getattr(config, name) is not None
        ]
        if webhook_fields:
            raise UsageProblem(
                f"{', '.join(webhook_fields)} cannot be set on a Telnyx number "
                f"({number.phone_number})",
                hint=_WEBHOOK_HINT,
            )
        if config.friendly_name is not None and number.tenant:
            raise UsageProblem(
                f"{number.phone_number} belongs to tenant {number.tenant}, which its Telnyx"
                " customer reference records: it cannot also carry a name",
                hint="Telnyx numbers take --friendly-name only while untagged",
            )
        what = f"update of {number.phone_number}"
        result = number
        # UpdatePhoneNumber takes connection_id; it has no friendly name, and
        # customer_reference is its user-assigned label, so friendly_name maps there.
        changes = {
            k: v
            for k, v in (
                ("connection_id", config.connection_id),
                ("customer_reference", config.friendly_name),
            )
            if v is not None
        }
        if changes:
            body = self._request(
                "PATCH", f"/phone_numbers/{segment(number.id)}", what, json=changes
            )
            data = body.get("data")
            if isinstance(data, dict) and data.get("phone_number"):
                result = _patched(data, number)
        if config.messaging_profile_id is not None:
            # UpdatePhoneNumberMessagingSettings: a separate resource; its response is
            # PhoneNumberWithMessagingSettings, so only the profile id is taken from it.
            body = self._request(
                "PATCH",
                f"/phone_numbers/{segment(number.id)}/messaging",
                what,
                json={"messaging_profile_id": config.messaging_profile_id},
            )
            data = body.get("data") or {}
            profile = data.get("messaging_profile_id", config.messaging_profile_id)
            result = replace(result, messaging_profile_id=profile or None)
        return result

    def set_tenant(self, number: OwnedNumber, tenant: TenantTag | None) -> OwnedNumber:
        """Record ``tenant`` on an owned number (UpdatePhoneNumber customer_reference), or
        with None clear it (an empty reference)."""
        reference = "" if tenant is None else tenancy.telnyx_reference(tenant.id)
        body = self._request(
            "PATCH",
            f"/phone_numbers/{segment(number.id)}",
            f"tenant update of {number.phone_number}",
            json={"customer_reference": reference},
        )
        data = body.get("data")
        if isinstance(data, dict) and data.get("phone_number"):
            return _patched(data, number)
        return replace(
            number, friendly_name=reference or None, tenant=tenant.id if tenant else None
        )

    # -- connections and messaging profiles (what numbers point at) ------------------------

    def list_connections(self) -> list[ProviderResource]:
        """ListConnections: every connection "irrespective of type" (Call Control and TeXML
        applications, SIP connections), all pages, oldest first."""
        return [
            ProviderResource(
                provider=ProviderName.telnyx,
                kind="connection",
                id=str(r.get("id") or ""),
                name=r.get("connection_name") or None,
                type=r.get("record_type") or None,
                active=r["active"] if isinstance(r.get("active"), bool) else None,
                webhook_url=r.get("webhook_event_url") or None,
                created_at=_time(r.get("created_at")),
            )
            for r in self._all_pages("/connections", "connection listing")
        ]

    def list_messaging_profiles(self) -> list[ProviderResource]:
        """ListMessagingProfiles, all pages. Its records carry ``v1_secret``: never kept."""
        return [
            ProviderResource(
                provider=ProviderName.telnyx,
                kind="messaging_profile",
                id=str(r.get("id") or ""),
                name=r.get("name") or None,
                active=r["enabled"] if isinstance(r.get("enabled"), bool) else None,
                webhook_url=r.get("webhook_url") or None,
                created_at=_time(r.get("created_at")),
            )
            for r in self._all_pages("/messaging_profiles", "messaging profile listing")
        ]

    def _all_pages(self, path: str, what: str) -> list[dict[str, Any]]:
        """Every record of a page[number]/page[size] listing (FindAddresses, ListConnections,
        ListMessagingProfiles; page size 250, the most each takes)."""
        found: list[dict[str, Any]] = []
        page = 1
        while page <= _MAX_PAGES:
            body = self._request(
                "GET",
                path,
                what,
                params=[("page[number]", str(page)), ("page[size]", str(_PAGE_SIZE))],
            )
            data = [r for r in body.get("data") or [] if isinstance(r, dict)]
            found.extend(data)
            total_pages = (body.get("meta") or {}).get("total_pages")
            if len(data) < _PAGE_SIZE or (isinstance(total_pages, int) and page >= total_pages):
                break
            page += 1
        return found

    # -- regulatory addresses, requirements, prices -------------------------------------------

    def create_address(self, address: AddressInput) -> Address:
        # CreateAddress requires first_name, last_name, business_name, street_address,
        # locality and country_code (the description says names *or* a business name, but
        # the schema lists all three as required): the customer name is split into first and
        # last name, and the business name defaults to the customer name.
        first, _, last = address.customer_name.strip().partition(" ")
        body: dict[str, Any] = {
            "first_name": first,
            "last_name": last.strip() or first,
            "business_name": address.business_name or address.customer_name,
            "street_address": address.street,
            "locality": address.city,
            "administrative_area": address.region,
            "postal_code": address.postal_code,
            "country_code": address.country.upper(),
        }
        if address.tenant is not None:
            # The tenant's address: its customer_reference says whose (telcli/tenancy.py).
            body["customer_reference"] = tenancy.telnyx_reference(address.tenant.id)
        elif address.friendly_name:
            body["customer_reference"] = address.friendly_name
        data = self._request(
            "POST", "/addresses", f"address creation in {address.country.upper()}", json=body
        ).get("data")
        return _address(data if isinstance(data, dict) else {})

    def list_addresses(self, country: str | None = None) -> list[Address]:
        # FindAddresses has no country filter: filter here. Paged like ListPhoneNumbers.
        found = [_address(r) for r in self._all_pages("/addresses", "address listing")]
        if country:
            found = [a for a in found if a.country == country.upper()]
        return found

    def delete_address(self, address_id: str) -> None:
        # DeleteAddress: 200 with the deleted address.
        self._request(
            "DELETE", f"/addresses/{segment(address_id)}", f"deletion of address {address_id}"
        )

    def pricing(self, country: str, number_type: NumberType | None = None) -> list[NumberPrice]:
        """Telnyx publishes prices only as each available number's cost_information
        (ListAvailablePhoneNumbers), so one number per type is looked at."""
        iso = country.upper()
        prices = []
        for kind in [number_type] if number_type else list(NumberType):
            try:
                found = self.search_numbers(
                    NumberQuery(country=iso, number_type=kind, limit=1), requirements=False
                )
            except ProviderRejected:
                continue  # no such number type in this country
            if found:
                offer = found[0]
                prices.append(
                    NumberPrice(
                        provider=ProviderName.telnyx,
                        country=iso,
                        number_type=str(kind),
                        monthly_price=offer.monthly_price,
                        upfront_price=offer.upfront_price,
                        currency=offer.currency,
                    )
                )
        return prices

    def _requirements(self, phone_numbers: list[str]) -> dict[str, dict[str, Any]]:
        """ListRegulatoryRequirementsPhoneNumbers: each number's record, by number. The
        filter takes the numbers comma-separated (the spec's example)."""
        if not phone_numbers:
            return {}
        body = self._request(
            "GET",
            "/phone_numbers_regulatory_requirements",
            "regulatory requirement lookup",
            params=[("filter[phone_number]", ",".join(phone_numbers))],
        )
        return {
            str(r.get("phone_number")): r
            for r in body.get("data") or []
            if isinstance(r, dict) and r.get("phone_number")
        }

    def _requirement_group(self, phone_number: str, address_id: str) -> str | None:
        """A requirement group (CreateRequirementGroup, action ``ordering``) holding
        ``address_id`` for each address requirement of ``phone_number``; None when the
        number has no address requirement. Number orders take no address, only this."""
        record = self._requirements([phone_number]).get(phone_number) or {}
        needed = [
            r
            for r in record.get("regulatory_requirements") or []
            if isinstance(r, dict) and "address" in _field_type(r)
        ]
        if not needed:
            return None
        regions = {
            r.get("region_type"): r.get("region_name")
            for r in record.get("region_information") or []
            if isinstance(r, dict)
        }
        from telcli.phone import country_of

        body = {
            "country_code": str(regions.get("country_code") or country_of(phone_number) or ""),
            "phone_number_type": str(record.get("phone_number_type") or "local"),
            "action": "ordering",
            "customer_reference": _group_reference(phone_number),
            "regulatory_requirements": [
                {"requirement_id": str(r.get("id")), "field_value": address_id} for r in needed
            ],
        }
        what = f"requirement group for {phone_number}"
        with correlation.watching() as seen:
            answer = self._request("POST", "/requirement_groups", what, json=body)
        # The spec's 200 response is a bare RequirementGroup; tolerate a {"data": ...} wrap.
        group = answer.get("data") if isinstance(answer.get("data"), dict) else answer
        group_id = group.get("id") if isinstance(group, dict) else None
        if not group_id:
            request_id = seen.last(PROVIDER)
            raise ProviderUnavailable(
                f"telnyx sent no requirement group id for {phone_number}"
                + transport.cite(request_id),
                provider=PROVIDER,
                request_id=request_id,
            )
        return str(group_id)

    # -- test SMS and calls (SendMessage, GetMessage, DialCall, RetrieveCallStatus) ------

    def send_sms(
        self,
        to: str,
        from_: str,
        body: str,
        *,
        media_urls: Sequence[str] = (),
        status_callback: str | None = None,
    ) -> MessageResult:
        """SendMessage (POST /messages). Not idempotent: never retried. Telnyx offers no way
        to list sent messages, so an ambiguous failure cannot be reconciled (exit 7)."""
        payload: dict[str, Any] = {"from": from_, "to": to, "text": body}
        if media_urls:
            payload["media_urls"] = list(media_urls)
            payload["type"] = "MMS"
        if status_callback:
            payload["webhook_url"] = status_callback
        data = self._request("POST", "/messages", f"SMS to {to}", json=payload).get("data")
        return _message(data or {}, to=to, from_=from_)

    def fetch_message(self, message_id: str) -> MessageResult:
        """GetMessage (GET /messages/{id})."""
        data = self._request(
            "GET", f"/messages/{segment(message_id)}", f"status of message {message_id}"
        )
        return _message(data.get("data") or {})

    def place_call(
        self,
        to: str,
        from_: str,
        *,
        connection_id: str,
        status_callback: str | None = None,
        timeout: int | None = None,
        time_limit: int | None = None,
        command_id: str | None = None,
        client_state: str | None = None,
    ) -> CallResult:
        """DialCall (POST /calls) from a Call Control connection. Not idempotent; never
        retried (``command_id`` only makes Telnyx itself drop a duplicate). ``client_state``
        (base64) comes back in every webhook of the call."""
        payload: dict[str, Any] = {"connection_id": connection_id, "to": to, "from": from_}
        if client_state:
            payload["client_state"] = client_state
        if status_callback:
            payload["webhook_url"] = status_callback
        if timeout is not None:
            payload["timeout_secs"] = timeout
        if time_limit is not None:
            payload["time_limit_secs"] = time_limit
        if command_id:
            payload["command_id"] = command_id
        data = self._request("POST", "/calls", f"call to {to}", json=payload).get("data")
        return _call_result(data or {}, to=to, from_=from_)

    def fetch_call(self, call_id: str, *, to: str = "", from_: str = "") -> CallResult:
        """RetrieveCallStatus (GET /calls/{call_control_id}). It says whether the call is
        alive and, once over, how long it lasted, but not why it ended: for an ended call
        that never connected, the leg's call.hangup event (ListCallEvents) gives the cause,
        so busy, failed and canceled are told from no-answer."""
        data = self._request("GET", f"/calls/{segment(call_id)}", f"status of call {call_id}")
        result = _call_result(data.get("data") or {}, to=to, from_=from_)
        if result.answered is False and result.leg_id:
            cause = self.hangup_cause(result.leg_id)
            if cause:
                result = replace(
                    result, status=_HANGUP_STATUS.get(cause, "failed"), carrier_status=cause
                )
        return result

    def hangup_call(self, call_id: str) -> None:
        """HangupCall (POST /calls/{call_control_id}/actions/hangup): end a call telcli
        placed, whether it is still being dialed or answered. The answer says only that the
        command was accepted (CallControlCommandResult); fetch_call tells how it ended."""
        self._request(
            "POST",
            f"/calls/{segment(call_id)}/actions/hangup",
            f"hang-up of call {call_id}",
            json={},
        )

    def hangup_cause(self, leg_id: str) -> str | None:
        """The ``hangup_cause`` of a call leg's call.hangup event (ListCallEvents filtered by
        ``filter[leg_id]``), or None while there is none. A CallEvent's ``metadata`` is free
        form in the spec ("includes raw event"): the cause is looked for at any depth."""
        body = self._request(
            "GET",
            "/call_events",
            f"events of call leg {leg_id}",
            params=[("filter[leg_id]", leg_id), ("page[size]", "50")],
        )
        for event in body.get("data") or []:
            if isinstance(event, dict) and event.get("name") == "call.hangup":
                cause = _find_key(event.get("metadata"), "hangup_cause")
                if isinstance(cause, str) and cause:
                    return cause
        return None

    def webhook_deliveries(
        self,
        *,
        since: str | None = None,
        event_type: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """GetWebhookDeliveries (GET /webhook_deliveries): the account's delivery records,
        newest first, as the spec's ``webhook_delivery`` dicts (the webhook event, the
        attempts with their HTTP request and response). ``since`` is an ISO-8601 time
        (``filter[started_at][gte]``). Raises AuthError, ProviderRejected, ProviderUnavailable.
        """
        params: Params = []
        if since:
            params.append(("filter[started_at][gte]", since))
        if event_type:
            params.append(("filter[event_type]", event_type))
        if status:
            params.append(("filter[status][eq]", status))
        found: list[dict[str, Any]] = []
        page = 1
        while page <= _MAX_PAGES and (limit is None or len(found) < limit):
            body = self._request(
                "GET",
                "/webhook_deliveries",
                "webhook deliveries",
                params=[*params, ("page[number]", str(page)), ("page[size]", str(_PAGE_SIZE))],
            )
            data = [r for r in body.get("data") or [] if isinstance(r, dict)]
            found.extend(data)
            total_pages = (body.get("meta") or {}).get("total_pages")
            if len(data) < _PAGE_SIZE or (isinstance(total_pages, int) and page >= total_pages):
                break
            page += 1
        return found if limit is None else found[:limit]


# -- payload -> models ----------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _capabilities(features: Any) -> tuple[Capability, ...]:
    names = {str(f.get("name", "")).lower() for f in features or [] if isinstance(f, dict)}
    return tuple(c for c in Capability if c.value in names)


def _available(record: dict[str, Any], query: NumberQuery, country: str) -> AvailableNumber:
    cost = record.get("cost_information") or {}
    regions = {
        r.get("region_type"): r.get("region_name")
        for r in record.get("region_information") or []
        if isinstance(r, dict)
    }
    return AvailableNumber(
        provider=ProviderName.telnyx,
        phone_number=E164(record["phone_number"]),
        country=str(regions.get("country_code") or country).upper(),
        number_type=query.number_type,
        locality=regions.get("location") or regions.get("rate_center"),
        region=regions.get("state"),
        capabilities=_capabilities(record.get("features")),
        monthly_price=_decimal(cost.get("monthly_cost")),
        upfront_price=_decimal(cost.get("upfront_cost")),
        currency=(cost.get("currency") or None),
        # The AvailablePhoneNumber schema carries no regulatory or address requirement.
        address_requirement=AddressRequirement.none,
    )


def _owned(record: dict[str, Any]) -> OwnedNumber:
    return OwnedNumber(
        provider=ProviderName.telnyx,
        phone_number=E164(str(record.get("phone_number") or "")),
        id=str(record.get("id") or ""),
        country=record.get("country_iso_alpha2") or None,
        friendly_name=record.get("customer_reference") or None,
        capabilities=(),  # PhoneNumberDetailed has no feature list: see _detailed
        connection_id=record.get("connection_id") or None,
        messaging_profile_id=record.get("messaging_profile_id") or None,
        status=record.get("status") or None,
        created_at=_time(record.get("purchased_at") or record.get("created_at")),
        tenant=tenancy.tenant_of_telnyx_reference(record.get("customer_reference")),
    )


def _patched(record: dict[str, Any], before: OwnedNumber) -> OwnedNumber:
    """The number as UpdatePhoneNumber answers it: a PhoneNumberDetailed, which carries
    neither capabilities nor the purchase address, so those are kept from ``before``."""
    return replace(_owned(record), capabilities=before.capabilities, address_id=before.address_id)


def _field_type(requirement: dict[str, Any]) -> str:
    criteria = requirement.get("acceptance_criteria") or {}
    return str(requirement.get("field_type") or criteria.get("field_type") or "").lower()


def _address_requirement(record: dict[str, Any] | None) -> AddressRequirement:
    """RegulatoryRequirementsPhoneNumbers -> Twilio's vocabulary, from the address
    requirement's acceptance_criteria.locality_limit (free text: "Worldwide", "Identical
    locality as the numbers desired", "Same country as the phone number", "Outside ...")."""
    for requirement in (record or {}).get("regulatory_requirements") or []:
        if not isinstance(requirement, dict) or "address" not in _field_type(requirement):
            continue
        limit = str((requirement.get("acceptance_criteria") or {}).get("locality_limit") or "")
        limit = limit.lower()
        if "outside" in limit or "foreign" in limit:
            return AddressRequirement.foreign
        if "worldwide" in limit or "any" in limit or not limit:
            return AddressRequirement.any
        return AddressRequirement.local
    return AddressRequirement.none


def _address(record: dict[str, Any]) -> Address:
    first, last = record.get("first_name") or "", record.get("last_name") or ""
    name = " ".join(p for p in (first, last if last != first else "") if p)
    return Address(
        provider=ProviderName.telnyx,
        id=str(record.get("id") or ""),
        customer_name=name or str(record.get("business_name") or ""),
        business_name=record.get("business_name") or None,
        street=str(record.get("street_address") or ""),
        city=str(record.get("locality") or ""),
        region=record.get("administrative_area") or None,
        postal_code=record.get("postal_code") or None,
        country=str(record.get("country_code") or "").upper(),
        friendly_name=record.get("customer_reference") or None,
        validated=None,
        created_at=_time(record.get("created_at")),
        tenant=tenancy.tenant_of_telnyx_reference(record.get("customer_reference")),
    )


# Telnyx message statuses (OutboundMessagePayload.to[].status) -> Twilio's vocabulary.
_MESSAGE_STATUS = {
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "delivery_unconfirmed": "sent",
    "delivery_failed": "undelivered",
    "sending_failed": "failed",
    "expired": "undelivered",
}


def _message(record: dict[str, Any], *, to: str = "", from_: str = "") -> MessageResult:
    recipients = [r for r in record.get("to") or [] if isinstance(r, dict)]
    first = recipients[0] if recipients else {}
    raw = str(first.get("status") or "queued")
    errors = [e for e in record.get("errors") or [] if isinstance(e, dict)]
    error = errors[0] if errors else {}
    cost: dict[str, Any] = record["cost"] if isinstance(record.get("cost"), dict) else {}
    sender: dict[str, Any] = record["from"] if isinstance(record.get("from"), dict) else {}
    detail = error.get("detail") or error.get("title")
    return MessageResult(
        provider=ProviderName.telnyx,
        id=str(record.get("id") or ""),
        to=str(first.get("phone_number") or to),
        from_=str(sender.get("phone_number") or from_),
        status=_MESSAGE_STATUS.get(raw, raw),
        carrier_status=raw,
        body=record.get("text"),
        segments=record.get("parts") if isinstance(record.get("parts"), int) else None,
        error_code=None if error.get("code") is None else str(error["code"]),
        error_message=str(detail) if detail else None,
        price=_decimal(cost.get("amount")),
        currency=(str(cost.get("currency") or "").upper() or None),
        created_at=_time(record.get("received_at")),
        updated_at=_time(record.get("completed_at") or record.get("sent_at")),
    )


# CallHangup payload.hangup_cause (the spec's enum) -> Twilio's vocabulary, for a call that was
# never answered; a cause the spec does not list reads failed.
_HANGUP_STATUS = {
    "user_busy": "busy",
    "timeout": "no-answer",
    "no_answer": "no-answer",
    "normal_clearing": "no-answer",
    "time_limit": "no-answer",
    "originator_cancel": "canceled",
    "call_rejected": "failed",
    "not_found": "failed",
    "unspecified": "failed",
}


def _find_key(value: Any, key: str, depth: int = 6) -> Any:
    """The first ``key`` in nested dicts/lists, breadth first, at most ``depth`` levels."""
    level = [value]
    for _ in range(depth):
        nested: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                if key in item:
                    return item[key]
                nested.extend(item.values())
            elif isinstance(item, list):
                nested.extend(item)
        level = nested
    return None


def _call_result(record: dict[str, Any], *, to: str = "", from_: str = "") -> CallResult:
    alive = bool(record.get("is_alive"))
    duration = record.get("call_duration") if isinstance(record.get("call_duration"), int) else None
    ended = _time(record.get("end_time"))
    if alive:
        status = "in-progress"
    elif ended is None:
        status = "queued"  # DialCall answers is_alive=false while dialing is under way
    elif duration:
        status = "completed"
    else:
        status = "no-answer"
    return CallResult(
        provider=ProviderName.telnyx,
        id=str(record.get("call_control_id") or ""),
        to=to,
        from_=from_,
        status=status,
        carrier_status="alive" if alive else ("ended" if ended else "dialing"),
        duration=duration if ended is not None else None,
        answered=None if ended is None else bool(duration),
        session_id=record.get("call_session_id"),
        leg_id=record.get("call_leg_id"),
        started_at=_time(record.get("start_time")),
        ended_at=ended,
    )
