"""webhook list --tenant in the service: which numbers a delivery is to or from, and a
carrier that cannot be asked is an incomplete answer, never a short one."""

from __future__ import annotations

import json

import pytest

from telcli.errors import PartialFailure, ProviderUnavailable
from telcli.models import E164, OwnedNumber, ProviderName
from telcli.services import webhooks as svc
from tests.fakes import FakeCarrier


def test_numbers_of_each_provider():
    assert svc.numbers_of("twilio", b"To=%2B14155550100&From=%2B15550001&Called=&Body=x") == {
        "+14155550100",
        "+15550001",
    }
    call = {"data": {"payload": {"to": "+14155550100", "from": "+15550001"}}}
    assert svc.numbers_of("telnyx", json.dumps(call).encode()) == {"+14155550100", "+15550001"}
    vapi = {"message": {"call": {"customer": {"number": "+15550003"}}}}
    assert svc.numbers_of("vapi", json.dumps(vapi).encode()) == {"+15550003"}
    assert svc.numbers_of("telnyx", b"not json") == set()
    assert svc.numbers_of(None, b"To=%2B14155550100") == set()


class Store:
    def iter(self, flt):
        assert flt.limit is None  # the limit applies to the tenant's captures, not before
        return iter([])


def test_a_carrier_that_cannot_be_asked_makes_the_answer_incomplete():
    from telcli.storage.captures import CaptureFilter

    down = FakeCarrier(
        ProviderName.telnyx,
        fail={"list_owned": ProviderUnavailable("telnyx 503", provider="telnyx", status=503)},
    )
    up = FakeCarrier(ProviderName.twilio)
    up.owned["+14155550100"] = OwnedNumber(
        ProviderName.twilio, E164("+14155550100"), "PN1", tenant="acme-dental"
    )
    with pytest.raises(PartialFailure, match="telnyx could not be asked"):
        svc.tenant_captures(Store(), CaptureFilter(limit=5), [up, down], "acme-dental")
    assert svc.tenant_captures(Store(), CaptureFilter(limit=5), [up], "acme-dental") == []
