"""The root command: global options, sub-apps, main()."""

from __future__ import annotations

from typing import Annotated

import typer

from telcli import __version__, envvars
from telcli.cli.base import LazyGroup, TelcliTyper, say_operation_id
from telcli.cli.options import check_seconds, check_utf8

# Sub-apps: name -> (module exposing `app`, its help). Imported only when a command line
# reaches them (see LazyGroup), so --help and Tab completion stay instant however many
# commands there are. The help is the first line of the module's own (a test checks).
# Register a new sub-app here, not with app.add_typer().
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "numbers": ("telcli.cli.numbers", "Search, price, buy and manage phone numbers."),
    "auth": ("telcli.cli.auth", "Store, check and remove provider credentials (keyring)."),
    "addresses": (
        "telcli.cli.addresses",
        "Create, list and delete regulatory addresses (Twilio Addresses, Telnyx addresses).",
    ),
    "vapi": (
        "telcli.cli.vapi",
        "Import numbers into VAPI and assign its assistants (numbers by E.164, assistants by ID).",
    ),
    "audit": (
        "telcli.cli.audit",
        "Report drift between the carriers and VAPI, each finding with the command that fixes it.",
    ),
    "webhook": ("telcli.cli.webhooks", "Capture, sign, verify and replay provider webhooks."),
    "providers": (
        "telcli.cli.providers",
        "Provider health: credentials, circuit breakers, latency, pacing.",
    ),
    "test": (
        "telcli.cli.testing",
        "Send test SMS and place test calls, wait for the real outcome, exit non-zero when it"
        " is wrong.",
    ),
    "completion": (
        "telcli.cli.completion",
        "Print shell completion scripts, and refresh the values TAB offers.",
    ),
    "history": (
        "telcli.cli.history",
        "Show the operations ledger as an audit trail: who did what, when, at what cost, with ids.",
    ),
    "tenants": (
        "telcli.cli.tenants",
        "Onboard tenants from a plan file: plan, apply, status, list, remove, add.",
    ),
    "telnyx": (
        "telcli.cli.telnyx",
        "Telnyx connections and messaging profiles: what `numbers configure` points a number at.",
    ),
    "sandbox": (
        "telcli.cli.sandbox",
        "Run the embedded Twilio/Telnyx emulator over HTTP, or reset what it owns.",
    ),
}

app = TelcliTyper(
    name="telcli",
    help="Telephony operations: buy and wire numbers across Twilio and Telnyx, import them into"
    " VAPI, prove them with test calls and SMS, and replay webhooks.\n\n"
    "Try it with no account and no network: telcli --sandbox numbers search --country US",
    no_args_is_help=True,
    # TAB is answered by the static scripts of `telcli completion` (no Python per TAB).
    add_completion=False,
    cls=LazyGroup.of(SUBCOMMANDS),
)


def _version(value: bool) -> None:
    if value:
        print(f"telcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            envvar=envvars.TELCLI_PROFILE,
            metavar="NAME",
            callback=check_utf8,
            help="Config profile to use (TELCLI_PROFILE); its stored credentials win over"
            " the environment's.",
        ),
    ] = None,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            help="Use the embedded emulator: no credentials, network or money (TELCLI_SANDBOX=1).",
        ),
    ] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Confirm spending and calls without asking.")
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", help="Log HTTP requests (secrets redacted) and tracebacks to stderr."
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            callback=check_seconds(minimum=0.1),
            metavar="SECONDS",
            help="Give up on the network after this long, retries included"
            " (default: config `deadline`, else 60).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    # No I/O here, so this cannot fail: everything expensive is built on first use.
    if ctx.obj is None:
        from telcli.context import AppContext

        ctx.obj = AppContext.from_environment()
    ctx.obj.apply_globals(
        profile=profile, sandbox=sandbox, json=json_, yes=yes, debug=debug, timeout=timeout
    )
    if ctx.obj.debug and ctx.invoked_subcommand:
        say_operation_id(ctx.obj)


def main() -> None:
    app(prog_name="telcli")
