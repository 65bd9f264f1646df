"""completion bash | zsh | fish | refresh: TAB completion that starts no process."""

from __future__ import annotations

import typer

from telcli.cli.base import TelcliTyper
from telcli.cli.options import JsonOpt
from telcli.context import AppContext

app = TelcliTyper(
    help="Print shell completion scripts, and refresh the values TAB offers.",
    no_args_is_help=True,
)

_INSTALL = {
    "bash": "telcli completion bash > ~/.local/share/bash-completion/completions/telcli",
    "zsh": 'telcli completion zsh > "${fpath[1]}/_telcli"',
    "fish": "telcli completion fish > ~/.config/fish/completions/telcli.fish",
}


def _print_script(ctx: typer.Context, shell: str) -> None:
    from telcli.cli.completion_scripts import script

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output()
    out.out.write(script(shell))
    out.out.flush()
    if app_ctx.stdout_isatty:
        out.note(f"install: {_INSTALL[shell]}")


@app.command("bash")
def completion_bash(ctx: typer.Context) -> None:
    """Print the bash completion script (commands, options, values; no process on TAB).

    Example: telcli completion bash > ~/.local/share/bash-completion/completions/telcli
    """
    _print_script(ctx, "bash")


@app.command("zsh")
def completion_zsh(ctx: typer.Context) -> None:
    """Print the zsh completion script (commands, options, values; no process on TAB).

    Example: telcli completion zsh > "${fpath[1]}/_telcli"
    """
    _print_script(ctx, "zsh")


@app.command("fish")
def completion_fish(ctx: typer.Context) -> None:
    """Print the fish completion script (commands, options, values; no Python on TAB).

    Example: telcli completion fish > ~/.config/fish/completions/telcli.fish
    """
    _print_script(ctx, "fish")


@app.command("refresh")
def completion_refresh(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Rebuild the values TAB offers: owned numbers, assistants, capture ids, profiles.

    Asks each provider (reads only); a provider that cannot be asked, or has no credentials,
    keeps its old values. Everyday commands refresh what they list, so this is rarely needed.

    Example: telcli completion refresh
    """
    from telcli.errors import AuthError
    from telcli.services import completion as svc

    app_ctx: AppContext = ctx.obj
    out = app_ctx.output(json=json_)

    def vapi():  # type: ignore[no-untyped-def]
        return app_ctx.provider_with("vapi", app_ctx.credentials("vapi").values)

    try:
        app_ctx.credentials("vapi")
        has_vapi = True
    except AuthError:
        has_vapi = False
        out.note("vapi: no credentials; assistant names not refreshed")
    try:
        carriers = app_ctx.carriers(None, notify=out.note)
    except AuthError:  # capture ids and profiles need no provider: refresh them anyway
        carriers = []
        out.note("owned numbers not refreshed: no provider has credentials")
    counts = svc.refresh(
        app_ctx.completion,
        carriers=carriers,
        vapi=vapi if has_vapi else None,
        captures=app_ctx.captures,
        profiles=app_ctx.settings.profiles,
        notify=out.note,
    )
    if out.json_mode:
        out.json(counts)
    else:
        out.lines(f"{kind}\t{count}" for kind, count in counts.items())
    out.note(f"completion cache refreshed in {app_ctx.completion.path('numbers').parent}")
