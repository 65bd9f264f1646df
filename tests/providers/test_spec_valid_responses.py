"""Whatever the official schemas allow, the parsers survive: listing, searching and address
commands fed response bodies generated from each operation's response schema (every nullable
field null at times, text where a format is only a hint, optional fields missing) end without
a traceback, in every output mode. Each property names the spec operation it draws from."""

from __future__ import annotations

import json
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import spec_strategies as specs
from tests.providers.helpers import ACCOUNT_SID, load

TWILIO = "twilio_api_v2010.json"
TELNYX = "telnyx_v2.json"
VAPI = "vapi.json"
ENV = {
    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": "b7e3c1d9f2a84e6c9d0b1a2f3e4c5d6a",
    "TELNYX_API_KEY": "KEY0193A7C2E5F84B6D9A1C3E5F7B9D1F3_Zx8Qw2Er4Ty6Ui8Op0",
    "VAPI_API_KEY": "vapi-0193a7c2-e5f8-4b6d-9a1c-3e5f7b9d1f3a",
}
ACC = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
SETTINGS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def twilio_page(schema: Any) -> st.SearchStrategy[Any]:
    # The last page: the SDK would otherwise follow next_page_uri forever.
    return specs.body(TWILIO, schema, next_page_uri=None)


def serve(routes: dict[tuple[str, str], Any]) -> Callable[[httpx.Request], httpx.Response]:
    """A transport answering ``(host, path)`` with a body; anything else fails the test."""

    def handler(request: httpx.Request) -> httpx.Response:
        key = (request.url.host, request.url.path)
        # A path may hold a `*` for an id (fnmatch), e.g. /v2/phone_numbers/*/messaging.
        found = next((k for k in routes if k[0] == key[0] and fnmatchcase(key[1], k[1])), None)
        assert found, f"unexpected request {request.method} {request.url}"
        return httpx.Response(200, json=routes[found])

    return handler


@pytest.fixture
def run(telcli, make_ctx):
    def invoke(routes: dict[tuple[str, str], Any], *args: str) -> None:
        # JSON, TSV (piped) and a table (TTY): a traceback in any of them fails here.
        for mode, tty in ((("--json",), False), ((), False), ((), True)):
            ctx = make_ctx(env=ENV, tty=tty, transport=httpx.MockTransport(serve(routes)))
            result = telcli(*args, *mode, ctx=ctx)
            # 0, or 6 with one clean error line where the body cannot be used at all (a
            # Twilio page without its records key: the spec requires no property).
            assert result.exit_code in (0, 6), result
            assert result.exit_code == 0 or "error: " in result.stderr, result

    return invoke


# ListIncomingPhoneNumber
@SETTINGS
@given(page=st.data())
def test_twilio_numbers_list(run, page):
    schema = specs.response_schema(
        TWILIO, "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
    )
    body = page.draw(twilio_page(schema))
    run(
        {("api.twilio.com", f"{ACC}/IncomingPhoneNumbers.json"): body},
        "numbers",
        "list",
        "-p",
        "twilio",
    )


def test_twilio_number_without_a_phone_number_is_listed_not_a_crash(run, telcli, make_ctx):
    """The issue's case: ``phone_number`` is nullable in the spec; the sort in
    services/numbers.py raised TypeError comparing None with a str."""
    record = load("twilio", "incoming_phone_number")
    page = load("twilio", "incoming_phone_numbers_page1")
    page["incoming_phone_numbers"] = [record, {**record, "phone_number": None, "sid": None}]
    page["next_page_uri"] = None
    routes = {("api.twilio.com", f"{ACC}/IncomingPhoneNumbers.json"): page}
    run(routes, "numbers", "list", "-p", "twilio")
    ctx = make_ctx(env=ENV, transport=httpx.MockTransport(serve(routes)))
    listed = json.loads(telcli("numbers", "list", "-p", "twilio", "--json", ctx=ctx).stdout)
    assert [(n["phone_number"], n["id"]) for n in listed] == [
        ("", ""),
        (record["phone_number"], record["sid"]),
    ]


# ListAvailablePhoneNumberLocal, with Pricing v1 FetchPhoneNumberCountry from its fixture
@SETTINGS
@given(page=st.data())
def test_twilio_numbers_search(run, page):
    schema = specs.response_schema(
        TWILIO, "/2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{CountryCode}/Local.json"
    )
    body = page.draw(twilio_page(schema))
    routes = {
        ("api.twilio.com", f"{ACC}/AvailablePhoneNumbers/US/Local.json"): body,
        ("pricing.twilio.com", "/v1/PhoneNumbers/Countries/US"): load(
            "twilio", "pricing_phone_numbers_country_us"
        ),
    }
    run(routes, "numbers", "search", "-p", "twilio", "--country", "US")


# ListAddress
@SETTINGS
@given(page=st.data())
def test_twilio_addresses_list(run, page):
    schema = specs.response_schema(TWILIO, "/2010-04-01/Accounts/{AccountSid}/Addresses.json")
    body = page.draw(twilio_page(schema))
    run({("api.twilio.com", f"{ACC}/Addresses.json"): body}, "addresses", "list", "-p", "twilio")


# ListPhoneNumbers, GetRequirementGroups (purchase addresses) and
# GetPhoneNumberMessagingSettings (capabilities)
@SETTINGS
@given(page=st.data())
def test_telnyx_numbers_list(run, page):
    def draw(path: str) -> Any:
        return page.draw(specs.body(TELNYX, specs.response_schema(TELNYX, path)))

    routes = {
        ("api.telnyx.com", "/v2/phone_numbers"): draw("/phone_numbers"),
        ("api.telnyx.com", "/v2/requirement_groups"): draw("/requirement_groups"),
        ("api.telnyx.com", "/v2/phone_numbers/*/messaging"): draw("/phone_numbers/{id}/messaging"),
    }
    run(routes, "numbers", "list", "-p", "telnyx")


# ListAvailablePhoneNumbers (+ ListPhoneNumbersRegulatoryRequirements from its fixture)
@SETTINGS
@given(page=st.data())
def test_telnyx_numbers_search(run, page):
    schema = specs.response_schema(TELNYX, "/available_phone_numbers")
    routes = {
        ("api.telnyx.com", "/v2/available_phone_numbers"): page.draw(specs.body(TELNYX, schema)),
        ("api.telnyx.com", "/v2/phone_numbers_regulatory_requirements"): load(
            "telnyx", "phone_numbers_regulatory_requirements"
        ),
    }
    run(routes, "numbers", "search", "-p", "telnyx", "--country", "US")


# FindAddresses
@SETTINGS
@given(page=st.data())
def test_telnyx_addresses_list(run, page):
    body = page.draw(specs.body(TELNYX, specs.response_schema(TELNYX, "/addresses")))
    run({("api.telnyx.com", "/v2/addresses"): body}, "addresses", "list", "-p", "telnyx")


# PhoneNumberController_findAll and AssistantController_findAll
@SETTINGS
@given(page=st.data())
def test_vapi_numbers_and_assistants(run, page):
    numbers = page.draw(specs.body(VAPI, specs.response_schema(VAPI, "/phone-number")))
    # An Assistant has hundreds of optional settings telcli never reads: the top levels only.
    assistants = page.draw(specs.body(VAPI, specs.response_schema(VAPI, "/assistant"), max_depth=2))
    routes = {("api.vapi.ai", "/phone-number"): numbers, ("api.vapi.ai", "/assistant"): assistants}
    run(routes, "vapi", "numbers")
    run(routes, "vapi", "assistants")


@SETTINGS
@given(page=st.data())
def test_generated_bodies_are_what_the_schema_allows(page):
    """The generator itself: Twilio number pages validate against ListIncomingPhoneNumber's
    schema (so a failure above is the parser's, not a malformed body)."""
    import jsonschema

    schema = specs.response_schema(
        TWILIO, "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
    )
    doc = specs.spec(TWILIO)
    validator = jsonschema.Draft202012Validator({**schema, "components": doc["components"]})
    body = page.draw(twilio_page(schema))
    assert list(validator.iter_errors(body)) == []
