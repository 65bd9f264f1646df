"""Every id or code a provider puts in a URL path is one percent-encoded segment (issue 12,
item 10): ``../../IncomingPhoneNumbers`` cannot reach another endpoint, ``US?x=1#`` cannot
rewrite the query, control characters cannot break the URL. Checked on the raw path sent."""

from __future__ import annotations

import httpx
import pytest

from telcli.errors import ProviderError, UsageProblem
from telcli.models import NumberQuery, OwnedNumber, ProviderName
from telcli.providers.base import ProviderSettings, segment
from telcli.providers.telnyx import TelnyxProvider
from telcli.providers.twilio import TwilioProvider
from telcli.providers.vapi import VapiProvider
from tests.providers.helpers import ACCOUNT_SID, AUTH_TOKEN, TELNYX_KEY


class Recorder:
    """Keeps each request's raw path and answers 404, so nothing is parsed."""

    def __init__(self) -> None:
        self.paths: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.raw_path)
        return httpx.Response(404, json={"message": "not found", "code": 20404})


def settings(recorder: Recorder, **credentials: str) -> ProviderSettings:
    return ProviderSettings(credentials=credentials, transport=httpx.MockTransport(recorder))


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("US", "US"),
        ("../../IncomingPhoneNumbers", "..%2F..%2FIncomingPhoneNumbers"),
        ("US?x=1#", "US%3Fx%3D1%23"),
        ("U\x00\n", "U%00%0A"),
        ("PN 1", "PN%201"),
        ("é", "%C3%A9"),
    ],
)
def test_segment_encodes_everything_but_unreserved_characters(value, encoded) -> None:
    assert segment(value) == encoded


@pytest.mark.parametrize("value", ["", ".", "..", "a\udcff"])
def test_segment_refuses_what_cannot_be_encoded_away(value) -> None:
    with pytest.raises(UsageProblem, match="is not a valid id"):
        segment(value)


def test_twilio_country_stays_in_its_segment() -> None:
    rec = Recorder()
    twilio = TwilioProvider(settings(rec, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN))
    for country in ("../../IncomingPhoneNumbers", "US?x=1#"):
        # The recorder's 404: no such inventory resource, an empty answer (not another path).
        assert twilio.search_numbers(NumberQuery(country=country)) == []
    base = f"/2010-04-01/Accounts/{ACCOUNT_SID}/AvailablePhoneNumbers/"
    assert rec.paths == [  # (upper-cased: country codes are)
        f"{base}..%2F..%2FINCOMINGPHONENUMBERS/Local.json?PageSize=20".encode(),
        f"{base}US%3FX%3D1%23/Local.json?PageSize=20".encode(),
    ]


def test_twilio_ids_are_encoded_and_dot_segments_refused() -> None:
    rec = Recorder()
    twilio = TwilioProvider(settings(rec, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN))
    with pytest.raises(ProviderError):
        twilio.fetch_message("SM1/../../Calls")
    with pytest.raises(UsageProblem):
        twilio.fetch_call("..")
    assert rec.paths == [
        f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/SM1%2F..%2F..%2FCalls.json".encode()
    ]


def test_telnyx_and_vapi_ids_are_encoded() -> None:
    rec = Recorder()
    telnyx = TelnyxProvider(settings(rec, api_key=TELNYX_KEY))
    number = OwnedNumber(provider=ProviderName.telnyx, phone_number="+19705555098", id="1/../x")
    with pytest.raises(ProviderError):
        telnyx.release(number)
    with pytest.raises(ProviderError):
        telnyx.delete_address("a?b")
    vapi = VapiProvider(settings(rec, api_key="0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"))
    with pytest.raises(ProviderError):
        vapi.get_assistant("asst#1")
    assert rec.paths == [
        b"/v2/phone_numbers/1%2F..%2Fx",
        b"/v2/addresses/a%3Fb",
        b"/assistant/asst%231",
    ]


def test_no_provider_interpolates_a_path_segment_by_hand() -> None:
    """A source check, because the next endpoint added is where the next raw id slips in:
    every ``{…}`` in an f-string path and every Twilio SDK context argument goes through
    segment(). (Two slipped in with the tenant tags and were caught by this.)"""
    import re
    from pathlib import Path

    import telcli.providers

    raw_path = re.compile(r'f"/[^"]*\{(?!segment\()')
    sdk_context = re.compile(
        r"\.(?:accounts|incoming_phone_numbers|addresses|messages|calls|countries"
        r"|available_phone_numbers)\((?!segment\(|\))"
    )
    found = []
    for source in Path(telcli.providers.__file__).parent.glob("*.py"):
        for number, line in enumerate(source.read_text().splitlines(), 1):
            if raw_path.search(line) or sdk_context.search(line):
                found.append(f"{source.name}:{number}: {line.strip()}")
    assert found == []
