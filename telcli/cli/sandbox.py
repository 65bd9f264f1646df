"""sandbox serve | reset: the embedded provider emulator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from telcli import envvars
from telcli.cli import sandbox_faults
from telcli.cli.base import TelcliTyper
from telcli.cli.options import JsonOpt
from telcli.context import AppContext

app = TelcliTyper(
    help="Run the embedded Twilio/Telnyx emulator over HTTP, or reset what it owns.\n\n"
    "Every command takes --sandbox (or TELCLI_SANDBOX=1) to use it in process instead.",
    no_args_is_help=True,
)

app.add_typer(sandbox_faults.app, name="faults")

DEFAULT_PORT = 4780

# base_urls() key -> the environment variable that points telcli at that API.
_ENV_VARS = {
    "twilio": envvars.TELCLI_TWILIO_BASE_URL,
    "twilio_pricing": envvars.TELCLI_TWILIO_PRICING_BASE_URL,
    "telnyx": envvars.TELCLI_TELNYX_BASE_URL,
    "vapi": envvars.TELCLI_VAPI_BASE_URL,
}


@app.command("serve")
def sandbox_serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on; keep it on loopback.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port; 0 picks a free one.")
    ] = DEFAULT_PORT,
    log: Annotated[bool, typer.Option("--log", help="Log every request to stderr.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Serve the sandbox on HTTP until Ctrl-C; print each API's base URL.

    Example: telcli sandbox serve --port 4780 --json
    """
    from telcli.errors import UsageProblem
    from telcli.sandbox.server import base_urls, make_server

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    try:
        server = make_server(
            host,
            port,
            app_ctx.sandbox_db_path,
            log=out.note if log else None,
            faults=app_ctx.sandbox_faults(),
        )
    except OSError as exc:
        raise UsageProblem(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another --port, or --port 0 for any free one",
        ) from None
    urls = base_urls(server)
    rows = [{"api": api, "base_url": url, "env_var": _ENV_VARS[api]} for api, url in urls.items()]
    with _stopped_by_signals():
        try:
            out.rows(rows, _columns())
            _hint(out, urls)
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass  # Ctrl-C (or SIGTERM) is how it is meant to stop: exit 0
        finally:
            server.server_close()
            from telcli.sandbox import callbacks

            if not callbacks.drain(timeout=10.0):  # status callbacks still in flight
                out.warn("sandbox: some status callbacks were still pending and are dropped")
    out.note("sandbox: stopped")


@app.command("reset")
def sandbox_reset(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Forget every number and order the sandbox accounts own (it is only the emulator).

    Example: telcli sandbox reset
    """
    from telcli.sandbox.state import SandboxState

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)
    path = app_ctx.sandbox_db_path
    removed = SandboxState(path).reset()
    result = {
        "db_path": str(path),
        "numbers_removed": removed["numbers"],
        "orders_removed": removed["orders"],
    }
    out.item(result, _reset_columns())
    out.success(f"sandbox reset ({removed['numbers']} numbers released) in {path}")


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """Let SIGINT and SIGTERM stop the server cleanly, for Ctrl-C, process managers and
    ``kill``. SIGINT is set explicitly: a shell starts background jobs (``telcli sandbox serve
    &`` in a script) with SIGINT ignored, and Python then leaves it ignored."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _hint(out: Any, urls: dict[str, str]) -> None:
    from telcli.sandbox import SANDBOX_CREDENTIALS

    twilio, telnyx = SANDBOX_CREDENTIALS["twilio"], SANDBOX_CREDENTIALS["telnyx"]
    vapi = SANDBOX_CREDENTIALS["vapi"]
    root = urls["twilio"].rsplit("/", 1)[0]
    out.note(f"sandbox: serving on {root}; Ctrl-C stops it. Point telcli at it with:")
    for api, url in urls.items():
        out.note(f"export {_ENV_VARS[api]}={url}")
    # Fixed, public, fake credentials: the only ones the sandbox accepts.
    out.note(
        f"export {envvars.TWILIO_ACCOUNT_SID}={twilio['account_sid']}"
        f" {envvars.TWILIO_AUTH_TOKEN}={twilio['auth_token']}"
        f" {envvars.TELNYX_API_KEY}={telnyx['api_key']}"
        f" {envvars.VAPI_API_KEY}={vapi['api_key']}"
    )


def _columns() -> tuple[Any, ...]:
    from telcli.output.views import Column

    return (
        Column("API", lambda r: r["api"], "cyan"),
        Column("Base URL", lambda r: r["base_url"], "bold"),
        Column("Environment variable", lambda r: r["env_var"]),
    )


def _reset_columns() -> tuple[Any, ...]:
    from telcli.output.views import Column

    return (
        Column("Database", lambda r: r["db_path"]),
        Column("Numbers removed", lambda r: r["numbers_removed"], justify="right"),
        Column("Orders removed", lambda r: r["orders_removed"], justify="right"),
    )
