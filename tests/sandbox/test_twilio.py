"""The Twilio emulator through httpx on the in-process transport: search filters, the number
lifecycle, errors, paging, pricing, and state shared across transports and processes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from telcli.sandbox import SANDBOX_TWILIO_API_KEY
from telcli.sandbox import inventory as inv
from telcli.sandbox.transport import SandboxTransport

from .conftest import ACC, ACCOUNT_SID, available, buy_twilio, twilio_client


def test_fetch_account_verifies_the_credentials(twilio: httpx.Client) -> None:
    response = twilio.get(f"{ACC}.json")
    assert response.status_code == 200
    body = response.json()
    assert body["sid"] == ACCOUNT_SID
    assert body["status"] == "active"
    assert body["uri"] == f"{ACC}.json"


@pytest.mark.parametrize(
    "auth",
    [None, (ACCOUNT_SID, "0" * 32), ("AC" + "1" * 32, "7e57" * 8), ("nobody", "")],
    ids=["missing", "wrong-token", "wrong-account", "garbage"],
)
def test_wrong_auth_is_twilios_401(transport: SandboxTransport, auth) -> None:
    with httpx.Client(transport=transport, base_url="https://api.twilio.com", auth=auth) as client:
        response = client.get(f"{ACC}/IncomingPhoneNumbers.json")
    assert response.status_code == 401
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_valid_credentials_on_another_accounts_path_are_refused(twilio: httpx.Client) -> None:
    other = "AC" + "0123456789abcdef" * 2
    assert twilio.get(f"/2010-04-01/Accounts/{other}/IncomingPhoneNumbers.json").status_code == 401


def test_api_key_and_secret_are_accepted(transport: SandboxTransport) -> None:
    auth = (SANDBOX_TWILIO_API_KEY["api_key"], SANDBOX_TWILIO_API_KEY["api_secret"])
    with httpx.Client(transport=transport, base_url="https://api.twilio.com", auth=auth) as client:
        assert client.get(f"{ACC}.json").status_code == 200


def test_search_returns_twilio_shaped_local_numbers(twilio: httpx.Client) -> None:
    numbers = available(twilio, AreaCode=415, PageSize=5)
    assert len(numbers) == 5
    first = numbers[0]
    assert set(first) == {
        "friendly_name",
        "phone_number",
        "lata",
        "locality",
        "rate_center",
        "latitude",
        "longitude",
        "region",
        "postal_code",
        "iso_country",
        "address_requirements",
        "beta",
        "capabilities",
    }
    assert first["phone_number"].startswith("+1415")
    assert re.fullmatch(r"\(415\) \d{3}-\d{4}", first["friendly_name"])
    assert (first["locality"], first["region"], first["iso_country"]) == (
        "San Francisco",
        "CA",
        "US",
    )
    assert isinstance(first["latitude"], float)
    assert first["address_requirements"] == "none"
    # The live API's casing for AvailablePhoneNumbers capabilities.
    assert set(first["capabilities"]) == {"voice", "SMS", "MMS", "fax"}


def test_search_filters(twilio: httpx.Client) -> None:
    all_us = available(twilio, PageSize=1000)
    assert len(all_us) == len(inv.stock("twilio", "US", inv.LOCAL))

    chicago = available(twilio, InLocality="chicago", PageSize=1000)
    assert chicago and {n["locality"] for n in chicago} == {"Chicago"}
    texas = available(twilio, InRegion="TX", PageSize=1000)
    assert texas and {n["region"] for n in texas} == {"TX"}
    assert {n["postal_code"] for n in available(twilio, InPostalCode="02108")} == {"02108"}

    mms = available(twilio, MmsEnabled="true", PageSize=1000)
    no_mms = available(twilio, MmsEnabled="false", PageSize=1000)
    assert mms and no_mms and len(mms) + len(no_mms) == len(all_us)
    assert all(n["capabilities"]["MMS"] for n in mms)
    fax = available(twilio, FaxEnabled="true", SmsEnabled="true", PageSize=1000)
    assert fax and all(n["capabilities"]["fax"] and n["capabilities"]["SMS"] for n in fax)

    assert len(available(twilio, PageSize=7)) == 7


def test_contains_matches_digits_letters_and_wildcards_anywhere(twilio: httpx.Client) -> None:
    target = available(twilio, AreaCode=212)[0]["phone_number"]
    tail = target[-4:]
    hits = available(twilio, Contains=tail, PageSize=1000)
    assert target in {n["phone_number"] for n in hits}
    assert all(tail in n["phone_number"][2:] for n in hits)

    wildcard = available(twilio, Contains="212***" + tail[:2], PageSize=1000)
    assert target in {n["phone_number"] for n in wildcard}
    assert all(re.search(r"212\d{3}" + tail[:2], n["phone_number"]) for n in wildcard)

    # Letters are keypad digits: find a number that contains some word's digits.
    word_digits = {"CAB": "222", "AD": "23"}
    for word, digits in word_digits.items():
        lettered = {n["phone_number"] for n in available(twilio, Contains=word, PageSize=1000)}
        by_digits = {n["phone_number"] for n in available(twilio, Contains=digits, PageSize=1000)}
        assert lettered == by_digits


def test_address_exclusion_filters(twilio: httpx.Client) -> None:
    gb = available(twilio, "GB", PageSize=1000)
    assert gb and {n["address_requirements"] for n in gb} == {"any"}
    assert available(twilio, "GB", ExcludeAllAddressRequired="true") == []
    de = available(twilio, "DE", ExcludeLocalAddressRequired="true")
    assert de == []
    assert available(twilio, "DE", ExcludeAllAddressRequired="true")


def test_area_code_prefix_works_outside_nanp(twilio: httpx.Client) -> None:
    london = available(twilio, "GB", AreaCode=20, PageSize=1000)
    assert london and {n["locality"] for n in london} == {"London"}
    assert all(n["lata"] is None and n["latitude"] is None for n in london)


def test_mobile_and_toll_free(twilio: httpx.Client) -> None:
    mobile = available(twilio, "GB", "Mobile")
    assert mobile and all(n["phone_number"].startswith("+447") for n in mobile)
    toll_free = available(twilio, "US", "TollFree", AreaCode=888, PageSize=1000)
    assert toll_free and all(n["phone_number"].startswith("+1888") for n in toll_free)
    assert all(n["locality"] is None for n in toll_free)


def test_unsold_types_and_countries_are_404(twilio: httpx.Client) -> None:
    for path in ("US/Mobile.json", "FR/Local.json", "US/Shared.json"):
        response = twilio.get(f"{ACC}/AvailablePhoneNumbers/{path}")
        assert response.status_code == 404
        assert response.json()["code"] == 20404


@pytest.mark.parametrize(
    ("param", "value"),
    [("AreaCode", "abc"), ("SmsEnabled", "maybe"), ("PageSize", "0"), ("Contains", "4")],
)
def test_invalid_search_parameters_are_400(twilio: httpx.Client, param: str, value: str) -> None:
    response = twilio.get(f"{ACC}/AvailablePhoneNumbers/US/Local.json", params={param: value})
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_buy_list_update_delete(twilio: httpx.Client) -> None:
    number = available(twilio, AreaCode=303)[0]["phone_number"]
    bought = buy_twilio(twilio, number, FriendlyName="tenant 7", VoiceUrl="https://example.com/v")
    assert bought.status_code == 201
    resource = bought.json()
    sid = resource["sid"]
    assert re.fullmatch(r"PN[0-9a-f]{32}", sid)
    assert resource["phone_number"] == number
    assert resource["friendly_name"] == "tenant 7"
    assert resource["voice_url"] == "https://example.com/v"
    assert resource["sms_url"] == "" and resource["voice_method"] == "POST"
    assert resource["uri"] == f"{ACC}/IncomingPhoneNumbers/{sid}.json"
    assert resource["capabilities"].keys() == {"voice", "sms", "mms", "fax"}
    assert resource["account_sid"] == ACCOUNT_SID and resource["status"] == "in-use"

    # Owned numbers leave the search.
    assert number not in {n["phone_number"] for n in available(twilio, AreaCode=303, PageSize=100)}

    listed = twilio.get(f"{ACC}/IncomingPhoneNumbers.json").json()["incoming_phone_numbers"]
    assert [r["sid"] for r in listed] == [sid]

    updated = twilio.post(
        f"{ACC}/IncomingPhoneNumbers/{sid}.json",
        data={
            "SmsUrl": "https://example.com/s",
            "SmsMethod": "get",
            "StatusCallback": "https://example.com/cb",
        },
    )
    assert updated.status_code == 200
    assert updated.json()["sms_url"] == "https://example.com/s"
    assert updated.json()["sms_method"] == "GET"
    fetched = twilio.get(f"{ACC}/IncomingPhoneNumbers/{sid}.json").json()
    assert fetched["status_callback"] == "https://example.com/cb"
    assert fetched["voice_url"] == "https://example.com/v"  # untouched by the update

    deleted = twilio.delete(f"{ACC}/IncomingPhoneNumbers/{sid}.json")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert twilio.get(f"{ACC}/IncomingPhoneNumbers/{sid}.json").status_code == 404
    assert twilio.get(f"{ACC}/IncomingPhoneNumbers.json").json()["incoming_phone_numbers"] == []
    # Released numbers are for sale again.
    assert number in {n["phone_number"] for n in available(twilio, AreaCode=303, PageSize=100)}


def test_double_buy_is_21422(twilio: httpx.Client) -> None:
    number = available(twilio)[0]["phone_number"]
    assert buy_twilio(twilio, number).status_code == 201
    again = buy_twilio(twilio, number)
    assert again.status_code == 400
    assert again.json()["code"] == 21422
    assert again.json()["more_info"] == "https://www.twilio.com/docs/errors/21422"
    assert len(twilio.get(f"{ACC}/IncomingPhoneNumbers.json").json()["incoming_phone_numbers"]) == 1


def test_numbers_twilio_does_not_sell_cannot_be_bought(twilio: httpx.Client) -> None:
    telnyx_number = inv.inventory("telnyx")[0].phone_number
    assert buy_twilio(twilio, telnyx_number).json()["code"] == 21422
    toll_free = available(twilio, "US", "TollFree")[0]["phone_number"]
    wrong_kind = twilio.post(
        f"{ACC}/IncomingPhoneNumbers/Local.json", data={"PhoneNumber": toll_free}
    )
    assert wrong_kind.json()["code"] == 21422
    right_kind = twilio.post(
        f"{ACC}/IncomingPhoneNumbers/TollFree.json", data={"PhoneNumber": toll_free}
    )
    assert right_kind.status_code == 201
    assert "type" not in right_kind.json()  # not in the variant's schema
    sid = right_kind.json()["sid"]
    assert twilio.get(f"{ACC}/IncomingPhoneNumbers/{sid}.json").json()["type"] == "tollfree"


def test_buy_by_area_code_and_missing_number(twilio: httpx.Client) -> None:
    bought = twilio.post(f"{ACC}/IncomingPhoneNumbers.json", data={"AreaCode": "617"})
    assert bought.status_code == 201
    assert bought.json()["phone_number"].startswith("+1617")
    assert (
        twilio.post(f"{ACC}/IncomingPhoneNumbers.json", data={"AreaCode": "999"}).json()["code"]
        == 21452
    )
    assert twilio.post(f"{ACC}/IncomingPhoneNumbers.json", data={}).json()["code"] == 21450


def test_address_sid_is_stored_and_checked_for_shape(twilio: httpx.Client) -> None:
    number = available(twilio, "GB")[0]["phone_number"]
    assert buy_twilio(twilio, number, AddressSid="not-a-sid").status_code == 400
    address = "AD" + "ab" * 16
    bought = buy_twilio(twilio, number, AddressSid=address)
    assert bought.status_code == 201
    assert bought.json()["address_sid"] == address
    assert bought.json()["address_requirements"] == "any"


def test_unknown_sid_is_404(twilio: httpx.Client) -> None:
    sid = "PN" + "0" * 32
    for method in ("GET", "POST", "DELETE"):
        response = twilio.request(method, f"{ACC}/IncomingPhoneNumbers/{sid}.json")
        assert response.status_code == 404
        assert response.json()["code"] == 20404
        assert sid in response.json()["message"]


def test_invalid_update_values_change_nothing(twilio: httpx.Client) -> None:
    sid = buy_twilio(twilio, available(twilio)[0]["phone_number"]).json()["sid"]
    response = twilio.post(
        f"{ACC}/IncomingPhoneNumbers/{sid}.json",
        data={"VoiceMethod": "PUT", "VoiceUrl": "https://x"},
    )
    assert response.status_code == 400
    assert twilio.get(f"{ACC}/IncomingPhoneNumbers/{sid}.json").json()["voice_url"] == ""


def test_list_pages_and_filters(twilio: httpx.Client) -> None:
    numbers = [n["phone_number"] for n in available(twilio, AreaCode=206, PageSize=5)]
    for number in numbers:
        assert buy_twilio(twilio, number).status_code == 201

    seen, uri, pages = [], f"{ACC}/IncomingPhoneNumbers.json?PageSize=2", 0
    while uri:
        page = twilio.get(uri).json()
        assert page["page_size"] == 2 and page["page"] == pages
        assert page["start"] == pages * 2
        assert page["end"] == page["start"] + len(page["incoming_phone_numbers"]) - 1
        seen += [r["phone_number"] for r in page["incoming_phone_numbers"]]
        uri = page["next_page_uri"]
        pages += 1
    assert seen == numbers and pages == 3
    assert page["previous_page_uri"] is not None
    assert page["first_page_uri"].endswith("PageSize=2&Page=0")

    exact = twilio.get(
        f"{ACC}/IncomingPhoneNumbers.json", params={"PhoneNumber": numbers[3]}
    ).json()
    assert [r["phone_number"] for r in exact["incoming_phone_numbers"]] == [numbers[3]]
    assert "PhoneNumber=%2B" in exact["uri"]
    local = twilio.get(f"{ACC}/IncomingPhoneNumbers/Local.json").json()["incoming_phone_numbers"]
    assert len(local) == 5
    assert (
        twilio.get(f"{ACC}/IncomingPhoneNumbers/TollFree.json").json()["incoming_phone_numbers"]
        == []
    )


def test_pricing(pricing: httpx.Client) -> None:
    response = pricing.get("/v1/PhoneNumbers/Countries/gb")
    assert response.status_code == 200
    body = response.json()
    assert body["iso_country"] == "GB" and body["country"] == "United Kingdom"
    assert body["price_unit"] == "USD"
    assert body["phone_number_prices"] == [
        {"number_type": "local", "base_price": "1.15", "current_price": "1.15"},
        {"number_type": "mobile", "base_price": "1.15", "current_price": "1.15"},
        {"number_type": "toll free", "base_price": "2.30", "current_price": "2.00"},
    ]
    assert pricing.get("/v1/PhoneNumbers/Countries/XX").json()["code"] == 20404
    countries = pricing.get("/v1/PhoneNumbers/Countries").json()
    assert {c["iso_country"] for c in countries["countries"]} == set(inv.COUNTRIES)
    assert countries["meta"]["key"] == "countries"


def test_pricing_needs_auth(transport: SandboxTransport) -> None:
    with httpx.Client(transport=transport) as client:
        assert (
            client.get("https://pricing.twilio.com/v1/PhoneNumbers/Countries/US").status_code == 401
        )


def test_state_is_shared_between_transports_on_one_file(db_path: Path) -> None:
    first, second = SandboxTransport(db_path), SandboxTransport(db_path)
    with twilio_client(first) as a, twilio_client(second) as b:
        number = available(a)[0]["phone_number"]
        sid = buy_twilio(a, number).json()["sid"]
        assert [
            r["sid"]
            for r in b.get(f"{ACC}/IncomingPhoneNumbers.json").json()["incoming_phone_numbers"]
        ] == [sid]
        assert number not in {n["phone_number"] for n in available(b, PageSize=1000)}
        assert buy_twilio(b, number).json()["code"] == 21422
        assert b.delete(f"{ACC}/IncomingPhoneNumbers/{sid}.json").status_code == 204
        assert a.get(f"{ACC}/IncomingPhoneNumbers/{sid}.json").status_code == 404


def test_state_is_shared_with_another_process(db_path: Path, twilio: httpx.Client) -> None:
    number = available(twilio)[0]["phone_number"]
    script = f"""
import httpx, pathlib
from telcli.sandbox import SANDBOX_CREDENTIALS as C
from telcli.sandbox.transport import SandboxTransport
t = SandboxTransport(pathlib.Path({str(db_path)!r}))
auth = (C["twilio"]["account_sid"], C["twilio"]["auth_token"])
with httpx.Client(transport=t, auth=auth) as c:
    url = "https://api.twilio.com{ACC}/IncomingPhoneNumbers.json"
    r = c.post(url, data={{"PhoneNumber": {number!r}}})
    print(r.json()["sid"])
"""
    sid = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    assert twilio.get(f"{ACC}/IncomingPhoneNumbers/{sid}.json").json()["phone_number"] == number


def test_reset_forgets_everything(transport: SandboxTransport, twilio: httpx.Client) -> None:
    assert buy_twilio(twilio, available(twilio)[0]["phone_number"]).status_code == 201
    transport.state.reset()
    assert twilio.get(f"{ACC}/IncomingPhoneNumbers.json").json()["incoming_phone_numbers"] == []
    assert len(available(twilio, PageSize=1000)) == len(inv.stock("twilio", "US", inv.LOCAL))
