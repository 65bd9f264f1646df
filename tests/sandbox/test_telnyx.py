"""The Telnyx emulator through httpx on the in-process transport."""

from __future__ import annotations

import re

import httpx
import pytest

from telcli.sandbox import inventory as inv
from telcli.sandbox.transport import SandboxTransport

from .conftest import telnyx_client, telnyx_number_id, telnyx_order, telnyx_search


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer KEYwrong"}, {"Authorization": "Basic Zm9vOmJhcg=="}],
    ids=["missing", "wrong-key", "basic"],
)
def test_wrong_auth_is_telnyx_401(transport: SandboxTransport, headers: dict[str, str]) -> None:
    with httpx.Client(transport=transport, headers=headers) as client:
        response = client.get("https://api.telnyx.com/v2/phone_numbers")
    assert response.status_code == 401
    (error,) = response.json()["errors"]
    assert error["code"] == "10009"
    assert error["title"] == "Authentication failed"


def test_search_shape(telnyx: httpx.Client) -> None:
    response = telnyx.get(
        "/available_phone_numbers",
        params={
            "filter[country_code]": "US",
            "filter[national_destination_code]": "415",
            "filter[limit]": "3",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["meta"] == {"total_results": 3, "best_effort_results": 0}
    first = body["data"][0]
    assert first["record_type"] == "available_phone_number"
    assert first["phone_number"].startswith("+1415")
    assert first["cost_information"] == {
        "upfront_cost": "1.00",
        "monthly_cost": "1.00",
        "currency": "USD",
    }
    assert {"name": "voice"} in first["features"]
    regions = {r["region_type"]: r["region_name"] for r in first["region_information"]}
    assert regions == {
        "country_code": "US",
        "rate_center": "SNFC CNTL",
        "state": "CA",
        "location": "San Francisco",
    }
    assert first["reservable"] is True and first["best_effort"] is False


def test_search_filters(telnyx: httpx.Client) -> None:
    everything = telnyx_search(telnyx, country_code="US", limit=1000)
    assert len(everything) == len(inv.stock("telnyx", "US", None))
    toll_free = telnyx_search(telnyx, country_code="US", phone_number_type="toll_free", limit=1000)
    assert len(toll_free) == 20
    assert telnyx_search(telnyx, country_code="US", phone_number_type="mobile") == []
    assert telnyx_search(telnyx, country_code="US", phone_number_type="shared_cost") == []

    vegas = telnyx_search(telnyx, country_code="US", locality="las vegas", limit=1000)
    assert vegas and all(n["phone_number"].startswith("+1702") for n in vegas)
    georgia = telnyx_search(telnyx, country_code="US", administrative_area="GA", limit=1000)
    assert georgia and all(n["phone_number"].startswith("+1404") for n in georgia)

    mms = telnyx_search(
        telnyx, country_code="US", phone_number_type="local", features="sms,mms", limit=1000
    )
    assert mms and all({"sms", "mms"} <= {f["name"] for f in n["features"]} for n in mms)
    assert len(mms) < len(
        telnyx_search(telnyx, country_code="US", phone_number_type="local", limit=1000)
    )
    # Repeated and [] forms of the array mean the same.
    params = [
        ("filter[country_code]", "US"),
        ("filter[phone_number_type]", "local"),
        ("filter[features][]", "sms"),
        ("filter[features][]", "mms"),
        ("filter[limit]", "1000"),
    ]
    repeated = telnyx.get("/available_phone_numbers", params=params).json()["data"]
    assert repeated == mms

    assert len(telnyx_search(telnyx, country_code="GB", limit=4)) == 4
    gb_sms = telnyx_search(telnyx, country_code="GB", features="sms", limit=1000)
    assert gb_sms and all(n["phone_number"].startswith("+447") for n in gb_sms)


def test_phone_number_patterns(telnyx: httpx.Client) -> None:
    target = telnyx_search(telnyx, country_code="US", national_destination_code="212")[0][
        "phone_number"
    ]
    rest = target[5:]  # after +1212
    hits = telnyx_search(telnyx, country_code="US", **{"phone_number][contains": rest[2:6]})
    assert target in {n["phone_number"] for n in hits}
    starts = telnyx_search(
        telnyx,
        country_code="US",
        national_destination_code="212",
        **{"phone_number][starts_with": rest[:3]},
    )
    assert target in {n["phone_number"] for n in starts}
    assert all(n["phone_number"][5:8] == rest[:3] for n in starts)
    ends = telnyx_search(
        telnyx, country_code="US", limit=1000, **{"phone_number][ends_with": rest[-3:]}
    )
    assert ends and all(n["phone_number"].endswith(rest[-3:]) for n in ends)


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("filter[phone_number_type]", "landline"),
        ("filter[features]", "telepathy"),
        ("filter[limit]", "many"),
    ],
)
def test_invalid_filters_are_400(telnyx: httpx.Client, param: str, value: str) -> None:
    response = telnyx.get("/available_phone_numbers", params={param: value})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["code"] == "10015"
    assert error["source"] == {"parameter": param}


def test_order_buy_list_update_delete(telnyx: httpx.Client) -> None:
    number = telnyx_search(telnyx, country_code="US", national_destination_code="305")[0][
        "phone_number"
    ]
    response = telnyx_order(
        telnyx, number, connection_id="1293384261075731499", customer_reference="tenant-7"
    )
    assert response.status_code == 200
    order = response.json()["data"]
    assert order["status"] == "success"
    assert order["record_type"] == "number_order"
    assert order["phone_numbers_count"] == 1 and order["requirements_met"] is True
    (item,) = order["phone_numbers"]
    assert item["phone_number"] == number and item["status"] == "success"
    assert re.fullmatch(r"[0-9a-f-]{36}", item["id"])  # the order entry, not the number
    assert telnyx.get(f"/number_orders/{order['id']}").json()["data"] == order

    number_id = telnyx_number_id(telnyx, number)
    assert re.fullmatch(r"\d{19}", number_id)
    record = telnyx.get(f"/phone_numbers/{number_id}").json()["data"]
    assert record["status"] == "active"
    assert record["connection_id"] == "1293384261075731499"
    assert record["customer_reference"] == "tenant-7"
    assert record["phone_number_type"] == "local" and record["country_iso_alpha2"] == "US"
    assert "_sandbox" not in record

    assert number not in {
        n["phone_number"] for n in telnyx_search(telnyx, country_code="US", limit=1000)
    }

    patched = telnyx.patch(
        f"/phone_numbers/{number_id}", json={"tags": ["a", "b"], "connection_id": "42"}
    )
    assert patched.status_code == 200
    assert patched.json()["data"]["tags"] == ["a", "b"]
    assert patched.json()["data"]["connection_id"] == "42"
    assert telnyx.get(f"/phone_numbers/{number_id}").json()["data"]["tags"] == ["a", "b"]

    deleted = telnyx.delete(f"/phone_numbers/{number_id}")
    assert deleted.status_code == 200
    assert deleted.json()["data"]["status"] == "deleted"
    assert deleted.json()["data"]["phone_number"] == number
    assert telnyx.get(f"/phone_numbers/{number_id}").status_code == 404
    assert telnyx.get("/phone_numbers").json()["data"] == []
    assert number in {
        n["phone_number"] for n in telnyx_search(telnyx, country_code="US", limit=1000)
    }


def test_double_buy_and_unsold_numbers_are_refused_whole(telnyx: httpx.Client) -> None:
    a, b = (n["phone_number"] for n in telnyx_search(telnyx, country_code="CA", limit=2))
    assert telnyx_order(telnyx, a).status_code == 200
    again = telnyx_order(telnyx, b, a)
    assert again.status_code == 422
    (error,) = again.json()["errors"]
    assert error["code"] == "10015"
    assert error["source"] == {"pointer": "/phone_numbers/1/phone_number"}
    # All or nothing: b was not bought either.
    owned = [r["phone_number"] for r in telnyx.get("/phone_numbers").json()["data"]]
    assert owned == [a]
    twilio_only = inv.inventory("twilio")[0].phone_number
    assert telnyx_order(telnyx, twilio_only).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"phone_numbers": []},
        {"phone_numbers": [{"number": "+1"}]},
        {"phone_numbers": [{"phone_number": "415"}]},
    ],
)
def test_malformed_orders_are_400(telnyx: httpx.Client, body: dict) -> None:
    response = telnyx.post("/number_orders", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "10015"


def test_non_json_body_is_400(telnyx: httpx.Client) -> None:
    response = telnyx.post(
        "/number_orders",
        content=b"phone_numbers=+1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400


def test_requirements_met_reflects_address_needs(telnyx: httpx.Client) -> None:
    de = telnyx_search(telnyx, country_code="DE", phone_number_type="local", limit=2)
    entries = [
        {"phone_number": de[0]["phone_number"]},
        {"phone_number": de[1]["phone_number"], "requirement_group_id": "rg-1"},
    ]
    response = telnyx.post("/number_orders", json={"phone_numbers": entries})
    order = response.json()["data"]
    assert [p["requirements_met"] for p in order["phone_numbers"]] == [False, True]
    assert order["requirements_met"] is False and order["status"] == "success"


def test_regulatory_requirements(telnyx: httpx.Client) -> None:
    us = inv.stock("telnyx", "US", inv.LOCAL)[0].phone_number
    de = inv.stock("telnyx", "DE", inv.LOCAL)[0].phone_number
    gb = inv.stock("telnyx", "GB", inv.LOCAL)[0].phone_number
    response = telnyx.get(
        "/phone_numbers_regulatory_requirements", params={"filter[phone_number]": f"{us},{de},{gb}"}
    )
    assert response.status_code == 200
    data = {d["phone_number"]: d["regulatory_requirements"] for d in response.json()["data"]}
    assert data[us] == []
    assert data[de][0]["field_type"] == "address"
    assert (
        data[de][0]["acceptance_criteria"]["locality_limit"] == "Same country as the phone number"
    )
    assert data[gb][0]["acceptance_criteria"]["locality_limit"] == "Worldwide"


def test_voice_and_messaging_settings(telnyx: httpx.Client) -> None:
    number = telnyx_search(telnyx, country_code="US", phone_number_type="local", features="sms")[0][
        "phone_number"
    ]
    telnyx_order(telnyx, number, messaging_profile_id="profile-1")
    number_id = telnyx_number_id(telnyx, number)

    voice = telnyx.get(f"/phone_numbers/{number_id}/voice").json()["data"]
    assert voice["record_type"] == "voice_settings" and voice["id"] == number_id
    assert voice["call_recording"]["inbound_call_recording_enabled"] is False
    patched = telnyx.patch(
        f"/phone_numbers/{number_id}/voice",
        json={
            "inbound_call_screening": "flag_calls",
            "call_recording": {"inbound_call_recording_enabled": True},
        },
    ).json()["data"]
    assert patched["inbound_call_screening"] == "flag_calls"
    # Nested objects merge: the other recording settings stay.
    assert patched["call_recording"] == {
        "inbound_call_recording_channels": "single",
        "inbound_call_recording_enabled": True,
        "inbound_call_recording_format": "wav",
    }
    assert (
        telnyx.get(f"/phone_numbers/{number_id}").json()["data"]["call_recording_enabled"] is True
    )
    bad = telnyx.patch(f"/phone_numbers/{number_id}/voice", json={"usage_payment_method": "free"})
    assert bad.status_code == 422

    messaging = telnyx.get(f"/phone_numbers/{number_id}/messaging").json()["data"]
    assert messaging["messaging_profile_id"] == "profile-1"
    assert messaging["features"]["sms"]["domestic_two_way"] is True
    assert messaging["type"] == "long-code"
    moved = telnyx.patch(
        f"/phone_numbers/{number_id}/messaging", json={"messaging_profile_id": "profile-2"}
    )
    assert moved.json()["data"]["messaging_profile_id"] == "profile-2"
    assert (
        telnyx.get(f"/phone_numbers/{number_id}").json()["data"]["messaging_profile_id"]
        == "profile-2"
    )
    kept = telnyx.patch(
        f"/phone_numbers/{number_id}/messaging", json={"messaging_profile_id": None}
    )
    assert kept.json()["data"]["messaging_profile_id"] == "profile-2"
    cleared = telnyx.patch(
        f"/phone_numbers/{number_id}/messaging", json={"messaging_profile_id": ""}
    )
    assert cleared.json()["data"]["messaging_profile_id"] is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/phone_numbers/1234567890123456789"),
        ("PATCH", "/phone_numbers/1234567890123456789"),
        ("DELETE", "/phone_numbers/1234567890123456789"),
        ("GET", "/phone_numbers/1234567890123456789/voice"),
        ("PATCH", "/phone_numbers/1234567890123456789/messaging"),
        ("GET", "/number_orders/12ade33a-21c0-473b-b055-b3c836e1c292"),
        ("GET", "/no_such_thing"),
    ],
)
def test_unknown_ids_are_telnyx_404(telnyx: httpx.Client, method: str, path: str) -> None:
    response = telnyx.request(method, path, json={} if method == "PATCH" else None)
    assert response.status_code == 404
    (error,) = response.json()["errors"]
    assert (error["code"], error["title"]) == ("10005", "Resource not found")


def test_list_paging_filters_and_sort(telnyx: httpx.Client) -> None:
    numbers = [
        n["phone_number"]
        for n in telnyx_search(telnyx, country_code="AU", phone_number_type="local", limit=5)
    ]
    for number in numbers:
        telnyx_order(telnyx, number, customer_reference="au" if number != numbers[0] else "first")
    first = telnyx.get("/phone_numbers", params={"page[size]": "2"}).json()
    assert first["meta"] == {"page_number": 1, "page_size": 2, "total_pages": 3, "total_results": 5}
    # Newest first by default.
    assert [r["phone_number"] for r in first["data"]] == numbers[::-1][:2]
    third = telnyx.get("/phone_numbers", params={"page[size]": "2", "page[number]": "3"}).json()
    assert [r["phone_number"] for r in third["data"]] == [numbers[0]]
    by_number = telnyx.get(
        "/phone_numbers", params={"sort": "phone_number", "page[size]": "250"}
    ).json()
    assert [r["phone_number"] for r in by_number["data"]] == sorted(numbers)
    assert (
        len(
            telnyx.get("/phone_numbers", params={"filter[customer_reference]": "au"}).json()["data"]
        )
        == 4
    )
    assert (
        telnyx.get("/phone_numbers", params={"filter[country_iso_alpha2]": "US"}).json()["data"]
        == []
    )
    assert telnyx.get("/phone_numbers", params={"page[size]": "251"}).status_code == 400

    orders = telnyx.get("/number_orders", params={"page[size]": "10"}).json()
    assert orders["meta"]["total_results"] == 5
    assert [o["phone_numbers"][0]["phone_number"] for o in orders["data"]] == numbers[::-1]
    assert set(orders["data"][0]["phone_numbers"][0]) == {"id", "phone_number"}
    first_only = telnyx.get(
        "/number_orders", params={"filter[customer_reference]": "first"}
    ).json()["data"]
    assert [o["phone_numbers"][0]["phone_number"] for o in first_only] == [numbers[0]]


def test_telnyx_and_twilio_share_one_sandbox_without_mixing(db_path) -> None:
    one, two = SandboxTransport(db_path), SandboxTransport(db_path)
    with telnyx_client(one) as a, telnyx_client(two) as b:
        number = telnyx_search(a, country_code="ZA", phone_number_type="mobile")[0]["phone_number"]
        telnyx_order(a, number)
        assert [r["phone_number"] for r in b.get("/phone_numbers").json()["data"]] == [number]
        assert telnyx_order(b, number).status_code == 422
