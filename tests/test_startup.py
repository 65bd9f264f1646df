"""Startup discipline (STYLE.md §9): building the CLI app, and running --help or a completion,
loads none of the heavy modules; they load only inside the code that needs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("httpx", "keyring", "twilio", "telnyx", "yaml", "phonenumbers", "sqlite3", "platformdirs")


def _loaded_after(code: str, env: dict[str, str] | None = None) -> list[str]:
    probe = (
        "import sys, json, atexit\n"
        "def dump():\n"
        "    sys.__stderr__.write('MODULES=' + json.dumps(sorted(sys.modules)) + '\\n')\n"
        "atexit.register(dump)\n" + code
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("MODULES="))
    return json.loads(line.removeprefix("MODULES="))


def _heavy(modules: list[str]) -> list[str]:
    return sorted(
        m
        for m in modules
        if m.split(".")[0] in HEAVY
        or m.startswith(
            ("telcli.providers.", "telcli.sandbox.", "telcli.services.", "telcli.storage.")
        )
    )


def test_importing_the_app_loads_nothing_heavy():
    assert _heavy(_loaded_after("import telcli.cli.app")) == []


def _main(*argv: str) -> str:
    """Code that runs telcli's main() with ``argv`` and swallows its SystemExit."""
    return (
        f"import sys; sys.argv = ['telcli', *{list(argv)!r}]\n"
        "from telcli.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
    )


def test_help_loads_nothing_heavy():
    assert _heavy(_loaded_after(_main("--help"))) == []


def test_completion_loads_nothing_heavy():
    code = _main()
    env = {
        "_TELCLI_COMPLETE": "complete_bash",
        "COMP_WORDS": "telcli numbers se",
        "COMP_CWORD": "2",
    }
    assert _heavy(_loaded_after(code, env)) == []


def test_the_check_would_catch_a_heavy_import():
    # Guard against a probe that can never fail: importing a provider must show up.
    assert "httpx" in _heavy(_loaded_after("import telcli.cli.app, telcli.providers.vapi"))


def test_lazy_subcommand_help_matches_each_module():
    import importlib

    from telcli.cli.app import SUBCOMMANDS

    for name, (module, summary) in SUBCOMMANDS.items():
        help_text = importlib.import_module(module).app.info.help
        assert help_text.split("\n\n")[0] == summary, f"{name}: update SUBCOMMANDS in cli/app.py"


def test_running_a_command_loads_only_its_own_module():
    code = _main("numbers", "search", "--help")
    loaded = {m for m in _loaded_after(code) if m.startswith("telcli.cli.")}
    assert loaded == {
        "telcli.cli.app",
        "telcli.cli.base",
        "telcli.cli.numbers",
        "telcli.cli.options",
    }


def test_lazy_webhook_verbs_match_each_command():
    import importlib
    import inspect

    from telcli.cli.webhooks import VERBS

    for verb, (module, summary) in VERBS.items():
        app = importlib.import_module(module).app
        (callback,) = (c.callback for c in app.registered_commands if c.name == verb)
        first = " ".join(inspect.getdoc(callback).split("\n\n")[0].split())
        assert first == summary, f"webhook {verb}: update VERBS in cli/webhooks.py"


def test_webhook_help_loads_no_verb_module_and_a_verb_loads_only_its_own():
    listing = {m for m in _loaded_after(_main("webhook", "--help")) if m.startswith("telcli.cli.")}
    assert not {m for m in listing if m.startswith("telcli.cli.webhook_")} - {
        "telcli.cli.webhook_common"
    }
    loaded = {
        m for m in _loaded_after(_main("webhook", "sign", "--help")) if m.startswith("telcli.cli.")
    }
    assert "telcli.cli.webhook_signing" in loaded
    assert not loaded & {"telcli.cli.webhook_captures", "telcli.cli.webhook_replay"}


def test_the_low_modules_stand_alone():
    """Layering (issue 16): phone.py sits below models.py (no import circle), and the pure SMS
    segment calculator below both the services and the sandbox that use it."""
    phone = _loaded_after("import telcli.phone")
    assert "telcli.models" not in phone
    segments = _loaded_after("import telcli.segments")
    assert [m for m in segments if m.startswith("telcli.") and m != "telcli.segments"] == []


def test_help_does_not_build_the_models():
    # models.py is dozens of dataclasses (~30 ms to import on a loaded machine): command
    # signatures take their value sets from the light enums.py instead.
    for argv in (["--help"], ["numbers", "buy", "--help"]):
        loaded = set(_loaded_after(_main(*argv)))
        assert not {"telcli.models", "telcli.phone"} & loaded, argv
    assert "telcli.enums" in loaded  # the command's signature was built
