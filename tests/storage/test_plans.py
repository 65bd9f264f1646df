"""Tenant plan files: defaults and overrides, {tenant} templating, JSON plans, and every
problem reported at once as FILE:LINE: KEY (exit 3)."""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal

import pytest

from telcli.errors import ConfigError, UsageProblem
from telcli.models import AddressInput, Capability, NumberType
from telcli.storage.plans import PlanError, Probe, load_plan


def write(home, text, name="plan.yaml"):
    path = home / name
    path.write_text(textwrap.dedent(text))
    return path


FULL = """\
version: 1
defaults:
  country: US
  type: local
  capabilities: [voice, sms]
  area_code: "415"
  numbers: 1
  providers: [twilio, telnyx]
  max_monthly_price: "5.00"
  webhooks:
    voice_url: https://hooks.example.com/{tenant}/voice
    sms_url: https://hooks.example.com/{tenant}/sms
    status_callback: https://hooks.example.com/{tenant}/status
  telnyx:
    connection: my-voice-app
    messaging_profile: tenants
  vapi: {assistant: Receptionist}
  test: {sms_to: "+15005550007"}
tenants:
  - id: acme-dental
    name: Acme Dental
    numbers: 2
  - id: bolt-7
    country: GB
    type: mobile
    area_code: "7700"
    providers: [twilio]
    max_monthly_price: 3
    vapi: false
    address: {customer_name: Bolt Ltd, street: 1 High St, city: London, region: London,
              postal_code: EC1A 1AA, country: gb}
"""


def test_defaults_apply_and_a_tenant_key_wins(home):
    plan = load_plan(write(home, FULL))
    acme, bolt = plan.tenants
    assert (acme.id, acme.name, acme.numbers, acme.country, acme.number_type) == (
        "acme-dental",
        "Acme Dental",
        2,
        "US",
        NumberType.local,
    )
    assert acme.capabilities == (Capability.voice, Capability.sms)
    assert (acme.area_code, acme.providers, acme.max_monthly_price) == (
        "415",
        ("twilio", "telnyx"),
        Decimal("5.00"),
    )
    assert (acme.assistant, acme.test) == ("Receptionist", Probe(sms_to="+15005550007"))
    assert (acme.telnyx.connection, acme.telnyx.messaging_profile) == ("my-voice-app", "tenants")
    # bolt overrides country, type, area code, providers, price, VAPI; gets an address
    assert (bolt.name, bolt.numbers, bolt.country, bolt.number_type) == (
        "bolt-7",
        1,
        "GB",
        NumberType.mobile,
    )
    assert (bolt.area_code, bolt.providers, bolt.max_monthly_price) == (
        "7700",
        ("twilio",),
        Decimal("3"),
    )
    assert bolt.assistant is None
    assert bolt.address == AddressInput(
        customer_name="Bolt Ltd",
        street="1 High St",
        city="London",
        region="London",
        postal_code="EC1A 1AA",
        country="GB",
    )


def test_tenant_placeholder_is_replaced_per_tenant(home):
    acme, bolt = load_plan(write(home, FULL)).tenants
    assert acme.webhooks.voice_url == "https://hooks.example.com/acme-dental/voice"
    assert acme.webhooks.status_callback == "https://hooks.example.com/acme-dental/status"
    assert bolt.webhooks.sms_url == "https://hooks.example.com/bolt-7/sms"


def test_minimal_plan_uses_profile_providers_and_plain_defaults(home):
    plan = load_plan(
        write(home, "version: 1\ntenants:\n  - id: solo\n"), default_providers=["telnyx"]
    )
    (solo,) = plan.tenants
    assert (solo.name, solo.numbers, solo.country, solo.providers, solo.assistant) == (
        "solo",
        1,
        "US",
        ("telnyx",),
        None,
    )
    assert solo.max_monthly_price is None and solo.webhooks is None


def test_json_plan_with_tabs_parses_like_yaml(home):
    data = {
        "version": 1,
        "defaults": {"country": "US", "area_code": "212", "vapi": {"assistant": "Receptionist"}},
        "tenants": [{"id": "acme", "name": "Acme", "numbers": 3}, {"id": "zeta", "vapi": False}],
    }
    path = home / "plan.json"
    path.write_text(json.dumps(data, indent="\t"))
    acme, zeta = load_plan(path).tenants
    assert (acme.numbers, acme.area_code, acme.assistant) == (3, "212", "Receptionist")
    assert (zeta.numbers, zeta.assistant) == (1, None)


def test_json_plan_errors_name_the_line(home):
    path = home / "plan.json"
    path.write_text('{\n\t"version": 1,\n\t"tenants": [\n\t\t{"id": "a", "numbrs": 2}\n\t]\n}\n')
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert err.value.problems == [
        f"{path}:4: tenants[0].numbrs: unknown key; valid: id, name, country, type, capabilities,"
        " area_code, contains, locality, region, numbers, providers, max_monthly_price, address,"
        " webhooks, telnyx, vapi, test"
    ]


def problems_of(home, text):
    path = write(home, text)
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert err.value.exit_code == 3
    prefix = f"{path}:"
    assert all(p.startswith(prefix) for p in err.value.problems)
    return [p[len(prefix) :] for p in err.value.problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tenants: [{id: a}]\n", "1: version: missing; add `version: 1` at the top"),
        ("version: 2\ntenants: [{id: a}]\n", "1: version: unsupported version '2'; use 1"),
        ("version: 1\n", "1: tenants: missing; list the tenants under `tenants:`"),
        ("version: 1\ntenants: []\n", "2: tenants: must be a non-empty list of tenants"),
        ("version: 1\nextra: 1\ntenants: [{id: a}]\n", "2: extra: unknown key; valid: version,"),
        ("version: 1\ndefaults: [1]\ntenants: [{id: a}]\n", "2: defaults: must be a mapping"),
        ("version: 1\ntenants: [x]\n", "2: tenants[0]: must be a mapping with at least `id`"),
        ("version: 1\ntenants: [{name: A}]\n", "2: tenants[0].id: missing"),
        ("version: 1\ntenants: [{id: Acme}]\n", "2: tenants[0].id: 'Acme' must be 1-40 of a-z"),
        ("version: 1\ntenants: [{id: '-a'}]\n", "2: tenants[0].id: '-a' must be 1-40"),
        (f"version: 1\ntenants: [{{id: {'a' * 41}}}]\n", "2: tenants[0].id: 'aaaaaaaa"),
        ("version: 1\ntenants: [{id: a, name: ''}]\n", "2: tenants[a].name: must not be empty"),
        (
            'version: 1\ntenants: [{id: a, name: "' + "n" * 65 + '"}]\n',
            "2: tenants[a].name: must be printable, at most 64 characters",
        ),
        (
            "version: 1\ntenants:\n  - id: a\n  - id: a\n",
            "4: tenants[1].id: duplicate id 'a' (first at ",
        ),
        (
            "version: 1\ntenants:\n  - id: a\n    id: b\n",
            "4: tenants[0].id: given twice",
        ),
        ("version: 1\ntenants: [{id: a, country: XX}]\n", "2: tenants[a].country: 'XX' is not an"),
        ("version: 1\ntenants: [{id: a, country: 12}]\n", "2: tenants[a].country: must be text"),
        ("version: 1\ntenants: [{id: a, type: landline}]\n", "2: tenants[a].type: 'landline'"),
        ("version: 1\ntenants: [{id: a, capabilities: sms}]\n", "2: tenants[a].capabilities: must"),
        (
            "version: 1\ntenants: [{id: a, capabilities: [sms, pager]}]\n",
            "2: tenants[a].capabilities: 'pager' is not one of voice, sms, mms, fax",
        ),
        ("version: 1\ntenants: [{id: a, area_code: 41x}]\n", "2: tenants[a].area_code: '41x' is"),
        (
            "version: 1\ntenants: [{id: a, area_code: '115'}]\n",
            "2: tenants[a].area_code: '115' is not a US area code",
        ),
        (
            "version: 1\ndefaults: {area_code: '15'}\ntenants: [{id: a}]\n",
            "2: defaults.area_code: '15' is not a US area code",
        ),
        ("version: 1\ntenants: [{id: a, contains: '5'}]\n", "2: tenants[a].contains: '5' must be"),
        ("version: 1\ntenants: [{id: a, locality: [x]}]\n", "2: tenants[a].locality: must be text"),
        ("version: 1\ntenants: [{id: a, numbers: 0}]\n", "2: tenants[a].numbers: must be a whole"),
        ("version: 1\ntenants: [{id: a, numbers: '2'}]\n", "2: tenants[a].numbers: must be a"),
        ("version: 1\ntenants: [{id: a, numbers: true}]\n", "2: tenants[a].numbers: must be a"),
        ("version: 1\ntenants: [{id: a, providers: []}]\n", "2: tenants[a].providers: must be a"),
        (
            "version: 1\ntenants: [{id: a, providers: [vonage]}]\n",
            "2: tenants[a].providers: unknown provider 'vonage'",
        ),
        (
            "version: 1\ntenants: [{id: a, max_monthly_price: cheap}]\n",
            '2: tenants[a].max_monthly_price: must be a price such as "5.00"',
        ),
        (
            "version: 1\ntenants: [{id: a, max_monthly_price: '-1'}]\n",
            '2: tenants[a].max_monthly_price: must be a positive price such as "5.00"',
        ),
        ("version: 1\ntenants: [{id: a, address: x}]\n", "2: tenants[a].address: must be a map"),
        (
            "version: 1\ntenants: [{id: a, address: {street: s}}]\n",
            "2: tenants[a].address: missing customer_name (or business_name), city, region,"
            " postal_code, country",
        ),
        (
            "version: 1\ntenants: [{id: a, address: {floor: 2, customer_name: A, street: S,"
            " city: C, region: R, postal_code: P, country: GB}}]\n",
            "2: tenants[a].address.floor: unknown key",
        ),
        (
            "version: 1\ntenants: [{id: a, providers: [twilio], webhooks: {voice_url: ftp://x}}]\n",
            "2: tenants[a].webhooks.voice_url: 'ftp://x' is not an http(s) URL",
        ),
        (
            "version: 1\ntenants: [{id: a, providers: [twilio],"
            " webhooks: {voice_url: 'https://h/{tenent}'}}]\n",
            "2: tenants[a].webhooks.voice_url: unknown placeholder {tenent}",
        ),
        (
            "version: 1\ntenants: [{id: a, providers: [twilio], webhooks: {fax_url: 'https://h'}}]\n",
            "2: tenants[a].webhooks.fax_url: unknown key",
        ),
        ("version: 1\ntenants: [{id: a, webhooks: {}}]\n", "2: tenants[a].webhooks: name at"),
        (
            "version: 1\ntenants: [{id: a, webhooks: {voice_url: 'https://h/v'}}]\n",
            "2: tenants[a].webhooks: Telnyx has no per-number webhook URLs",
        ),
        (
            "version: 1\ndefaults: {webhooks: {voice_url: 'https://h/v'}}\ntenants: [{id: a}]\n",
            "2: defaults.webhooks: Telnyx has no per-number webhook URLs",
        ),
        ("version: 1\ntenants: [{id: a, telnyx: {app: x}}]\n", "2: tenants[a].telnyx.app: unknown"),
        ("version: 1\ntenants: [{id: a, vapi: true}]\n", "2: tenants[a].vapi: must be false or a"),
        (
            "version: 1\ntenants: [{id: a, numbers: !!python/name:os.system x}]\n",
            "2: tenants[a].numbers: unsupported tag",
        ),
        ("version: 1\ntenants: [{id: a, numbers: !!int x}]\n", "2: tenants[a].numbers: invalid"),
        ("version: 1\ntenants: [{id: a, vapi: {}}]\n", "2: tenants[a].vapi: needs assistant"),
        (
            "version: 1\ntenants: [{id: a, vapi: {assistant: ''}}]\n",
            "2: tenants[a].vapi.assistant: must not be empty",
        ),
        (
            "version: 1\ntenants: [{id: a, test: {sms_to: '+1415'}}]\n",
            "2: tenants[a].test.sms_to: +1415 is too short for US",
        ),
        ("version: 1\ntenants: [{id: a, test: {email: x}}]\n", "2: tenants[a].test.email: unknown"),
    ],
)
def test_each_problem_names_file_line_and_key(home, text, expected):
    found = problems_of(home, text)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_every_problem_is_listed_at_once(home):
    path = write(
        home,
        """\
        version: 1
        defaults:
          country: ZZ
          colour: blue
        tenants:
          - id: ok-one
          - id: Bad
            numbers: many
          - id: ok-one
        """,
    )
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert err.value.problems == [
        f"{path}:3: defaults.country: 'ZZ' is not an ISO 3166 alpha-2 country code",
        f"{path}:4: defaults.colour: unknown key; valid: country, type, capabilities, area_code,"
        " contains, locality, region, numbers, providers, max_monthly_price, address, webhooks,"
        " telnyx, vapi, test",
        f"{path}:7: tenants[1].id: 'Bad' must be 1-40 of a-z, 0-9 and -, starting with a letter"
        " or digit",
        f"{path}:8: tenants[1].numbers: must be a whole number from 1 to 100",
        f"{path}:9: tenants[2].id: duplicate id 'ok-one' (first at {path}:6)",
    ]
    assert err.value.message.startswith(f"{path} has 5 problems:\n  {path}:3: defaults.country")
    assert "nothing was bought or changed" in err.value.hint


def test_a_tenant_with_a_problem_still_has_its_duplicate_id_and_every_other_problem_listed(home):
    path = write(
        home,
        """\
        version: 1
        defaults:
          providers: [twilio, telnyx]
          webhooks: {voice_url: "https://h/{tenant}"}
        tenants:
          - {id: dup, providers: [twilio]}
          - id: dup
            providers: [twilio]
            numbers: 0
          - id: both
            area_code: "123"
        """,
    )
    with pytest.raises(PlanError) as err:
        load_plan(path)
    assert err.value.problems == [
        f"{path}:4: defaults.webhooks: Telnyx has no per-number webhook URLs: add `telnyx:"
        " {connection: …, messaging_profile: …}` or limit `providers` to [twilio]",
        f"{path}:7: tenants[1].id: duplicate id 'dup' (first at {path}:6)",
        f"{path}:9: tenants[dup].numbers: must be a whole number from 1 to 100",
        f"{path}:11: tenants[both].area_code: '123' is not a US area code (3 digits, not"
        " starting with 0 or 1)",
    ]


def test_unreadable_and_invalid_files(home):
    with pytest.raises(ConfigError, match="cannot read"):
        load_plan(home / "absent.yaml")
    with pytest.raises(ConfigError, match=r"plan.yaml:3: invalid YAML"):
        load_plan(write(home, "version: 1\ntenants: [\n"))
    with pytest.raises(PlanError, match=r"plan.yaml:1: expected a mapping"):
        load_plan(write(home, "- 1\n"))
    with pytest.raises(PlanError, match=r"plan.yaml:1: expected a mapping"):
        load_plan(write(home, ""))


def test_telnyx_wiring_makes_webhooks_acceptable_and_twilio_only_needs_none(home):
    plan = load_plan(
        write(
            home,
            """\
            version: 1
            defaults: {webhooks: {voice_url: "https://h/{tenant}"}}
            tenants:
              - {id: a, providers: [twilio]}
              - {id: b, telnyx: {connection: "1234"}}
            """,
        )
    )
    assert plan.tenants[0].telnyx is None
    assert plan.tenants[1].telnyx.connection == "1234"


def test_select_by_tenant_and_unknown_tenant_is_usage_error(home):
    plan = load_plan(write(home, FULL))
    assert [t.id for t in plan.select(["bolt-7"])] == ["bolt-7"]
    assert [t.id for t in plan.select([])] == ["acme-dental", "bolt-7"]
    with pytest.raises(UsageProblem, match=r"not in plan\.yaml: nope") as err:
        plan.select(["nope", "acme-dental"])
    assert err.value.hint == "tenants in the plan: acme-dental, bolt-7"


def test_locate_names_where_a_key_was_written(home):
    path = write(home, FULL)
    acme, bolt = load_plan(path).tenants
    assert acme.locate("vapi.assistant") == f"{path}:17: tenants[acme-dental].vapi.assistant"
    assert bolt.locate("country") == f"{path}:24: tenants[bolt-7].country"
