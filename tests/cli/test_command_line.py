"""The command line itself: usage errors as one `error:`/`hint:` pair (exit 2), help for a
bare group on stdout (exit 0), global options anywhere on the line, and what Ctrl-D and
Ctrl-C do at a prompt."""

from __future__ import annotations

import json
import sys

import pytest


@pytest.mark.parametrize(
    ("args", "error", "hint"),
    [
        (
            ("numbers", "search", "--type", "bogus"),
            "error: invalid value for '--type' / '-t': 'bogus' is not one of 'local', 'mobile',"
            " 'toll-free'",
            "hint: see `telcli numbers search --help`",
        ),
        (
            ("numbers", "search", "--jsno"),
            "error: no such option: --jsno (Possible options: --json, --sandbox)",
            "hint: see `telcli numbers search --help`",
        ),
        (
            ("numbers", "buy"),
            "error: missing argument 'NUMBER'",
            "hint: see `telcli numbers buy --help`",
        ),
        (
            ("numbers", "search", "--limit", "0"),
            "error: invalid value for '--limit': 0 is not in the range 1<=x<=200",
            "hint: see `telcli numbers search --help`",
        ),
        (
            ("nubmers",),
            "error: no such command 'nubmers'. Did you mean 'numbers'?",
            "hint: see `telcli --help`",
        ),
    ],
)
def test_usage_errors_are_two_lines_on_stderr(telcli, args, error, hint):
    result = telcli("--sandbox", *args)
    assert result.exit_code == 2, result
    assert result.stdout == ""
    assert result.stderr.splitlines() == [error, hint]


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("numbers",),
        ("vapi",),
        ("sandbox", "faults"),
        # Global options name no command: still a question about what there is to run.
        ("--sandbox",),
        ("--profile", "default", "--json"),
        ("numbers", "--sandbox"),
        ("sandbox", "faults", "--json"),
    ],
)
def test_a_bare_group_prints_its_help_on_stdout_and_exits_0(telcli, args):
    result = telcli(*args)
    assert result.exit_code == 0, result
    assert "Usage: telcli" in result.stdout and "Commands" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    "args",
    [
        ("vapi", "numbers", "--sandbox", "--json"),
        ("vapi", "--sandbox", "numbers", "--json"),
        ("--json", "vapi", "numbers", "--sandbox"),
        ("numbers", "list", "--sandbox", "--json", "--debug"),
        ("--sandbox", "numbers", "list", "--profile", "default", "--json"),
        ("webhook", "export", "--json"),
    ],
)
def test_global_options_work_after_the_command(telcli, args):
    result = telcli(*args)
    assert result.exit_code == 0, result
    if "export" not in args:
        assert json.loads(result.stdout) == []


def test_sandbox_after_the_command_really_selects_the_sandbox(telcli):
    # Without --sandbox there are no credentials: exit 4. After the command it must count.
    assert telcli("numbers", "search", "--json").exit_code == 4
    found = telcli("numbers", "search", "--limit", "1", "--json", "--sandbox")
    assert found.exit_code == 0, found
    assert len(json.loads(found.stdout)) >= 1


def test_profile_after_the_command_is_the_profile_used(telcli, home):
    (home / "config.yaml").write_text("profiles:\n  staging:\n    sandbox: true\n")
    result = telcli("numbers", "search", "--limit", "1", "--profile", "staging", "--json")
    assert result.exit_code == 0, result
    assert telcli("numbers", "search", "--profile", "nosuch").exit_code == 3


def test_yes_after_the_command_confirms(telcli):
    offer = json.loads(telcli("--sandbox", "numbers", "search", "--limit", "1", "--json").stdout)[0]
    result = telcli("numbers", "buy", offer["phone_number"], "--sandbox", "-y", "--json")
    assert result.exit_code == 0, result


def test_global_options_are_listed_in_each_commands_help(telcli):
    result = telcli("vapi", "numbers", "--help")
    assert "Global options" in result.stdout
    assert "--sandbox" in result.stdout and "--profile" in result.stdout


# -- prompts ----------------------------------------------------------------------------------


def _offer(telcli) -> str:
    found = telcli("--sandbox", "numbers", "search", "--limit", "1", "--json")
    return json.loads(found.stdout)[0]["phone_number"]


def test_ctrl_d_at_a_confirmation_means_no(telcli):
    number = _offer(telcli)
    result = telcli("--sandbox", "numbers", "buy", number, tty=True, input="")
    assert result.exit_code == 1, result
    assert result.stderr.endswith("[y/N]: \naborted: nothing was changed\n")
    assert json.loads(telcli("--sandbox", "numbers", "list", "--json").stdout) == []


def test_ctrl_c_at_a_confirmation_ends_the_prompt_line_first(telcli, monkeypatch):
    number = _offer(telcli)

    from telcli.cli import base

    class Interrupting:
        def readline(self) -> str:
            raise KeyboardInterrupt

    class Sys:  # the real sys (CliRunner's streams), but a Ctrl-C arrives while reading
        stdin = Interrupting()

        def __getattr__(self, name: str) -> object:
            return getattr(sys, name)

    monkeypatch.setattr(base, "sys", Sys())
    result = telcli("--sandbox", "numbers", "buy", number, tty=True)
    assert result.exit_code == 130, result
    assert result.stderr.endswith("[y/N]: \ninterrupted\n")


@pytest.mark.parametrize("fmt", [(), ("--json",)])
def test_a_reader_that_stops_reading_ends_the_command_quietly_with_141(tmp_path, fmt):
    # `telcli … | head -1`: Click turned the broken pipe into exit 1, which telcli's README
    # reserves for bugs. Now it is 141 (what a shell reports for a process killed by SIGPIPE),
    # and nothing is printed about it.
    import os
    import subprocess

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write
    env = {**os.environ, "TELCLI_HOME": str(tmp_path / "home")}
    args = ["--sandbox", "numbers", "search", "--limit", "50", *fmt]
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "telcli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == ""
