"""The checked-in completion scripts are what the app generates (regenerate with
``sh completions/generate.sh``), and completion itself answers from the real command tree."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

SCRIPTS = {"bash": "telcli.bash", "zsh": "_telcli", "fish": "telcli.fish"}


def _run(env_extra: dict[str, str], *args: str) -> str:
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "telcli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_checked_in_script_matches_the_app(shell):
    # The scripts name the program, so generate them as the installed `telcli` would.
    generated = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv[0] = 'telcli'; from telcli.cli.app import main; main()",
        ],
        env={**os.environ, "_TELCLI_COMPLETE": f"source_{shell}"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    checked_in = (REPO / "completions" / SCRIPTS[shell]).read_text()
    assert generated == checked_in, (
        f"completions/{SCRIPTS[shell]} drifted: run completions/generate.sh"
    )


def test_bash_completion_lists_subcommands_and_options():
    out = _run(
        {"_TELCLI_COMPLETE": "complete_bash", "COMP_WORDS": "telcli numbers ", "COMP_CWORD": "2"}
    )
    assert {"search", "buy", "list", "release", "configure"} <= set(out.split())
    out = _run(
        {
            "_TELCLI_COMPLETE": "complete_bash",
            "COMP_WORDS": "telcli numbers search --ty",
            "COMP_CWORD": "3",
        }
    )
    assert out.split() == ["--type"]
