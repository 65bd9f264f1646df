"""Telnyx API v2, the number operations telcli uses (``telnyx_v2.json``; operationIds cited).

Bearer auth, JSON bodies, responses wrapped in ``{"data": ...}``, lists with ``meta``
(``total_pages, total_results, page_number, page_size``), errors as
``{"errors": [{"code", "title", "detail", "source", "meta": {"url"}}]}`` with Telnyx's string
codes: 10009 (401), 10005 (404), 10015 (invalid request).

Sandbox choices, within what the spec allows:

* Number orders are fulfilled at once: the order and every number in it have status
  ``success`` and the numbers are ``active`` immediately. ``requirements_met`` is false for a
  number that needs an address (see ``inventory.py``) when its entry names no
  ``requirement_group_id`` or ``bundle_id``; the order still succeeds.
* As in the real API, ``phone_numbers[].id`` of a number order identifies the order's entry
  (a UUID), not the phone number resource: find the number's id with
  ``GET /phone_numbers?filter[phone_number]=+E164``.
* An order for a number that is not for sale (or already owned) is refused as a whole with 422
  and error code 10015, its ``source.pointer`` naming the entry.
* Properties whose schema type is a plain ``string`` (not nullable) are left out when unset,
  instead of being sent as ``null``.
* ``filter[features]`` is accepted comma-separated (what the official SDK sends), repeated,
  or as ``filter[features][]``.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from telcli.sandbox import SANDBOX_CREDENTIALS
from telcli.sandbox import inventory as inv
from telcli.sandbox.state import AlreadyOwned, SandboxState
from telcli.sandbox.wire import Api, ApiError, Request, Response, json_response, route

PROVIDER = "telnyx"
_API_KEY = SANDBOX_CREDENTIALS["telnyx"]["api_key"]
_TYPES = {"local": inv.LOCAL, "toll_free": inv.TOLL_FREE, "mobile": inv.MOBILE}
_WIRE_TYPE = {v: k for k, v in _TYPES.items()}
_ALL_TYPES = ("local", "toll_free", "mobile", "national", "shared_cost")
_FEATURES = (
    "sms",
    "mms",
    "voice",
    "fax",
    "emergency",
    "hd_voice",
    "international_sms",
    "local_calling",
)
_DEFAULT_LIMIT = 50
_MAX_LIMIT = 1000
_INTERNAL = "_sandbox"  # stored beside the resource, never sent


# -- errors -----------------------------------------------------------------------------------


def error(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    pointer: str | None = None,
    parameter: str | None = None,
) -> Response:
    item: dict[str, Any] = {
        "code": code,
        "title": title,
        "detail": detail,
        "meta": {"url": f"https://developers.telnyx.com/docs/overview/errors/{code}"},
    }
    if pointer is not None:
        item["source"] = {"pointer": pointer}
    elif parameter is not None:
        item["source"] = {"parameter": parameter}
    return json_response(status, {"errors": [item]})


def not_found(request: Request) -> Response:
    return error(
        404, "10005", "Resource not found", "The requested resource or URL could not be found."
    )


def _bad_parameter(parameter: str, detail: str) -> ApiError:
    return ApiError(error(400, "10015", "Bad Request", detail, parameter=parameter))


def _bad_body(pointer: str, detail: str, status: int = 422) -> ApiError:
    return ApiError(error(status, "10015", "Invalid parameter", detail, pointer=pointer))


# -- auth -------------------------------------------------------------------------------------


def authenticate(request: Request) -> Response | None:
    scheme, _, token = (request.header("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), _API_KEY):
        return None
    return error(
        401, "10009", "Authentication failed", "Could not understand the provided credentials."
    )


# -- parameters -------------------------------------------------------------------------------


def _deep_object(items: list[tuple[str, str]]) -> dict[str, Any]:
    """``filter[phone_number][contains]=555`` -> ``{"filter": {"phone_number": {"contains":
    "555"}}}``; repeated keys and ``[]`` suffixes make lists."""
    root: dict[str, Any] = {}
    for key, value in items:
        m = re.match(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$", key)
        if not m:
            continue
        path = [m.group(1), *re.findall(r"\[([^\[\]]*)\]", m.group(2))]
        as_list = path[-1] == ""
        if as_list:
            path.pop()
        node = root
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            last = path[-1]
            if last in node or as_list:
                existing = node.get(last)
                values = (
                    existing
                    if isinstance(existing, list)
                    else ([] if existing is None else [existing])
                )
                node[last] = [*values, value]
            else:
                node[last] = value
    return root


def _text(value: Any, parameter: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad_parameter(parameter, f"{parameter} must be a string")
    return value


def _bool(value: Any, parameter: str) -> bool | None:
    text = _text(value, parameter)
    if text is None:
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise _bad_parameter(parameter, f"{parameter} must be true or false")


def _int(value: Any, parameter: str, default: int, low: int, high: int) -> int:
    text = _text(value, parameter)
    if text is None:
        return default
    try:
        number = int(text)
    except ValueError:
        raise _bad_parameter(parameter, f"{parameter} must be an integer") from None
    if not low <= number <= high:
        raise _bad_parameter(parameter, f"{parameter} must be between {low} and {high}")
    return number


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [part for v in values if isinstance(v, str) for part in v.split(",") if part]


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise ApiError(
            error(400, "10015", "Bad Request", "The request body is not valid JSON.", pointer="/")
        ) from None
    if not isinstance(body, dict):
        raise _bad_body("/", "The request body must be a JSON object.", status=400)
    return body


def _optional_string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise _bad_body(f"/{key}", f"{key} must be a string")
    return value


def _string_list(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad_body(f"/{key}", f"{key} must be an array of strings")
    return value


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _page(
    request: Request, items: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    page = _deep_object(request.query_items).get("page", {})
    if not isinstance(page, dict):
        page = {}
    number = _int(page.get("number"), "page[number]", 1, 1, 10**9)
    size = _int(page.get("size"), "page[size]", 20, 1, 250)
    start = (number - 1) * size
    meta = {
        "page_number": number,
        "page_size": size,
        "total_pages": math.ceil(len(items) / size),
        "total_results": len(items),
    }
    return items[start : start + size], meta


# -- ListAvailablePhoneNumbers ----------------------------------------------------------------


def _features(n: inv.InventoryNumber) -> list[str]:
    names = [c for c in (inv.SMS, inv.MMS, inv.VOICE, inv.FAX) if c in n.capabilities]
    if inv.VOICE in n.capabilities:
        names.append("hd_voice")
        if n.is_nanp and n.number_type == inv.LOCAL:
            names.append("emergency")
    return names


def _region_information(n: inv.InventoryNumber) -> list[dict[str, str]]:
    regions = [{"region_type": "country_code", "region_name": n.iso_country}]
    if n.rate_center:
        regions.append({"region_type": "rate_center", "region_name": n.rate_center})
    if n.is_nanp and n.region:
        regions.append({"region_type": "state", "region_name": n.region})
    if n.locality:
        regions.append({"region_type": "location", "region_name": n.locality})
    return regions


def _available_json(n: inv.InventoryNumber) -> dict[str, Any]:
    return {
        "record_type": "available_phone_number",
        "phone_number": n.phone_number,
        "vanity_format": "",
        "best_effort": False,
        "quickship": n.quickship,
        "reservable": n.reservable,
        "region_information": _region_information(n),
        "cost_information": {
            "upfront_cost": n.upfront_cost,
            "monthly_cost": n.monthly_cost,
            "currency": n.currency,
        },
        "features": [{"name": name} for name in _features(n)],
    }


def _same(a: str | None, b: str) -> bool:
    return a is not None and a.casefold() == b.casefold()


def search(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListAvailablePhoneNumbers: GET /v2/available_phone_numbers with deepObject filters."""
    f = _deep_object(request.query_items).get("filter", {})
    if not isinstance(f, dict):
        raise _bad_parameter("filter", "filter must be an object")
    country = (_text(f.get("country_code"), "filter[country_code]") or "US").upper()
    wire_type = _text(f.get("phone_number_type"), "filter[phone_number_type]")
    if wire_type is not None and wire_type not in _ALL_TYPES:
        raise _bad_parameter(
            "filter[phone_number_type]",
            f"filter[phone_number_type] must be one of: {', '.join(_ALL_TYPES)}",
        )
    features = _list(f.get("features"))
    unknown = [x for x in features if x not in _FEATURES]
    if unknown:
        raise _bad_parameter("filter[features]", f"unknown feature(s): {', '.join(unknown)}")
    pattern = f.get("phone_number") or {}
    if not isinstance(pattern, dict) or set(pattern) - {"contains", "starts_with", "ends_with"}:
        raise _bad_parameter(
            "filter[phone_number]",
            "filter[phone_number] takes [contains], [starts_with] or [ends_with]",
        )
    contains = _text(pattern.get("contains"), "filter[phone_number][contains]")
    starts_with = _text(pattern.get("starts_with"), "filter[phone_number][starts_with]")
    ends_with = _text(pattern.get("ends_with"), "filter[phone_number][ends_with]")
    ndc = _text(f.get("national_destination_code"), "filter[national_destination_code]")
    locality = _text(f.get("locality"), "filter[locality]")
    area = _text(f.get("administrative_area"), "filter[administrative_area]")
    rate_center = _text(f.get("rate_center"), "filter[rate_center]")
    quickship = _bool(f.get("quickship"), "filter[quickship]")
    reservable = _bool(f.get("reservable"), "filter[reservable]")
    _bool(f.get("best_effort"), "filter[best_effort]")  # no best-effort results in the sandbox
    _bool(f.get("exclude_held_numbers"), "filter[exclude_held_numbers]")  # nothing is held
    limit = _int(f.get("limit"), "filter[limit]", _DEFAULT_LIMIT, 1, _MAX_LIMIT)

    number_type = _TYPES.get(wire_type) if wire_type else None
    candidates = (
        [] if wire_type and number_type is None else inv.stock(PROVIDER, country, number_type)
    )
    owned = state.owned_phone_numbers()
    found = []
    for n in candidates:
        if n.phone_number in owned:
            continue
        if ndc is not None and n.ndc != ndc:
            continue
        # With an NDC filter the patterns apply to the rest of the number (the spec: they
        # "exclude NDC if used with national_destination_code").
        rest = n.national[len(n.ndc) :] if ndc is not None else n.national
        if contains and not inv.pattern_regex(contains).search(rest):
            continue
        if starts_with and not inv.pattern_regex(starts_with).match(rest):
            continue
        if ends_with and not rest.endswith(inv.keypad_digits(ends_with)):
            continue
        if locality is not None and not _same(n.locality, locality):
            continue
        if area is not None and not (n.is_nanp and _same(n.region, area)):
            continue
        if rate_center is not None and not _same(n.rate_center, rate_center):
            continue
        if quickship and not n.quickship:
            continue
        if reservable and not n.reservable:
            continue
        if features and not set(features) <= set(_features(n)):
            continue
        found.append(_available_json(n))
        if len(found) >= limit:
            break
    meta = {"total_results": len(found), "best_effort_results": 0}
    return json_response(200, {"data": found, "meta": meta, "metadata": meta})


# -- phone number resources -------------------------------------------------------------------

_NULLABLE_DETAILED = {
    "billing_group_id",
    "connection_id",
    "connection_name",
    "customer_reference",
    "emergency_address_id",
    "external_pin",
    "messaging_profile_id",
    "messaging_profile_name",
    "activated_at",
    "source_type",
}


def _public(resource: dict[str, Any], nullable: set[str] = _NULLABLE_DETAILED) -> dict[str, Any]:
    """The resource as sent: internal keys dropped, unset non-nullable strings left out."""
    return {
        k: v for k, v in resource.items() if k != _INTERNAL and (v is not None or k in nullable)
    }


def _new_number(
    n: inv.InventoryNumber, order: dict[str, Any], now: str
) -> tuple[str, dict[str, Any]]:
    number_id = str(10**18 + secrets.randbelow(9 * 10**18))  # 19 digits, like Telnyx ids
    features = _features(n)
    resource: dict[str, Any] = {
        "id": number_id,
        "record_type": "phone_number",
        "phone_number": n.phone_number,
        "status": "active",
        "tags": [],
        "external_pin": None,
        "connection_id": order.get("connection_id"),
        "connection_name": None,
        "customer_reference": order.get("customer_reference"),
        "messaging_profile_id": order.get("messaging_profile_id"),
        "messaging_profile_name": None,
        "billing_group_id": order.get("billing_group_id"),
        "emergency_enabled": False,
        "emergency_address_id": None,
        "emergency_status": "disabled",
        "call_forwarding_enabled": True,
        "cnam_listing_enabled": False,
        "caller_id_name_enabled": False,
        "call_recording_enabled": False,
        "t38_fax_gateway_enabled": False,
        "hd_voice_enabled": "hd_voice" in features,
        "deletion_lock_enabled": False,
        "inbound_call_screening": "disabled",
        "country_iso_alpha2": n.iso_country,
        "phone_number_type": _WIRE_TYPE[n.number_type],
        "source_type": "number_order",
        "purchased_at": now,
        "created_at": now,
        "updated_at": now,
        "activated_at": now,
        _INTERNAL: {
            "capabilities": sorted(n.capabilities),
            "voice": {
                "tech_prefix_enabled": False,
                "translated_number": "",
                "usage_payment_method": "pay-per-minute",
                "call_forwarding": {"call_forwarding_enabled": True},
                "call_recording": {
                    "inbound_call_recording_channels": "single",
                    "inbound_call_recording_enabled": False,
                    "inbound_call_recording_format": "wav",
                },
                "cnam_listing": {"cnam_listing_enabled": False},
                "media_features": {
                    "accept_any_rtp_packets_enabled": False,
                    "rtp_auto_adjust_enabled": True,
                    "t38_fax_gateway_enabled": False,
                },
            },
            "messaging": {"messaging_product": "A2P", "tags": []},
        },
    }
    return number_id, resource


def _requirements_met(n: inv.InventoryNumber, entry: dict[str, Any]) -> bool:
    return n.address_requirement == "none" or bool(
        entry.get("requirement_group_id") or entry.get("bundle_id")
    )


def create_order(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """CreateNumberOrder: buys every number listed, at once and all or nothing."""
    body = _body(request)
    entries = body.get("phone_numbers")
    if not isinstance(entries, list) or not entries:
        raise _bad_body("/phone_numbers", "You must provide at least 1 phone number.", 400)
    if len(entries) > 1000:
        raise _bad_body("/phone_numbers", "1000 numbers is the maximum allowed.", 400)
    order_fields = {
        key: _optional_string(body, key)
        for key in (
            "connection_id",
            "messaging_profile_id",
            "customer_reference",
            "billing_group_id",
        )
    }
    owned = state.owned_phone_numbers()
    stocked: list[tuple[inv.InventoryNumber, dict[str, Any]]] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        pointer = f"/phone_numbers/{i}/phone_number"
        if not isinstance(entry, dict) or not isinstance(entry.get("phone_number"), str):
            raise _bad_body(pointer, "phone_number is required and must be a string", 400)
        phone_number = entry["phone_number"].strip()
        if not re.fullmatch(r"\+\d{8,15}", phone_number) or phone_number in seen:
            raise _bad_body(pointer, f"{phone_number} is not a valid e164 phone number", 400)
        seen.add(phone_number)
        n = inv.lookup(PROVIDER, phone_number)
        if n is None or phone_number in owned:
            raise _bad_body(pointer, f"{phone_number} is not available for purchase")
        stocked.append((n, entry))

    now = _now()
    order_id = str(uuid.uuid4())
    numbers: list[tuple[str, str, dict[str, Any]]] = []
    order_numbers = []
    for n, entry in stocked:
        number_id, resource = _new_number(n, order_fields, now)
        numbers.append((number_id, n.phone_number, resource))
        met = _requirements_met(n, entry)
        item = {
            "id": str(uuid.uuid4()),
            "record_type": "number_order_phone_number",
            "phone_number": n.phone_number,
            "status": "success",
            "requirements_met": met,
            "requirements_status": "approved" if met else "requirement-info-pending",
            "regulatory_requirements": [],
            "country_code": n.iso_country,
            "phone_number_type": _WIRE_TYPE[n.number_type],
        }
        if entry.get("bundle_id"):
            item["bundle_id"] = entry["bundle_id"]
        order_numbers.append(item)
    order: dict[str, Any] = {
        "id": order_id,
        "record_type": "number_order",
        "phone_numbers": order_numbers,
        "phone_numbers_count": len(order_numbers),
        "status": "success",
        "requirements_met": all(item["requirements_met"] for item in order_numbers),
        "sub_number_orders_ids": [str(uuid.uuid4())],
        "created_at": now,
        "updated_at": now,
        **{k: v for k, v in order_fields.items() if v is not None},
    }
    try:
        state.add_order(PROVIDER, order_id, order, numbers)
    except AlreadyOwned as exc:
        index = next(i for i, (n, _) in enumerate(stocked) if n.phone_number == exc.phone_number)
        pointer = f"/phone_numbers/{index}/phone_number"
        raise _bad_body(pointer, f"{exc.phone_number} is not available for purchase") from None
    return json_response(200, {"data": order})


def retrieve_order(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """RetrieveNumberOrder."""
    order = state.get_order(PROVIDER, params["id"])
    if order is None:
        return not_found(request)
    return json_response(200, {"data": order})


def list_orders(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListNumberOrders (newest first), filters status / customer_reference / requirements_met."""
    f = _deep_object(request.query_items).get("filter", {})
    f = f if isinstance(f, dict) else {}
    status = _text(f.get("status"), "filter[status]")
    reference = _text(f.get("customer_reference"), "filter[customer_reference]")
    met = _bool(f.get("requirements_met"), "filter[requirements_met]")
    orders = list(reversed(state.list_orders(PROVIDER)))
    orders = [
        o
        for o in orders
        if (status is None or o["status"] == status)
        and (reference is None or o.get("customer_reference") == reference)
        and (met is None or o["requirements_met"] == met)
    ]
    page, meta = _page(request, orders)
    # NumberOrder (the list shape) carries only id and phone_number per number.
    data = [
        {
            **o,
            "phone_numbers": [
                {"id": p["id"], "phone_number": p["phone_number"]} for p in o["phone_numbers"]
            ],
        }
        for o in page
    ]
    return json_response(200, {"data": data, "meta": meta})


def list_numbers(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListPhoneNumbers: filters, sort, page[number] / page[size]."""
    query = _deep_object(request.query_items)
    f = query.get("filter", {})
    f = f if isinstance(f, dict) else {}
    items = state.list_numbers(PROVIDER)
    phone = _text(f.get("phone_number"), "filter[phone_number]")
    if phone is not None:
        digits = re.sub(r"\D", "", phone)
        items = [r for r in items if digits and digits in r["phone_number"]]
    for key in ("status", "connection_id", "customer_reference", "billing_group_id"):
        value = _text(f.get(key), f"filter[{key}]")
        if value is not None:
            items = [r for r in items if r.get(key) == value]
    countries = {c.upper() for c in _list(f.get("country_iso_alpha2"))}
    if countries:
        items = [r for r in items if r["country_iso_alpha2"] in countries]
    tag = _text(f.get("tag"), "filter[tag]")
    if tag is not None:
        items = [r for r in items if tag in r["tags"]]
    number_type = f.get("number_type")
    if isinstance(number_type, dict) and number_type.get("eq"):
        items = [r for r in items if r["phone_number_type"] == number_type["eq"]]

    sort = _text(query.get("sort"), "sort")
    if sort in ("phone_number", "purchased_at"):
        items.sort(key=lambda r: r[sort])
    elif sort is None:
        items.reverse()  # "sorted by created_at in descending order"
    page, meta = _page(request, items)
    return json_response(200, {"data": [_public(r) for r in page], "meta": meta})


def _owned(state: SandboxState, request: Request, id_: str) -> dict[str, Any]:
    resource = state.get_number(PROVIDER, id_)
    if resource is None:
        raise ApiError(not_found(request))
    return resource


def retrieve_number(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """RetrievePhoneNumber."""
    return json_response(200, {"data": _public(_owned(state, request, params["id"]))})


def update_number(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """UpdatePhoneNumber: connection_id, tags, customer_reference, external_pin, ..."""
    body = _body(request)
    changes: dict[str, Any] = {}
    for key in (
        "connection_id",
        "customer_reference",
        "external_pin",
        "billing_group_id",
        "address_id",
    ):
        if key in body:
            changes[key] = _optional_string(body, key) or None
    tags = _string_list(body, "tags")
    if tags is not None:
        changes["tags"] = tags
    if "hd_voice_enabled" in body:
        if not isinstance(body["hd_voice_enabled"], bool):
            raise _bad_body("/hd_voice_enabled", "hd_voice_enabled must be a boolean")
        changes["hd_voice_enabled"] = body["hd_voice_enabled"]

    def change(resource: dict[str, Any]) -> dict[str, Any]:
        address_id = changes.pop("address_id", None)
        if address_id is not None:
            resource[_INTERNAL]["address_id"] = address_id
        resource.update(changes)
        if "connection_id" in changes:
            resource["connection_name"] = None
        resource["updated_at"] = _now()
        return resource

    resource = state.update_number(PROVIDER, params["id"], change)
    if resource is None:
        return not_found(request)
    return json_response(200, {"data": _public(resource)})


def delete_number(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """DeletePhoneNumber: answers with the number as it was, status ``deleted``."""
    resource = state.remove_number(PROVIDER, params["id"])
    if resource is None:
        return not_found(request)
    resource.update(status="deleted", updated_at=_now())
    # PhoneNumberDeletedDetailed has no nullable strings and no country/source fields.
    keep = {"activated_at"}
    gone = {"country_iso_alpha2", "emergency_status", "inbound_call_screening", "source_type"}
    data = {k: v for k, v in _public(resource, keep).items() if k not in gone}
    return json_response(200, {"data": data})


# -- voice and messaging settings -------------------------------------------------------------

_VOICE_ENUMS = {
    ("inbound_call_screening",): ("disabled", "reject_calls", "flag_calls"),
    ("usage_payment_method",): ("pay-per-minute", "channel"),
    ("call_forwarding", "forwarding_type"): ("always", "on-failure"),
    ("call_recording", "inbound_call_recording_channels"): ("single", "dual"),
    ("call_recording", "inbound_call_recording_format"): ("wav", "mp3"),
}
_VOICE_OBJECTS = ("call_forwarding", "call_recording", "cnam_listing", "media_features")
_VOICE_SCALARS = {
    "tech_prefix_enabled": bool,
    "translated_number": str,
    "usage_payment_method": str,
    "inbound_call_screening": str,
    "caller_id_name_enabled": bool,
}


def _voice_json(resource: dict[str, Any]) -> dict[str, Any]:
    voice = resource[_INTERNAL]["voice"]
    data = {
        "id": resource["id"],
        "phone_number": resource["phone_number"],
        "record_type": "voice_settings",
        "connection_id": resource.get("connection_id"),
        "customer_reference": resource.get("customer_reference"),
        "inbound_call_screening": resource["inbound_call_screening"],
        "emergency": {
            "emergency_enabled": resource["emergency_enabled"],
            "emergency_status": resource["emergency_status"],
        },
        **voice,
    }
    return {k: v for k, v in data.items() if v is not None}


def get_voice(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """GetPhoneNumberVoiceSettings."""
    return json_response(200, {"data": _voice_json(_owned(state, request, params["id"]))})


def update_voice(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """UpdatePhoneNumberVoiceSettings: nested objects are merged, not replaced."""
    body = _body(request)
    for key, kind in _VOICE_SCALARS.items():
        if key in body and not isinstance(body[key], kind):
            raise _bad_body(f"/{key}", f"{key} must be a {kind.__name__}")
    for key in _VOICE_OBJECTS:
        if key in body and not isinstance(body[key], dict):
            raise _bad_body(f"/{key}", f"{key} must be an object")
    for path, allowed in _VOICE_ENUMS.items():
        node: Any = body
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None and node not in allowed:
            pointer = "/" + "/".join(path)
            raise _bad_body(pointer, f"{path[-1]} must be one of: {', '.join(allowed)}")

    def change(resource: dict[str, Any]) -> dict[str, Any]:
        voice = resource[_INTERNAL]["voice"]
        for key in _VOICE_OBJECTS:
            if key in body:
                voice[key] = {**voice.get(key, {}), **body[key]}
        for key in ("tech_prefix_enabled", "translated_number", "usage_payment_method"):
            if key in body:
                voice[key] = body[key]
        for key in ("inbound_call_screening", "caller_id_name_enabled"):
            if key in body:
                resource[key] = body[key]
        if "cnam_listing" in body:
            resource["cnam_listing_enabled"] = bool(
                voice["cnam_listing"].get("cnam_listing_enabled")
            )
        if "media_features" in body:
            resource["t38_fax_gateway_enabled"] = bool(
                voice["media_features"].get("t38_fax_gateway_enabled")
            )
        if "call_recording" in body:
            resource["call_recording_enabled"] = bool(
                voice["call_recording"].get("inbound_call_recording_enabled")
            )
        resource["updated_at"] = _now()
        return resource

    resource = state.update_number(PROVIDER, params["id"], change)
    if resource is None:
        return not_found(request)
    return json_response(200, {"data": _voice_json(resource)})


def _messaging_json(resource: dict[str, Any]) -> dict[str, Any]:
    internal = resource[_INTERNAL]
    caps = set(internal["capabilities"])
    feature_set = {
        "domestic_two_way": True,
        "international_inbound": True,
        "international_outbound": True,
    }
    toll_free = resource["phone_number_type"] == "toll_free"
    return {
        "id": resource["id"],
        "record_type": "messaging_settings",
        "phone_number": resource["phone_number"],
        "messaging_profile_id": resource.get("messaging_profile_id"),
        "country_code": resource["country_iso_alpha2"],
        "type": "toll-free" if toll_free else "long-code",
        "eligible_messaging_products": ["A2P"],
        "messaging_product": internal["messaging"]["messaging_product"],
        "traffic_type": "A2P",
        "features": {
            "sms": dict(feature_set) if inv.SMS in caps else None,
            "mms": dict(feature_set) if inv.MMS in caps else None,
        },
        "tags": internal["messaging"]["tags"],
        "created_at": resource["created_at"],
        "updated_at": resource["updated_at"],
    }


def get_messaging(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """GetPhoneNumberMessagingSettings."""
    return json_response(200, {"data": _messaging_json(_owned(state, request, params["id"]))})


def update_messaging(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """UpdatePhoneNumberMessagingSettings: ``null`` leaves a value, ``""`` clears the profile."""
    body = _body(request)
    profile = _optional_string(body, "messaging_profile_id")
    product = _optional_string(body, "messaging_product")
    tags = _string_list(body, "tags")

    def change(resource: dict[str, Any]) -> dict[str, Any]:
        messaging = resource[_INTERNAL]["messaging"]
        if profile is not None:
            resource["messaging_profile_id"] = profile or None
            resource["messaging_profile_name"] = None
        if product is not None:
            messaging["messaging_product"] = product
        if tags is not None:
            messaging["tags"] = tags
        resource["updated_at"] = _now()
        return resource

    resource = state.update_number(PROVIDER, params["id"], change)
    if resource is None:
        return not_found(request)
    return json_response(200, {"data": _messaging_json(resource)})


# -- ListRegulatoryRequirementsPhoneNumbers ---------------------------------------------------

_LOCALITY_LIMIT = {
    "any": "Worldwide",
    "local": "Same country as the phone number",
    "foreign": "Outside the country of the phone number",
}


def requirements(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListRegulatoryRequirementsPhoneNumbers: what each number needs before purchase."""
    f = _deep_object(request.query_items).get("filter", {})
    f = f if isinstance(f, dict) else {}
    data = []
    for phone_number in _list(f.get("phone_number")):
        n = inv.lookup(PROVIDER, phone_number.strip())
        if n is None:
            continue
        needed = []
        if n.address_requirement != "none":
            requirement_id = uuid.uuid5(
                uuid.NAMESPACE_URL, f"telcli-sandbox/{n.iso_country}/{n.number_type}/address"
            )
            needed.append(
                {
                    "id": str(requirement_id),
                    "record_type": "regulatory_requirement",
                    "label": "Address",
                    "field_type": "address",
                    "description": "An address for the end user of the number "
                    f"({_LOCALITY_LIMIT[n.address_requirement].lower()})",
                    "example": "600 Congress Avenue, 14th Floor, Austin, TX 78701",
                    "acceptance_criteria": {
                        "field_type": "address",
                        "locality_limit": _LOCALITY_LIMIT[n.address_requirement],
                    },
                }
            )
        data.append(
            {
                "phone_number": n.phone_number,
                "phone_number_type": _WIRE_TYPE[n.number_type],
                "record_type": "phone_number_regulatory_requirements",
                "region_information": [
                    {"region_type": "country_code", "region_name": n.iso_country}
                ],
                "regulatory_requirements": needed,
            }
        )
    meta = {
        "page_number": 1,
        "page_size": max(len(data), 1),
        "total_pages": 1,
        "total_results": len(data),
    }
    return json_response(200, {"data": data, "meta": meta})


# -- ListConnections, ListMessagingProfiles ---------------------------------------------------

# Every sandbox account has these (fixed, so README examples and scripts can name them): the
# Call Control application `test call --provider telnyx` dials from, a SIP connection, and a
# messaging profile. Messaging profiles' v1_secret is left out (optional in the schema).
_CREATED = "2026-01-01T00:00:00.000Z"
CONNECTIONS: tuple[dict[str, Any], ...] = (
    {
        "id": "1494404757140276705",
        "record_type": "call_control_application",
        "connection_name": "telcli sandbox calls",
        "active": True,
        "anchorsite_override": "Latency",
        "outbound_voice_profile_id": "1293384261075731499",
        "tags": [],
        "webhook_api_version": "2",
        "webhook_event_failover_url": "",
        "webhook_event_url": None,
        "created_at": _CREATED,
        "updated_at": _CREATED,
    },
    {
        "id": "1684641123236054244",
        "record_type": "credential_connection",
        "connection_name": "telcli sandbox sip",
        "active": True,
        "anchorsite_override": "Latency",
        "outbound_voice_profile_id": "1293384261075731499",
        "tags": [],
        "webhook_api_version": "2",
        "webhook_event_failover_url": "",
        "webhook_event_url": None,
        "created_at": _CREATED,
        "updated_at": _CREATED,
    },
)
MESSAGING_PROFILES: tuple[dict[str, Any], ...] = (
    {
        "id": "40017f8e-49bd-4f9b-9df0-0a1b2c3d4e5f",
        "record_type": "messaging_profile",
        "name": "telcli sandbox",
        "enabled": True,
        "webhook_api_version": "2",
        "webhook_url": None,
        "webhook_failover_url": None,
        "whitelisted_destinations": ["US", "CA", "GB"],
        "number_pool_settings": None,
        "url_shortener_settings": None,
        "created_at": _CREATED,
        "updated_at": _CREATED,
    },
)


def list_connections(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListConnections: filter[connection_name][contains] (3+ characters, any case)."""
    f = _deep_object(request.query_items).get("filter", {})
    name = f.get("connection_name") if isinstance(f, dict) else None
    contains = (
        _text(name.get("contains"), "filter[connection_name][contains]")
        if isinstance(name, dict)
        else None
    )
    items = [
        dict(c)
        for c in CONNECTIONS
        if contains is None or contains.casefold() in c["connection_name"].casefold()
    ]
    page, meta = _page(request, items)
    return json_response(200, {"data": page, "meta": meta})


def list_messaging_profiles(
    state: SandboxState, request: Request, params: dict[str, str]
) -> Response:
    """ListMessagingProfiles: filter[name] (exact)."""
    f = _deep_object(request.query_items).get("filter", {})
    name = _text(f.get("name"), "filter[name]") if isinstance(f, dict) else None
    items = [dict(p) for p in MESSAGING_PROFILES if name is None or p["name"] == name]
    page, meta = _page(request, items)
    return json_response(200, {"data": page, "meta": meta})


# -- routes -----------------------------------------------------------------------------------

API = Api(
    name="telnyx",
    authenticate=authenticate,
    not_found=not_found,
    routes=[
        route("GET", "/v2/available_phone_numbers", "telnyx.search", search),
        route("GET", "/v2/connections", "telnyx.connections.list", list_connections),
        route(
            "GET",
            "/v2/messaging_profiles",
            "telnyx.messaging_profiles.list",
            list_messaging_profiles,
        ),
        route("POST", "/v2/number_orders", "telnyx.purchase", create_order),
        route("GET", "/v2/number_orders", "telnyx.order.list", list_orders),
        route("GET", "/v2/number_orders/{id}", "telnyx.order.fetch", retrieve_order),
        route("GET", "/v2/phone_numbers", "telnyx.list", list_numbers),
        route("GET", "/v2/phone_numbers/{id}", "telnyx.fetch", retrieve_number),
        route("PATCH", "/v2/phone_numbers/{id}", "telnyx.update", update_number),
        route("DELETE", "/v2/phone_numbers/{id}", "telnyx.release", delete_number),
        route("GET", "/v2/phone_numbers/{id}/voice", "telnyx.voice.fetch", get_voice),
        route("PATCH", "/v2/phone_numbers/{id}/voice", "telnyx.voice.update", update_voice),
        route("GET", "/v2/phone_numbers/{id}/messaging", "telnyx.messaging.fetch", get_messaging),
        route(
            "PATCH", "/v2/phone_numbers/{id}/messaging", "telnyx.messaging.update", update_messaging
        ),
        route(
            "GET",
            "/v2/phone_numbers_regulatory_requirements",
            "telnyx.requirements",
            requirements,
        ),
    ],
)
