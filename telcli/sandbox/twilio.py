"""Twilio REST API 2010-04-01 and Pricing v1, as far as telcli uses them.

Follows ``twilio_api_v2010.json`` / ``twilio_pricing_v1.json`` (operationIds cited per handler).
Where Twilio's own examples and schemas disagree, the sandbox follows the schema, except
where the live API is known to differ from both; each such choice is marked "Deliberate":

* ``latitude``/``longitude`` are JSON numbers (the schema), not the example's strings.
* ``uri``, ``first_page_uri``, ``next_page_uri`` are relative to the API host, as the live API
  and the examples have them (the schema's ``format: uri`` says absolute). The official SDK
  joins them onto its base URL, which is what makes paging work through ``sandbox serve``.
* Deliberate: AvailablePhoneNumbers ``capabilities`` use the live API's keys ``voice``, ``SMS``,
  ``MMS``, ``fax`` (the spec example writes ``sms``/``mms``); IncomingPhoneNumbers use
  lower-case ``voice``, ``sms``, ``mms``, ``fax`` as both the spec and the live API do. Parse
  capability keys case-insensitively.
* Deliberate: unset URL fields of an IncomingPhoneNumber are ``""`` (as the live API sends them)
  and unset SIDs are ``null`` (their schema patterns forbid ``""``).
* Pricing ``base_price``/``current_price`` are decimal strings: the schema says ``number`` but
  marks them ``x-twilio: {overrideType: string}``, and the example and the live API send strings.
* The IncomingPhoneNumbers Local/Mobile/TollFree variants answer without ``type``: their
  schemas and examples lack it; the plain endpoints include it (``local``, ``mobile``,
  ``tollfree``).
* AvailablePhoneNumbers lists carry only ``uri`` and ``available_phone_numbers`` (no paging
  keys), as the examples and the live API have it; they never page.

Errors have Twilio's body ``{"code", "message", "more_info", "status"}``. Codes used: 20003
(401 Authenticate), 20404 (404), 21422 (number not available / already owned), 21452 (no
number in that area code), 21450 (neither PhoneNumber nor AreaCode), 20001 (an invalid
parameter value; the sandbox's choice where Twilio's exact code is not documented).

Buying a number that needs an address (``address_requirements`` other than ``none``) without
an ``AddressSid`` is refused with code 21631, as Twilio does. A given ``AddressSid`` must look
like one (``AD`` + 32 hex); it is not checked against the Addresses the sandbox holds
(``addresses.py``), so a test can name any well-formed SID.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from telcli.sandbox import (
    SANDBOX_CREDENTIALS,
    SANDBOX_TWILIO_API_KEY,
)
from telcli.sandbox import inventory as inv
from telcli.sandbox.state import AlreadyOwned, SandboxState
from telcli.sandbox.wire import (
    Api,
    ApiError,
    Handler,
    Request,
    Response,
    empty_response,
    json_response,
    route,
)

ACCOUNT_SID = SANDBOX_CREDENTIALS["twilio"]["account_sid"]
_AUTH_TOKEN = SANDBOX_CREDENTIALS["twilio"]["auth_token"]
PROVIDER = "twilio"
API_VERSION = "2010-04-01"

_KINDS = {"Local": inv.LOCAL, "Mobile": inv.MOBILE, "TollFree": inv.TOLL_FREE}
# IncomingPhoneNumber.type (undocumented in the spec; the live API and Twilio's newer APIs
# use these words).
_RESOURCE_TYPE = {inv.LOCAL: "local", inv.MOBILE: "mobile", inv.TOLL_FREE: "tollfree"}
_PRICING_TYPE = {inv.LOCAL: "local", inv.MOBILE: "mobile", inv.TOLL_FREE: "toll free"}
_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
_DEFAULT_PAGE_SIZE = 50
_MAX_PAGE_SIZE = 1000


# -- errors -----------------------------------------------------------------------------------


def error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return json_response(status, body, headers)


def _unauthorized() -> Response:
    return error(401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})


def not_found(request: Request) -> Response:
    return error(404, 20404, f"The requested resource {request.path} was not found")


def _invalid(name: str, value: str) -> ApiError:
    return ApiError(error(400, 20001, f"Invalid {name}: {value!r}"))


# -- auth -------------------------------------------------------------------------------------


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.header("authorization") or ""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = (
            base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def authenticate(request: Request) -> Response | None:
    """Basic auth with AccountSid:AuthToken or ApiKeySid:ApiKeySecret; 401 code 20003 otherwise.

    Twilio authenticates against the account in the path, so valid credentials used on
    another account's path are rejected the same way.
    """
    creds = _basic_credentials(request)
    if creds is None:
        return _unauthorized()
    user, password = creds
    pairs = (
        (ACCOUNT_SID, _AUTH_TOKEN),
        (SANDBOX_TWILIO_API_KEY["api_key"], SANDBOX_TWILIO_API_KEY["api_secret"]),
    )
    if not any(hmac.compare_digest(user, u) and hmac.compare_digest(password, p) for u, p in pairs):
        return _unauthorized()
    m = re.match(r"^/2010-04-01/Accounts/([^/.]+)", request.path)
    if m and m.group(1) != ACCOUNT_SID:
        return _unauthorized()
    return None


# -- parameters -------------------------------------------------------------------------------


def _query(request: Request) -> dict[str, str]:
    # Twilio matches query parameter names case-insensitively (AreaCode == areacode).
    return {k.lower(): v for k, v in request.query_items}


def _form(request: Request) -> dict[str, str]:
    # Body field names are case-sensitive, as in the real API.
    return dict(request.form_items)


def _bool(name: str, value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise _invalid(name, value)


def _int(name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise _invalid(name, value) from None
    if not low <= number <= high:
        raise _invalid(name, value)
    return number


def _now() -> str:
    return format_datetime(datetime.now(UTC).replace(microsecond=0))


def _normalize_number(text: str) -> str:
    digits = re.sub(r"[^\d]", "", text)
    if text.strip().startswith("+"):
        return "+" + digits
    if len(digits) == 10:  # a bare NANP national number
        return "+1" + digits
    return "+" + digits


def _account_path(rest: str = "") -> str:
    return f"/{API_VERSION}/Accounts/{ACCOUNT_SID}{rest}"


# -- FetchAccount -----------------------------------------------------------------------------


def fetch_account(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """FetchAccount: GET /2010-04-01/Accounts/{Sid}.json (``auth login`` verifies with it)."""
    created = "Mon, 05 Jan 2026 09:00:00 +0000"
    subresources = {
        name: _account_path(f"/{path}.json")
        for name, path in (
            ("available_phone_numbers", "AvailablePhoneNumbers"),
            ("calls", "Calls"),
            ("incoming_phone_numbers", "IncomingPhoneNumbers"),
            ("addresses", "Addresses"),
            ("messages", "Messages"),
            ("balance", "Balance"),
        )
    }
    body = {
        "auth_token": _AUTH_TOKEN,
        "date_created": created,
        "date_updated": created,
        "friendly_name": "telcli sandbox",
        "owner_account_sid": ACCOUNT_SID,
        "sid": ACCOUNT_SID,
        "status": "active",
        "subresource_uris": subresources,
        "type": "Full",
        "uri": _account_path(".json"),
    }
    return json_response(200, body)


# -- AvailablePhoneNumbers --------------------------------------------------------------------


def _available_json(n: inv.InventoryNumber) -> dict[str, Any]:
    caps = n.capabilities
    return {
        "friendly_name": inv.friendly_name(n.phone_number),
        "phone_number": n.phone_number,
        "lata": n.lata,
        "locality": n.locality,
        "rate_center": n.rate_center,
        "latitude": n.latitude,
        "longitude": n.longitude,
        "region": n.region,
        "postal_code": n.postal_code,
        "iso_country": n.iso_country,
        "address_requirements": n.address_requirement,
        "beta": n.beta,
        # Deliberate: the live API's key casing (see the module docstring).
        "capabilities": {
            "voice": inv.VOICE in caps,
            "SMS": inv.SMS in caps,
            "MMS": inv.MMS in caps,
            "fax": inv.FAX in caps,
        },
    }


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.casefold() == b.casefold()


def search(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListAvailablePhoneNumberLocal / Mobile / TollFree."""
    country = params["country"].upper()
    number_type = _KINDS.get(params["kind"])
    if number_type is None or country not in inv.COUNTRIES:
        return not_found(request)
    if number_type not in inv.offered_types(country):
        # Twilio sells no US mobile numbers: that list is a 404, not an empty page.
        return not_found(request)
    q = _query(request)

    area_code = q.get("areacode") or None
    if area_code is not None and not area_code.isdigit():
        raise _invalid("AreaCode", area_code)
    contains = q.get("contains") or None
    if contains is not None and not (
        inv.valid_pattern(contains) and len(inv.keypad_digits(contains)) >= 2
    ):
        raise _invalid("Contains", contains)
    wanted_caps = {
        cap: _bool(name, q.get(name.lower()))
        for cap, name in (
            (inv.VOICE, "VoiceEnabled"),
            (inv.SMS, "SmsEnabled"),
            (inv.MMS, "MmsEnabled"),
            (inv.FAX, "FaxEnabled"),
        )
    }
    excluded_requirements = {
        requirement
        for requirement, name in (
            ("any", "ExcludeAllAddressRequired"),
            ("local", "ExcludeLocalAddressRequired"),
            ("foreign", "ExcludeForeignAddressRequired"),
        )
        if _bool(name, q.get(name.lower()))
    }
    include_beta = _bool("Beta", q.get("beta"))
    page_size = _int("PageSize", q.get("pagesize"), _DEFAULT_PAGE_SIZE, 1, _MAX_PAGE_SIZE)
    text_filters = {
        "locality": q.get("inlocality") or None,
        "region": q.get("inregion") or None,
        "postal_code": q.get("inpostalcode") or None,
        "rate_center": q.get("inratecenter") or None,
        "lata": q.get("inlata") or None,
    }
    regex = inv.pattern_regex(contains) if contains else None
    anchored = bool(contains and contains.strip().startswith("+"))

    owned = state.owned_phone_numbers()
    found = []
    for n in inv.stock(PROVIDER, country, number_type):
        if n.phone_number in owned:
            continue
        # AreaCode is documented for US/CA; elsewhere it matches the start of the national
        # number (so "20" finds London), which is what a caller would mean by it.
        if area_code is not None and not (n.ndc == area_code or n.national.startswith(area_code)):
            continue
        if regex is not None:
            subject = n.phone_number[1:] if anchored else n.national
            hit = regex.match(subject) if anchored else regex.search(subject)
            if not hit:
                continue
        if any(
            want is not None and (cap in n.capabilities) != want
            for cap, want in wanted_caps.items()
        ):
            continue
        if n.address_requirement in excluded_requirements:
            continue
        if include_beta is False and n.beta:
            continue
        if any(v is not None and not _same(getattr(n, k), v) for k, v in text_filters.items()):
            continue
        found.append(_available_json(n))
        if len(found) >= page_size:
            break
    body = {
        "available_phone_numbers": found,
        "uri": _account_path(f"/AvailablePhoneNumbers/{country}/{params['kind']}.json"),
    }
    return json_response(200, body)


# -- IncomingPhoneNumbers ---------------------------------------------------------------------

# Form field -> resource key, for CreateIncomingPhoneNumber* and UpdateIncomingPhoneNumber.
_URL_FIELDS = {
    "VoiceUrl": "voice_url",
    "VoiceFallbackUrl": "voice_fallback_url",
    "SmsUrl": "sms_url",
    "SmsFallbackUrl": "sms_fallback_url",
    "StatusCallback": "status_callback",
}
_METHOD_FIELDS = {
    "VoiceMethod": "voice_method",
    "VoiceFallbackMethod": "voice_fallback_method",
    "SmsMethod": "sms_method",
    "SmsFallbackMethod": "sms_fallback_method",
    "StatusCallbackMethod": "status_callback_method",
}
_SID_FIELDS = {
    "AddressSid": ("address_sid", "AD"),
    "EmergencyAddressSid": ("emergency_address_sid", "AD"),
    "VoiceApplicationSid": ("voice_application_sid", "AP"),
    "SmsApplicationSid": ("sms_application_sid", "AP"),
    "TrunkSid": ("trunk_sid", "TK"),
    "IdentitySid": ("identity_sid", "RI"),
    "BundleSid": ("bundle_sid", "BU"),
}
_ENUM_FIELDS = {
    "EmergencyStatus": ("emergency_status", ("Active", "Inactive")),
    "VoiceReceiveMode": ("voice_receive_mode", ("voice", "fax")),
}


def _apply_form(resource: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """Apply the settable fields present in ``form``; raises ApiError on an invalid value."""
    for name, key in _URL_FIELDS.items():
        if name in form:
            resource[key] = form[name]
    for name, key in _METHOD_FIELDS.items():
        if name in form:
            method = form[name].upper()
            if method not in ("GET", "POST"):
                raise _invalid(name, form[name])
            resource[key] = method
    for name, (key, prefix) in _SID_FIELDS.items():
        if name in form:
            value = form[name]
            if value and not (_SID.match(value) and value.startswith(prefix)):
                raise _invalid(name, value)
            resource[key] = value or None
            # A trunk and a voice application exclude each other (FetchIncomingPhoneNumber docs).
            if value and key == "trunk_sid":
                resource["voice_application_sid"] = None
            if value and key == "voice_application_sid":
                resource["trunk_sid"] = None
    for name, (key, allowed) in _ENUM_FIELDS.items():
        if name in form:
            if form[name] not in allowed:
                raise _invalid(name, form[name])
            resource[key] = form[name]
    if "FriendlyName" in form:
        resource["friendly_name"] = form["FriendlyName"][:64]
    if "ApiVersion" in form:
        resource["api_version"] = form["ApiVersion"]
    if "VoiceCallerIdLookup" in form:
        resource["voice_caller_id_lookup"] = bool(
            _bool("VoiceCallerIdLookup", form["VoiceCallerIdLookup"])
        )
    return resource


def _new_resource(n: inv.InventoryNumber, sid: str) -> dict[str, Any]:
    now = _now()
    caps = n.capabilities
    return {
        "account_sid": ACCOUNT_SID,
        "address_sid": None,
        "address_requirements": n.address_requirement,
        "api_version": API_VERSION,
        "beta": n.beta,
        "capabilities": {
            "voice": inv.VOICE in caps,
            "sms": inv.SMS in caps,
            "mms": inv.MMS in caps,
            "fax": inv.FAX in caps,
        },
        "date_created": now,
        "date_updated": now,
        "friendly_name": inv.friendly_name(n.phone_number),
        "identity_sid": None,
        "phone_number": n.phone_number,
        "origin": "twilio",
        "sid": sid,
        "sms_application_sid": None,
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "sms_url": "",
        "status_callback": "",
        "status_callback_method": "POST",
        "trunk_sid": None,
        "uri": _account_path(f"/IncomingPhoneNumbers/{sid}.json"),
        "voice_receive_mode": "voice",
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": "",
        "voice_method": "POST",
        "voice_url": "",
        "emergency_status": "Inactive",
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "bundle_sid": None,
        "status": "in-use",
        "type": _RESOURCE_TYPE[n.number_type],
    }


def _not_available(phone_number: str) -> ApiError:
    return ApiError(error(400, 21422, f"PhoneNumber requested is not available: {phone_number}"))


def purchase(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """CreateIncomingPhoneNumber (+ the Local / Mobile / TollFree variants)."""
    kind = params.get("kind")
    number_type = _KINDS.get(kind) if kind else None
    form = _form(request)
    wanted = form.get("PhoneNumber", "").strip()
    area_code = form.get("AreaCode", "").strip()
    owned = state.owned_phone_numbers()

    if wanted:
        phone_number = _normalize_number(wanted)
        stocked = inv.lookup(PROVIDER, phone_number)
        if stocked is None or phone_number in owned:
            raise _not_available(phone_number)
        if number_type is not None and stocked.number_type != number_type:
            raise _not_available(phone_number)
    elif area_code and number_type is None:
        # "We will provision an available phone number within this area code" (US/CA only).
        stocked = next(
            (
                n
                for n in inv.inventory(PROVIDER)
                if n.is_nanp
                and n.number_type == inv.LOCAL
                and n.ndc == area_code
                and n.phone_number not in owned
            ),
            None,
        )
        if stocked is None:
            raise ApiError(error(400, 21452, f"No phone numbers found in area code {area_code}"))
    else:
        raise ApiError(error(400, 21450, "A PhoneNumber or an AreaCode is required"))

    if stocked.address_requirement != "none" and not form.get("AddressSid"):
        # Twilio 21631: "Phone Number Requires an Address" (address_requirements any/local/
        # foreign); `telcli addresses create` makes one, `numbers buy` then picks it.
        raise ApiError(
            error(
                400,
                21631,
                f"Phone Number Requires an Address: {stocked.phone_number} needs a"
                f" {stocked.address_requirement} address (AddressSid)",
            )
        )
    sid = "PN" + uuid.uuid4().hex
    resource = _apply_form(_new_resource(stocked, sid), form)
    try:
        state.add_number(PROVIDER, sid, stocked.phone_number, resource)
    except AlreadyOwned:
        # Another request bought it between our check and our insert.
        raise _not_available(stocked.phone_number) from None
    return json_response(201, _view(resource, kind))


def _view(resource: dict[str, Any], kind: str | None) -> dict[str, Any]:
    # The Local/Mobile/TollFree variants' schemas (and examples) have no ``type``.
    return {k: v for k, v in resource.items() if k != "type"} if kind else resource


def _page_uri(
    path: str, filters: dict[str, str], page_size: int, page: int, token: str | None
) -> str:
    query = dict(filters)
    query.update(PageSize=str(page_size), Page=str(page))
    if token:
        query["PageToken"] = token
    return f"{path}?{urlencode(query)}"


def list_numbers(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListIncomingPhoneNumber (+ the Local / Mobile / TollFree variants), paged."""
    kind = params.get("kind")
    wanted_type = _RESOURCE_TYPE[_KINDS[kind]] if kind else None
    q = _query(request)
    page_size = _int("PageSize", q.get("pagesize"), _DEFAULT_PAGE_SIZE, 1, _MAX_PAGE_SIZE)
    page = _int("Page", q.get("page"), 0, 0, 10**9)
    phone_filter = q.get("phonenumber") or None
    friendly = q.get("friendlyname") or None

    items = state.list_numbers(PROVIDER)
    if wanted_type is not None:
        items = [r for r in items if r["type"] == wanted_type]
    if phone_filter is not None:
        # The real API matches the digits given anywhere in the number ("415" finds 415s).
        digits = re.sub(r"[^\d*]", "", phone_filter)
        regex = inv.pattern_regex(digits) if digits else None
        items = [r for r in items if regex is not None and regex.search(r["phone_number"][1:])]
    if friendly is not None:
        items = [r for r in items if r["friendly_name"] == friendly]

    start = page * page_size
    chunk = items[start : start + page_size]
    path = _account_path(
        f"/IncomingPhoneNumbers/{kind}.json" if kind else "/IncomingPhoneNumbers.json"
    )
    filters = {
        name: value
        for name, value in (("PhoneNumber", phone_filter), ("FriendlyName", friendly))
        if value is not None
    }
    has_next = start + page_size < len(items)
    body = {
        "end": start + len(chunk) - 1 if chunk else start,
        "first_page_uri": _page_uri(path, filters, page_size, 0, None),
        "incoming_phone_numbers": [_view(r, kind) for r in chunk],
        "next_page_uri": (
            _page_uri(path, filters, page_size, page + 1, "PA" + chunk[-1]["sid"][2:])
            if has_next
            else None
        ),
        "page": page,
        "page_size": page_size,
        "previous_page_uri": (
            _page_uri(path, filters, page_size, page - 1, None) if page > 0 else None
        ),
        "start": start,
        "uri": _page_uri(path, filters, page_size, page, None),
    }
    return json_response(200, body)


def fetch_number(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """FetchIncomingPhoneNumber."""
    resource = state.get_number(PROVIDER, params["sid"])
    if resource is None:
        return not_found(request)
    return json_response(200, resource)


def update_number(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """UpdateIncomingPhoneNumber: VoiceUrl, SmsUrl, StatusCallback, FriendlyName, methods..."""
    form = _form(request)
    if form.get("AccountSid", ACCOUNT_SID) != ACCOUNT_SID:
        raise _invalid("AccountSid", form["AccountSid"])  # no subaccounts to move numbers to
    _apply_form({}, form)  # validate before taking the write lock

    def change(resource: dict[str, Any]) -> dict[str, Any]:
        resource = _apply_form(resource, form)
        resource["date_updated"] = _now()
        return resource

    resource = state.update_number(PROVIDER, params["sid"], change)
    if resource is None:
        return not_found(request)
    return json_response(200, resource)


def release_number(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """DeleteIncomingPhoneNumber: 204, and the number is for sale again."""
    if state.remove_number(PROVIDER, params["sid"]) is None:
        return not_found(request)
    return empty_response(204)


# -- Pricing v1 -------------------------------------------------------------------------------


def _pricing_url(path: str) -> str:
    return f"https://pricing.twilio.com/v1{path}"


def pricing_country(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """FetchPhoneNumberCountry: GET /v1/PhoneNumbers/Countries/{IsoCountry}."""
    iso = params["iso"].upper()
    country = inv.COUNTRIES.get(iso)
    if country is None:
        return not_found(request)
    prices = [
        {
            "number_type": _PRICING_TYPE[t],
            "base_price": inv.TWILIO_PRICES[(iso, t)].base_price,
            "current_price": inv.TWILIO_PRICES[(iso, t)].current_price,
        }
        for t in inv.offered_types(iso)
    ]
    body = {
        "country": country.name,
        "iso_country": iso,
        "phone_number_prices": prices,
        "price_unit": inv.TWILIO_PRICE_UNIT,
        "url": _pricing_url(f"/PhoneNumbers/Countries/{iso}"),
    }
    return json_response(200, body)


def pricing_countries(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListPhoneNumberCountry: GET /v1/PhoneNumbers/Countries (one page: six countries)."""
    q = _query(request)
    page_size = _int("PageSize", q.get("pagesize"), _DEFAULT_PAGE_SIZE, 1, _MAX_PAGE_SIZE)
    countries = [
        {
            "country": c.name,
            "iso_country": c.iso,
            "url": _pricing_url(f"/PhoneNumbers/Countries/{c.iso}"),
        }
        for c in sorted(inv.COUNTRIES.values(), key=lambda c: c.name)
    ][:page_size]
    page_url = _pricing_url(f"/PhoneNumbers/Countries?PageSize={page_size}&Page=0")
    body = {
        "countries": countries,
        "meta": {
            "first_page_url": page_url,
            "key": "countries",
            "next_page_url": None,
            "page": 0,
            "page_size": page_size,
            "previous_page_url": None,
            "url": page_url,
        },
    }
    return json_response(200, body)


# -- routes -----------------------------------------------------------------------------------


def _with(handler: Handler, **extra: str) -> Handler:
    """``handler`` with fixed extra path parameters (the Local/Mobile/TollFree variants)."""

    def bound(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
        return handler(state, request, {**params, **extra})

    return bound


_ACC = "/2010-04-01/Accounts/{account}"
_IPN = _ACC + "/IncomingPhoneNumbers"

API = Api(
    name="twilio",
    authenticate=authenticate,
    not_found=not_found,
    routes=[
        route("GET", "/2010-04-01/Accounts/{sid}.json", "twilio.account.fetch", fetch_account),
        route(
            "GET",
            _ACC + "/AvailablePhoneNumbers/{country}/{kind}.json",
            "twilio.search",
            search,
        ),
        route("GET", _IPN + ".json", "twilio.list", list_numbers),
        route("POST", _IPN + ".json", "twilio.purchase", purchase),
        *(
            r
            for kind in _KINDS
            for r in (
                route("GET", _IPN + f"/{kind}.json", "twilio.list", _with(list_numbers, kind=kind)),
                route(
                    "POST", _IPN + f"/{kind}.json", "twilio.purchase", _with(purchase, kind=kind)
                ),
            )
        ),
        route("GET", _IPN + "/{sid}.json", "twilio.fetch", fetch_number),
        route("POST", _IPN + "/{sid}.json", "twilio.update", update_number),
        route("DELETE", _IPN + "/{sid}.json", "twilio.release", release_number),
    ],
)

PRICING_API = Api(
    name="twilio-pricing",
    authenticate=authenticate,
    not_found=not_found,
    routes=[
        route("GET", "/v1/PhoneNumbers/Countries", "twilio.pricing.countries", pricing_countries),
        route("GET", "/v1/PhoneNumbers/Countries/{iso}", "twilio.pricing", pricing_country),
    ],
)
