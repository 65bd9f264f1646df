"""Telnyx connections and messaging profiles by name (services/telnyx_resources.py): what
`numbers configure --connection-id NAME` and tenant plans resolve through."""

from __future__ import annotations

import pytest

from telcli.errors import UsageProblem
from telcli.models import NumberConfig, ProviderName, ProviderResource
from telcli.services import telnyx_resources as svc

TX = ProviderName.telnyx


class Account:
    """A Telnyx carrier with connections and messaging profiles; counts its listings."""

    name = TX

    def __init__(self, *connections: tuple[str, str | None]) -> None:
        self.connections = [ProviderResource(TX, "connection", i, n) for i, n in connections]
        self.profiles = [
            ProviderResource(TX, "messaging_profile", "40017f8e-49bd-4f9b-9df0-0a1b2c3d4e5f", "SMS")
        ]
        self.listings = 0

    def list_connections(self) -> list[ProviderResource]:
        self.listings += 1
        return self.connections

    def list_messaging_profiles(self) -> list[ProviderResource]:
        self.listings += 1
        return self.profiles


ACCOUNT = [("1494404757140276705", "Voice app"), ("1684641123236054244", "Front desk SIP")]


def test_a_name_resolves_to_its_id_whatever_its_case():
    account = Account(*ACCOUNT)
    assert svc.resolve(account, "connection", "front desk sip") == "1684641123236054244"
    assert svc.resolve(account, "messaging_profile", "sms") == account.profiles[0].id


def test_an_id_shaped_value_is_taken_as_given_without_a_request():
    account = Account(*ACCOUNT)
    assert svc.resolve(account, "connection", "999") == "999"  # Telnyx judges unknown ids
    uuid = "40017f8e-49bd-4f9b-9df0-0a1b2c3d4e5f"
    assert svc.resolve(account, "messaging_profile", uuid) == uuid
    assert account.listings == 0


def test_an_id_that_is_not_id_shaped_still_matches_by_id():
    account = Account(("conn-abc", "Voice"))
    assert svc.resolve(account, "connection", "conn-abc") == "conn-abc"


def test_an_unknown_name_is_a_usage_error_with_suggestions():
    with pytest.raises(UsageProblem) as info:
        svc.resolve(Account(*ACCOUNT), "connection", "desk")
    assert (
        info.value.message
        == "no Telnyx connection is named 'desk' (did you mean 'Front desk SIP'?)"
    )
    assert "telcli telnyx connections" in (info.value.hint or "")


def test_a_name_held_twice_is_ambiguous():
    account = Account(("1", "Voice app"), ("2", "voice APP"))
    with pytest.raises(UsageProblem) as info:
        svc.resolve(account, "connection", "Voice app")
    assert info.value.message == "2 Telnyx connections are named 'Voice app' (1, 2)"


def test_configure_settings_are_resolved_for_telnyx_only():
    account = Account(*ACCOUNT)
    config = NumberConfig(connection_id="Voice app", messaging_profile_id="SMS")
    resolved = svc.resolve_config(account, config)
    assert (resolved.connection_id, resolved.messaging_profile_id) == (
        "1494404757140276705",
        account.profiles[0].id,
    )

    class Twilio:
        name = ProviderName.twilio

    assert svc.resolve_config(Twilio(), config) is config  # Twilio refuses them itself
