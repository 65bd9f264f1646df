"""TwilioProvider against respx: the exact requests the SDK-over-httpx adapter sends, the
models it returns, and every error status mapped onto the taxonomy."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from urllib.parse import parse_qs

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
from telcli.providers.twilio import TwilioProvider
from tests.providers.helpers import (
    ACCOUNT_SID,
    ADDRESS_SID,
    API_KEY_SID,
    API_SECRET,
    AUTH_TOKEN,
    NUMBER_SID,
    basic,
    load,
)

API = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}"
PRICING = "https://pricing.twilio.com/v1/PhoneNumbers/Countries"
TOKEN_AUTH = basic(ACCOUNT_SID, AUTH_TOKEN)


def make(**settings_kw) -> TwilioProvider:
    settings_kw.setdefault("credentials", {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN})
    return TwilioProvider(ProviderSettings(**settings_kw))


def query_of(request: httpx.Request) -> dict[str, list[str]]:
    return {k: request.url.params.get_list(k) for k in request.url.params}


def form_of(request: httpx.Request) -> dict[str, list[str]]:
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return parse_qs(request.content.decode(), keep_blank_values=True)


def owned(**kw) -> OwnedNumber:
    kw.setdefault("id", NUMBER_SID)
    return OwnedNumber(provider=ProviderName.twilio, phone_number="+14159251571", **kw)


# -- operations ------------------------------------------------------------------------------


def test_verify_fetches_the_account_with_basic_auth(respx_mock):
    route = respx_mock.get(f"{API}.json").respond(200, json=load("twilio", "account"))

    assert make().verify() == f"Acme Telephony Ops ({ACCOUNT_SID}, active)"

    request = route.calls.last.request
    assert request.method == "GET"
    assert request.url.query == b""
    assert request.headers["Authorization"] == TOKEN_AUTH
    # telcli's User-Agent rides along as an SDK user-agent extension.
    assert request.headers["User-Agent"].startswith("twilio-python/")
    assert "telcli/" in request.headers["User-Agent"]


def test_api_key_authenticates_as_the_key_but_addresses_the_account(respx_mock):
    route = respx_mock.get(f"{API}.json").respond(200, json=load("twilio", "account"))
    provider = make(
        credentials={
            "account_sid": ACCOUNT_SID,
            "api_key": API_KEY_SID,
            "api_secret": API_SECRET,
        }
    )

    provider.verify()

    assert route.calls.last.request.headers["Authorization"] == basic(API_KEY_SID, API_SECRET)


def test_search_local_sends_every_filter_and_prices_from_pricing_v1(respx_mock):
    search = respx_mock.get(f"{API}/AvailablePhoneNumbers/US/Local.json").respond(
        200, json=load("twilio", "available_phone_numbers_local")
    )
    pricing = respx_mock.get(f"{PRICING}/US").respond(
        200, json=load("twilio", "pricing_phone_numbers_country_us")
    )
    query = NumberQuery(
        country="us",
        area_code="415",
        contains="555",
        locality="San Francisco",
        region="CA",
        capabilities=(Capability.sms, Capability.voice, Capability.mms),
        limit=5,
    )

    found = make().search_numbers(query)

    assert query_of(search.calls.last.request) == {
        "AreaCode": ["415"],
        "Contains": ["555"],
        "InLocality": ["San Francisco"],
        "InRegion": ["CA"],
        "SmsEnabled": ["true"],
        "VoiceEnabled": ["true"],
        "MmsEnabled": ["true"],
        "PageSize": ["5"],
    }
    assert search.calls.last.request.headers["Authorization"] == TOKEN_AUTH
    assert pricing.call_count == 1
    assert pricing.calls.last.request.headers["Authorization"] == TOKEN_AUTH
    first, second = found
    assert first.provider is ProviderName.twilio
    assert first.phone_number == "+14159251571"
    assert (first.country, first.number_type) == ("US", NumberType.local)
    assert (first.locality, first.region) == ("San Francisco", "CA")
    assert first.capabilities == (Capability.voice, Capability.mms)
    assert first.monthly_price == Decimal("1.15")
    assert first.upfront_price is None
    assert first.currency == "USD"
    assert first.address_requirement is AddressRequirement.none
    # Live-API capitalisation ("SMS", "MMS") is understood too.
    assert second.capabilities == (Capability.voice, Capability.sms, Capability.mms)
    assert second.address_requirement is AddressRequirement.any


def test_search_toll_free_uses_the_toll_free_list_and_the_toll_free_price(respx_mock):
    search = respx_mock.get(f"{API}/AvailablePhoneNumbers/US/TollFree.json").respond(
        200, json=load("twilio", "available_phone_numbers_toll_free")
    )
    respx_mock.get(f"{PRICING}/US").respond(
        200, json=load("twilio", "pricing_phone_numbers_country_us")
    )

    (number,) = make().search_numbers(NumberQuery(number_type=NumberType.toll_free))

    assert query_of(search.calls.last.request) == {"PageSize": ["20"]}
    assert number.number_type is NumberType.toll_free
    assert number.monthly_price == Decimal("2.15")  # the "toll free" entry, with its space
    assert (number.locality, number.region) == (None, None)


def test_search_mobile_uses_current_price_and_currency_of_the_country(respx_mock):
    respx_mock.get(f"{API}/AvailablePhoneNumbers/GB/Mobile.json").respond(
        200, json=load("twilio", "available_phone_numbers_mobile")
    )
    respx_mock.get(f"{PRICING}/GB").respond(
        200, json=load("twilio", "pricing_phone_numbers_country_gb")
    )

    (number,) = make().search_numbers(NumberQuery(country="GB", number_type=NumberType.mobile))

    assert (number.country, number.number_type) == ("GB", NumberType.mobile)
    assert number.monthly_price == Decimal("1.25")  # current_price, not base_price
    assert number.currency == "GBP"
    assert number.address_requirement is AddressRequirement.local


def test_a_number_type_twilio_has_none_of_is_an_empty_answer(respx_mock):
    # Issue 13: US Mobile is a 404 ("The requested resource ... was not found", naming the
    # account path); that answers "what can I buy" with nothing, it is not an error.
    missing = {
        "code": 20404,
        "message": f"The requested resource /2010-04-01/Accounts/{ACCOUNT_SID}/"
        "AvailablePhoneNumbers/US/Mobile.json was not found",
        "more_info": "https://www.twilio.com/docs/errors/20404",
        "status": 404,
    }
    respx_mock.get(f"{API}/AvailablePhoneNumbers/US/Mobile.json").respond(404, json=missing)

    assert make().search_numbers(NumberQuery(number_type=NumberType.mobile)) == []


def test_other_refusals_of_a_search_are_still_errors(respx_mock):
    respx_mock.get(f"{API}/AvailablePhoneNumbers/US/Local.json").respond(
        400, json={"code": 21452, "message": "No numbers found", "status": 400}
    )
    with pytest.raises(ProviderRejected):
        make().search_numbers(NumberQuery())


def test_search_without_a_price_for_the_type_keeps_the_currency(respx_mock):
    respx_mock.get(f"{API}/AvailablePhoneNumbers/US/Mobile.json").respond(
        200, json=load("twilio", "available_phone_numbers_mobile")
    )
    respx_mock.get(f"{PRICING}/US").respond(
        200, json=load("twilio", "pricing_phone_numbers_country_us")
    )

    (number,) = make().search_numbers(NumberQuery(number_type=NumberType.mobile))

    assert (number.monthly_price, number.currency) == (None, "USD")


@pytest.mark.parametrize("status", [404, 500, 503])
def test_search_still_answers_when_pricing_fails(respx_mock, status):
    respx_mock.get(f"{API}/AvailablePhoneNumbers/US/Local.json").respond(
        200, json=load("twilio", "available_phone_numbers_local")
    )
    respx_mock.get(f"{PRICING}/US").respond(status, json={"code": 20500, "message": "boom"})

    found = make().search_numbers(NumberQuery())

    assert [n.phone_number for n in found] == ["+14159251571", "+14155550142"]
    assert all(n.monthly_price is None and n.currency is None for n in found)


def test_search_still_answers_when_pricing_is_unreachable(respx_mock):
    respx_mock.get(f"{API}/AvailablePhoneNumbers/US/Local.json").respond(
        200, json=load("twilio", "available_phone_numbers_local")
    )
    respx_mock.get(f"{PRICING}/US").mock(side_effect=httpx.ConnectError("refused"))

    assert len(make().search_numbers(NumberQuery())) == 2


def test_search_fails_on_rejected_pricing_credentials(respx_mock):
    respx_mock.get(f"{API}/AvailablePhoneNumbers/US/Local.json").respond(
        200, json=load("twilio", "available_phone_numbers_local")
    )
    respx_mock.get(f"{PRICING}/US").respond(403, json={"code": 20003, "message": "Forbidden"})

    with pytest.raises(AuthError):
        make().search_numbers(NumberQuery())


def test_empty_search_skips_the_price_lookup(respx_mock):
    respx_mock.get(f"{API}/AvailablePhoneNumbers/US/Local.json").respond(
        200, json=load("twilio", "available_phone_numbers_empty")
    )

    assert make().search_numbers(NumberQuery()) == []  # no pricing route: none was called


def test_non_numeric_area_code_is_a_usage_problem_before_any_request(respx_mock):
    with pytest.raises(UsageProblem, match="area code"):
        make().search_numbers(NumberQuery(area_code="41a"))
    assert not respx_mock.calls


def test_purchase_posts_phone_number_and_address_sid(respx_mock):
    route = respx_mock.post(f"{API}/IncomingPhoneNumbers.json").respond(
        201, json=load("twilio", "incoming_phone_number")
    )

    number = make().purchase("+14159251571", address_id=ADDRESS_SID)

    request = route.calls.last.request
    assert request.headers["Authorization"] == TOKEN_AUTH
    assert form_of(request) == {"PhoneNumber": ["+14159251571"], "AddressSid": [ADDRESS_SID]}
    assert number == OwnedNumber(
        provider=ProviderName.twilio,
        phone_number="+14159251571",
        id=NUMBER_SID,
        country="US",
        friendly_name="(415) 925-1571",
        capabilities=(Capability.voice, Capability.sms, Capability.mms),
        voice_url=None,
        sms_url=None,  # Twilio's "" for unset
        status_callback=None,
        address_id=ADDRESS_SID,
        status="in-use",
        created_at=datetime(2015, 7, 30, 23, 19, 4, tzinfo=UTC),
    )


def test_purchase_without_address_sends_only_the_number(respx_mock):
    route = respx_mock.post(f"{API}/IncomingPhoneNumbers.json").respond(
        201, json=load("twilio", "incoming_phone_number")
    )

    make().purchase("+14159251571")

    assert form_of(route.calls.last.request) == {"PhoneNumber": ["+14159251571"]}


def test_list_owned_follows_every_page(respx_mock):
    route = respx_mock.get(f"{API}/IncomingPhoneNumbers.json")
    route.side_effect = [
        httpx.Response(200, json=load("twilio", "incoming_phone_numbers_page0")),
        httpx.Response(200, json=load("twilio", "incoming_phone_numbers_page1")),
    ]

    numbers = make().list_owned()

    assert [n.phone_number for n in numbers] == ["+14159251571", "+14155550142"]
    assert numbers[1].sms_url == "https://hooks.example.com/sms"
    first, second = (query_of(c.request) for c in route.calls)
    assert first == {"PageSize": ["1000"]}
    assert second == {
        "PageSize": ["1000"],
        "Page": ["1"],
        "PageToken": ["PAPN8d0b2c4e6f8a0b1c2d3e4f5a6b7c8d9e"],
    }


def test_find_owned_filters_by_phone_number(respx_mock):
    route = respx_mock.get(f"{API}/IncomingPhoneNumbers.json").respond(
        200, json=load("twilio", "incoming_phone_numbers_page1")
    )

    found = make().find_owned("+14155550142")

    assert query_of(route.calls.last.request) == {"PhoneNumber": ["+14155550142"]}
    assert found is not None and found.friendly_name == "support line"


def test_find_owned_returns_none_when_not_owned(respx_mock):
    respx_mock.get(f"{API}/IncomingPhoneNumbers.json").respond(
        200, json=load("twilio", "incoming_phone_numbers_empty")
    )

    assert make().find_owned("+14155550199") is None


def test_find_owned_ignores_a_different_number_in_the_answer(respx_mock):
    respx_mock.get(f"{API}/IncomingPhoneNumbers.json").respond(
        200, json=load("twilio", "incoming_phone_numbers_page1")
    )

    assert make().find_owned("+14155550199") is None


def test_release_deletes_the_number_by_sid(respx_mock):
    route = respx_mock.delete(f"{API}/IncomingPhoneNumbers/{NUMBER_SID}.json").respond(204)

    assert make().release(owned()) is None

    request = route.calls.last.request
    assert request.headers["Authorization"] == TOKEN_AUTH
    assert request.content == b""


def test_configure_posts_the_twilio_fields(respx_mock):
    route = respx_mock.post(f"{API}/IncomingPhoneNumbers/{NUMBER_SID}.json").respond(
        200, json=load("twilio", "incoming_phone_number_updated")
    )
    config = NumberConfig(
        voice_url="https://hooks.example.com/voice",
        sms_url="https://hooks.example.com/sms",
        status_callback="https://hooks.example.com/status",
        friendly_name="front desk",
    )

    number = make().configure(owned(), config)

    assert form_of(route.calls.last.request) == {
        "VoiceUrl": ["https://hooks.example.com/voice"],
        "SmsUrl": ["https://hooks.example.com/sms"],
        "StatusCallback": ["https://hooks.example.com/status"],
        "FriendlyName": ["front desk"],
    }
    assert number.voice_url == "https://hooks.example.com/voice"
    assert number.sms_url == "https://hooks.example.com/sms"
    assert number.status_callback == "https://hooks.example.com/status"
    assert number.friendly_name == "front desk"


def test_configure_sends_only_what_is_set(respx_mock):
    route = respx_mock.post(f"{API}/IncomingPhoneNumbers/{NUMBER_SID}.json").respond(
        200, json=load("twilio", "incoming_phone_number_updated")
    )

    make().configure(owned(), NumberConfig(sms_url="https://hooks.example.com/sms"))

    assert form_of(route.calls.last.request) == {"SmsUrl": ["https://hooks.example.com/sms"]}


@pytest.mark.parametrize(
    ("config", "flag"),
    [
        (NumberConfig(connection_id="1293384261075731499"), "--connection-id"),
        (NumberConfig(messaging_profile_id="dd50eba1-a0c0-4563-9925-b25e842a7cb6"), "--messaging"),
    ],
)
def test_configure_refuses_telnyx_only_settings(respx_mock, config, flag):
    with pytest.raises(UsageProblem, match=flag) as info:
        make().configure(owned(), config)
    assert "--voice-url" in (info.value.hint or "")
    assert not respx_mock.calls


def test_configure_with_nothing_to_change_sends_nothing(respx_mock):
    number = owned(friendly_name="as is")
    assert make().configure(number, NumberConfig()) is number
    assert not respx_mock.calls


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_rejected_credentials_are_auth_errors(respx_mock, status):
    respx_mock.get(f"{API}.json").respond(status, json=load("twilio", "error_20003"))

    with pytest.raises(AuthError, match=f"twilio rejected the credentials \\({status}\\)"):
        make().verify()


@pytest.mark.parametrize(
    ("status", "fixture", "code"),
    [(400, "error_21422", "21422"), (404, "error_20404", "20404"), (422, "error_21422", "21422")],
)
def test_other_4xx_are_rejections_with_twilio_message_and_code(respx_mock, status, fixture, code):
    body = load("twilio", fixture)
    respx_mock.post(f"{API}/IncomingPhoneNumbers.json").respond(status, json=body)

    with pytest.raises(ProviderRejected) as info:
        make().purchase("+14159251571")

    err = info.value
    assert (err.provider, err.status, err.code) == ("twilio", status, code)
    assert body["message"] in err.message
    assert "purchase of +14159251571" in err.message


def test_prism_validation_details_reach_the_message(respx_mock):
    problem = {
        "type": "https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY",
        "title": "Invalid request",
        "status": 422,
        "detail": "Your request is not valid",
        "validation": [{"location": ["query", "areacode"], "message": "must be integer"}],
    }
    respx_mock.get(f"{API}/AvailablePhoneNumbers/US/Local.json").respond(422, json=problem)

    with pytest.raises(ProviderRejected, match="must be integer"):
        make().search_numbers(NumberQuery())


def test_non_json_error_body_is_quoted(respx_mock):
    respx_mock.get(f"{API}.json").respond(502, text="<html>Bad Gateway</html>")

    with pytest.raises(ProviderUnavailable, match="Bad Gateway") as info:
        make().verify()
    assert info.value.status == 502


def test_429_with_retry_after_seconds(respx_mock):
    respx_mock.get(f"{API}.json").respond(
        429, headers={"Retry-After": "7"}, json={"code": 20429, "message": "Too Many Requests"}
    )

    with pytest.raises(ProviderUnavailable) as info:
        make().verify()

    assert (info.value.status, info.value.retry_after, info.value.code) == (429, 7.0, "20429")
    assert info.value.sent is True


def test_429_with_retry_after_http_date(respx_mock):
    when = format_datetime(datetime.fromtimestamp(time.time() + 120, UTC), usegmt=True)
    respx_mock.get(f"{API}.json").respond(429, headers={"Retry-After": when}, json={})

    with pytest.raises(ProviderUnavailable) as info:
        make().verify()

    assert info.value.retry_after is not None and 110 <= info.value.retry_after <= 120


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_unavailable(respx_mock, status):
    respx_mock.post(f"{API}/IncomingPhoneNumbers.json").respond(
        status, json={"code": 20500, "message": "Internal Server Error"}
    )

    with pytest.raises(ProviderUnavailable) as info:
        make().purchase("+14159251571")

    assert info.value.status == status
    assert info.value.sent is True  # a purchase may have happened: reconcile, never retry
    assert info.value.retry_after is None


def test_connect_error_was_not_sent(respx_mock):
    respx_mock.post(f"{API}/IncomingPhoneNumbers.json").mock(
        side_effect=httpx.ConnectError("connection refused")
    )

    with pytest.raises(ProviderUnavailable) as info:
        make().purchase("+14159251571")

    assert info.value.sent is False


def test_read_timeout_may_have_been_sent(respx_mock):
    respx_mock.post(f"{API}/IncomingPhoneNumbers.json").mock(
        side_effect=httpx.ReadTimeout("timed out")
    )

    with pytest.raises(ProviderUnavailable) as info:
        make().purchase("+14159251571")

    assert info.value.sent is True


def test_unreadable_success_body_is_unavailable_not_a_crash(respx_mock):
    respx_mock.get(f"{API}.json").respond(200, text="<html>captive portal</html>")

    with pytest.raises(ProviderUnavailable, match="unreadable"):
        make().verify()


@pytest.mark.parametrize(
    "credentials",
    [
        {"auth_token": AUTH_TOKEN},
        {"account_sid": ACCOUNT_SID},
        {"account_sid": ACCOUNT_SID, "api_key": API_KEY_SID},
    ],
)
def test_incomplete_credentials_fail_before_any_request(respx_mock, credentials):
    with pytest.raises(AuthError):
        make(credentials=credentials).verify()
    assert not respx_mock.calls


# -- transport, hosts, secrets ---------------------------------------------------------------


def test_base_url_overrides_replace_both_hosts(respx_mock):
    api = "http://127.0.0.1:4010"
    pricing = "http://127.0.0.1:4013/"
    search = respx_mock.get(
        f"{api}/2010-04-01/Accounts/{ACCOUNT_SID}/AvailablePhoneNumbers/US/Local.json"
    ).respond(200, json=load("twilio", "available_phone_numbers_local"))
    price = respx_mock.get("http://127.0.0.1:4013/v1/PhoneNumbers/Countries/US").respond(
        200, json=load("twilio", "pricing_phone_numbers_country_us")
    )

    found = make(base_urls={"api": api, "pricing": pricing}).search_numbers(
        NumberQuery(area_code="415")
    )

    assert query_of(search.calls.last.request) == {"AreaCode": ["415"], "PageSize": ["20"]}
    assert price.called and found[0].monthly_price == Decimal("1.15")


def test_next_page_links_are_rewritten_too(respx_mock):
    api = "http://127.0.0.1:4010"
    route = respx_mock.get(f"{api}/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json")
    route.side_effect = [
        httpx.Response(200, json=load("twilio", "incoming_phone_numbers_page0")),
        httpx.Response(200, json=load("twilio", "incoming_phone_numbers_page1")),
    ]

    assert len(make(base_urls={"api": api}).list_owned()) == 2
    assert route.call_count == 2


def test_custom_transport_is_used():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=load("twilio", "account"))

    make(transport=httpx.MockTransport(handler)).verify()

    assert [str(r.url) for r in seen] == [f"{API}.json"]


def test_twilio_environment_variables_are_never_read(respx_mock, monkeypatch):
    # ClientBase falls back to os.environ (and rewrites hosts for TWILIO_EDGE/REGION).
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "0" * 32)
    route = respx_mock.get(f"{API}.json").respond(200, json=load("twilio", "account"))

    make().verify()

    assert route.calls.last.request.headers["Authorization"] == TOKEN_AUTH


def test_debug_log_shows_requests_but_never_secrets(respx_mock):
    lines: list[str] = []
    respx_mock.get(f"{API}.json").respond(200, json=load("twilio", "account"))
    respx_mock.post(f"{API}/IncomingPhoneNumbers.json").respond(
        401, json=load("twilio", "error_20003")
    )
    for credentials in (
        {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
        {"account_sid": ACCOUNT_SID, "api_key": API_KEY_SID, "api_secret": API_SECRET},
    ):
        provider = make(credentials=credentials, debug_log=lines.append)
        provider.verify()
        with pytest.raises(AuthError) as info:
            provider.purchase("+14159251571")
        assert AUTH_TOKEN not in str(info.value) and API_SECRET not in str(info.value)

    log = "\n".join(lines)
    assert len(lines) == 4
    assert f"GET {API}.json -> 200" in log
    assert "-> 401" in log
    for secret in (AUTH_TOKEN, API_SECRET, basic(ACCOUNT_SID, AUTH_TOKEN).split()[1]):
        assert secret not in log


def test_client_is_built_once_and_lazily(respx_mock):
    provider = make()
    assert provider._sdk is None  # nothing built, nothing imported yet
    respx_mock.get(f"{API}.json").respond(200, json=load("twilio", "account"))
    provider.verify()
    sdk = provider._sdk
    provider.verify()
    assert provider._sdk is sdk


def test_importing_the_module_does_not_import_the_sdk():
    code = (
        "import sys, telcli.providers.twilio as m; "
        "m.TwilioProvider; "
        "print(sorted(n for n in sys.modules if n == 'twilio' or n.startswith('twilio.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_settings_retry_policy_repeats_reads_but_not_purchases(respx_mock):
    from telcli.transport import RetryPolicy

    pauses: list[float] = []
    policy = RetryPolicy(max_attempts=3, sleep=pauses.append, random=lambda: 0.5)
    account = respx_mock.get(f"{API}.json")
    account.side_effect = [
        httpx.Response(503, json={"code": 20503, "message": "Service Unavailable"}),
        httpx.Response(503, json={"code": 20503, "message": "Service Unavailable"}),
        httpx.Response(200, json=load("twilio", "account")),
    ]
    buy = respx_mock.post(f"{API}/IncomingPhoneNumbers.json").respond(503, json={})
    provider = make(retry=policy)

    assert "Acme Telephony Ops" in provider.verify()
    with pytest.raises(ProviderUnavailable):
        provider.purchase("+14159251571")

    assert (account.call_count, buy.call_count) == (3, 1)
    assert len(pauses) == 2
