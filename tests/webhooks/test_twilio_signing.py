"""Twilio X-Twilio-Signature: SDK vectors, form edge cases, URL forms, RequestValidator oracle."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote, urlencode

import pytest
from twilio.request_validator import RequestValidator

from telcli.errors import UsageProblem
from telcli.webhooks import twilio

TOKEN = "12345"  # the SDK test-suite token
BASE = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
]
FORM = urlencode(PARAMS).encode()  # '+' in phone numbers travels as %2B
JSON_BODY = b'{"property": "value", "boolean": true}'
JSON_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
FORM_CT = "application/x-www-form-urlencoded"


class MultiDict(dict):
    """The shape RequestValidator reads repeated keys from (Flask/Werkzeug ``getall``)."""

    def __init__(self, pairs):
        super().__init__()
        self._pairs = list(pairs)
        for k, v in self._pairs:
            self.setdefault(k, v)

    def getall(self, key):
        return [v for k, v in self._pairs if k == key]


def with_sig(signature: str, **more: str) -> dict[str, str]:
    return {"X-Twilio-Signature": signature, **more}


# --- official vectors (auth token 12345) ---------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (BASE, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        ("https://mycompany.com:443/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w="),
        ("http://mycompany.com:80/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4="),
        ("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
        ("https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", "CukzLTc1tT5dXEDIHm/tKBanW10="),
        ("https://user@mycompany.com/myapp.php?foo=1&bar=2", "2YRLlVAflCqxaNicjMpJcSTgzSs="),
        (
            "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2",
            "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=",
        ),
        (BASE + "&Body=It%27s+amazing", "TfZzewPq8wqrGlMfyAud8+/IvJ0="),
        (BASE + "&Body=It's+amazing", "dsq4Ehbj6cs+KdTkpF5sSSplOWw="),
    ],
)
def test_sdk_vectors_sign_and_verify(url: str, expected: str) -> None:
    result = twilio.sign(TOKEN, url=url, body=FORM, content_type=FORM_CT)
    assert result.headers == {"X-Twilio-Signature": expected}
    assert result.url is None
    verdict = twilio.verify(TOKEN, url=url, body=FORM, headers=with_sig(expected))
    assert verdict.valid, verdict.reason
    assert verdict.variant == "exact"


def test_repeated_keys_sorted_by_key_then_value_without_duplicates() -> None:
    body = b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234"
    assert twilio.sign(TOKEN, url=BASE, body=body).headers["X-Twilio-Signature"] == (
        "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    )
    # twilio-go sorts the concatenated key+value pairs instead; that order is wrong when one
    # key is a prefix of another, and must give a different signature.
    pairs = sorted(["SidCA123", "SidAccountAC123", "Digits5678", "Digits1234"])
    wrong = base64.b64encode(
        hmac.new(TOKEN.encode(), (BASE + "".join(pairs)).encode(), hashlib.sha1).digest()
    ).decode()
    assert wrong == "f2eNeQA03Kk6SUEEsqN6nCjnksU="
    assert not twilio.verify(TOKEN, url=BASE, body=body, headers=with_sig(wrong)).valid


@pytest.mark.parametrize(
    "order", [("+1325xxxxxxx", "+1415xxxxxxx"), ("+1415xxxxxxx", "+1325xxxxxxx")]
)
def test_array_style_keys_in_either_order(order: tuple[str, str]) -> None:
    body = urlencode([("MessagingBinding.Address", v) for v in order]).encode()
    sig = twilio.sign(TOKEN, url=BASE, body=body).headers["X-Twilio-Signature"]
    assert sig == "83O6e2vORAoJHUNzJjDWN1jz+BA="


def test_docs_examples_and_string_to_sign() -> None:
    docs = [(k, "+12349013030" if k in ("Caller", "From") else v) for k, v in PARAMS]
    assert twilio.compute_signature(TOKEN, BASE, docs) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    old = [(k, "+14158675310" if k in ("Caller", "From") else v) for k, v in PARAMS]
    assert twilio.string_to_sign(BASE, old) == (
        "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675310"
        "Digits1234From+14158675310To+18005551212"
    )
    assert twilio.compute_signature(TOKEN, BASE, old) == "GvWf1cFY/Q7PnoempGyD5oXAezc="


# --- JSON bodies: bodySHA256 ---------------------------------------------------------------


def test_json_vector_adds_body_hash_and_signs_the_url_alone() -> None:
    result = twilio.sign(TOKEN, url=BASE, body=JSON_BODY, content_type="application/json")
    assert result.url == f"{BASE}&bodySHA256={JSON_HASH}"
    assert result.headers == {"X-Twilio-Signature": "a9nBmqA0ju/hNViExpshrM61xv4="}
    verdict = twilio.verify(
        TOKEN, url=result.url, body=JSON_BODY, headers=with_sig("a9nBmqA0ju/hNViExpshrM61xv4=")
    )
    assert verdict.valid, verdict.reason


def test_json_vector_on_a_url_without_query() -> None:
    result = twilio.sign(
        TOKEN,
        url="https://mycompany.com/myapp.php",
        body=JSON_BODY,
        content_type="application/json; charset=utf-8",
    )
    assert result.url == f"https://mycompany.com/myapp.php?bodySHA256={JSON_HASH}"
    assert result.headers["X-Twilio-Signature"] == "y77kIzt2vzLz71DgmJGsen2scGs="


def test_json_vector_that_matches_only_with_the_default_port() -> None:
    empty_hash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    url = f"{BASE}&bodySHA256={empty_hash}"
    verdict = twilio.verify(
        TOKEN, url=url, body=b"{}", headers=with_sig("Ldidvp12m26NI7eqEvxnEpkd9Hc="), explain=True
    )
    assert verdict.valid, verdict.reason
    assert verdict.variant == "with-default-port"
    assert (
        verdict.matched_url
        == f"https://mycompany.com:443/myapp.php?foo=1&bar=2&bodySHA256={empty_hash}"
    )


def test_json_body_changed_after_signing_is_rejected_even_though_the_url_matches() -> None:
    result = twilio.sign(TOKEN, url=BASE, body=JSON_BODY, content_type="application/json")
    tampered = JSON_BODY.replace(b"true", b"false")
    verdict = twilio.verify(TOKEN, url=result.url, body=tampered, headers=result.headers)
    assert not verdict.valid
    assert "bodySHA256" in verdict.reason
    assert [c.ok for c in verdict.checks if c.name == "body hash"] == [False]


def test_json_content_type_without_body_hash_in_url_is_rejected() -> None:
    verdict = twilio.verify(
        TOKEN,
        url=BASE,
        body=JSON_BODY,
        headers=with_sig("a9nBmqA0ju/hNViExpshrM61xv4=", **{"Content-Type": "application/json"}),
    )
    assert not verdict.valid
    assert "no bodySHA256" in verdict.reason


def test_json_sign_keeps_a_matching_body_hash_and_refuses_a_stale_one() -> None:
    url = f"{BASE}&bodySHA256={JSON_HASH}"
    assert twilio.sign(TOKEN, url=url, body=JSON_BODY, content_type="application/json").url == url
    with pytest.raises(UsageProblem, match="does not match the body"):
        twilio.sign(TOKEN, url=url, body=b"{}", content_type="application/json")


def test_json_body_hash_goes_before_a_fragment() -> None:
    result = twilio.sign(
        TOKEN, url="https://h.example/cb#rc=2&rp=all", body=b"{}", content_type="application/json"
    )
    assert result.url is not None
    assert result.url.startswith("https://h.example/cb?bodySHA256=")
    assert result.url.endswith("#rc=2&rp=all")


# --- form edge cases -----------------------------------------------------------------------


def test_blank_values_are_signed() -> None:
    body = b"CallToken=&CallSid=CA1234567890ABCDE&ForwardedFrom="
    assert twilio.form_params(body) == [
        ("CallToken", ""),
        ("CallSid", "CA1234567890ABCDE"),
        ("ForwardedFrom", ""),
    ]
    sig = twilio.sign(TOKEN, url=BASE, body=body).headers["X-Twilio-Signature"]
    assert sig == twilio.compute_signature(
        TOKEN, BASE, [("CallSid", "CA1234567890ABCDE"), ("CallToken", ""), ("ForwardedFrom", "")]
    )
    dropped = twilio.compute_signature(TOKEN, BASE, [("CallSid", "CA1234567890ABCDE")])
    assert sig != dropped


def test_plus_is_a_space_and_percent_2b_is_a_plus() -> None:
    assert twilio.form_params(b"From=%2B14158675310&Body=a+b") == [
        ("From", "+14158675310"),
        ("Body", "a b"),
    ]
    encoded = twilio.sign(TOKEN, url=BASE, body=b"From=%2B14158675310").headers
    literal_space = twilio.sign(TOKEN, url=BASE, body=b"From=+14158675310").headers
    assert encoded["X-Twilio-Signature"] == twilio.compute_signature(
        TOKEN, BASE, [("From", "+14158675310")]
    )
    assert literal_space["X-Twilio-Signature"] == twilio.compute_signature(
        TOKEN, BASE, [("From", " 14158675310")]
    )
    assert encoded != literal_space


def test_non_ascii_and_astral_characters_with_percent_20_in_the_query() -> None:
    url = "https://example.com/hook%20path?name=a%20b&x='"
    body_text = "& = + ' é 😀"
    body = urlencode([("Body", body_text), ("From", "+33612345678")]).encode()
    result = twilio.sign(TOKEN, url=url, body=body, content_type=FORM_CT + "; charset=UTF-8")
    expected = RequestValidator(TOKEN).compute_signature(
        url, {"Body": body_text, "From": "+33612345678"}
    )
    assert result.headers["X-Twilio-Signature"] == expected
    assert twilio.verify(TOKEN, url=url, body=body, headers=result.headers).valid


def test_invalid_utf8_in_a_form_value_decodes_to_replacement_characters() -> None:
    params = twilio.form_params(b"Body=%FF%FE&Raw=\xff")
    assert params == [("Body", "\ufffd\ufffd"), ("Raw", "\ufffd")]
    result = twilio.sign(TOKEN, url=BASE, body=b"Body=%FF%FE&Raw=\xff")
    assert RequestValidator(TOKEN).validate(
        BASE, dict(params), result.headers["X-Twilio-Signature"]
    )


def test_get_webhook_signs_the_url_only() -> None:
    url = BASE + "&CallSid=CA1234567890ABCDE&CallStatus=ringing"
    result = twilio.sign(TOKEN, url=url, body=b"")
    assert result.headers["X-Twilio-Signature"] == twilio.compute_signature(TOKEN, url, [])


def test_other_content_types_are_a_usage_problem() -> None:
    with pytest.raises(UsageProblem, match="text/xml"):
        twilio.sign(TOKEN, url=BASE, body=b"<x/>", content_type="text/xml")


@pytest.mark.parametrize("url", ["", "/relative/path", "mycompany.com/x", "https:///nohost"])
def test_url_must_be_absolute(url: str) -> None:
    with pytest.raises(UsageProblem, match="absolute URL"):
        twilio.sign(TOKEN, url=url, body=FORM)


def test_missing_token_is_a_usage_problem() -> None:
    with pytest.raises(UsageProblem, match="Auth Token"):
        twilio.sign("", url=BASE, body=FORM)


# --- rejections ----------------------------------------------------------------------------


@pytest.fixture
def signed() -> dict[str, str]:
    return twilio.sign(TOKEN, url=BASE, body=FORM).headers


def test_wrong_token_is_rejected(signed: dict[str, str]) -> None:
    verdict = twilio.verify("54321", url=BASE, body=FORM, headers=signed)
    assert not verdict.valid
    assert "does not match" in verdict.reason
    assert verdict.matched_url is None


def test_tampered_body_is_rejected(signed: dict[str, str]) -> None:
    tampered = FORM.replace(b"Digits=1234", b"Digits=1235")
    assert not twilio.verify(TOKEN, url=BASE, body=tampered, headers=signed).valid


@pytest.mark.parametrize(
    "url",
    [
        "https://mycompany.com/myapp.php?foo=1&bar=3",
        "https://mycompany.com/myapp.php?bar=2&foo=1",
        "https://mycompany.com/myapp2.php?foo=1&bar=2",
        "https://evil.example/myapp.php?foo=1&bar=2",
    ],
)
def test_tampered_url_is_rejected(signed: dict[str, str], url: str) -> None:
    assert not twilio.verify(TOKEN, url=url, body=FORM, headers=signed).valid


def test_missing_signature_header() -> None:
    verdict = twilio.verify(TOKEN, url=BASE, body=FORM, headers={})
    assert not verdict.valid
    assert verdict.reason == "missing X-Twilio-Signature header"


def test_headers_are_matched_case_insensitively_and_in_wsgi_form(signed: dict[str, str]) -> None:
    sig = signed["X-Twilio-Signature"]
    for headers in (
        {"x-twilio-signature": sig},
        {"X-TWILIO-SIGNATURE": sig},
        {"HTTP_X_TWILIO_SIGNATURE": sig},
        [("x-twilio-signature", sig)],
    ):
        assert twilio.verify(TOKEN, url=BASE, body=FORM, headers=headers).valid


def test_non_ascii_garbage_in_the_header_is_a_verdict_not_a_crash() -> None:
    verdict = twilio.verify(TOKEN, url=BASE, body=FORM, headers=with_sig("é😀"))
    assert not verdict.valid


# --- URL forms -----------------------------------------------------------------------------


def test_signature_over_the_url_without_port_validates_a_request_on_a_custom_port() -> None:
    sig = twilio.compute_signature(TOKEN, "https://mycompany.com/myapp.php?foo=1&bar=2", PARAMS)
    url = "https://mycompany.com:1234/myapp.php?foo=1&bar=2"
    verdict = twilio.verify(TOKEN, url=url, body=FORM, headers=with_sig(sig))
    assert verdict.valid
    assert verdict.variant == "without-port"
    assert RequestValidator(TOKEN).validate(url, dict(PARAMS), sig)


def test_port_forms_respect_userinfo_and_ipv6() -> None:
    forms = {f.name: f.url for f in twilio.url_forms("https://user:pass@h.example:1234/x")}
    assert forms["without-port"] == "https://user:pass@h.example/x"
    forms = {f.name: f.url for f in twilio.url_forms("http://[::1]:3000/x?a=1")}
    assert forms["without-port"] == "http://[::1]/x?a=1"
    forms = {f.name: f.url for f in twilio.url_forms("http://[::1]/x")}
    assert forms["with-default-port"] == "http://[::1]:80/x"
    # twilio-python's remove_port would turn these into https://user/ and http://[/x;
    # such mangled strings must never be offered as an accepted form.
    all_urls = [
        f.url
        for u in ("https://user:pass@h:1234/", "http://[::1]:3000/x")
        for f in twilio.url_forms(u)
    ]
    assert "https://user/" not in all_urls
    assert "http://[/x" not in all_urls


def test_signature_over_raw_url_with_userinfo_and_port_validates_exactly() -> None:
    url = "https://user:pass@mycompany.com:8443/myapp.php?foo=1&bar=2"
    headers = twilio.sign(TOKEN, url=url, body=FORM).headers
    verdict = twilio.verify(TOKEN, url=url, body=FORM, headers=headers)
    assert verdict.valid and verdict.variant == "exact"
    # the reported URL never shows the basic-auth password
    assert verdict.matched_url == "https://user:***@mycompany.com:8443/myapp.php?foo=1&bar=2"


def test_node_percent_encoded_apostrophe_is_accepted_and_labelled() -> None:
    url = BASE + "&Body=It's+amazing"
    verdict = twilio.verify(
        TOKEN, url=url, body=FORM, headers=with_sig("TfZzewPq8wqrGlMfyAud8+/IvJ0=")
    )
    assert verdict.valid
    assert verdict.variant == "whatwg"
    assert "twilio-node" in verdict.reason
    assert verdict.matched_url == BASE + "&Body=It%27s+amazing"
    # twilio-python, given the raw URL, rejects the node-encoded signature (as the note says)
    assert not RequestValidator(TOKEN).validate(url, dict(PARAMS), "TfZzewPq8wqrGlMfyAud8+/IvJ0=")


def test_legacy_querystring_form() -> None:
    url = "https://h.example/cb?b=x+y&a=1&b=%7E&10=z&2=w"
    forms = {f.name: f.url for f in twilio.url_forms(url)}
    # integer-like keys first (JS object order), repeated keys grouped, space as %20
    assert forms["legacy-query-without-port"] == "https://h.example/cb?2=w&10=z&b=x%20y&b=~&a=1"
    sig = twilio.compute_signature(TOKEN, forms["legacy-query-without-port"], [])
    verdict = twilio.verify(TOKEN, url=url, body=b"", headers=with_sig(sig))
    assert verdict.valid and verdict.variant == "legacy-query-without-port"


def test_whatwg_form_normalizes_case_default_port_dots_and_encoding() -> None:
    forms = {f.name: f.url for f in twilio.url_forms('HTTPS://Example.COM:443/a/./b/../c d?q=é"')}
    assert forms["whatwg"] == "https://example.com/a/c%20d?q=%C3%A9%22"


def test_explain_lists_every_form_and_diagnoses_a_scheme_rewrite() -> None:
    headers = twilio.sign(TOKEN, url="https://mycompany.com/myapp.php", body=FORM).headers
    verdict = twilio.verify(
        TOKEN, url="http://mycompany.com/myapp.php", body=FORM, headers=headers, explain=True
    )
    assert not verdict.valid
    assert "https://mycompany.com/myapp.php" in verdict.reason
    assert "proxy" in verdict.reason
    assert [(c.name, c.ok) for c in verdict.checks] == [
        ("url exact", False),
        ("url with-default-port", False),
        ("url other-scheme", True),
    ]


def test_explain_on_success_reports_the_checks_and_without_explain_it_stops_early() -> None:
    sig = twilio.compute_signature(TOKEN, "https://mycompany.com:443/myapp.php", PARAMS)
    kwargs = dict(url="https://mycompany.com/myapp.php", body=FORM, headers=with_sig(sig))
    quick = twilio.verify(TOKEN, **kwargs)
    full = twilio.verify(TOKEN, explain=True, **kwargs)
    assert quick.valid and full.valid
    assert quick.checks == ()
    assert [c.ok for c in full.checks][:2] == [False, True]


def test_explain_without_any_diagnostic_match_says_what_to_check() -> None:
    verdict = twilio.verify(TOKEN, url=BASE, body=FORM, headers=with_sig("AAAA"), explain=True)
    assert not verdict.valid
    assert "auth token" in verdict.reason


# --- HMAC-SHA256 (SharedKey signatures, X-Twilio-Webhooks-Signature-Settings) -------------


def test_sha256_signatures_follow_the_settings_header() -> None:
    result = twilio.sign(TOKEN, url=BASE, body=FORM, algorithm="HMAC_SHA256")
    sig = result.headers["X-Twilio-Signature"]
    assert result.headers[twilio.SETTINGS_HEADER] == "algorithm=HMAC_SHA256"
    assert sig == RequestValidator(TOKEN).compute_signature(BASE, dict(PARAMS), "HMAC_SHA256")
    assert twilio.verify(TOKEN, url=BASE, body=FORM, headers=result.headers).valid
    # without the settings header the verifier uses SHA-1 and rejects it
    assert not twilio.verify(TOKEN, url=BASE, body=FORM, headers=with_sig(sig)).valid
    odd = with_sig(sig, **{twilio.SETTINGS_HEADER: "key=webhooks_sharedkey_1,algorithm=HMAC_SHA3"})
    verdict = twilio.verify(TOKEN, url=BASE, body=FORM, headers=odd)
    assert not verdict.valid and "HMAC_SHA3" in verdict.reason


# --- the official validator as an oracle, both ways ----------------------------------------

ORACLE_CASES = [
    (BASE, PARAMS),
    ("https://mycompany.com:1234/x?y=1", [("A", ""), ("B", "é 😀"), ("A", "z")]),
    ("http://user@h.example/x", [("Body", "& = + ' é 😀"), ("To", "+14155550123")]),
    ("https://h.example/p%20q?x=a%20b&y=c+d", [("Digits", "5678"), ("Digits", "1234")]),
]


@pytest.mark.parametrize(("url", "pairs"), ORACLE_CASES)
def test_request_validator_accepts_telcli_signatures(
    url: str, pairs: list[tuple[str, str]]
) -> None:
    body = urlencode(pairs).encode()
    sig = twilio.sign(TOKEN, url=url, body=body).headers["X-Twilio-Signature"]
    assert RequestValidator(TOKEN).validate(url, MultiDict(pairs), sig)


@pytest.mark.parametrize(("url", "pairs"), ORACLE_CASES)
def test_telcli_accepts_request_validator_signatures(
    url: str, pairs: list[tuple[str, str]]
) -> None:
    body = urlencode(pairs, quote_via=quote).encode()  # %20 for spaces this time
    sig = RequestValidator(TOKEN).compute_signature(url, MultiDict(pairs))
    assert twilio.sign(TOKEN, url=url, body=body).headers["X-Twilio-Signature"] == sig
    assert twilio.verify(TOKEN, url=url, body=body, headers=with_sig(sig)).valid


def test_request_validator_accepts_telcli_json_signatures() -> None:
    result = twilio.sign(TOKEN, url=BASE, body=JSON_BODY, content_type="application/json")
    assert result.url is not None
    sig = result.headers["X-Twilio-Signature"]
    assert RequestValidator(TOKEN).validate(result.url, JSON_BODY.decode(), sig)
    assert not RequestValidator(TOKEN).validate(result.url, JSON_BODY.decode() + " ", sig)


def test_replay_recipe_original_signature_fails_at_new_url_resigned_passes() -> None:
    original = twilio.sign(TOKEN, url=BASE, body=FORM).headers
    target = "http://localhost:8080/twilio/voice?foo=1&bar=2"
    assert not RequestValidator(TOKEN).validate(
        target, dict(PARAMS), original["X-Twilio-Signature"]
    )
    resigned = twilio.sign(TOKEN, url=target, body=FORM).headers
    assert RequestValidator(TOKEN).validate(target, dict(PARAMS), resigned["X-Twilio-Signature"])
