"""TAB completion: the checked-in scripts are what the app generates (regenerate with
``sh completions/generate.sh``), they answer from the command tree and the completion cache
without starting any process, and telcli's commands keep that cache fresh."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SCRIPTS = {"bash": "telcli.bash", "zsh": "_telcli", "fish": "telcli.fish"}


def _generate(shell: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "telcli", "completion", shell],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_checked_in_script_matches_the_app(shell):
    checked_in = (REPO / "completions" / SCRIPTS[shell]).read_text()
    assert _generate(shell) == checked_in, (
        f"completions/{SCRIPTS[shell]} drifted: run `sh completions/generate.sh`"
    )


def _cache(home: Path, kind: str, *lines: str, sandbox: bool = False) -> None:
    directory = home / "completion" / ("sandbox" if sandbox else "")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / kind).write_text("".join(f"{line}\n" for line in lines))


@pytest.fixture
def no_process(tmp_path):
    """A PATH where python, python3 and telcli are stubs that leave a mark and fail."""
    bin_dir = tmp_path / "stubs"
    bin_dir.mkdir()
    mark = tmp_path / "started"
    for name in ("python", "python3", "telcli"):
        stub = bin_dir / name
        stub.write_text(f"#!/bin/sh\necho {name} >> {mark}\nexit 97\n")
        stub.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TELCLI_HOME": str(tmp_path / "home"),
    }
    return env, mark


def _bash_complete(env: dict[str, str], *words: str) -> list[str]:
    script = REPO / "completions" / "telcli.bash"
    quoted = " ".join(f"'{w}'" for w in words)
    code = (
        f"source {script}\n"
        f"COMP_WORDS=({quoted}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n"
        "_telcli\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(
        ["/bin/bash", "--norc", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return [line for line in out.stdout.splitlines() if line]


def test_bash_completes_owned_numbers_from_the_cache_without_starting_a_process(no_process):
    env, mark = no_process
    home = Path(env["TELCLI_HOME"])
    _cache(home, "numbers", "+14155550100\ttwilio", "+442071234567\ttelnyx")
    _cache(home, "numbers", "+15005550006\ttwilio", sandbox=True)

    assert _bash_complete(env, "telcli", "numbers", "release", "") == [
        "+14155550100",
        "+442071234567",
    ]
    assert _bash_complete(env, "telcli", "numbers", "release", "+44") == ["+442071234567"]
    # Sandbox work has its own numbers, whether --sandbox comes first or TELCLI_SANDBOX is set.
    assert _bash_complete(env, "telcli", "--sandbox", "numbers", "release", "") == ["+15005550006"]
    sandbox_env = {**env, "TELCLI_SANDBOX": "1"}
    assert _bash_complete(sandbox_env, "telcli", "vapi", "import", "") == ["+15005550006"]
    # Filters by number offer them too: what was done to one of mine, what it received.
    assert _bash_complete(env, "telcli", "history", "--number", "+1") == ["+14155550100"]
    assert _bash_complete(env, "telcli", "webhook", "list", "--number", "+44") == ["+442071234567"]
    assert not mark.exists(), f"a process was started on TAB: {mark.read_text()}"


def test_bash_completes_commands_options_and_choices_without_starting_a_process(no_process):
    env, mark = no_process
    assert "numbers" in _bash_complete(env, "telcli", "")
    assert set(_bash_complete(env, "telcli", "numbers", "")) >= {"search", "buy", "release"}
    assert _bash_complete(env, "telcli", "numbers", "search", "--ty") == ["--type"]
    assert _bash_complete(env, "telcli", "numbers", "search", "--type", "") == [
        "local",
        "mobile",
        "toll-free",
    ]
    # bash splits `--provider=t` at the '=': the value still completes.
    assert _bash_complete(env, "telcli", "numbers", "list", "--provider", "=", "t") == [
        "twilio",
        "telnyx",
    ]
    # An option's value is not taken for a subcommand or a positional.
    assert "search" not in _bash_complete(env, "telcli", "--profile", "numbers", "")
    assert set(_bash_complete(env, "telcli", "--profile", "x", "numbers", "")) >= {"search"}
    # Past the last positional, options are offered.
    assert "--yes" in _bash_complete(env, "telcli", "numbers", "release", "+14155550100", "")
    assert not mark.exists(), f"a process was started on TAB: {mark.read_text()}"


def test_bash_completes_profiles_captures_and_assistants(no_process):
    env, _ = no_process
    home = Path(env["TELCLI_HOME"])
    _cache(home, "profiles", "default\t", "staging\t")
    _cache(home, "captures", "41\t", "42\t")
    _cache(home, "assistants", "Receptionist\t")
    assert _bash_complete(env, "telcli", "--profile", "st") == ["staging"]
    # Profiles do not depend on the account: the sandbox offers them too.
    assert _bash_complete(env, "telcli", "--sandbox", "--profile", "") == ["default", "staging"]
    assert _bash_complete(env, "telcli", "webhook", "replay", "41", "") == ["41", "42"]
    assert _bash_complete(env, "telcli", "webhook", "show", "4") == ["41", "42"]
    assert _bash_complete(env, "telcli", "vapi", "assign", "+1", "--assistant", "R") == [
        "Receptionist"
    ]


def _shell(name: str) -> str:
    """The shell's path; skip where it is not installed, except in CI (.ci/test installs it)."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: .ci/test installs it")
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return path


def test_zsh_script_completes_from_the_tree_and_the_cache(no_process):
    zsh = _shell("zsh")
    env, mark = no_process
    home = Path(env["TELCLI_HOME"])
    _cache(home, "numbers", "+14155550100\ttwilio")
    script = REPO / "completions" / "_telcli"
    # compadd and _files only work inside a completion widget: stand-ins print what they got.
    code = (
        f"source {script}\n"
        'compadd() { shift; print -r -- "$*"; }\n'
        "_files() { print -r -- FILES; }\n"
        "compset() { :; }\n"
        't() { words=("$@"); CURRENT=${#words}; _telcli; }\n'
        "t telcli numbers release ''\n"
        "t telcli numbers search --type ''\n"
        "t telcli webhook import ''\n"
        "t telcli ''\n"
    )
    out = subprocess.run(
        [zsh, "-f", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.splitlines()
    assert out[0] == "+14155550100"
    assert out[1] == "local mobile toll-free"
    assert out[2] == "FILES"
    assert "numbers" in out[3].split() and "webhook" in out[3].split()
    assert not mark.exists()


def test_fish_script_completes_from_the_tree_and_the_cache(no_process):
    fish = _shell("fish")
    env, _ = no_process
    home = Path(env["TELCLI_HOME"])
    _cache(home, "numbers", "+14155550100\ttwilio")
    script = REPO / "completions" / "telcli.fish"

    def complete(line: str) -> list[str]:
        out = subprocess.run(
            [
                fish,
                "--no-config",
                "-c",
                f"source {script}; complete -C '{line}'",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        return sorted(out.stdout.split())

    assert complete("telcli numbers release ") == ["+14155550100"]
    assert complete("telcli numbers search --type ") == ["local", "mobile", "toll-free"]
    assert "release" in complete("telcli numbers ")
    assert complete("telcli numbers list --provider=tw") == ["--provider=twilio"]


# --- the cache: kept fresh by the commands that list, private on disk ---------------------------


@pytest.fixture
def sandbox_cache(home, monkeypatch):
    from telcli.storage.completion_cache import CompletionCache

    monkeypatch.setenv("TELCLI_SANDBOX", "1")
    return CompletionCache(home / "completion", sandbox=True)


def _sandbox_number(telcli) -> str:
    import json

    found = json.loads(telcli("numbers", "search", "--limit", "1", "--json").stdout)
    return found[0]["phone_number"]


def test_buy_list_and_release_keep_the_owned_numbers_fresh(telcli, sandbox_cache):
    number = _sandbox_number(telcli)
    telcli("numbers", "buy", number, "--yes")
    assert sandbox_cache.values("numbers") == [number]

    sandbox_cache.add("numbers", ["+19995550000"], scope="twilio")  # stale: no longer owned
    telcli("numbers", "list", "--provider", "twilio")
    assert sandbox_cache.values("numbers") == [number]

    telcli("numbers", "release", number, "--yes")
    assert sandbox_cache.values("numbers") == []


def test_vapi_assistants_and_webhook_list_fill_the_cache(telcli, sandbox_cache):
    telcli("vapi", "assistants")
    assert "Receptionist" in sandbox_cache.values("assistants")
    assert "After-hours Support" not in sandbox_cache.values("assistants")  # not one word


def test_profiles_follow_the_config_file(telcli, home):
    from telcli.storage.completion_cache import CompletionCache

    (home / "config.yaml").write_text("profiles:\n  staging: {sandbox: true}\n  prod: {}\n")
    telcli("providers", "status")
    assert sorted(CompletionCache(home / "completion").values("profiles")) == ["prod", "staging"]


def test_refresh_rebuilds_every_kind(telcli, sandbox_cache):
    import json

    number = _sandbox_number(telcli)
    telcli("numbers", "buy", number, "--yes")
    sandbox_cache.replace("numbers", [], scope="twilio")
    counts = json.loads(telcli("completion", "refresh", "--json").stdout)
    assert counts["numbers"] == 1 and counts["assistants"] >= 1
    assert sandbox_cache.values("numbers") == [number]


def test_refresh_without_carrier_credentials_still_rebuilds_the_local_kinds(telcli, home):
    # Capture ids and profiles need no provider: a webhook-only user refreshes them too.
    import json

    from telcli.storage.completion_cache import CompletionCache

    (home / "config.yaml").write_text("profiles:\n  prod: {}\n")
    cache = CompletionCache(home / "completion")
    cache.replace("captures", ["999"])  # gone from the store
    result = telcli("completion", "refresh", "--json")
    assert result.exit_code == 0, result
    assert json.loads(result.stdout)["profiles"] == 1
    assert cache.values("profiles") == ["prod"] and cache.values("captures") == []
    assert "owned numbers not refreshed: no provider has credentials" in result.stderr


def test_cache_files_are_private_whatever_the_umask(tmp_path):
    from telcli.storage.completion_cache import CompletionCache

    old = os.umask(0)
    try:
        cache = CompletionCache(tmp_path / "home" / "completion", sandbox=True)
        cache.add("numbers", ["+14155550100", "not a word", "bad\x1bvalue"])
    finally:
        os.umask(old)
    path = cache.path("numbers")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700
    assert cache.values("numbers") == ["+14155550100"]  # nothing a shell could trip on


def test_replace_keeps_other_scopes_and_caps_the_size(tmp_path):
    from telcli.storage import completion_cache as cc

    cache = cc.CompletionCache(tmp_path)
    cache.replace("numbers", ["+1", "+2"], scope="twilio")
    cache.replace("numbers", ["+3"], scope="telnyx")
    cache.replace("numbers", ["+4"], scope="twilio")
    assert cache.read("numbers") == [("+3", "telnyx"), ("+4", "twilio")]
    cache.add("captures", [str(i) for i in range(cc.MAX_ENTRIES + 10)])
    values = cache.values("captures")
    assert len(values) == cc.MAX_ENTRIES and values[-1] == str(cc.MAX_ENTRIES + 9)
