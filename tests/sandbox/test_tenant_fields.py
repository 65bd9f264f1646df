"""The emulator stores and filters the fields that carry a tenant (telcli/tenancy.py) as the
real APIs do: Twilio FriendlyName (set at purchase, exact-match list filter), Telnyx
customer_reference (from the number order, list filter) and tags (UpdatePhoneNumber,
filter[tag]), VAPI name."""

from __future__ import annotations

import httpx

from telcli.tenancy import telnyx_reference, twilio_name

from .conftest import ACC, available, buy_twilio, telnyx_number_id, telnyx_order, telnyx_search


def test_twilio_friendly_name_from_the_purchase_is_listed_and_filtered(twilio: httpx.Client):
    first, second = (n["phone_number"] for n in available(twilio, PageSize=2))
    label = twilio_name("acme-dental", "Acme Dental")
    assert buy_twilio(twilio, first, FriendlyName=label).status_code == 201
    assert buy_twilio(twilio, second).status_code == 201

    listed = twilio.get(f"{ACC}/IncomingPhoneNumbers.json").json()["incoming_phone_numbers"]
    assert {n["phone_number"]: n["friendly_name"] for n in listed}[first] == label
    only = twilio.get(f"{ACC}/IncomingPhoneNumbers.json", params={"FriendlyName": label})
    assert [n["phone_number"] for n in only.json()["incoming_phone_numbers"]] == [first]
    # An exact match, as at Twilio: the id alone matches nothing.
    none = twilio.get(f"{ACC}/IncomingPhoneNumbers.json", params={"FriendlyName": "acme-dental"})
    assert none.json()["incoming_phone_numbers"] == []


def test_telnyx_reference_from_the_order_and_tags_from_an_update(telnyx: httpx.Client):
    first, second = (n["phone_number"] for n in telnyx_search(telnyx, limit=2))
    reference = telnyx_reference("acme-dental")
    assert telnyx_order(telnyx, first, customer_reference=reference).status_code == 200
    assert telnyx_order(telnyx, second).status_code == 200

    tagged = telnyx.get("/phone_numbers", params={"filter[customer_reference]": reference})
    assert [n["phone_number"] for n in tagged.json()["data"]] == [first]

    number_id = telnyx_number_id(telnyx, second)
    patched = telnyx.patch(f"/phone_numbers/{number_id}", json={"tags": ["bolt-gym"]})
    assert patched.status_code == 200 and patched.json()["data"]["tags"] == ["bolt-gym"]
    by_tag = telnyx.get("/phone_numbers", params={"filter[tag]": "bolt-gym"})
    assert [n["phone_number"] for n in by_tag.json()["data"]] == [second]

    cleared = telnyx.patch(
        f"/phone_numbers/{telnyx_number_id(telnyx, first)}", json={"customer_reference": ""}
    )
    assert cleared.json()["data"]["customer_reference"] is None
    again = telnyx.get("/phone_numbers", params={"filter[customer_reference]": reference})
    assert again.json()["data"] == []
