"""config.yaml: profiles, defaults, and errors that name the file, line and key (exit 3)."""

from __future__ import annotations

import textwrap

import pytest

from telcli.errors import ConfigError
from telcli.storage.config import load_settings


def write(home, text):
    path = home / "config.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_missing_file_gives_defaults(home):
    s = load_settings(home / "config.yaml", None)
    assert (s.profile, s.providers, s.default_country, s.sandbox) == (
        "default",
        ("twilio", "telnyx"),
        "US",
        False,
    )


def test_profile_overrides_top_level(home):
    path = write(
        home,
        """\
        providers: [telnyx, twilio]
        default_country: gb
        profiles:
          acme:
            providers: [telnyx]
            sandbox: true
            base_urls: {telnyx: "http://127.0.0.1:4011/"}
        """,
    )
    top = load_settings(path, None)
    assert top.providers == ("telnyx", "twilio") and top.default_country == "GB"
    acme = load_settings(path, "acme")
    assert acme.providers == ("telnyx",) and acme.sandbox is True
    assert acme.base_urls == {"telnyx": "http://127.0.0.1:4011"}
    assert acme.default_country == "GB"


def test_rate_limits_merge_per_provider_with_the_profile_winning(home):
    path = write(
        home,
        """
        rate_limits: {twilio: 30, telnyx: 20}
        profiles:
          bulk:
            rate_limits: {telnyx: 7.5}
        """,
    )
    assert load_settings(path, None).rate_limits == {"twilio": 30, "telnyx": 20}
    assert load_settings(path, "bulk").rate_limits == {"twilio": 30, "telnyx": 7.5}
    assert load_settings(home / "absent.yaml", None).rate_limits == {}


def test_default_profile_key_selects_a_profile(home):
    path = write(home, "default_profile: acme\nprofiles:\n  acme: {timeout: 5}\n")
    assert load_settings(path, None).timeout == 5.0


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ("providers: [twilio, plivo]\n", ":1", "unknown provider 'plivo'"),
        ("default_country: USA\n", ":1", "default_country must be an ISO code"),
        ("\n\nsandbox: maybe\n", ":3", "sandbox must be true or false"),
        ("timeout: -1\n", ":1", "timeout must be a positive number"),
        ("profiles:\n  acme:\n    colour: red\n", ":3", "unknown key 'colour' in profile 'acme'"),
        ("auth_token: abc\n", ":1", "secrets do not belong in the config file"),
        ("providers: [twilio\n", ":2", "invalid YAML"),
        ("base_urls: {telnyx: ftp://x}\n", ":1", "must be an http(s) URL"),
        ("rate_limits: {plivo: 5}\n", ":1", "rate_limits: unknown provider 'plivo'"),
        ("rate_limits:\n  telnyx: 0\n", ":2", "rate_limits.telnyx must be a positive number"),
        ("rate_limits: 50\n", ":1", "rate_limits must be a mapping"),
    ],
)
def test_bad_files_name_file_line_and_key(home, text, where, says):
    path = write(home, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path, None)
    assert err.value.message.startswith(f"{path}{where}") or f"{path}{where}" in err.value.message
    assert says in err.value.message


def test_unknown_profile_lists_the_defined_ones(home):
    path = write(home, "profiles:\n  acme: {}\n  beta: {}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path, "gamma")
    assert "gamma" in err.value.message and err.value.hint == "defined profiles: acme, beta"


def test_bad_config_is_exit_3_with_one_line(telcli, home):
    write(home, "providers: nope\n")
    result = telcli("numbers", "list")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: {home / 'config.yaml'}:1: providers must be")
    assert "Traceback" not in result.stderr
