"""TelnyxProvider against Prism serving telnyx_v2.json: every operation's request must
satisfy the official spec, and the provider must parse the spec's own example responses."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from telcli.models import (
    Capability,
    NumberConfig,
    NumberQuery,
    NumberType,
    OwnedNumber,
    ProviderName,
)
from telcli.providers.base import ProviderSettings
from telcli.providers.telnyx import TelnyxProvider
from tests.contract.conftest import Recorder
from tests.providers.helpers import TELNYX_KEY

pytestmark = pytest.mark.contract

# The spec examples' number and PhoneNumber id (Prism's static answers).
EXAMPLE_NUMBER = "+19705555098"
EXAMPLE_ID = "1293384261075731499"


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    yield rec
    rec.close()


@pytest.fixture
def telnyx(prism_telnyx, recorder) -> TelnyxProvider:
    return TelnyxProvider(
        ProviderSettings(
            credentials={"api_key": TELNYX_KEY}, base_urls=prism_telnyx, transport=recorder
        )
    )


def owned() -> OwnedNumber:
    return OwnedNumber(provider=ProviderName.telnyx, phone_number=EXAMPLE_NUMBER, id=EXAMPLE_ID)


def test_verify(telnyx, recorder):
    assert telnyx.verify().startswith("Telnyx API key accepted")
    recorder.assert_clean()


@pytest.mark.parametrize("number_type", list(NumberType))
def test_search_with_every_filter(telnyx, recorder, number_type):
    found = telnyx.search_numbers(
        NumberQuery(
            country="US",
            number_type=number_type,
            area_code="970",
            contains="555",
            locality="Fort Collins",
            region="CO",
            capabilities=tuple(Capability),
            limit=10,
        )
    )

    recorder.assert_clean()
    (number,) = found
    assert number.phone_number == EXAMPLE_NUMBER
    assert (number.monthly_price, number.upfront_price) == (Decimal("6.54"), Decimal("3.21"))
    assert number.currency == "USD"
    assert number.capabilities == (Capability.voice, Capability.sms)


def test_purchase(telnyx, recorder):
    number = telnyx.purchase(EXAMPLE_NUMBER)

    recorder.assert_clean()
    assert [(r.method, r.url.path) for r, _ in recorder.exchanges] == [
        ("POST", "/number_orders"),
        ("GET", "/phone_numbers"),
        ("GET", "/requirement_groups"),  # the address it was bought with
        ("GET", f"/phone_numbers/{EXAMPLE_ID}/messaging"),  # its SMS/MMS features
    ]
    assert (number.id, number.phone_number) == (EXAMPLE_ID, EXAMPLE_NUMBER)
    # The spec's example messaging settings have an SMS feature set and a null MMS one.
    assert number.capabilities == (Capability.voice, Capability.sms)


def test_purchase_with_an_address_looks_up_the_requirements_first(telnyx, recorder):
    # The example number has no address requirement in Prism's static answer (that is for
    # +41215471644), so no requirement group is made; see test_provisioning_contract.py.
    number = telnyx.purchase(EXAMPLE_NUMBER, address_id="1293384261075731461")

    recorder.assert_clean()
    assert [(r.method, r.url.path) for r, _ in recorder.exchanges][:2] == [
        ("GET", "/phone_numbers_regulatory_requirements"),
        ("POST", "/number_orders"),
    ]
    assert number.address_id == "1293384261075731461"


def test_list_and_find(telnyx, recorder):
    numbers = telnyx.list_owned()
    found = telnyx.find_owned(EXAMPLE_NUMBER)

    recorder.assert_clean()
    assert [n.id for n in numbers] == [EXAMPLE_ID]
    assert found is not None and found.country == "US" and found.status == "active"
    assert found.capabilities == numbers[0].capabilities == (Capability.voice, Capability.sms)
    groups = [r for r, _ in recorder.exchanges if r.url.path == "/requirement_groups"]
    assert [dict(r.url.params) for r in groups] == [
        {"filter[action]": "ordering"},
        {"filter[action]": "ordering", "filter[customer_reference]": f"telcli {EXAMPLE_NUMBER}"},
    ]


def test_release(telnyx, recorder):
    telnyx.release(owned())
    recorder.assert_clean()


def test_configure(telnyx, recorder):
    number = telnyx.configure(
        owned(),
        NumberConfig(
            connection_id="1293384261075731499",
            messaging_profile_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
            friendly_name="front desk",
        ),
    )

    recorder.assert_clean()
    assert [(r.method, r.url.path) for r, _ in recorder.exchanges] == [
        ("PATCH", f"/phone_numbers/{EXAMPLE_ID}"),
        ("PATCH", f"/phone_numbers/{EXAMPLE_ID}/messaging"),
    ]
    assert number.messaging_profile_id == "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def test_the_harness_sees_a_bad_request(prism_telnyx, recorder):
    """Guard against a harness that passes everything: a bad enum and a form body."""
    with httpx.Client(transport=recorder, headers={"Authorization": "Bearer x"}) as client:
        client.get(
            f"{prism_telnyx['api']}/available_phone_numbers",
            params={"filter[phone_number_type]": "toll-free"},
        )
        client.post(f"{prism_telnyx['api']}/number_orders", data={"phone_numbers": "x"})

    problems = recorder.violations()
    assert any("phone_number_type" in p for p in problems), problems
    assert any("application/json" in p for p in problems), problems


def test_connections_and_messaging_profiles(telnyx, recorder):
    # ListConnections and ListMessagingProfiles, as `telcli telnyx connections |
    # messaging-profiles` and name resolution in `numbers configure` send them.
    connections = telnyx.list_connections()
    profiles = telnyx.list_messaging_profiles()

    recorder.assert_clean()
    assert [r.url.path for r, _ in recorder.exchanges] == ["/connections", "/messaging_profiles"]
    assert connections and all(c.id and c.kind == "connection" for c in connections)
    assert profiles and all(p.id and p.kind == "messaging_profile" for p in profiles)
