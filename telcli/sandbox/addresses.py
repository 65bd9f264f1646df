"""Regulatory addresses in the sandbox: Twilio's Addresses resource (2010-04-01) and Telnyx's
``/addresses`` and ``/requirement_groups`` (API v2), stateful in the sandbox's ``resources``
table. OperationIds cited per handler.

Sandbox choices, within what the specs allow:

* Validation reports every missing required field at once. Twilio answers 400 code 21604
  ("<Field> is required") naming each missing form field in ``message``; Telnyx answers 422
  with one ``errors[]`` item per field, ``source.pointer`` naming it (code 10015).
* Twilio refuses to delete an address a number uses (code 21625), as the live API does.
* A Telnyx requirement group is stored as created (status ``unapproved``); number orders only
  look at whether an entry names one.
"""

from __future__ import annotations

import uuid
from typing import Any

from telcli.sandbox import telnyx as tx
from telcli.sandbox import twilio as tw
from telcli.sandbox.state import SandboxState
from telcli.sandbox.wire import (
    ApiError,
    Request,
    Response,
    Route,
    empty_response,
    json_response,
    route,
)

ADDRESS = "address"
REQUIREMENT_GROUP = "requirement_group"

# -- Twilio -----------------------------------------------------------------------------------

_TWILIO_REQUIRED = ("CustomerName", "Street", "City", "Region", "PostalCode", "IsoCountry")


def _twilio_view(resource: dict[str, Any]) -> dict[str, Any]:
    return resource


def twilio_create(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """CreateAddress: POST /2010-04-01/Accounts/{AccountSid}/Addresses.json (201)."""
    form = tw._form(request)
    missing = [name for name in _TWILIO_REQUIRED if not form.get(name, "").strip()]
    if missing:
        message = "; ".join(f"{name} is required" for name in missing)
        raise ApiError(tw.error(400, 21604, message))
    iso = form["IsoCountry"].strip().upper()
    if len(iso) != 2 or not iso.isalpha():
        raise ApiError(tw.error(400, 21628, f"IsoCountry is invalid: {form['IsoCountry']!r}"))
    sid = "AD" + uuid.uuid4().hex
    now = tw._now()
    resource = {
        "account_sid": tw.ACCOUNT_SID,
        "city": form["City"],
        "customer_name": form["CustomerName"],
        "date_created": now,
        "date_updated": now,
        "emergency_enabled": tw._bool("EmergencyEnabled", form.get("EmergencyEnabled")) or False,
        "friendly_name": form.get("FriendlyName") or None,
        "iso_country": iso,
        "postal_code": form["PostalCode"],
        "region": form["Region"],
        "sid": sid,
        "street": form["Street"],
        "street_secondary": form.get("StreetSecondary") or None,
        "uri": tw._account_path(f"/Addresses/{sid}.json"),
        "validated": True,
        "verified": False,
    }
    state.add_resource(tw.PROVIDER, ADDRESS, sid, resource)
    return json_response(201, _twilio_view(resource))


def twilio_list(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListAddress: filters CustomerName, FriendlyName, IsoCountry; one page."""
    q = tw._query(request)
    page_size = tw._int("PageSize", q.get("pagesize"), 50, 1, 1000)
    found = state.list_resources(tw.PROVIDER, ADDRESS)
    if q.get("isocountry"):
        found = [a for a in found if a["iso_country"] == q["isocountry"].upper()]
    if q.get("customername"):
        found = [a for a in found if a["customer_name"] == q["customername"]]
    if q.get("friendlyname"):
        found = [a for a in found if a["friendly_name"] == q["friendlyname"]]
    found = found[:page_size]
    uri = tw._account_path(f"/Addresses.json?PageSize={page_size}&Page=0")
    body = {
        "addresses": [_twilio_view(a) for a in found],
        "end": max(len(found) - 1, 0),
        "first_page_uri": uri,
        "next_page_uri": None,
        "page": 0,
        "page_size": page_size,
        "previous_page_uri": None,
        "start": 0,
        "uri": uri,
    }
    return json_response(200, body)


def twilio_fetch(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """FetchAddress."""
    found = state.get_resource(tw.PROVIDER, ADDRESS, params["sid"])
    if found is None:
        return tw.not_found(request)
    return json_response(200, _twilio_view(found))


def twilio_delete(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """DeleteAddress: 204; refused while an owned number uses the address."""
    sid = params["sid"]
    if state.get_resource(tw.PROVIDER, ADDRESS, sid) is None:
        return tw.not_found(request)
    if any(n.get("address_sid") == sid for n in state.list_numbers(tw.PROVIDER)):
        raise ApiError(
            tw.error(400, 21625, "Cannot delete this address because it is in use by a number")
        )
    state.remove_resource(tw.PROVIDER, ADDRESS, sid)
    return empty_response(204)


_ADDR = "/2010-04-01/Accounts/{account}/Addresses"

TWILIO_ROUTES: list[Route] = [
    route("GET", _ADDR + ".json", "twilio.address.list", twilio_list),
    route("POST", _ADDR + ".json", "twilio.address.create", twilio_create),
    route("GET", _ADDR + "/{sid}.json", "twilio.address.fetch", twilio_fetch),
    route("DELETE", _ADDR + "/{sid}.json", "twilio.address.delete", twilio_delete),
]

# -- Telnyx -----------------------------------------------------------------------------------

# CreateAddress: required in the schema.
_TELNYX_REQUIRED = (
    "first_name",
    "last_name",
    "business_name",
    "street_address",
    "locality",
    "country_code",
)
_TELNYX_OPTIONAL = (
    "administrative_area",
    "borough",
    "customer_reference",
    "extended_address",
    "neighborhood",
    "phone_number",
    "postal_code",
)


def _telnyx_errors(problems: list[tuple[str, str]]) -> ApiError:
    items = [
        {
            "code": "10015",
            "title": "Invalid parameter",
            "detail": detail,
            "source": {"pointer": f"/{field}"},
            "meta": {"url": "https://developers.telnyx.com/docs/overview/errors/10015"},
        }
        for field, detail in problems
    ]
    return ApiError(json_response(422, {"errors": items}))


def telnyx_create(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """CreateAddress: POST /v2/addresses -> {"data": Address}."""
    body = tx._body(request)
    problems = []
    for key in _TELNYX_REQUIRED:
        value = body.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.append((key, f"{key} is required"))
    for key in _TELNYX_OPTIONAL:
        if body.get(key) is not None and not isinstance(body[key], str):
            problems.append((key, f"{key} must be a string"))
    country = body.get("country_code")
    if isinstance(country, str) and country.strip() and len(country.strip()) != 2:
        problems.append(("country_code", "country_code must be an ISO 3166-1 alpha-2 code"))
    if problems:
        raise _telnyx_errors(problems)
    now = tx._now()
    address_id = str(10**18 + uuid.uuid4().int % (9 * 10**18))
    resource: dict[str, Any] = {
        "id": address_id,
        "record_type": "address",
        **{k: body[k] for k in _TELNYX_REQUIRED},
        **{k: body[k] for k in _TELNYX_OPTIONAL if body.get(k) is not None},
        "country_code": body["country_code"].upper(),
        "address_book": bool(body.get("address_book", True)),
        "validate_address": bool(body.get("validate_address", True)),
        "created_at": now,
        "updated_at": now,
    }
    state.add_resource(tx.PROVIDER, ADDRESS, address_id, resource)
    return json_response(200, {"data": resource})


def telnyx_list(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """FindAddresses: paged with page[number] / page[size]."""
    items, meta = tx._page(request, state.list_resources(tx.PROVIDER, ADDRESS))
    return json_response(200, {"data": items, "meta": meta})


def telnyx_get(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """GetAddress."""
    found = state.get_resource(tx.PROVIDER, ADDRESS, params["id"])
    if found is None:
        return tx.not_found(request)
    return json_response(200, {"data": found})


def telnyx_delete(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """DeleteAddress: 200 with the deleted address."""
    found = state.remove_resource(tx.PROVIDER, ADDRESS, params["id"])
    if found is None:
        return tx.not_found(request)
    return json_response(200, {"data": found})


def telnyx_create_group(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """CreateRequirementGroup: the response is a bare RequirementGroup (no ``data`` wrap)."""
    body = tx._body(request)
    problems = [
        (key, f"{key} is required")
        for key in ("country_code", "phone_number_type", "action")
        if not isinstance(body.get(key), str) or not body[key]
    ]
    if body.get("action") not in (None, "ordering", "porting"):
        problems.append(("action", "action must be ordering or porting"))
    requirements = body.get("regulatory_requirements") or []
    if not isinstance(requirements, list):
        problems.append(("regulatory_requirements", "regulatory_requirements must be an array"))
        requirements = []
    if problems:
        raise _telnyx_errors(problems)
    now = tx._now()
    group_id = str(uuid.uuid4())
    group = {
        "id": group_id,
        "record_type": "requirement_group",
        "country_code": body["country_code"],
        "phone_number_type": body["phone_number_type"],
        "action": body["action"],
        "customer_reference": body.get("customer_reference") or "",
        "status": "unapproved",
        "regulatory_requirements": [
            {
                "requirement_id": str(r.get("requirement_id") or ""),
                "field_value": str(r.get("field_value") or ""),
                "field_type": "address",
                "status": "pending-approval",
                "created_at": now,
                "updated_at": now,
            }
            for r in requirements
            if isinstance(r, dict)
        ],
        "created_at": now,
        "updated_at": now,
    }
    state.add_resource(tx.PROVIDER, REQUIREMENT_GROUP, group_id, group)
    return json_response(200, group)


def telnyx_list_groups(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """GetRequirementGroups: a bare array (no ``data``, no paging), filtered by
    filter[action|country_code|customer_reference|phone_number_type|status]."""
    f = tx._deep_object(request.query_items).get("filter", {})
    f = f if isinstance(f, dict) else {}
    groups = state.list_resources(tx.PROVIDER, REQUIREMENT_GROUP)
    for key in ("action", "country_code", "customer_reference", "phone_number_type", "status"):
        value = tx._text(f.get(key), f"filter[{key}]")
        if value is not None:
            groups = [g for g in groups if g.get(key) == value]
    return json_response(200, groups)


def telnyx_get_group(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """GetRequirementGroup."""
    found = state.get_resource(tx.PROVIDER, REQUIREMENT_GROUP, params["id"])
    if found is None:
        return tx.not_found(request)
    return json_response(200, found)


TELNYX_ROUTES: list[Route] = [
    route("GET", "/v2/addresses", "telnyx.address.list", telnyx_list),
    route("POST", "/v2/addresses", "telnyx.address.create", telnyx_create),
    route("GET", "/v2/addresses/{id}", "telnyx.address.fetch", telnyx_get),
    route("DELETE", "/v2/addresses/{id}", "telnyx.address.delete", telnyx_delete),
    route("POST", "/v2/requirement_groups", "telnyx.requirement_group.create", telnyx_create_group),
    route("GET", "/v2/requirement_groups", "telnyx.requirement_group.list", telnyx_list_groups),
    route("GET", "/v2/requirement_groups/{id}", "telnyx.requirement_group.fetch", telnyx_get_group),
]
