"""The tenant fields against Prism serving the official specs: Twilio FriendlyName on
CreateIncomingPhoneNumber, UpdateIncomingPhoneNumber and CreateAddress; Telnyx
customer_reference on CreateNumberOrder, UpdatePhoneNumber and CreateAddress, and the
ListPhoneNumbers filter[customer_reference]. (VAPI's name: tests/contract/test_vapi_contract.py.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qs

import pytest

from telcli.models import AddressInput, OwnedNumber, ProviderName, TenantTag
from telcli.providers.base import ProviderSettings
from telcli.providers.telnyx import TelnyxProvider
from telcli.providers.twilio import TwilioProvider
from tests.contract.conftest import Recorder
from tests.providers.helpers import ACCOUNT_SID, AUTH_TOKEN, NUMBER_SID, TELNYX_KEY

pytestmark = pytest.mark.contract

# A 40-character id and a long name: the longest labels telcli writes.
LONGEST = TenantTag("a" * 40, "A very long display name for a tenant, cut to fit")
ACME = TenantTag("acme-dental", "Acme Dental")
ADDRESS = AddressInput(
    customer_name="Thandi Nkosi",
    street="12 Long Street",
    city="Cape Town",
    region="Western Cape",
    postal_code="8001",
    country="ZA",
    friendly_name="Cape Town office",
    tenant=ACME,
)


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    yield rec
    rec.close()


@pytest.fixture
def twilio(prism_twilio, recorder) -> TwilioProvider:
    creds = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    return TwilioProvider(
        ProviderSettings(credentials=creds, base_urls=prism_twilio, transport=recorder)
    )


@pytest.fixture
def telnyx(prism_telnyx, recorder) -> TelnyxProvider:
    return TelnyxProvider(
        ProviderSettings(
            credentials={"api_key": TELNYX_KEY}, base_urls=prism_telnyx, transport=recorder
        )
    )


def _form(recorder: Recorder, index: int) -> dict[str, list[str]]:
    return parse_qs(recorder.exchanges[index][0].content.decode())


@pytest.mark.parametrize("tenant", [ACME, LONGEST])
def test_twilio_purchase_and_update_carry_the_friendly_name(twilio, recorder, tenant):
    bought = twilio.purchase("+18089255327", tenant=tenant)
    twilio.set_tenant(replace(bought, id=NUMBER_SID), tenant)
    twilio.set_tenant(OwnedNumber(ProviderName.twilio, "+18089255327", NUMBER_SID), None)
    twilio.list_owned(tenant.id)

    recorder.assert_clean()
    assert _form(recorder, 0)["FriendlyName"][0].startswith(f"{tenant.id} · ")
    assert len(_form(recorder, 0)["FriendlyName"][0]) <= 64
    assert _form(recorder, 2)["FriendlyName"] == ["(808) 925-5327"]


def test_twilio_address_for_a_tenant(twilio, recorder):
    twilio.create_address(ADDRESS)
    recorder.assert_clean()
    assert _form(recorder, 0)["FriendlyName"] == ["acme-dental · Cape Town office"]


def test_telnyx_order_update_and_filter_carry_customer_reference(telnyx, recorder):
    # Prism's example number has customer_reference "customer-reference": the provider then
    # writes the tenant on the number itself (UpdatePhoneNumber), which is checked too.
    telnyx.purchase("+19705555098", tenant=ACME)
    number = OwnedNumber(ProviderName.telnyx, "+19705555098", "1293384261075731499")
    telnyx.set_tenant(number, None)
    telnyx.list_owned("acme-dental")

    recorder.assert_clean()
    sent = [(r.method, r.url.path, r) for r, _ in recorder.exchanges]
    order = next(r for m, p, r in sent if (m, p) == ("POST", "/number_orders"))
    assert json.loads(order.content)["customer_reference"] == "tenant:acme-dental"
    patches = [json.loads(r.content) for m, _, r in sent if m == "PATCH"]
    assert patches == [
        {"customer_reference": "tenant:acme-dental"},
        {"customer_reference": ""},
    ]
    listing = sent[-1][2]
    assert listing.url.params["filter[customer_reference]"] == "tenant:acme-dental"


def test_telnyx_address_for_a_tenant(telnyx, recorder):
    telnyx.create_address(ADDRESS)
    recorder.assert_clean()
    assert json.loads(recorder.exchanges[0][0].content)["customer_reference"] == (
        "tenant:acme-dental"
    )
