"""The VAPI service with fakes: assistant resolution, idempotent import, the Telnyx
credential made once, secrets cleaned from errors, assign/unassign."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from telcli.errors import ProviderRejected, UsageProblem
from telcli.models import E164, Assistant, OwnedNumber, ProviderName, VapiNumber
from telcli.services import vapi as svc
from tests.fakes import FakeCarrier

NUMBER = "+14155550101"
A1 = Assistant("11111111-1111-4111-8111-111111111111", "Receptionist")
A2 = Assistant("22222222-2222-4222-8222-222222222222", "Twin")
A3 = Assistant("33333333-3333-4333-8333-333333333333", "Twin")
TOKEN = "b7e3c1d9f2a84e6c9d0b1a2f3e4c5d6a"


class FakeVapi:
    def __init__(self) -> None:
        self.numbers: dict[str, VapiNumber] = {}
        self.credentials: list[dict[str, Any]] = []
        self.calls: list[tuple[str, Any]] = []
        self.fail_create: ProviderRejected | None = None

    def list_assistants(self) -> list[Assistant]:
        return [A1, A2, A3]

    def get_assistant(self, assistant_id: str) -> Assistant:
        raise ProviderRejected("404", provider="vapi", status=404)

    def list_numbers(self) -> list[VapiNumber]:
        return list(self.numbers.values())

    def find_number(self, phone_number: str) -> VapiNumber | None:
        return self.numbers.get(phone_number)

    def create_number(self, body: dict[str, Any]) -> VapiNumber:
        self.calls.append(("create", body))
        if self.fail_create:
            raise self.fail_create
        number = VapiNumber(
            id=f"v{len(self.numbers)}",
            phone_number=body["number"],
            carrier=body["provider"],
            assistant_id=body.get("assistantId"),
        )
        self.numbers[number.phone_number] = number
        return number

    def update_number(self, number: VapiNumber, changes: dict[str, Any]) -> VapiNumber:
        self.calls.append(("update", {"provider": number.carrier, **changes}))
        updated = replace(number, assistant_id=changes.get("assistantId", number.assistant_id))
        self.numbers[number.phone_number] = updated
        return updated

    def list_credentials(self) -> list[dict[str, Any]]:
        return list(self.credentials)

    def create_credential(self, provider: str, api_key: str, name: str) -> str:
        self.calls.append(("credential", provider))
        self.credentials.append(
            {"id": f"c{len(self.credentials)}", "provider": provider, "name": name}
        )
        return self.credentials[-1]["id"]


def carrier(name: str) -> FakeCarrier:
    fake = FakeCarrier(ProviderName(name))
    fake.owned[NUMBER] = OwnedNumber(ProviderName(name), E164(NUMBER), "id-1")
    return fake


def creds(name: str) -> dict[str, str]:
    if name == "twilio":
        return {"account_sid": "AC" + "a" * 32, "auth_token": TOKEN}
    return {"api_key": "KEY" + TOKEN}


def test_assistants_by_id_or_name_in_any_case():
    vapi = FakeVapi()
    assert svc.resolve_assistant(vapi, A1.id) == A1
    assert svc.resolve_assistant(vapi, "Receptionist") == A1
    with pytest.raises(UsageProblem, match="2 VAPI assistants are named 'Twin'"):
        svc.resolve_assistant(vapi, "Twin")
    assert svc.resolve_assistant(vapi, "receptionist") == A1  # case does not matter
    with pytest.raises(ProviderRejected, match="no VAPI assistant") as info:
        svc.resolve_assistant(vapi, "Receptionst")
    assert (info.value.hint or "").startswith("did you mean 'Receptionist'?")


def test_twilio_import_sends_sid_and_token_then_updates_on_rerun():
    vapi = FakeVapi()
    first = svc.import_number(
        vapi, [carrier("twilio")], NUMBER, assistant="Receptionist", carrier_credentials=creds
    )
    assert first.action == "created" and first.assistant_name == "Receptionist"
    assert vapi.calls[0] == (
        "create",
        {
            "provider": "twilio",
            "number": NUMBER,
            "assistantId": A1.id,
            "twilioAccountSid": "AC" + "a" * 32,
            "twilioAuthToken": TOKEN,
        },
    )
    again = svc.import_number(
        vapi,
        [carrier("twilio")],
        NUMBER,
        assistant=A2.id,
        carrier_credentials=creds,
        server_url="https://e.x/v",
    )
    assert again.action == "updated" and len(vapi.numbers) == 1
    assert vapi.calls[-1] == (
        "update",
        {"provider": "twilio", "assistantId": A2.id, "server": {"url": "https://e.x/v"}},
    )


def test_twilio_api_key_credentials_are_sent_as_key_and_secret():
    vapi = FakeVapi()
    svc.import_number(
        vapi,
        [carrier("twilio")],
        NUMBER,
        assistant="Receptionist",
        carrier_credentials=lambda _: {
            "account_sid": "AC" + "a" * 32,
            "api_key": "SK" + "b" * 32,
            "api_secret": "s3cr3t-value",
        },
    )
    body = vapi.calls[0][1]
    assert (body["twilioApiKey"], body["twilioApiSecret"]) == ("SK" + "b" * 32, "s3cr3t-value")
    assert "twilioAuthToken" not in body


def test_telnyx_credential_is_created_once():
    vapi = FakeVapi()
    other = "+14155550102"
    telnyx = carrier("telnyx")
    telnyx.owned[other] = OwnedNumber(ProviderName.telnyx, E164(other), "id-2")
    for number in (NUMBER, other):
        svc.import_number(
            vapi, [telnyx], number, assistant="Receptionist", carrier_credentials=creds
        )
    assert [c for c in vapi.calls if c[0] == "credential"] == [("credential", "telnyx")]
    assert {c[1]["credentialId"] for c in vapi.calls if c[0] == "create"} == {"c0"}


def test_an_echoed_secret_is_removed_from_the_error():
    vapi = FakeVapi()
    vapi.fail_create = ProviderRejected(
        f"vapi 400 on import: bad token {TOKEN}", provider="vapi", status=400
    )
    with pytest.raises(ProviderRejected) as info:
        svc.import_number(
            vapi, [carrier("twilio")], NUMBER, assistant="Receptionist", carrier_credentials=creds
        )
    assert TOKEN not in info.value.message and "***" in info.value.message


def test_assign_unassign_and_missing_numbers():
    vapi = FakeVapi()
    with pytest.raises(ProviderRejected, match="not imported into VAPI"):
        svc.assign(vapi, NUMBER, "Receptionist")
    svc.import_number(
        vapi, [carrier("twilio")], NUMBER, assistant="Receptionist", carrier_credentials=creds
    )
    assert svc.assign(vapi, NUMBER, A2.id).assistant_id == A2.id
    assert svc.unassign(vapi, NUMBER).assistant_id is None
    assert vapi.calls[-1] == ("update", {"provider": "twilio", "assistantId": None})
    calls = len(vapi.calls)
    svc.unassign(vapi, NUMBER)
    assert len(vapi.calls) == calls  # nothing to detach: no request


# -- tenants: VAPI's name carries the carrier's tenant -------------------------------------------


def test_import_of_a_tenants_number_names_it_for_the_tenant():
    vapi, twilio = FakeVapi(), carrier("twilio")
    twilio.owned[NUMBER] = replace(
        twilio.owned[NUMBER], tenant="acme-dental", friendly_name="acme-dental · Acme Dental"
    )
    svc.import_number(vapi, [twilio], NUMBER, assistant="Receptionist", carrier_credentials=creds)
    assert vapi.calls[-1][1]["name"] == "acme-dental · Acme Dental"

    vapi2 = FakeVapi()
    svc.import_number(
        vapi2, [twilio], NUMBER, assistant="Receptionist", carrier_credentials=creds, name="Desk"
    )
    assert vapi2.calls[-1][1]["name"] == "acme-dental · Desk"


def test_renaming_a_tenants_number_in_vapi_keeps_the_tenant():
    vapi = FakeVapi()
    vapi.numbers[NUMBER] = VapiNumber("v1", NUMBER, "twilio", tenant="acme-dental")
    svc.import_number(
        vapi, [], NUMBER, assistant="Receptionist", carrier_credentials=creds, name="Desk"
    )
    assert vapi.calls[-1] == (
        "update",
        {"provider": "twilio", "assistantId": A1.id, "name": "acme-dental · Desk"},
    )


def test_an_untagged_number_is_imported_with_its_name_as_given():
    vapi = FakeVapi()
    svc.import_number(
        vapi, [carrier("twilio")], NUMBER, assistant=A1.id, carrier_credentials=creds, name="Desk"
    )
    assert vapi.calls[-1][1]["name"] == "Desk"


def test_list_numbers_for_one_tenant():
    vapi = FakeVapi()
    for i, tenant in enumerate(["acme-dental", None, "bolt-gym", "acme-dental"]):
        number = f"+1415555020{i}"
        vapi.numbers[number] = VapiNumber(f"v{i}", number, "twilio", tenant=tenant)
    found = svc.list_numbers(vapi, tenant="acme-dental")
    assert [n.phone_number for n in found] == ["+14155550200", "+14155550203"]
