"""The tenant id rule and each provider field's codec (telcli/tenancy.py): what is written
reads back as the same tenant, and nothing a person typed by hand reads as a tenant."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telcli import tenancy
from telcli.errors import UsageProblem

ids = st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,39}\Z")
names = st.text(min_size=0, max_size=80)


@pytest.mark.parametrize("value", ["a", "acme-dental", "0", "a" * 40, "x-1-"])
def test_valid_ids(value):
    assert tenancy.check_tenant_id(value) == value


@pytest.mark.parametrize("value", ["", "-acme", "Acme", "acme dental", "a" * 41, "acme_dental"])
def test_invalid_ids_are_usage_problems_with_a_hint(value):
    with pytest.raises(UsageProblem) as err:
        tenancy.check_tenant_id(value)
    assert repr(value) in err.value.message and "e.g. acme-dental" in err.value.hint


def test_twilio_label_is_id_dot_name():
    assert tenancy.twilio_name("acme-dental", "Acme Dental") == "acme-dental · Acme Dental"
    assert tenancy.twilio_name("acme-dental") == "acme-dental · acme-dental"
    assert tenancy.tenant_of_twilio_name("acme-dental · Acme Dental") == "acme-dental"
    assert tenancy.name_of_label("acme-dental · Acme Dental") == "Acme Dental"


@pytest.mark.parametrize(
    "untagged",
    [None, "", "(415) 555-0123", "+442079460018", "support", "Acme · Dental", "acme-dental"],
)
def test_hand_written_names_are_untagged(untagged):
    assert tenancy.tenant_of_twilio_name(untagged) is None
    assert tenancy.tenant_of_vapi_name(untagged) is None
    assert tenancy.tenant_of_telnyx_reference(untagged) is None


def test_telnyx_reference_needs_the_prefix_and_a_valid_id():
    assert tenancy.telnyx_reference("acme-dental") == "tenant:acme-dental"
    assert tenancy.tenant_of_telnyx_reference("tenant:acme-dental") == "acme-dental"
    assert tenancy.tenant_of_telnyx_reference("tenant:Acme Dental") is None
    assert tenancy.tenant_of_telnyx_reference("MY REF 001") is None


def test_vapi_names_fit_40_characters_even_for_the_longest_id():
    long_id = "a" * 40
    assert tenancy.vapi_name(long_id, "Long Name") == long_id
    assert tenancy.tenant_of_vapi_name(long_id) == long_id
    # A 40-character id alone never reads as a tenant in a Twilio name, where it had room.
    assert tenancy.tenant_of_twilio_name(long_id) is None
    assert len(tenancy.vapi_name("acme-dental", "A" * 100)) == 40


def test_writing_an_invalid_id_is_refused():
    with pytest.raises(UsageProblem):
        tenancy.twilio_name("Acme")
    with pytest.raises(UsageProblem):
        tenancy.telnyx_reference("acme dental")


@settings(max_examples=200, deadline=None)
@given(tenant=ids, name=st.one_of(st.none(), names))
def test_every_codec_reads_back_what_it_wrote(tenant, name):
    twilio = tenancy.twilio_name(tenant, name)
    vapi = tenancy.vapi_name(tenant, name)
    assert len(twilio) <= tenancy.TWILIO_NAME_MAX and len(vapi) <= tenancy.VAPI_NAME_MAX
    assert tenancy.tenant_of_twilio_name(twilio) == tenant
    assert tenancy.tenant_of_vapi_name(vapi) == tenant
    assert tenancy.tenant_of_telnyx_reference(tenancy.telnyx_reference(tenant)) == tenant
