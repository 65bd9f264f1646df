"""numbers commands through the CLI with fake carriers: parsing, confirmation, output modes,
exit codes. End-to-end behaviour against the sandbox lives in tests/e2e."""

from __future__ import annotations

import json

import pytest

from telcli.errors import ProviderUnavailable
from telcli.models import NumberQuery, ProviderName
from tests.fakes import FakeCarrier, offer

N1, N2 = "+14155550101", "+14155550102"


@pytest.fixture
def fakes():
    tw = FakeCarrier(
        ProviderName.twilio, inventory=[offer(N1, "twilio", locality="San Francisco", region="CA")]
    )
    tx = FakeCarrier(ProviderName.telnyx, inventory=[offer(N2, "telnyx", "2.00")])
    return tw, tx


@pytest.fixture
def run(telcli, make_ctx, fakes):
    def invoke(*args, tty=False, input=None):
        ctx = make_ctx(tty=tty)
        ctx._carriers.update({"twilio": fakes[0], "telnyx": fakes[1]})
        return telcli(*args, ctx=ctx, input=input)

    return invoke


def test_search_json_is_an_array_with_stable_fields(run):
    result = run("numbers", "search", "--json")
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)
    assert [d["provider"] for d in data] == ["twilio", "telnyx"]
    assert data[0] == {
        "phone_number": N1,
        "national_format": "(415) 555-0101",
        "international_format": "+1 415-555-0101",
        "country": "US",
        "number_type": "local",
        "locality": "San Francisco",
        "region": "CA",
        "capabilities": ["voice", "sms"],
        "monthly_price": "1.15",
        "upfront_price": None,
        "currency": "USD",
        "address_requirement": "none",
        "provider": "twilio",
    }


def test_search_piped_is_headerless_tsv(run):
    result = run("numbers", "search")
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == [
        N1,
        "(415) 555-0101",
        "San Francisco, CA",
        "local",
        "voice,sms",
        "1.15 USD",
        "",
        "none",
        "twilio",
    ]
    assert len(lines) == 2 and result.stderr == ""


def test_search_tty_is_a_table_with_headers(run):
    result = run("numbers", "search", tty=True)
    assert result.stdout.splitlines()[0].split()[:2] == ["Number", "National"]
    assert N1 in result.stdout and "telnyx" in result.stdout


def test_search_passes_the_query_to_each_carrier(run, fakes):
    run(
        "numbers",
        "search",
        "-c",
        "gb",
        "--type",
        "mobile",
        "--area-code",
        "7700",
        "--capability",
        "sms",
        "--capability",
        "sms",
        "--contains",
        "+44",
        "--limit",
        "3",
    )
    query = fakes[0].calls[0][1]
    assert query == NumberQuery(
        country="GB",
        number_type="mobile",
        area_code="7700",
        contains="44",
        capabilities=("sms",),
        limit=3,
    )


def test_search_empty_json_is_an_empty_array(run):
    result = run("numbers", "search", "--country", "DE", "--json")
    assert (result.exit_code, result.stdout) == (0, "[]\n")


def test_search_failover_note_goes_to_stderr_only(run, fakes):
    fakes[0].fail["search_numbers"] = ProviderUnavailable("twilio 503 on search", provider="twilio")
    result = run("numbers", "search", "--json")
    assert [d["provider"] for d in json.loads(result.stdout)] == ["telnyx"]
    assert "twilio: search failed: twilio 503 on search" in result.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["numbers", "search", "--area-code", "41a"], "--area-code '41a' must be digits"),
        (["numbers", "search", "--contains", "5"], "--contains '5' must be 2-16"),
        (["numbers", "search", "--type", "premium"], "error: invalid value"),
        (["numbers", "search", "--limit", "0"], "error: invalid value"),
        (["numbers", "buy", "+1415555"], "+1415555 is too short for US"),
        (["numbers", "buy", "hello"], "is not a phone number"),
        (["numbers", "buy", "+14150000000"], "is not a valid US number"),
        (["numbers", "configure", N1], "nothing to configure"),
        (["numbers", "configure", N1, "--voice-url", "ftp://x"], "is not an http(s) URL"),
    ],
)
def test_bad_input_is_exit_2_with_one_clear_line(run, args, says):
    result = run(*args)
    assert result.exit_code == 2, result
    assert says in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_buy_without_tty_needs_yes(run, fakes):
    result = run("numbers", "buy", N1)
    assert result.exit_code == 2
    assert "pass --yes" in result.stderr and fakes[0].purchases == 0


def test_buy_with_yes_buys_once_and_reports_json(run, fakes):
    result = run("numbers", "buy", N1, "--yes", "--json")
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)
    assert (data["phone_number"], data["provider"], data["id"]) == (N1, "twilio", "twilio-1")
    assert data["monthly_price"] == "1.15" and data["attempts"][0]["outcome"] == "ok"
    assert fakes[0].purchases == 1
    assert f"Bought {N1} from twilio" in result.stderr


def test_buy_on_a_tty_shows_the_price_and_asks(run, fakes):
    declined = run("numbers", "buy", N2, tty=True, input="n\n")
    assert declined.exit_code == 1 and fakes[1].purchases == 0
    assert "2.00 USD" in declined.stderr and "nothing was changed" in declined.stderr
    accepted = run("numbers", "buy", N2, tty=True, input="y\n")
    assert accepted.exit_code == 0 and fakes[1].purchases == 1


def test_buy_dry_run_spends_nothing_and_needs_no_yes(run, fakes):
    result = run("numbers", "buy", N1, "--dry-run", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["dry_run"] is True
    assert fakes[0].purchases == 0


def test_buy_unavailable_number_is_exit_5(run):
    result = run("numbers", "buy", "+14155550199", "--yes")
    assert result.exit_code == 5
    assert result.stderr.splitlines() == [
        "error: +14155550199 is not available to buy from twilio or telnyx",
        "hint: search for alternatives: `telcli numbers search --country US`",
    ]


def test_global_yes_and_json_work_before_the_command(run, fakes):
    result = run("--yes", "--json", "numbers", "buy", N1)
    assert result.exit_code == 0 and json.loads(result.stdout)["phone_number"] == N1


def test_release_confirms_and_reports(run, fakes):
    fakes[1]._own(N2)
    assert run("numbers", "release", N2).exit_code == 2
    result = run("numbers", "release", N2, "--yes", "--json")
    assert json.loads(result.stdout) == {
        "phone_number": N2,
        "provider": "telnyx",
        "id": "telnyx-1",
        "released": True,
        "dry_run": False,
    }
    assert N2 not in fakes[1].owned


def test_list_piped_and_configure(run, fakes):
    fakes[0]._own(N1)
    assert run("numbers", "list").stdout.split("\t")[:3] == [N1, "(415) 555-0101", "twilio"]
    result = run("numbers", "configure", N1, "--voice-url", "https://example.com/v", "--json")
    assert json.loads(result.stdout)["voice_url"] == "https://example.com/v"


def test_provider_flag_limits_to_one_carrier(run, fakes):
    result = run("numbers", "search", "--provider", "telnyx", "--json")
    assert [d["provider"] for d in json.loads(result.stdout)] == ["telnyx"]
    assert fakes[0].calls == []


def test_a_mistyped_command_suggests_the_right_one(telcli):
    result = telcli("numbr")
    assert result.exit_code == 2 and "Did you mean 'numbers'?" in result.stderr


def test_the_confirmation_prompt_never_touches_stdout(run, fakes):
    # Click's prompts write their last character to stdout; ours must not (TSV would break).
    result = run("numbers", "buy", N1, tty=True, input="yes\n")
    assert result.exit_code == 0
    assert result.stdout.startswith("Number ")
    assert "[y/N]" in result.stderr


def test_end_of_input_at_the_prompt_means_no_and_buys_nothing(run, fakes):
    result = run("numbers", "buy", N1, tty=True, input="")
    assert result.exit_code == 1 and fakes[0].purchases == 0
    assert "aborted: nothing was changed" in result.stderr


def test_buy_for_a_tenant_passes_it_and_an_untagged_result_is_exit_7(run, fakes, monkeypatch):
    bought = run("numbers", "buy", N1, "--tenant", "acme-dental", "--yes", "--json")
    assert bought.exit_code == 0, bought
    assert json.loads(bought.stdout)["tenant"] == "acme-dental"
    assert fakes[0].owned[N1].tenant == "acme-dental"

    # A provider that bought the number but does not show the tenant on it (Telnyx, when the
    # order's reference did not reach the number and writing it failed).
    untagged = FakeCarrier.purchase

    def purchase(self, phone_number, *, address_id=None, tenant=None):
        return untagged(self, phone_number, address_id=address_id)

    monkeypatch.setattr(FakeCarrier, "purchase", purchase)
    result = run("numbers", "buy", N2, "--tenant", "acme-dental", "--yes", "--json")
    assert result.exit_code == 7, result
    assert json.loads(result.stdout)["tenant"] is None  # what was bought is still reported
    assert f"numbers tag {N2} --tenant acme-dental" in result.stderr


def test_configure_help_says_what_friendly_name_does_on_telnyx(telcli):
    # Issue 13: the help said "Twilio: friendly name" while Telnyx numbers took it as their
    # customer_reference (the README said "not supported").
    result = telcli("numbers", "configure", "--help")
    text = " ".join(result.stdout.split())
    assert result.exit_code == 0
    assert "Telnyx: customer_reference, refused on a tenant's number" in text
    assert "by ID or exact name (`telcli telnyx connections`)" in text
