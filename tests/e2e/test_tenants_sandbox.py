"""Tenant onboarding end to end on the sandbox: plan -> apply -> numbers, VAPI and webhooks per
tenant -> audit clean -> re-apply buys nothing -> a fresh TELCLI_HOME on the same sandbox buys
nothing -> `tenants remove` touches only that tenant's numbers."""

from __future__ import annotations

import json
import textwrap

import pytest

PLAN = """\
version: 1
defaults:
  country: US
  capabilities: [voice, sms]
  area_code: "415"
  max_monthly_price: "5.00"
  webhooks:
    voice_url: https://hooks.example.com/{tenant}/voice
    sms_url: https://hooks.example.com/{tenant}/sms
  telnyx: {connection: "1234567890", messaging_profile: "400174d0-4b2c-4a0e-a5ff-5b3d7e6b0001"}
  vapi: {assistant: Receptionist}
tenants:
  - id: acme-dental
    name: Acme Dental
    numbers: 2
  - id: bolt
    providers: [telnyx]
  - id: quiet
    name: Quiet Co
    vapi: false
    providers: [twilio]
"""


@pytest.fixture
def plan_file(home):
    path = home / "tenants.yaml"
    path.write_text(PLAN)
    return path


@pytest.fixture
def sb(telcli):
    def run(*args, tty=False, input=None, env=None):
        return telcli("--sandbox", *args, tty=tty, input=input, env=env)

    return run


def js(result, code=0):
    assert result.exit_code == code, result
    return json.loads(result.stdout)


def owned(sb, env=None):
    return {n["phone_number"]: n for n in js(sb("numbers", "list", "--json", env=env))}


def test_plan_apply_reapply_second_machine_and_scoped_remove(sb, plan_file, home, tmp_path):
    # A number bought by hand (untagged) and one of a tenant outside the plan: never touched.
    untagged = js(sb("numbers", "search", "-p", "twilio", "-a", "415", "--json"))[0]
    js(sb("numbers", "buy", untagged["phone_number"], "--yes", "--json"))
    added = sb("tenants", "add", "other-co", "-p", "telnyx", "-a", "212", "--yes", "--json")
    other = js(added)[0]["numbers"][0]
    before = owned(sb)

    planned = js(sb("tenants", "plan", str(plan_file), "--json"))
    by_tenant = {t["tenant"]: t for t in planned["tenants"]}
    assert [len(by_tenant[t]["buy"]) for t in ("acme-dental", "bolt", "quiet")] == [2, 1, 1]
    assert {o["provider"] for o in by_tenant["bolt"]["buy"]} == {"telnyx"}
    assert all(
        o["phone_number"] != untagged["phone_number"] for t in planned["tenants"] for o in t["buy"]
    )
    assert owned(sb) == before  # plan changes nothing

    results = js(sb("tenants", "apply", str(plan_file), "--yes", "--json"))
    assert [(r["tenant"], r["status"], r["error"]) for r in results] == [
        ("acme-dental", "done", None),
        ("bolt", "done", None),
        ("quiet", "done", None),
    ]
    # exactly what the plan showed was bought
    assert sorted(n["phone_number"] for r in results for n in r["numbers"]) == sorted(
        o["phone_number"] for t in planned["tenants"] for o in t["buy"]
    )
    after = owned(sb)
    assert {k: after[k] for k in before} == before  # untagged and other-co untouched
    acme = [n for n in after.values() if n["tenant"] == "acme-dental"]
    assert len(acme) == 2 and all(
        n["voice_url"] == "https://hooks.example.com/acme-dental/voice" for n in acme
    )
    (bolt,) = [n for n in after.values() if n["tenant"] == "bolt"]
    assert (bolt["provider"], bolt["connection_id"]) == ("telnyx", "1234567890")
    vapi = {v["phone_number"]: v for v in js(sb("vapi", "numbers", "--json"))}
    assert {vapi[n["phone_number"]]["name"] for n in acme} == {"acme-dental · Acme Dental"}
    assert vapi[bolt["phone_number"]]["assistant_name"] == "Receptionist"
    (quiet,) = [n for n in after.values() if n["tenant"] == "quiet"]
    assert quiet["phone_number"] not in vapi  # vapi: false

    # audit with the plan: the vapi-false tenant is not drift; the outsiders still are
    audited = js(sb("audit", "--plan", str(plan_file), "--json"), code=7)
    assert {d["phone_number"] for d in audited} == {
        untagged["phone_number"],
        other["phone_number"],
    }

    # re-apply: nothing to buy, nothing bought, exit 0 without --yes (no spend to confirm)
    again = sb("tenants", "apply", str(plan_file), "--json")
    assert [r["status"] for r in js(again)] == ["done"] * 3
    assert "nothing to buy" in again.stderr
    assert owned(sb) == after

    # a second machine: empty TELCLI_HOME, same sandbox account
    fresh = tmp_path / "laptop"
    fresh.mkdir()
    env = {"TELCLI_HOME": str(fresh), "TELCLI_SANDBOX_DB": str(home / "sandbox.db")}
    second = js(sb("tenants", "plan", str(plan_file), "--json", env=env))
    assert all(t["in_sync"] for t in second["tenants"]), second
    js(sb("tenants", "apply", str(plan_file), "--json", env=env))
    assert owned(sb, env=env) == after

    # remove one tenant: exactly its numbers, from VAPI and the carrier
    dry = js(sb("tenants", "remove", "acme-dental", "--dry-run", "--json"))
    assert sorted(n["phone_number"] for n in dry["numbers"]) == sorted(
        n["phone_number"] for n in acme
    )
    refused = sb("tenants", "remove", "acme-dental")
    assert refused.exit_code == 2 and owned(sb) == after
    removed = js(sb("tenants", "remove", "acme-dental", "--yes", "--json"))
    assert {s["status"] for s in removed["steps"]} == {"done"}
    left = owned(sb)
    assert set(after) - set(left) == {n["phone_number"] for n in acme}
    assert {k: left[k] for k in left} == {k: after[k] for k in left}
    vapi_left = {v["phone_number"] for v in js(sb("vapi", "numbers", "--json"))}
    assert vapi_left == {bolt["phone_number"]}
    nothing = sb("tenants", "remove", "acme-dental", "--yes")
    assert nothing.exit_code == 0 and "holds no numbers" in nothing.stderr


def test_status_and_list_follow_the_journal_and_the_providers(sb, plan_file):
    never = sb("tenants", "status", str(plan_file))
    assert never.exit_code == 7
    assert never.stdout.splitlines()[0].split("\t")[:2] == ["acme-dental", "not applied"]
    # The hint names this plan file, so it runs as printed.
    assert "3 tenants not done: acme-dental, bolt, quiet" in never.stderr
    assert f"`telcli --sandbox tenants apply {plan_file}`" in never.stderr
    no_plan = sb("tenants", "status", "--check")
    assert "`telcli --sandbox tenants status PLAN --check`" in no_plan.stderr
    js(sb("tenants", "apply", str(plan_file), "--yes", "--json"))
    status = js(sb("tenants", "status", str(plan_file), "--check", "--json"))
    assert [(s["tenant"], s["status"], s["check"]) for s in status] == [
        ("acme-dental", "done", "in sync"),
        ("bolt", "done", "in sync"),
        ("quiet", "done", "in sync"),
    ]
    assert [s["step"] for s in status[0]["steps"]] == ["buy", "configure", "vapi"]
    listed = {t["tenant"]: t for t in js(sb("tenants", "list", "--json"))}
    assert (listed["acme-dental"]["numbers"], listed["acme-dental"]["in_vapi"]) == (2, 2)
    assert listed["acme-dental"]["monthly"] == [{"currency": "USD", "amount": "2.30"}]
    assert (listed["quiet"]["name"], listed["quiet"]["in_vapi"]) == ("Quiet Co", 0)
    assert listed["bolt"]["by_provider"] == {"telnyx": 1}
    partial = sb(
        "tenants", "list", "--json", env={"TELCLI_SANDBOX_FAULTS": "telnyx.list:status=503"}
    )
    assert partial.exit_code == 7 and "telnyx failed" in partial.stderr
    rows, _ = json.JSONDecoder().raw_decode(partial.stdout)  # then {"errors": [...]}
    assert "bolt" not in {t["tenant"] for t in rows if t["numbers"]}
    assert {t["tenant"] for t in rows if t["numbers"]} == {"acme-dental", "quiet"}


def test_apply_needs_yes_off_a_tty_and_respects_max_spend(sb, plan_file):
    refused = sb("tenants", "apply", str(plan_file))
    assert refused.exit_code == 2 and "pass --yes" in refused.stderr
    assert "to buy: 4 numbers, 4.45 USD a month" in refused.stderr
    over = sb("tenants", "apply", str(plan_file), "--yes", "--max-spend", "4.00")
    assert over.exit_code == 2
    assert "the planned monthly total 4.45 USD exceeds --max-spend 4.00" in over.stderr
    assert owned(sb) == {}
    tty = sb("tenants", "apply", str(plan_file), "--tenant", "bolt", tty=True, input="n\n")
    assert tty.exit_code == 1 and "Buy 1 number? [y/N]" in tty.stderr
    assert owned(sb) == {}


def test_unknown_assistant_is_a_plan_error_before_any_spend(sb, home):
    path = home / "p.yaml"
    path.write_text(
        "version: 1\ntenants:\n  - id: a\n    vapi: {assistant: Nobody}\n"
        "  - id: b\n    vapi: {assistant: Receptionist}\n"
    )
    result = sb("tenants", "apply", str(path), "--yes")
    assert result.exit_code == 3
    assert f"{path}:4: tenants[a].vapi.assistant: no VAPI assistant 'Nobody'" in result.stderr
    assert owned(sb) == {}


def test_names_only_the_providers_know_are_listed_with_the_other_problems(sb, home):
    path = home / "p.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            version: 1
            defaults: {providers: [telnyx], telnyx: {connection: No Such App}}
            tenants:
              - id: a
                vapi: {assistant: Nobody}
                numbers: many
              - id: Bad
                vapi: {assistant: Receptionist}
            """
        )
    )
    for command in ("plan", "apply"):
        result = sb("tenants", command, str(path), "--yes")
        assert result.exit_code == 3, result
        problems = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
        assert problems == [
            f"{path}:2: tenants[a].telnyx.connection: no Telnyx connection is named 'No Such App'",
            f"{path}:2: tenants[1].telnyx.connection: no Telnyx connection is named 'No Such App'",
            f"{path}:5: tenants[a].vapi.assistant: no VAPI assistant 'Nobody'",
            f"{path}:6: tenants[a].numbers: must be a whole number from 1 to 100",
            f"{path}:7: tenants[1].id: 'Bad' must be 1-40 of a-z, 0-9 and -, starting with a"
            " letter or digit",
        ]
    assert owned(sb) == {}


def test_assistant_names_match_in_any_case_and_a_near_miss_is_suggested(sb, home):
    path = home / "p.yaml"
    path.write_text(
        "version: 1\ndefaults: {providers: [twilio]}\ntenants:\n"
        "  - {id: a, vapi: {assistant: receptionist}}\n"
        "  - {id: b, vapi: {assistant: Recepshunist}}\n"
    )
    result = sb("tenants", "plan", str(path))
    assert result.exit_code == 3 and "tenants[a]" not in result.stderr
    assert (
        f"{path}:5: tenants[b].vapi.assistant: no VAPI assistant 'Recepshunist'"
        " (did you mean 'Receptionist'?)" in result.stderr
    )
    # tenants add names the flag (exit 2), as for every other bad flag
    add = sb("tenants", "add", "solo", "--assistant", "Recepshunist", "--yes")
    assert add.exit_code == 2, add
    assert add.stderr.startswith(
        "error: --assistant: no VAPI assistant 'Recepshunist' (did you mean 'Receptionist'?)"
    )
    added = js(
        sb(
            "tenants",
            "add",
            "solo",
            "-p",
            "twilio",
            "--assistant",
            "RECEPTIONIST",
            "--yes",
            "--json",
        )
    )
    assert added[0]["numbers"][0]["assistant"] == "Receptionist"
    assert owned(sb) and all(n["tenant"] == "solo" for n in owned(sb).values())


def test_address_created_for_the_tenant_then_reused(sb, home):
    path = home / "za.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            version: 1
            defaults:
              country: ZA
              providers: [twilio]
              address: {customer_name: Thandi Nkosi, street: 12 Long Street, city: Cape Town,
                        region: Western Cape, postal_code: "8001", country: ZA}
            tenants:
              - {id: cape-one}
              - {id: cape-two, numbers: 2}
            """
        )
    )
    planned = js(sb("tenants", "plan", str(path), "--json"))
    assert [t["addresses"] for t in planned["tenants"]] == [
        [{"provider": "twilio", "action": "create", "address_id": None}]
    ] * 2
    js(sb("tenants", "apply", str(path), "--yes", "--json"))
    addresses = js(sb("addresses", "list", "--json"))
    assert sorted(a["tenant"] for a in addresses) == ["cape-one", "cape-two"]
    by_tenant = {a["tenant"]: a["id"] for a in addresses}
    for n in owned(sb).values():
        assert n["address_id"] == by_tenant[n["tenant"]]
    path.write_text(path.read_text().replace("numbers: 2", "numbers: 3"))
    replanned = js(sb("tenants", "plan", str(path), "--json"))["tenants"][1]
    assert replanned["addresses"] == [
        {"provider": "twilio", "action": "reuse", "address_id": by_tenant["cape-two"]}
    ]
    js(sb("tenants", "apply", str(path), "--yes", "--json"))
    assert len(js(sb("addresses", "list", "--json"))) == 2


def test_add_one_tenant_from_flags(sb):
    bad = sb("tenants", "add", "Bad_Id", "--area-code", "41")
    assert bad.exit_code == 2
    assert "ID: 'Bad_Id' must be 1-40 of a-z" in bad.stderr
    assert "--area-code: '41' is not a US area code" in bad.stderr
    result = js(
        sb(
            "tenants",
            "add",
            "solo",
            "--name",
            "Solo Practice",
            "--area-code",
            "212",
            "--provider",
            "twilio",
            "--assistant",
            "Receptionist",
            "--webhook-voice-url",
            "https://h.example.com/{tenant}/v",
            "--yes",
            "--json",
        )
    )
    assert [(r["tenant"], r["status"]) for r in result] == [("solo", "done")]
    (number,) = owned(sb).values()
    assert (number["tenant"], number["voice_url"]) == ("solo", "https://h.example.com/solo/v")
    assert number["phone_number"].startswith("+1212")


def test_a_tenant_another_apply_holds_is_skipped_and_said(sb, plan_file, make_ctx):
    ctx = make_ctx()
    ctx.sandbox_flag = True
    ctx.state.lease_acquire(ctx.ledger_profile, "bolt", "someone", "other-host", 1, 60)
    result = sb("tenants", "apply", str(plan_file), "--yes", "--json")
    out = {r["tenant"]: r for r in js(result, code=7)}
    assert out["bolt"]["status"] == "pending"
    assert "another telcli apply (pid 1 on other-host) is converging bolt" in out["bolt"]["error"]
    assert out["acme-dental"]["status"] == "done"
    assert not [n for n in owned(sb).values() if n["tenant"] == "bolt"]


def test_the_optional_test_sms_proves_each_new_number_once(sb, home, monkeypatch):
    monkeypatch.setenv("TELCLI_SANDBOX_SPEED", "50")
    path = home / "t.yaml"
    path.write_text(
        "version: 1\ndefaults: {providers: [twilio]}\ntenants:\n"
        "  - {id: good, test: {sms_to: '+15005550007'}}\n"
        "  - {id: bad, test: {sms_to: '+15005550002'}}\n"
    )
    first = sb("tenants", "apply", str(path), "--yes", "--json")
    out = {r["tenant"]: r for r in js(first, code=7)}
    assert out["good"]["status"] == "done"
    assert [s["status"] for s in out["good"]["steps"] if s["step"] == "test"] == ["done"]
    assert out["bad"]["status"] == "failed" and "test of" in out["bad"]["error"]
    sent = [e for e in js(sb("history", "--json")) if e["action"].startswith("sms")]
    assert len(sent) == 2
    again = js(sb("tenants", "apply", str(path), "--json"))  # nothing new: no test resent
    assert [r["status"] for r in again] == ["done", "done"]
    assert len([e for e in js(sb("history", "--json")) if e["action"].startswith("sms")]) == 2


def test_apply_on_a_tty_asks_and_draws_progress_on_stderr(sb, plan_file):
    result = sb("tenants", "apply", str(plan_file), "--tenant", "bolt", tty=True, input="y\n")
    assert result.exit_code == 0, result
    assert "Buy 1 number? [y/N]" in result.stderr
    assert "Tenant" in result.stderr and "bolt" in result.stderr  # the live table
    assert "bolt" in result.stdout and "done" in result.stdout


def test_the_live_table_is_not_broken_by_the_network_spinner(sb, plan_file):
    slow = {"TELCLI_SANDBOX_FAULTS": "twilio.purchase:latency=700"}
    args = ("tenants", "apply", str(plan_file), "--tenant", "quiet")
    result = sb(*args, tty=True, input="y\n", env=slow)
    assert result.exit_code == 0, result
    _, asked, during = result.stderr.partition("Buy 1 number? [y/N]")
    assert asked and "waiting for" not in during  # the live table owns the terminal


def test_add_with_an_address_file_creates_the_tenants_address(sb, home):
    address = home / "addr.yaml"
    address.write_text(
        "customer_name: Thandi Nkosi\nstreet: 12 Long Street\ncity: Cape Town\n"
        "region: Western Cape\npostal_code: '8001'\ncountry: ZA\n"
    )
    result = sb("tenants", "add", "cape", "-c", "ZA", "-p", "twilio", "--address-file",
                str(address), "--yes", "--json")  # fmt: skip
    assert [r["status"] for r in js(result)] == ["done"]
    (made,) = js(sb("addresses", "list", "--json"))
    (number,) = owned(sb).values()
    assert (made["tenant"], number["tenant"], number["address_id"]) == ("cape", "cape", made["id"])


def test_telnyx_connection_and_messaging_profile_by_name(sb, home):
    path = home / "tx.yaml"
    path.write_text(
        "version: 1\ndefaults:\n  providers: [telnyx]\n"
        "  telnyx: {connection: telcli sandbox calls, messaging_profile: TELCLI SANDBOX}\n"
        "tenants:\n  - id: named\n  - id: typo\n    telnyx: {connection: telcli sandbox cals}\n"
    )
    wrong = sb("tenants", "apply", str(path), "--yes")
    assert wrong.exit_code == 3, wrong
    assert (
        f"{path}:8: tenants[typo].telnyx.connection: no Telnyx connection is named"
        " 'telcli sandbox cals'"
    ) in wrong.stderr
    assert owned(sb) == {}
    path.write_text(path.read_text().replace("cals", "calls"))
    js(sb("tenants", "apply", str(path), "--yes", "--json"))
    numbers = list(owned(sb).values())
    assert {(n["tenant"], n["connection_id"]) for n in numbers} == {
        ("named", "1494404757140276705"),
        ("typo", "1494404757140276705"),
    }
    assert {n["messaging_profile_id"] for n in numbers if n["tenant"] == "named"} == {
        "40017f8e-49bd-4f9b-9df0-0a1b2c3d4e5f"
    }


def test_remove_of_a_tenant_holding_nothing_keeps_the_json_shape(sb):
    for args in ((), ("--dry-run",)):
        empty = js(sb("tenants", "remove", "nobody", "--yes", "--json", *args))
        assert empty == {"tenant": "nobody", "numbers": [], "steps": []}


def test_status_says_why_a_tenant_failed_when_no_step_did(sb, home):
    plan = home / "cheap.yaml"
    plan.write_text(
        "version: 1\ndefaults: {country: US, providers: [twilio], area_code: '415'}\n"
        "tenants:\n  - {id: cheap, max_monthly_price: '0.10'}\n  - {id: fine}\n"
    )
    applied = js(sb("tenants", "apply", str(plan), "--yes", "--json"), code=7)
    why = applied[0]["error"]
    assert applied[0]["status"] == "failed" and "nothing else matches" in why
    status = js(sb("tenants", "status", str(plan), "--json"), code=7)
    assert [(s["tenant"], s["status"], s["error"]) for s in status] == [
        ("cheap", "failed", why),
        ("fine", "done", None),
    ]
    piped = sb("tenants", "status", str(plan), "--tenant", "cheap")
    assert piped.exit_code == 7 and why in piped.stdout.split("\t")[3]
