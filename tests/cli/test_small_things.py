"""The small things of issue 13 (item 14): help for every option and readable metavars,
`webhook replay --help` at 80 columns, `--forward-to` named in its error, assistants by
name in any case with "did you mean", whole-second JSON times, a dry run's null id, no
"skipped" noise for one-provider users, and singular/plural."""

from __future__ import annotations

import json

import httpx
import pytest
import typer


def _options_without_help() -> list[str]:
    from telcli.cli.app import app

    missing: list[str] = []

    def walk(cmd, path: str) -> None:
        for p in cmd.params:
            if getattr(p, "param_type_name", "") == "option" and not p.hidden and not p.help:
                missing.append(f"{path} {p.opts[0]}")
        for name in getattr(cmd, "lazy", {}):
            if name not in cmd.commands:
                cmd.load(name)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "telcli")
    return missing


def test_every_option_has_help():
    assert _options_without_help() == []


@pytest.mark.parametrize(
    ("args", "metavar"),
    [
        (("numbers", "buy", "--help"), "NUMBER"),
        (("numbers", "search", "--help"), "PROVIDER"),
        (("addresses", "delete", "--help"), "ID"),
        (("vapi", "numbers", "--help"), "NAME"),  # --profile NAME, a global option
    ],
)
def test_metavars_are_readable(telcli, args, metavar):
    result = telcli(*args)
    assert metavar in result.stdout


def _type_named_metavars() -> list[str]:
    """Every option or argument whose help shows Typer's type placeholder (`<str>`,
    `<int range>`, `provider:<twilio|telnyx>`) instead of a name for what to type."""
    from telcli.cli.app import app

    found: list[str] = []

    def walk(cmd, path: str) -> None:
        for name in getattr(cmd, "lazy", {}):
            if name not in cmd.commands:
                cmd.load(name)
        ctx = typer.Context(cmd)
        for p in cmd.params:
            if getattr(p, "is_flag", False) or getattr(p, "hidden", False):
                continue
            shown = p.make_metavar(ctx)
            choices = getattr(p.type, "choices", None)
            if ":<" in shown or (shown.startswith("<") and not choices):
                found.append(f"{path} {(p.opts or [p.name])[0]}: {shown}")
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "telcli")
    return found


def test_no_metavar_is_a_type_placeholder():
    assert _type_named_metavars() == []


def test_webhook_replay_help_is_readable_at_80_columns(telcli):
    result = telcli("webhook", "replay", "--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    text = " ".join(result.stdout.split())
    assert "--concurrency" in text and "Deliveries in flight at once" in text
    assert "--request-timeout SECONDS Give up on one delivery after this long" in text


def test_a_bad_forward_to_is_named_as_such(telcli):
    result = telcli("webhook", "listen", "--port", "0", "--forward-to", "ftp://x")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: --forward-to 'ftp://x' is not an http(s) URL",
        "hint: e.g. --forward-to http://127.0.0.1:3000",
    ]


@pytest.fixture
def owned(telcli) -> str:
    offer = json.loads(telcli("--sandbox", "numbers", "search", "-p", "twilio", "--json").stdout)[0]
    assert telcli("--sandbox", "numbers", "buy", offer["phone_number"], "--yes").exit_code == 0
    return offer["phone_number"]


def test_assistant_names_match_in_any_case(telcli, owned):
    result = telcli("--sandbox", "vapi", "import", owned, "--assistant", "receptionist", "--json")
    assert result.exit_code == 0, result
    assert json.loads(result.stdout)["assistant_name"] == "Receptionist"


def test_an_unknown_assistant_name_gets_a_did_you_mean(telcli, owned):
    result = telcli("--sandbox", "vapi", "import", owned, "--assistant", "Receptionst")
    assert result.exit_code == 5
    assert "hint: did you mean 'Receptionist'?" in result.stderr


def test_json_times_are_whole_seconds_in_utc(telcli, owned):
    [number] = json.loads(telcli("--sandbox", "numbers", "list", "--json").stdout)
    created = number["created_at"]
    assert created.endswith("Z") and len(created) == len("2026-01-01T00:00:00Z"), created


def test_a_dry_run_has_no_id(telcli):
    offer = json.loads(telcli("--sandbox", "numbers", "search", "-p", "twilio", "--json").stdout)[0]
    result = telcli("--sandbox", "numbers", "buy", offer["phone_number"], "--dry-run", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] is None


def test_one_provider_users_hear_nothing_about_the_other(telcli, make_ctx):
    def telnyx_owns_nothing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [], "meta": {"total_pages": 1}})

    def run(*args: str):
        ctx = make_ctx(
            env={"TELNYX_API_KEY": "KEY0123456789abcdefABCDEF"},
            transport=httpx.MockTransport(telnyx_owns_nothing),
        )
        return telcli("numbers", "list", "--json", *args, ctx=ctx)

    quiet = run()
    assert quiet.exit_code == 0, quiet
    assert "twilio" not in quiet.stderr
    assert "twilio: skipped" in run("--provider", "all").stderr
    assert "twilio: skipped" in run("--debug").stderr


def test_counts_are_singular_or_plural(telcli, owned):
    one = telcli("--sandbox", "audit", tty=True)
    assert "drift findings on 1 number\n" in one.stderr
    assert "number(s)" not in one.stderr


def test_release_of_a_number_in_vapi_warns_and_with_vapi_removes_it(telcli, owned):
    assert telcli("--sandbox", "vapi", "import", owned, "-a", "Receptionist").exit_code == 0
    dry = telcli("--sandbox", "numbers", "release", owned, "--dry-run")
    assert dry.exit_code == 0
    assert f"warning: {owned} is imported into VAPI" in dry.stderr
    assert "pass --with-vapi to remove it from VAPI too" in dry.stderr
    done = telcli("--sandbox", "numbers", "release", owned, "--with-vapi", "--yes")
    assert done.exit_code == 0, done
    assert f"ok: Removed {owned} from VAPI" in done.stderr
    assert json.loads(telcli("--sandbox", "vapi", "numbers", "--json").stdout) == []


def test_release_of_a_number_not_in_vapi_says_nothing_about_vapi(telcli, owned):
    result = telcli("--sandbox", "numbers", "release", owned, "--yes")
    assert result.exit_code == 0 and "VAPI" not in result.stderr


def test_failures_are_marked_error_when_stderr_is_not_a_terminal():
    import io

    from telcli.output.console import Output

    piped, tty = io.StringIO(), io.StringIO()
    Output(stderr=piped).failure("+15005550003: undelivered")
    Output(stderr=tty, stderr_isatty=True).failure("+15005550003: undelivered")
    assert piped.getvalue() == "error: +15005550003: undelivered\n"
    assert tty.getvalue() == "✗ +15005550003: undelivered\n"


def test_a_one_character_sms_is_counted_in_the_singular(telcli, owned):
    sent = telcli(
        "--sandbox", "test", "sms", "--to", "+14155550100", "--body", "x", "--no-wait", "--yes"
    )
    assert sent.exit_code == 0, sent
    assert "1 segment (1 character)\n" in sent.stderr
