"""Every sandbox response validates against the 2xx (and, where the spec has one, the error)
response schema of its operation in the official OpenAPI documents.

The schemas are checked strictly: besides the spec's own rules, an object with declared
properties may carry no undeclared keys, so a misspelt field fails here. Adjustments, each
deliberate and documented in the sandbox modules:

* OpenAPI 3.0 ``nullable: true`` (Twilio) becomes JSON Schema's ``null`` type.
* Twilio's ``x-twilio: {overrideType: string}`` (Pricing ``base_price``/``current_price``) is
  honoured: those values are strings on the wire.
* AvailablePhoneNumbers ``capabilities`` may also carry ``SMS``/``MMS``, the live API's keys.
* ``format`` is not asserted: Twilio's schema calls its relative ``uri`` values ``format:
  uri`` while its examples and the live API send relative paths, which the sandbox follows.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import httpx
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from telcli.sandbox import inventory as inv
from tests.conftest import specs_dir

from .conftest import ACC, available, buy_twilio, telnyx_number_id, telnyx_order, telnyx_search

Checked = list[tuple[str, int, Any]]  # (operationId, status, JSON body)


def _prepare(node: Any, *, openapi30: bool) -> Any:
    if isinstance(node, list):
        return [_prepare(item, openapi30=openapi30) for item in node]
    if not isinstance(node, dict):
        return node
    node = {k: _prepare(v, openapi30=openapi30) for k, v in node.items()}
    override = node.get("x-twilio")
    if isinstance(override, dict) and override.get("overrideType") == "string":
        node["type"] = "string"
    if openapi30 and node.get("nullable") is True:
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        if isinstance(node.get("enum"), list):
            node["enum"] = [*node["enum"], None]
        if "$ref" in node:
            node = {"anyOf": [{"$ref": node.pop("$ref")}, {"type": "null"}], **node}
    types = node.get("type")
    is_object = types == "object" or (isinstance(types, list) and "object" in types)
    if is_object and isinstance(node.get("properties"), dict):
        node.setdefault("additionalProperties", False)
    return node


@cache
def _spec(name: str) -> tuple[dict[str, Any], Registry]:
    raw = json.loads((specs_dir() / name).read_text())
    doc = _prepare(raw, openapi30=raw["openapi"].startswith("3.0"))
    if name == "twilio_api_v2010.json":
        caps = doc["components"]["schemas"]
        for kind in ("local", "mobile", "toll_free"):
            schema = caps[
                f"api.v2010.account.available_phone_number_country.available_phone_number_{kind}"
            ]
            props = schema["properties"]["capabilities"]["properties"]
            props.update(SMS={"type": "boolean"}, MMS={"type": "boolean"})
    uri = f"urn:telcli:spec:{name}"
    return doc, Registry().with_resource(uri, Resource(contents=doc, specification=DRAFT202012))


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


@cache
def _validator(name: str, operation_id: str, status: int) -> jsonschema.Draft202012Validator:
    doc, registry = _spec(name)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                responses = op["responses"]
                code = str(status) if str(status) in responses else f"{str(status)[0]}XX"
                base = ["", "paths", _escape(path), method, "responses", code]
                if "$ref" in responses[code]:  # a shared response: #/components/responses/...
                    base = responses[code]["$ref"][1:].split("/")
                pointer = "/".join([*base, "content", _escape("application/json"), "schema"])
                ref = {"$ref": f"urn:telcli:spec:{name}#{pointer}"}
                return jsonschema.Draft202012Validator(ref, registry=registry)
    raise AssertionError(f"{operation_id} is not in {name}")


def _check(name: str, checked: Checked) -> None:
    problems = []
    for operation_id, status, body in checked:
        for error in _validator(name, operation_id, status).iter_errors(body):
            where = "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{operation_id} {status} at /{where}: {error.message}")
    assert problems == [], "\n".join(problems[:20])


def _record(checked: Checked, operation_id: str, response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, f"{operation_id}: {response.status_code} {response.text}"
    body = response.json()
    checked.append((operation_id, status, body))
    return body


def test_twilio_responses_match_the_spec(twilio: httpx.Client) -> None:
    checked: Checked = []
    _record(checked, "FetchAccount", twilio.get(f"{ACC}.json"), 200)
    for kind, country in (("Local", "US"), ("Mobile", "GB"), ("TollFree", "CA")):
        op = f"ListAvailablePhoneNumber{kind}"
        url = f"{ACC}/AvailablePhoneNumbers/{country}/{kind}.json"
        _record(checked, op, twilio.get(url, params={"PageSize": 3}), 200)
        _record(checked, op, twilio.get(url, params={"Contains": "00000000"}), 200)  # empty

    us = available(twilio, PageSize=2)
    bought = _record(
        checked, "CreateIncomingPhoneNumber", buy_twilio(twilio, us[0]["phone_number"]), 201
    )
    for kind, country in (("Local", "DE"), ("Mobile", "AU"), ("TollFree", "US")):
        number = available(twilio, country, kind)[0]["phone_number"]
        response = twilio.post(
            f"{ACC}/IncomingPhoneNumbers/{kind}.json",
            data={
                "PhoneNumber": number,
                "AddressSid": "AD" + "0" * 32,
                "VoiceUrl": "https://e.x/v",
            },
        )
        _record(checked, f"CreateIncomingPhoneNumber{kind}", response, 201)
        _record(
            checked,
            f"ListIncomingPhoneNumber{kind}",
            twilio.get(f"{ACC}/IncomingPhoneNumbers/{kind}.json"),
            200,
        )
    listed = twilio.get(f"{ACC}/IncomingPhoneNumbers.json", params={"PageSize": 2})
    assert _record(checked, "ListIncomingPhoneNumber", listed, 200)["next_page_uri"]
    sid = bought["sid"]
    _record(
        checked,
        "FetchIncomingPhoneNumber",
        twilio.get(f"{ACC}/IncomingPhoneNumbers/{sid}.json"),
        200,
    )
    update = twilio.post(
        f"{ACC}/IncomingPhoneNumbers/{sid}.json",
        data={
            "VoiceUrl": "https://e.x/v",
            "SmsUrl": "https://e.x/s",
            "TrunkSid": "TK" + "1" * 32,
            "EmergencyStatus": "Active",
            "VoiceReceiveMode": "fax",
            "FriendlyName": "x",
        },
    )
    _record(checked, "UpdateIncomingPhoneNumber", update, 200)
    _check("twilio_api_v2010.json", checked)
    assert {c[0] for c in checked} == {
        "FetchAccount",
        "ListAvailablePhoneNumberLocal",
        "ListAvailablePhoneNumberMobile",
        "ListAvailablePhoneNumberTollFree",
        "CreateIncomingPhoneNumber",
        "CreateIncomingPhoneNumberLocal",
        "CreateIncomingPhoneNumberMobile",
        "CreateIncomingPhoneNumberTollFree",
        "ListIncomingPhoneNumber",
        "ListIncomingPhoneNumberLocal",
        "ListIncomingPhoneNumberMobile",
        "ListIncomingPhoneNumberTollFree",
        "FetchIncomingPhoneNumber",
        "UpdateIncomingPhoneNumber",
    }


def test_twilio_pricing_responses_match_the_spec(pricing: httpx.Client) -> None:
    checked: Checked = []
    for iso in inv.COUNTRIES:
        _record(
            checked,
            "FetchPhoneNumberCountry",
            pricing.get(f"/v1/PhoneNumbers/Countries/{iso}"),
            200,
        )
    _record(checked, "ListPhoneNumberCountry", pricing.get("/v1/PhoneNumbers/Countries"), 200)
    _check("twilio_pricing_v1.json", checked)


def test_the_strict_check_catches_a_wrong_field() -> None:
    # Guard against a validator that accepts everything.
    body = {"available_phone_numbers": [{"phone_number": "+1", "latitude": "19.7"}]}
    with pytest.raises(AssertionError, match="latitude"):
        _check("twilio_api_v2010.json", [("ListAvailablePhoneNumberLocal", 200, body)])
    with pytest.raises(AssertionError, match="phonenumber"):
        _check("telnyx_v2.json", [("RetrievePhoneNumber", 200, {"data": {"phonenumber": "+1"}})])


def test_telnyx_responses_match_the_spec(telnyx: httpx.Client, transport) -> None:
    checked: Checked = []
    search = telnyx.get(
        "/available_phone_numbers",
        params={"filter[country_code]": "US", "filter[features]": "sms", "filter[limit]": "3"},
    )
    us = _record(checked, "ListAvailablePhoneNumbers", search, 200)["data"]
    for country, kind in (("GB", "mobile"), ("DE", "toll_free"), ("AU", "local")):
        _record(
            checked,
            "ListAvailablePhoneNumbers",
            telnyx.get(
                "/available_phone_numbers",
                params={"filter[country_code]": country, "filter[phone_number_type]": kind},
            ),
            200,
        )
    de = telnyx_search(telnyx, country_code="DE", phone_number_type="local")[0]["phone_number"]
    bundle = "bc8e4d67-33a0-4cbb-af74-7b58f05bd494"
    entries = [{"phone_number": us[0]["phone_number"]}, {"phone_number": de, "bundle_id": bundle}]
    refs = {"connection_id": "1", "messaging_profile_id": "p", "customer_reference": "r"}
    order = telnyx.post("/number_orders", json={"phone_numbers": entries, **refs})
    order_id = _record(checked, "CreateNumberOrder", order, 200)["data"]["id"]
    _record(checked, "CreateNumberOrder", telnyx_order(telnyx, us[1]["phone_number"]), 200)
    _record(checked, "RetrieveNumberOrder", telnyx.get(f"/number_orders/{order_id}"), 200)
    _record(checked, "ListNumberOrders", telnyx.get("/number_orders"), 200)
    _record(
        checked, "ListPhoneNumbers", telnyx.get("/phone_numbers", params={"page[size]": "1"}), 200
    )
    number_id = telnyx_number_id(telnyx, us[0]["phone_number"])
    bare_id = telnyx_number_id(telnyx, us[1]["phone_number"])
    for nid in (number_id, bare_id):
        _record(checked, "RetrievePhoneNumber", telnyx.get(f"/phone_numbers/{nid}"), 200)
        _record(
            checked, "GetPhoneNumberVoiceSettings", telnyx.get(f"/phone_numbers/{nid}/voice"), 200
        )
        _record(
            checked,
            "GetPhoneNumberMessagingSettings",
            telnyx.get(f"/phone_numbers/{nid}/messaging"),
            200,
        )
    patch = {"tags": ["t"], "customer_reference": "c", "external_pin": "1234", "connection_id": "2"}
    _record(
        checked, "UpdatePhoneNumber", telnyx.patch(f"/phone_numbers/{number_id}", json=patch), 200
    )
    voice = {
        "call_forwarding": {"forwards_to": "+13035559123", "forwarding_type": "always"},
        "cnam_listing": {"cnam_listing_enabled": True, "cnam_listing_details": "ACME"},
        "media_features": {"t38_fax_gateway_enabled": True},
        "translated_number": "+1",
    }
    _record(
        checked,
        "UpdatePhoneNumberVoiceSettings",
        telnyx.patch(f"/phone_numbers/{number_id}/voice", json=voice),
        200,
    )
    messaging = {"messaging_profile_id": "", "messaging_product": "P2P", "tags": ["m"]}
    _record(
        checked,
        "UpdatePhoneNumberMessagingSettings",
        telnyx.patch(f"/phone_numbers/{number_id}/messaging", json=messaging),
        200,
    )
    za_mobile = inv.stock("telnyx", "ZA", inv.MOBILE)[0].phone_number
    requirements = telnyx.get(
        "/phone_numbers_regulatory_requirements",
        params={"filter[phone_number]": f"{us[2]['phone_number']},{za_mobile}"},
    )
    _record(checked, "ListRegulatoryRequirementsPhoneNumbers", requirements, 200)
    for nid in (number_id, bare_id):
        _record(checked, "DeletePhoneNumber", telnyx.delete(f"/phone_numbers/{nid}"), 200)
    _record(checked, "ListConnections", telnyx.get("/connections"), 200)
    named = {"filter[connection_name][contains]": "CALLS"}
    calls = _record(checked, "ListConnections", telnyx.get("/connections", params=named), 200)
    assert [c["connection_name"] for c in calls["data"]] == ["telcli sandbox calls"]
    _record(checked, "ListMessagingProfiles", telnyx.get("/messaging_profiles"), 200)
    groups = telnyx.get("/requirement_groups", params={"filter[action]": "ordering"})
    _record(checked, "GetRequirementGroups", groups, 200)

    # Errors, where the spec describes them.
    _record(checked, "RetrievePhoneNumber", telnyx.get(f"/phone_numbers/{number_id}"), 404)
    _record(
        checked,
        "GetPhoneNumberMessagingSettings",
        telnyx.get(f"/phone_numbers/{number_id}/messaging"),
        404,
    )
    _record(checked, "CreateNumberOrder", telnyx_order(telnyx, de), 422)
    _record(checked, "CreateNumberOrder", telnyx.post("/number_orders", json={}), 400)
    _record(
        checked,
        "ListAvailablePhoneNumbers",
        telnyx.get("/available_phone_numbers", params={"filter[limit]": "x"}),
        400,
    )
    with httpx.Client(transport=transport) as anonymous:
        _record(
            checked,
            "ListPhoneNumbers",
            anonymous.get("https://api.telnyx.com/v2/phone_numbers"),
            401,
        )
    _check("telnyx_v2.json", checked)
    assert {c[0] for c in checked} == {
        "ListConnections",
        "ListMessagingProfiles",
        "GetRequirementGroups",
        "ListAvailablePhoneNumbers",
        "CreateNumberOrder",
        "RetrieveNumberOrder",
        "ListNumberOrders",
        "ListPhoneNumbers",
        "RetrievePhoneNumber",
        "UpdatePhoneNumber",
        "DeletePhoneNumber",
        "GetPhoneNumberVoiceSettings",
        "UpdatePhoneNumberVoiceSettings",
        "GetPhoneNumberMessagingSettings",
        "UpdatePhoneNumberMessagingSettings",
        "ListRegulatoryRequirementsPhoneNumbers",
    }
