"""telcli.validate: one rule per kind of value that enters from outside (issue 12)."""

from __future__ import annotations

import math

import pytest

from telcli import validate
from telcli.validate import (
    ISO_3166_ALPHA2,
    MAX_SECONDS,
    InvalidValue,
    country,
    seconds,
    shown,
    undecodable,
)


@pytest.mark.parametrize(
    ("value", "expected"), [(20, 20.0), (0.5, 0.5), ("  1.5 ", 1.5), ("86400", MAX_SECONDS)]
)
def test_seconds_accepts_positive_finite_numbers_and_numeric_text(value, expected) -> None:
    assert seconds(value, "timeout") == expected


@pytest.mark.parametrize(
    "value",
    [
        math.nan,
        math.inf,
        -math.inf,
        0,
        0.0,
        -1,
        1e308,
        10**400,  # beyond float: OverflowError in float(), refused like inf
        MAX_SECONDS + 1,
        True,
        None,
        "nan",
        "inf",
        "1e999",
        "20s",
        "",
        "\udcff",
        [1],
    ],
)
def test_seconds_refuses_everything_else(value) -> None:
    with pytest.raises(InvalidValue) as err:
        seconds(value, "deadline")
    assert err.value.message.startswith("deadline must be a positive number of seconds")


def test_seconds_with_a_minimum_names_the_range() -> None:
    assert seconds(0.1, "--timeout", minimum=0.1) == 0.1
    with pytest.raises(InvalidValue, match=r"from 0.1 to 86400, not 0.05$"):
        seconds(0.05, "--timeout", minimum=0.1)


@pytest.mark.parametrize(("value", "expected"), [("gb", "GB"), (" US ", "US"), ("XK", "XK")])
def test_country_accepts_iso_codes_in_any_case(value, expected) -> None:
    assert country(value) == expected


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("UK", "did you mean GB?"),
        ("EL", "did you mean GR?"),
        ("usa", "did you mean US?"),
        ("XX", "use the two-letter ISO 3166-1 code, e.g. US, GB, DE or ZA"),
        ("../../IncomingPhoneNumbers", "use the two-letter"),
        ("US?x=1#", "use the two-letter"),
        ("U\x00", "use the two-letter"),
        ("U\udcff", "use the two-letter"),
        ("ſe", "use the two-letter"),  # upper-cases to SE, but is not an ASCII code
        ("", "use the two-letter"),
    ],
)
def test_country_refuses_the_rest_with_a_suggestion(value, hint) -> None:
    with pytest.raises(InvalidValue) as err:
        country(value, "--country")
    assert "is not an ISO 3166-1 alpha-2 country code" in err.value.message
    assert err.value.hint is not None and err.value.hint.startswith(hint)


def test_iso_list_is_every_assigned_code_libphonenumber_knows() -> None:
    import phonenumbers

    # libphonenumber also has AC and TA (exceptionally reserved, not ISO 3166-1 assignments).
    regions = set(phonenumbers.SUPPORTED_REGIONS) - {"AC", "TA"}
    assert regions <= ISO_3166_ALPHA2
    assert len(ISO_3166_ALPHA2) == 250  # 249 assigned + XK
    assert all(len(c) == 2 and c.isascii() and c.isupper() for c in ISO_3166_ALPHA2)


def test_shown_escapes_undecodable_bytes_and_control_characters() -> None:
    assert shown("U\udcff") == "'U\\xff'"
    assert shown("a\nb") == "'a\\nb'"
    assert shown("x" * 50) == repr("x" * 40 + "…")
    assert undecodable("ok é") is None and undecodable("ok\udcff") == 2


def test_utf8_names_line_and_column_of_the_first_bad_byte() -> None:
    from telcli.validate import utf8

    assert utf8("\ufeffé\n".encode()) == "é\n"
    with pytest.raises(
        InvalidValue,
        match=r"^3: not valid UTF-8 \(byte 0xe9 at column 6\) \(save the file as UTF-8\)$",
    ):
        utf8(b"a\nb\ncaf\xc3\xa9 \xe9\n")


@pytest.mark.parametrize(
    "url",
    ["http://xn--.com", "http://XN--zz.example", "http://exa\u00admple.com", "http://999.1.1.1"],
)
def test_base_url_refuses_hosts_httpx_would_refuse_when_sending(url) -> None:
    with pytest.raises(InvalidValue, match="must be an http"):
        validate.base_url(url, "TELCLI_TWILIO_BASE_URL")


@pytest.mark.parametrize(
    "host", ["example.com", "127.0.0.1", "xn--mller-kva.de", "müller.de", "::1", "1x2x3x4"]
)
def test_http_host_takes_what_httpx_takes(host) -> None:
    import httpx

    assert validate.http_host(host)
    httpx.URL(f"http://[{host}]/" if ":" in host else f"http://{host}/").host  # noqa: B018
