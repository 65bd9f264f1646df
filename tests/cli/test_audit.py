"""telcli audit against fakes: every kind of drift, carriers that cannot be asked, exit codes."""

from __future__ import annotations

import json

import pytest

from telcli.errors import ProviderUnavailable
from telcli.models import E164, OwnedNumber, ProviderName, VapiNumber
from telcli.services import audit as svc
from tests.fakes import FakeCarrier

A, B, C, D = "+14155550101", "+14155550102", "+14155550103", "+14155550104"


class FakeVapi:
    def __init__(self, *numbers: VapiNumber) -> None:
        self.numbers = list(numbers)

    def list_numbers(self) -> list[VapiNumber]:
        return list(self.numbers)


def owned(number: str, provider: str = "twilio", **kw) -> OwnedNumber:
    return OwnedNumber(ProviderName(provider), E164(number), f"id-{number[-3:]}", **kw)


def vapi_number(number: str, carrier: str = "twilio", assistant: str | None = "a1") -> VapiNumber:
    return VapiNumber(
        id=f"v{number[-3:]}", phone_number=number, carrier=carrier, assistant_id=assistant
    )


def test_every_kind_of_drift():
    twilio = FakeCarrier(ProviderName.twilio)
    telnyx = FakeCarrier(ProviderName.telnyx)
    twilio.owned = {
        A: owned(A, voice_url="https://x/v"),  # fine: in VAPI with an assistant
        B: owned(B),  # not in VAPI, no webhook
    }
    telnyx.owned = {C: owned(C, "telnyx", connection_id="123")}  # in VAPI, no assistant
    vapi = FakeVapi(vapi_number(A), vapi_number(C, "telnyx", None), vapi_number(D))
    found = svc.audit([twilio, telnyx], vapi)
    assert [(d.phone_number, d.kind, d.provider) for d in found] == [
        (B, "not_in_vapi", "twilio"),
        (B, "no_webhook", "twilio"),
        (C, "no_assistant", "telnyx"),
        (D, "not_owned", "twilio"),
    ]
    assert found[-1].fix == f"telcli vapi remove {D} --yes"


def test_numbers_of_a_carrier_that_could_not_be_asked_are_not_orphans():
    twilio = FakeCarrier(
        ProviderName.twilio,
        fail={"list_owned": ProviderUnavailable("twilio 503", provider="twilio", status=503)},
    )
    telnyx = FakeCarrier(ProviderName.telnyx)
    notes: list[str] = []
    found = svc.audit([twilio, telnyx], FakeVapi(vapi_number(A)), notify=notes.append)
    assert found == []
    assert any("twilio" in n and "503" in n for n in notes)


@pytest.fixture
def run(telcli, make_ctx, monkeypatch):
    def invoke(findings, *args, tty=False):
        monkeypatch.setattr(svc, "audit", lambda carriers, vapi, tenant, notify, **_: findings)
        return telcli("--sandbox", "audit", *args, tty=tty)

    return invoke


def test_clean_is_exit_0_with_an_empty_array(run):
    result = run([], "--json")
    assert (result.exit_code, result.stdout) == (0, "[]\n")
    assert "no drift" in result.stderr


def test_drift_is_exit_7_with_rows(run):
    from telcli.models import Drift

    drift = Drift(A, "no_assistant", "twilio", "in VAPI without an assistant", "telcli vapi assign")
    result = run([drift], "--json")
    assert result.exit_code == 7
    assert json.loads(result.stdout) == [drift.to_json()]
    assert "1 drift finding on 1 number" in result.stderr
    piped = run([drift])
    assert (
        piped.stdout
        == f"{A}\ttwilio\tno_assistant\tin VAPI without an assistant\ttelcli vapi assign\n"
    )


# -- tenants -------------------------------------------------------------------------------------


def tagged_vapi(number: str, tenant: str | None) -> VapiNumber:
    from dataclasses import replace

    return replace(vapi_number(number), tenant=tenant, name=f"{tenant} · x" if tenant else None)


def test_tenant_scope_and_mismatches():
    twilio = FakeCarrier(ProviderName.twilio)
    twilio.owned = {
        A: owned(A, voice_url="https://x/v", tenant="acme-dental"),  # fine
        B: owned(B, tenant="acme-dental"),  # acme's, not in VAPI
        C: owned(C, voice_url="https://x/v", tenant="bolt-gym"),  # VAPI says acme
        D: owned(D),  # bolt's in VAPI only: untagged at the carrier
    }
    vapi = FakeVapi(
        tagged_vapi(A, "acme-dental"), tagged_vapi(C, "acme-dental"), tagged_vapi(D, "bolt-gym")
    )

    acme = svc.audit([twilio], vapi, tenant="acme-dental")
    assert [(d.phone_number, d.kind) for d in acme] == [
        (B, "not_in_vapi"),
        (B, "no_webhook"),
        (C, "tenant_mismatch"),
    ]
    assert acme[-1].detail == "twilio records tenant bolt-gym, VAPI's name acme-dental"
    assert acme[-1].fix == f"telcli vapi import {C} --assistant a1 --name 'bolt-gym · bolt-gym'"

    bolt = svc.audit([twilio], vapi, tenant="bolt-gym")
    # C is bolt's at the carrier, D is bolt's in VAPI: both disagree, nothing else of acme's.
    assert [(d.phone_number, d.kind) for d in bolt] == [
        (C, "tenant_mismatch"),
        (D, "tenant_mismatch"),
    ]
    # Without --tenant: every mismatch, and no finding about tagging for untagged numbers.
    everything = svc.audit([twilio], vapi)
    assert [d.kind for d in everything].count("tenant_mismatch") == 2


def test_audit_tenant_flag_reaches_the_service(telcli, monkeypatch):
    seen = {}

    def fake_audit(carriers, vapi, *, tenant=None, notify=None, without_vapi=(), **_):
        seen["tenant"] = tenant
        return []

    monkeypatch.setattr(svc, "audit", fake_audit)
    result = telcli("--sandbox", "audit", "--tenant", "acme-dental", "--json")
    assert result.exit_code == 0, result
    assert seen == {"tenant": "acme-dental"} and json.loads(result.stdout) == []
    bad = telcli("--sandbox", "audit", "--tenant", "-x")
    assert bad.exit_code == 2 and "is not a tenant id" in bad.stderr
