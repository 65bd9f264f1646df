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
        ("default_country: USA\n", ":1", "default_country 'USA' is not an ISO 3166-1 alpha-2"),
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


# Issue 12: 56 of 600 fuzzed files crashed every command; each is now exit 3 at its line.
@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("timeout: !!float abc\n", ":1: timeout: invalid !!float value 'abc'"),
        ("sandbox: !!bool maybe\n", ":1: sandbox: invalid !!bool value 'maybe'"),
        ("default_country: !!timestamp 2020-13-45\n", ":1: default_country: invalid !!timestamp"),
        ("timeout: !!python/name:os.system ''\n", ":1: timeout: unsupported tag !!python/name"),
        ("? [a, b]\n: 1\n", ":1: the top level: a key must be a plain name, not a list"),
        ("a: " + "[" * 2000 + "]" * 2000 + "\n", ":1: invalid YAML: nested more than 64 levels"),
        ("timeout: .nan\n", ":1: timeout must be a positive number of seconds"),
        ("deadline: .nan\n", ":1: deadline must be a positive number of seconds"),
        ("deadline: .inf\n", ":1: deadline must be a positive number of seconds"),
        ("deadline: 0\n", ":1: deadline must be a positive number of seconds"),
        ("\ntimeout: 20s\n", ":2: timeout must be a number of seconds, not the text '20s'"),
        ("breaker: {window: -.inf}\n", ":1: breaker.window must be a positive number"),
        ("rate_limits: {telnyx: .nan}\n", ":1: rate_limits.telnyx must be a positive number"),
        ("rate_limits: {[x]: 1}\n", ":1: rate_limits: a key must be a plain name, not a list"),
        ("breaker: {cooldown: 1.0e+999}\n", ":1: breaker.cooldown must be a positive number"),
        ("providers: [[twilio]]\n", ":1: providers must be a single value, not a list"),
        ("profiles: {[x]: {}}\n", ":1: profiles: a key must be a plain name, not a list"),
        ("timeout: 5\ntimeout: 6\n", ":2: the top level: 'timeout' appears twice (first on"),
        ("providers: !!set {twilio}\n", ":1: providers must be a list, not a mapping"),
        ("default_country: UK\n", ":1: default_country 'UK' is not an ISO 3166-1 alpha-2"),
        ("providers: &x [*x]\n", ":1: providers must be a single value, not a list"),
    ],
)
def test_hostile_files_are_exit_3_at_their_line(telcli, home, text, says):
    path = write(home, text)
    result = telcli("numbers", "list")
    assert result.exit_code == 3, result
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {path}{says}"), result


def test_invalid_utf8_and_control_characters_name_their_line(home):
    path = home / "config.yaml"
    path.write_bytes(b"providers: [twilio]\ndefault_country: U\xff\n")
    with pytest.raises(ConfigError, match=r"config.yaml:2: not valid UTF-8 \(byte 0xff at col"):
        load_settings(path, None)
    path.write_bytes(b"providers: [twilio]\n\ntimeout: 2\x1b\n")
    with pytest.raises(
        ConfigError, match=r"config.yaml:3: invalid YAML: control character U\+001B"
    ):
        load_settings(path, None)


def test_uk_default_country_suggests_gb(home):
    with pytest.raises(ConfigError) as err:
        load_settings(write(home, "default_country: uk\n"), None)
    assert err.value.hint == "did you mean GB?"
