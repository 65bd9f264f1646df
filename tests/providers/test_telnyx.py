"""TelnyxProvider against respx: exact requests (path, deepObject query, JSON body, Bearer
auth), parsed models, and every error status mapped onto the taxonomy."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime

import httpx
import pytest

from telcli.errors import AuthError, ProviderRejected, ProviderUnavailable, UsageProblem
from telcli.models import (
    AddressRequirement,
    Capability,
    NumberConfig,
    NumberQuery,
    NumberType,
    OwnedNumber,
    ProviderName,
)
from telcli.providers.base import ProviderSettings
from telcli.providers.telnyx import TelnyxProvider
from tests.providers.helpers import TELNYX_KEY, load

API = "https://api.telnyx.com/v2"
BEARER = f"Bearer {TELNYX_KEY}"
NUMBER_ID = "1293384261075731499"


def make(**settings_kw) -> TelnyxProvider:
    settings_kw.setdefault("credentials", {"api_key": TELNYX_KEY})
    return TelnyxProvider(ProviderSettings(**settings_kw))


def query_of(request: httpx.Request) -> dict[str, list[str]]:
    return {k: request.url.params.get_list(k) for k in request.url.params}


def json_of(request: httpx.Request) -> object:
    assert request.headers["Content-Type"] == "application/json"
    return json.loads(request.content)


def owned(**kw) -> OwnedNumber:
    kw.setdefault("id", NUMBER_ID)
    return OwnedNumber(provider=ProviderName.telnyx, phone_number="+19705555098", **kw)


def lookup_query(digits: str) -> dict[str, list[str]]:
    return {"filter[phone_number]": [digits], "page[number]": ["1"], "page[size]": ["250"]}


MESSAGING = re.compile(rf"^{re.escape(API)}/phone_numbers/(?P<id>\d+)/messaging$")


def details(respx_mock, *, messaging=None, groups=None):
    """What the provider asks about listed numbers: each one's messaging settings
    (GetPhoneNumberMessagingSettings) and the ordering requirement groups telcli created
    (GetRequirementGroups, a bare array)."""
    settings = respx_mock.get(url__regex=MESSAGING.pattern).respond(
        200, json=messaging or load("telnyx", "phone_number_messaging")
    )
    requirement_groups = respx_mock.get(f"{API}/requirement_groups").respond(
        200, json=[] if groups is None else groups
    )
    return settings, requirement_groups


# -- operations ------------------------------------------------------------------------------


def test_verify_lists_one_number_with_bearer_auth(respx_mock):
    route = respx_mock.get(f"{API}/phone_numbers").respond(
        200, json=load("telnyx", "phone_numbers")
    )

    assert make().verify() == "Telnyx API key accepted, 1 numbers on the account"

    request = route.calls.last.request
    assert request.headers["Authorization"] == BEARER
    assert query_of(request) == {"page[size]": ["1"]}


def test_search_sends_deep_object_filters_and_parses_costs(respx_mock):
    route = respx_mock.get(f"{API}/available_phone_numbers").respond(
        200, json=load("telnyx", "available_phone_numbers")
    )
    # AvailablePhoneNumber has no address requirement: one requirements lookup per page.
    needs = respx_mock.get(f"{API}/phone_numbers_regulatory_requirements").respond(
        200, json=load("telnyx", "phone_numbers_regulatory_requirements")
    )
    query = NumberQuery(
        country="us",
        area_code="970",
        contains="555",
        locality="Fort Collins",
        region="CO",
        capabilities=(Capability.sms, Capability.voice),
        limit=5,
    )

    first, second = make().search_numbers(query)

    request = route.calls.last.request
    assert request.headers["Authorization"] == BEARER
    assert query_of(request) == {
        "filter[country_code]": ["US"],
        "filter[phone_number_type]": ["local"],
        "filter[national_destination_code]": ["970"],
        "filter[phone_number][contains]": ["555"],
        "filter[locality]": ["Fort Collins"],
        "filter[administrative_area]": ["CO"],
        "filter[features]": ["sms,voice"],
        "filter[limit]": ["5"],
    }
    assert first.provider is ProviderName.telnyx
    assert first.phone_number == "+19705555098"
    assert (first.country, first.number_type) == ("US", NumberType.local)
    assert (first.locality, first.region) == ("Fort Collins", "CO")
    assert first.capabilities == (Capability.voice, Capability.sms, Capability.mms, Capability.fax)
    assert (first.monthly_price, first.upfront_price) == (Decimal("1.00"), Decimal("1.00"))
    assert first.currency == "USD"
    assert query_of(needs.calls.last.request) == {
        "filter[phone_number]": ["+19705555098,+19705550123"]
    }
    assert first.address_requirement is AddressRequirement.local
    assert second.address_requirement is AddressRequirement.none
    # No "location" region: the rate center stands in for the locality.
    assert (second.locality, second.region) == ("LOVELAND", "CO")
    assert second.capabilities == (Capability.voice,)
    assert second.upfront_price == Decimal("0.00")


@pytest.mark.parametrize(
    ("number_type", "wire"),
    [(NumberType.toll_free, "toll_free"), (NumberType.mobile, "mobile")],
)
def test_search_number_types_use_the_spec_enum(respx_mock, number_type, wire):
    route = respx_mock.get(f"{API}/available_phone_numbers").respond(
        200, json=load("telnyx", "available_phone_numbers_empty")
    )

    assert make().search_numbers(NumberQuery(country="GB", number_type=number_type)) == []

    assert query_of(route.calls.last.request) == {
        "filter[country_code]": ["GB"],
        "filter[phone_number_type]": [wire],
        "filter[limit]": ["20"],
    }


def test_purchase_orders_the_number_and_resolves_the_phone_number_id(respx_mock):
    order = respx_mock.post(f"{API}/number_orders").respond(
        200, json=load("telnyx", "number_order_success")
    )
    lookup = respx_mock.get(f"{API}/phone_numbers").respond(
        200, json=load("telnyx", "phone_numbers")
    )
    _, groups = details(respx_mock)

    number = make().purchase("+19705555098")

    assert order.calls.last.request.headers["Authorization"] == BEARER
    assert json_of(order.calls.last.request) == {
        "phone_numbers": [{"phone_number": "+19705555098"}]
    }
    # filter[phone_number] takes digits only: "non-numerical characters" match nothing.
    assert query_of(lookup.calls.last.request) == lookup_query("19705555098")
    assert query_of(groups.calls.last.request) == {
        "filter[action]": ["ordering"],
        "filter[customer_reference]": ["telcli +19705555098"],
    }
    assert number == OwnedNumber(
        provider=ProviderName.telnyx,
        phone_number="+19705555098",
        id=NUMBER_ID,  # the PhoneNumber id, not the order's number_order_phone_number id
        country="US",
        capabilities=(Capability.voice, Capability.sms),
        connection_id="1293384261075731499",
        messaging_profile_id="abc85f64-5717-4562-b3fc-2c9600000000",
        status="active",
        created_at=datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
    )


def test_purchase_with_address_wraps_it_in_a_requirement_group(respx_mock):
    # Number orders take no address, only requirement_group_id: the address goes into a
    # new requirement group (CreateRequirementGroup) for the number's address requirement.
    needs = respx_mock.get(f"{API}/phone_numbers_regulatory_requirements").respond(
        200, json=load("telnyx", "phone_numbers_regulatory_requirements")
    )
    group = respx_mock.post(f"{API}/requirement_groups").respond(
        200, json=load("telnyx", "requirement_group")
    )
    order = respx_mock.post(f"{API}/number_orders").respond(
        200, json=load("telnyx", "number_order_success")
    )
    respx_mock.get(f"{API}/phone_numbers").respond(200, json=load("telnyx", "phone_numbers"))
    details(respx_mock)

    make().purchase("+19705555098", address_id="1293384261075731461")

    assert query_of(needs.calls.last.request) == {"filter[phone_number]": ["+19705555098"]}
    assert json_of(group.calls.last.request) == {
        "country_code": "US",
        "phone_number_type": "local",
        "action": "ordering",
        "customer_reference": "telcli +19705555098",
        "regulatory_requirements": [
            {
                "requirement_id": "12ade33a-21c0-473b-b055-b3c836e1c292",
                "field_value": "1293384261075731461",
            }
        ],
    }
    assert json_of(order.calls.last.request) == {
        "phone_numbers": [
            {
                "phone_number": "+19705555098",
                "requirement_group_id": "a4b201f9-8646-4e54-a7d2-b2e403eeaf8c",
            }
        ]
    }


def test_purchase_with_address_of_a_number_that_needs_none_sends_no_group(respx_mock):
    respx_mock.get(f"{API}/phone_numbers_regulatory_requirements").respond(
        200, json={"data": [], "meta": {}}
    )
    order = respx_mock.post(f"{API}/number_orders").respond(
        200, json=load("telnyx", "number_order_success")
    )
    respx_mock.get(f"{API}/phone_numbers").respond(200, json=load("telnyx", "phone_numbers"))
    details(respx_mock)

    make().purchase("+19705555098", address_id="1293384261075731461")

    assert json_of(order.calls.last.request) == {
        "phone_numbers": [{"phone_number": "+19705555098"}]
    }


def test_pending_order_with_a_listed_number_reports_its_pending_status(respx_mock):
    respx_mock.post(f"{API}/number_orders").respond(
        200, json=load("telnyx", "number_order_pending")
    )
    respx_mock.get(f"{API}/phone_numbers").respond(200, json=load("telnyx", "phone_number_pending"))
    details(respx_mock)

    number = make().purchase("+19705555098")

    assert (number.id, number.status) == (NUMBER_ID, "purchase-pending")


def test_pending_order_not_yet_listed_says_so(respx_mock):
    respx_mock.post(f"{API}/number_orders").respond(
        200, json=load("telnyx", "number_order_pending")
    )
    respx_mock.get(f"{API}/phone_numbers").respond(200, json=load("telnyx", "phone_numbers_empty"))

    number = make().purchase("+19705555098")

    assert number.status == "purchase-pending"
    assert number.id == "dc8e4d67-33a0-4cbb-af74-7b58f05bd494"
    assert number.phone_number == "+19705555098"


def test_accepted_order_survives_a_failing_lookup(respx_mock):
    # The money is spent once the order is accepted: a lookup failure must not read as a
    # failed purchase (the caller would try again and buy twice).
    respx_mock.post(f"{API}/number_orders").respond(
        200, json=load("telnyx", "number_order_success")
    )
    respx_mock.get(f"{API}/phone_numbers").respond(503, json=load("telnyx", "errors_404"))

    number = make().purchase("+19705555098")

    assert number.phone_number == "+19705555098"
    assert number.status == "active"


def test_failed_order_is_a_rejection(respx_mock):
    respx_mock.post(f"{API}/number_orders").respond(
        200, json=load("telnyx", "number_order_failure")
    )

    with pytest.raises(ProviderRejected, match="12ade33a-21c0-473b-b055-b3c836e1c292"):
        make().purchase("+19705555098")


def test_list_owned_walks_pages_until_a_short_page(respx_mock):
    template = load("telnyx", "phone_number")["data"]
    full = [dict(template, id=str(10**18 + i), phone_number=f"+1970555{i:04d}") for i in range(250)]
    route = respx_mock.get(f"{API}/phone_numbers")
    route.side_effect = [
        httpx.Response(200, json={"data": full, "meta": {"page_number": 1, "total_pages": 2}}),
        httpx.Response(200, json=load("telnyx", "phone_numbers")),
    ]
    settings, _ = details(respx_mock)

    numbers = make().list_owned()

    assert len(numbers) == 251
    assert numbers[-1].id == NUMBER_ID
    assert [query_of(c.request) for c in route.calls] == [
        {"page[number]": ["1"], "page[size]": ["250"]},
        {"page[number]": ["2"], "page[size]": ["250"]},
    ]
    assert settings.call_count == 251  # one GetPhoneNumberMessagingSettings per number


def test_list_owned_stops_at_total_pages_and_drops_repeats(respx_mock):
    # A server that repeats the same short page (Prism's static mock does) ends the walk.
    body = load("telnyx", "phone_numbers")
    body["meta"] = {"page_number": 2, "page_size": 25, "total_pages": 3, "total_results": 55}
    route = respx_mock.get(f"{API}/phone_numbers").respond(200, json=body)
    details(respx_mock)

    assert [n.id for n in make().list_owned()] == [NUMBER_ID]
    assert route.call_count == 1


def test_find_owned_returns_none_for_other_numbers(respx_mock):
    route = respx_mock.get(f"{API}/phone_numbers").respond(
        200, json=load("telnyx", "phone_numbers")
    )

    assert make().find_owned("+19705555099") is None
    assert query_of(route.calls.last.request) == lookup_query("19705555099")


def _numbers(*digits: str) -> dict:
    template = load("telnyx", "phone_number")["data"]
    data = [dict(template, id=f"1{d}", phone_number=f"+2721{d}") for d in digits]
    return {"data": data, "meta": {"total_pages": 1}}


def _messaging(sms: bool, mms: bool) -> dict:
    feature = {"domestic_two_way": True, "international_inbound": True}
    feature["international_outbound"] = False
    body = load("telnyx", "phone_number_messaging")
    body["data"]["features"] = {"sms": feature if sms else None, "mms": feature if mms else None}
    return body


def test_owned_numbers_carry_capabilities_from_their_messaging_settings(respx_mock):
    # PhoneNumberDetailed has no features: voice is every number's, SMS/MMS are the non-null
    # features of GetPhoneNumberMessagingSettings. A voice-only landline must read voice-only
    # (it was [] and got picked to send a test SMS).
    respx_mock.get(f"{API}/phone_numbers").respond(200, json=_numbers("1000", "2000", "3000"))
    answers = {
        "11000": httpx.Response(200, json=_messaging(sms=False, mms=False)),
        "12000": httpx.Response(200, json=_messaging(sms=True, mms=True)),
        "13000": httpx.Response(404, json=load("telnyx", "errors_404")),
    }
    respx_mock.get(url__regex=MESSAGING.pattern).mock(side_effect=lambda request, id: answers[id])
    respx_mock.get(f"{API}/requirement_groups").respond(200, json=[])

    caps = {n.phone_number: n.capabilities for n in make().list_owned()}

    assert caps == {
        "+27211000": (Capability.voice,),
        "+27212000": (Capability.voice, Capability.sms, Capability.mms),
        "+27213000": (Capability.voice,),  # no messaging settings: no messaging
    }


def test_owned_numbers_keep_the_address_they_were_bought_with(respx_mock):
    # The address travels in the requirement group telcli made for the order; one
    # GetRequirementGroups finds every number's (by the group's customer_reference).
    respx_mock.get(f"{API}/phone_numbers").respond(200, json=_numbers("1000", "2000"))
    group = load("telnyx", "requirement_group")
    others = dict(group, customer_reference="someone else's", id="x")
    _, groups = details(
        respx_mock, groups=[dict(group, customer_reference="telcli +27211000"), others]
    )

    found = {n.phone_number: n.address_id for n in make().list_owned()}

    assert found == {"+27211000": "1293384261075731461", "+27212000": None}
    assert query_of(groups.calls.last.request) == {"filter[action]": ["ordering"]}


def test_a_refused_requirement_group_lookup_leaves_the_address_unknown(respx_mock):
    respx_mock.get(f"{API}/phone_numbers").respond(200, json=_numbers("1000"))
    respx_mock.get(url__regex=MESSAGING.pattern).respond(200, json=_messaging(True, False))
    groups = respx_mock.get(f"{API}/requirement_groups")
    groups.respond(422, json=load("telnyx", "errors_422"))

    (number,) = make().list_owned()
    assert number.address_id is None and number.capabilities == (Capability.voice, Capability.sms)

    groups.respond(403, json=load("telnyx", "errors_401"))
    with pytest.raises(AuthError):  # refused credentials are not a silent "no address"
        make().list_owned()


def test_release_deletes_by_id(respx_mock):
    route = respx_mock.delete(f"{API}/phone_numbers/{NUMBER_ID}").respond(
        200, json=load("telnyx", "phone_number_deleted")
    )

    assert make().release(owned()) is None
    assert route.calls.last.request.headers["Authorization"] == BEARER


def test_configure_patches_number_and_messaging_settings(respx_mock):
    number_route = respx_mock.patch(f"{API}/phone_numbers/{NUMBER_ID}").respond(
        200, json=load("telnyx", "phone_number_updated")
    )
    messaging = respx_mock.patch(f"{API}/phone_numbers/{NUMBER_ID}/messaging").respond(
        200, json=load("telnyx", "phone_number_messaging")
    )
    config = NumberConfig(
        connection_id="1684641123236054244",
        messaging_profile_id="dd50eba1-a0c0-4563-9925-b25e842a7cb6",
        friendly_name="front desk",
    )

    before = owned(capabilities=(Capability.voice, Capability.sms), address_id="42")
    number = make().configure(before, config)

    assert json_of(number_route.calls.last.request) == {
        "connection_id": "1684641123236054244",
        "customer_reference": "front desk",
    }
    assert json_of(messaging.calls.last.request) == {
        "messaging_profile_id": "dd50eba1-a0c0-4563-9925-b25e842a7cb6"
    }
    assert number.connection_id == "1684641123236054244"
    assert number.friendly_name == "front desk"
    assert number.messaging_profile_id == "dd50eba1-a0c0-4563-9925-b25e842a7cb6"
    assert number.status == "active"
    # UpdatePhoneNumber answers without features or address: the number keeps its own.
    assert (number.capabilities, number.address_id) == (before.capabilities, "42")


def test_configure_messaging_profile_only_touches_messaging(respx_mock):
    respx_mock.patch(f"{API}/phone_numbers/{NUMBER_ID}/messaging").respond(
        200, json=load("telnyx", "phone_number_messaging")
    )
    before = owned(connection_id="1293384261075731499")

    after = make().configure(
        before, NumberConfig(messaging_profile_id="dd50eba1-a0c0-4563-9925-b25e842a7cb6")
    )

    assert after.connection_id == "1293384261075731499"
    assert after.messaging_profile_id == "dd50eba1-a0c0-4563-9925-b25e842a7cb6"


@pytest.mark.parametrize(
    ("config", "flag"),
    [
        (NumberConfig(voice_url="https://hooks.example.com/voice"), "--voice-url"),
        (NumberConfig(sms_url="https://hooks.example.com/sms"), "--sms-url"),
        (NumberConfig(status_callback="https://hooks.example.com/s"), "--status-callback"),
    ],
)
def test_configure_refuses_webhook_urls_on_the_number(respx_mock, config, flag):
    with pytest.raises(UsageProblem, match=flag) as info:
        make().configure(owned(), config)
    assert "--connection-id" in (info.value.hint or "")
    assert "messaging profile" in (info.value.hint or "")
    assert not respx_mock.calls


def test_configure_with_nothing_to_change_sends_nothing(respx_mock):
    number = owned()
    assert make().configure(number, NumberConfig()) is number
    assert not respx_mock.calls


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_key_is_an_auth_error(respx_mock, status):
    respx_mock.get(f"{API}/phone_numbers").respond(status, json=load("telnyx", "errors_401"))

    with pytest.raises(AuthError, match="Could not understand the provided credentials"):
        make().verify()


@pytest.mark.parametrize(
    ("status", "fixture", "code", "text"),
    [
        (400, "errors_422", "10015", "no longer available"),
        (404, "errors_404", "10005", "Resource not found"),
        (422, "errors_422", "10015", "no longer available"),
    ],
)
def test_other_4xx_are_rejections_with_telnyx_detail_and_code(
    respx_mock, status, fixture, code, text
):
    respx_mock.post(f"{API}/number_orders").respond(status, json=load("telnyx", fixture))

    with pytest.raises(ProviderRejected, match=text) as info:
        make().purchase("+19705555098")

    err = info.value
    assert (err.provider, err.status, err.code) == ("telnyx", status, code)
    assert "purchase of +19705555098" in err.message


def test_every_error_entry_reaches_the_message(respx_mock):
    body = {
        "errors": [
            {"code": "10015", "title": "Invalid filter", "detail": "filter[limit] too large"},
            {"code": "10016", "title": "Invalid filter", "detail": "filter[locality] unknown"},
        ]
    }
    respx_mock.get(f"{API}/available_phone_numbers").respond(400, json=body)

    with pytest.raises(ProviderRejected) as info:
        make().search_numbers(NumberQuery())

    assert "filter[limit] too large" in info.value.message
    assert "filter[locality] unknown" in info.value.message
    assert info.value.code == "10015"


def test_429_with_retry_after_seconds(respx_mock):
    respx_mock.get(f"{API}/available_phone_numbers").respond(
        429,
        headers={"Retry-After": "3"},
        json={"errors": [{"code": "10011", "title": "Too many requests"}]},
    )

    with pytest.raises(ProviderUnavailable) as info:
        make().search_numbers(NumberQuery())

    assert (info.value.status, info.value.retry_after, info.value.code) == (429, 3.0, "10011")


def test_429_with_retry_after_http_date(respx_mock):
    when = format_datetime(datetime.fromtimestamp(time.time() + 120, UTC), usegmt=True)
    respx_mock.get(f"{API}/available_phone_numbers").respond(
        429, headers={"Retry-After": when}, json={"errors": []}
    )

    with pytest.raises(ProviderUnavailable) as info:
        make().search_numbers(NumberQuery())

    assert info.value.retry_after is not None and 110 <= info.value.retry_after <= 120


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_unavailable(respx_mock, status):
    respx_mock.post(f"{API}/number_orders").respond(
        status, json={"errors": [{"code": "10007", "title": "Unexpected error"}]}
    )

    with pytest.raises(ProviderUnavailable, match="Unexpected error") as info:
        make().purchase("+19705555098")

    assert (info.value.status, info.value.sent) == (status, True)


def test_connect_error_was_not_sent(respx_mock):
    respx_mock.post(f"{API}/number_orders").mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(ProviderUnavailable) as info:
        make().purchase("+19705555098")

    assert info.value.sent is False


def test_read_timeout_may_have_been_sent(respx_mock):
    respx_mock.post(f"{API}/number_orders").mock(side_effect=httpx.ReadTimeout("timed out"))

    with pytest.raises(ProviderUnavailable) as info:
        make().purchase("+19705555098")

    assert info.value.sent is True


def test_unreadable_success_body_is_unavailable(respx_mock):
    respx_mock.get(f"{API}/phone_numbers").respond(200, text="<html>proxy</html>")

    with pytest.raises(ProviderUnavailable, match="unreadable"):
        make().verify()


def test_missing_key_fails_before_any_request(respx_mock):
    with pytest.raises(AuthError, match="API key is missing"):
        make(credentials={}).verify()
    assert not respx_mock.calls


# -- transport, hosts, secrets ---------------------------------------------------------------


@pytest.mark.parametrize("base", ["http://127.0.0.1:4011", "http://127.0.0.1:4011/"])
def test_base_url_override_replaces_the_whole_base(respx_mock, base):
    # Prism serves the spec's paths without the server's /v2.
    route = respx_mock.get("http://127.0.0.1:4011/available_phone_numbers").respond(
        200, json=load("telnyx", "available_phone_numbers")
    )
    respx_mock.get("http://127.0.0.1:4011/phone_numbers_regulatory_requirements").respond(
        200, json={"data": [], "meta": {}}
    )

    assert len(make(base_urls={"api": base}).search_numbers(NumberQuery())) == 2
    assert route.calls.last.request.url.path == "/available_phone_numbers"


def test_custom_transport_is_used():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json=load("telnyx", "phone_number_deleted"))

    make(transport=httpx.MockTransport(handler)).release(owned())

    assert seen == [f"DELETE /v2/phone_numbers/{NUMBER_ID}"]


def test_debug_log_shows_requests_but_never_the_key(respx_mock):
    lines: list[str] = []
    respx_mock.get(f"{API}/phone_numbers").respond(200, json=load("telnyx", "phone_numbers"))
    respx_mock.post(f"{API}/number_orders").respond(401, json=load("telnyx", "errors_401"))
    provider = make(debug_log=lines.append)

    provider.verify()
    with pytest.raises(AuthError) as info:
        provider.purchase("+19705555098")

    log = "\n".join(lines)
    assert len(lines) == 2
    assert "GET https://api.telnyx.com/v2/phone_numbers?page%5Bsize%5D=1 -> 200" in log
    assert "POST https://api.telnyx.com/v2/number_orders -> 401" in log
    assert "auth Bearer ***" in log
    assert TELNYX_KEY not in log
    assert TELNYX_KEY not in str(info.value)


def test_the_settings_retry_policy_repeats_reads_but_not_orders(respx_mock):
    from telcli.transport import RetryPolicy

    pauses: list[float] = []
    policy = RetryPolicy(max_attempts=3, sleep=pauses.append, random=lambda: 0.5)
    search = respx_mock.get(f"{API}/available_phone_numbers")
    search.side_effect = [
        httpx.Response(429, headers={"Retry-After": "2"}, json={"errors": []}),
        httpx.Response(200, json=load("telnyx", "available_phone_numbers")),
    ]
    respx_mock.get(f"{API}/phone_numbers_regulatory_requirements").respond(
        200, json={"data": [], "meta": {}}
    )
    order = respx_mock.post(f"{API}/number_orders").respond(500, json={"errors": []})
    provider = make(retry=policy)

    assert len(provider.search_numbers(NumberQuery())) == 2
    with pytest.raises(ProviderUnavailable):
        provider.purchase("+19705555098")

    assert (search.call_count, order.call_count) == (2, 1)
    assert pauses == [2.0]  # Retry-After honoured


def test_connections_and_messaging_profiles_are_listed_page_by_page(respx_mock):
    # ListConnections / ListMessagingProfiles: page[number]/page[size]; a profile's
    # v1_secret never leaves the provider.
    connection = {
        "id": "1494404757140276705",
        "record_type": "call_control_application",
        "connection_name": "Voice app",
        "active": True,
        "webhook_event_url": "https://example.com/voice",
        "created_at": "2026-01-02T03:04:05.000Z",
    }
    connections = respx_mock.get(f"{API}/connections").respond(
        200, json={"data": [connection], "meta": {"total_pages": 1}}
    )
    profile = {
        "id": "40017f8e-49bd-4f9b-9df0-0a1b2c3d4e5f",
        "name": "SMS",
        "enabled": False,
        "v1_secret": "rP1VamejkU2v0qIUxntqLW2c",
    }
    respx_mock.get(f"{API}/messaging_profiles").respond(200, json={"data": [profile]})

    (found,) = make().list_connections()
    (sms,) = make().list_messaging_profiles()

    assert query_of(connections.calls.last.request) == {
        "page[number]": ["1"],
        "page[size]": ["250"],
    }
    assert found.to_json() == {
        "id": "1494404757140276705",
        "name": "Voice app",
        "kind": "connection",
        "type": "call_control_application",
        "active": True,
        "webhook_url": "https://example.com/voice",
        "created_at": "2026-01-02T03:04:05Z",
        "provider": "telnyx",
    }
    assert (sms.name, sms.active, sms.kind) == ("SMS", False, "messaging_profile")
    assert "rP1Vamej" not in repr(sms) + json.dumps(sms.to_json())
