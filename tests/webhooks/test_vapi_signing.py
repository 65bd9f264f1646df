"""VAPI: static X-Vapi-Secret / Bearer headers and HMACAuthenticationPlan signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from telcli.errors import UsageProblem
from telcli.webhooks import vapi
from telcli.webhooks.vapi import HmacPlan

SECRET = "vapi-test-secret-not-real"
BODY = b'{"message": {"type": "status-update", "status": "ended", "timestamp": 1700000000123}}'
NOW = 1700000000


def expected_hex(message: bytes, key: bytes = SECRET.encode(), algo=hashlib.sha256) -> str:
    return hmac.new(key, message, algo).hexdigest()


# --- static modes --------------------------------------------------------------------------


def test_static_secret_header_round_trip() -> None:
    result = vapi.sign(SECRET, body=BODY)
    assert result.headers == {"X-Vapi-Secret": SECRET}
    verdict = vapi.verify(SECRET, body=BODY, headers={"x-vapi-secret": SECRET})
    assert verdict.valid and verdict.variant == "secret"
    assert "covers neither the body nor a timestamp" in verdict.reason


def test_static_secret_mismatch_and_absence() -> None:
    wrong = vapi.verify(SECRET, body=BODY, headers={"X-Vapi-Secret": SECRET + "x"})
    assert not wrong.valid and "does not match" in wrong.reason
    missing = vapi.verify(SECRET, body=BODY, headers={}, variant="secret")
    assert not missing.valid and "no X-Vapi-Secret header" in missing.reason
    nothing = vapi.verify(SECRET, body=BODY, headers={})
    assert not nothing.valid and "no X-Vapi-Secret" in nothing.reason


def test_bearer_round_trip_and_prefix_required() -> None:
    result = vapi.sign(SECRET, body=BODY, variant="bearer")
    assert result.headers == {"Authorization": f"Bearer {SECRET}"}
    assert vapi.verify(SECRET, body=BODY, headers={"authorization": f"bearer {SECRET}"}).valid
    verdict = vapi.verify(SECRET, body=BODY, headers={"Authorization": SECRET}, variant="bearer")
    assert not verdict.valid and "not a Bearer token" in verdict.reason


# --- HMAC with the documented defaults -----------------------------------------------------


def test_hmac_defaults_sign_timestamp_dot_body_in_hex() -> None:
    result = vapi.sign(SECRET, body=BODY, variant="hmac", timestamp=NOW)
    assert result.headers == {
        "x-signature": expected_hex(f"{NOW}.".encode() + BODY),
        "x-timestamp": str(NOW),
    }
    verdict = vapi.verify(SECRET, body=BODY, headers=result.headers, now=NOW + 10)
    assert verdict.valid, verdict.reason
    assert verdict.variant == "hmac"


def test_hmac_default_timestamp_is_seconds_or_ms_per_plan() -> None:
    assert vapi.sign(SECRET, body=BODY, variant="hmac", now=NOW + 0.5).headers[
        "x-timestamp"
    ] == str(NOW)
    plan = HmacPlan(timestamp_unit="ms")
    result = vapi.sign(SECRET, body=BODY, variant="hmac", plan=plan, now=NOW + 0.5)
    assert result.headers["x-timestamp"] == str(NOW * 1000 + 500)
    assert vapi.verify(SECRET, body=BODY, headers=result.headers, plan=plan, now=NOW).valid


def test_hmac_reads_a_13_digit_timestamp_as_milliseconds() -> None:
    result = vapi.sign(SECRET, body=BODY, variant="hmac", timestamp=NOW * 1000)
    assert vapi.verify(SECRET, body=BODY, headers=result.headers, now=NOW + 299).valid
    late = vapi.verify(SECRET, body=BODY, headers=result.headers, now=NOW + 301)
    assert not late.valid and late.reason == "timestamp: 301 s old; the window is 300 s"


@pytest.mark.parametrize(("offset", "words"), [(-301, "in the future"), (301, "old")])
def test_hmac_window_both_directions(offset: int, words: str) -> None:
    result = vapi.sign(SECRET, body=BODY, variant="hmac", timestamp=NOW)
    verdict = vapi.verify(SECRET, body=BODY, headers=result.headers, now=NOW + offset)
    assert not verdict.valid and words in verdict.reason


def test_hmac_tampered_body_and_wrong_secret() -> None:
    result = vapi.sign(SECRET, body=BODY, variant="hmac", timestamp=NOW)
    assert not vapi.verify(SECRET, body=BODY + b"\n", headers=result.headers, now=NOW).valid
    verdict = vapi.verify("other", body=BODY, headers=result.headers, now=NOW)
    assert not verdict.valid and "does not match" in verdict.reason


def test_hmac_hex_compare_ignores_case_but_not_content() -> None:
    result = vapi.sign(SECRET, body=BODY, variant="hmac", timestamp=NOW)
    upper = {**result.headers, "x-signature": result.headers["x-signature"].upper()}
    assert vapi.verify(SECRET, body=BODY, headers=upper, now=NOW).valid
    garbage = {**result.headers, "x-signature": "zz"}
    verdict = vapi.verify(SECRET, body=BODY, headers=garbage, now=NOW)
    assert not verdict.valid and "not hex" in verdict.reason


def test_hmac_missing_headers() -> None:
    verdict = vapi.verify(SECRET, body=BODY, headers={"x-signature": "00"}, variant="hmac", now=NOW)
    assert (verdict.valid, verdict.reason) == (False, "missing required header: x-timestamp")


# --- HMAC with other plans -----------------------------------------------------------------


def test_trigger_dev_style_plan_prefix_no_timestamp_body_only() -> None:
    plan = HmacPlan(
        signature_header="x-vapi-signature",
        include_timestamp=False,
        payload_format="{body}",
        signature_prefix="sha256=",
    )
    result = vapi.sign(SECRET, body=BODY, variant="hmac", plan=plan)
    assert result.headers == {"x-vapi-signature": "sha256=" + expected_hex(BODY)}
    assert vapi.verify(SECRET, body=BODY, headers=result.headers, plan=plan).valid
    bare = {"x-vapi-signature": expected_hex(BODY)}
    verdict = vapi.verify(SECRET, body=BODY, headers=bare, plan=plan)
    assert not verdict.valid and "does not start with 'sha256='" in verdict.reason


def test_base64_encoding_base64_secret_sha512_and_all_placeholders() -> None:
    key = b"\x00\x01binary-key\xff"
    plan = HmacPlan(
        algorithm="sha512",
        signature_encoding="base64",
        secret_is_base64=True,
        payload_format="{svix-id}:{method}:{url}:{timestamp}:{body}",
        message_id_header="x-message-id",
    )
    url = "https://example.com/vapi?x=1"
    result = vapi.sign(
        base64.b64encode(key).decode(),
        body=BODY,
        variant="hmac",
        plan=plan,
        timestamp=NOW,
        url=url,
        message_id="msg_1",
    )
    message = f"msg_1:POST:{url}:{NOW}:".encode() + BODY
    digest = hmac.new(key, message, hashlib.sha512).digest()
    assert result.headers == {
        "x-signature": base64.b64encode(digest).decode(),
        "x-timestamp": str(NOW),
        "x-message-id": "msg_1",
    }
    verdict = vapi.verify(
        base64.b64encode(key).decode(),
        body=BODY,
        headers=result.headers,
        plan=plan,
        url=url,
        now=NOW,
    )
    assert verdict.valid, verdict.reason
    other_url = vapi.verify(
        base64.b64encode(key).decode(),
        body=BODY,
        headers=result.headers,
        plan=plan,
        url=url + "&y=2",
        now=NOW,
    )
    assert not other_url.valid


def test_sha1_plan() -> None:
    plan = HmacPlan(algorithm="sha1")
    result = vapi.sign(SECRET, body=BODY, variant="hmac", plan=plan, timestamp=NOW)
    assert result.headers["x-signature"] == expected_hex(
        f"{NOW}.".encode() + BODY, algo=hashlib.sha1
    )


def test_non_utf8_body() -> None:
    body = b"\x80\x81\xfe{"
    result = vapi.sign(SECRET, body=body, variant="hmac", timestamp=NOW)
    assert result.headers["x-signature"] == expected_hex(f"{NOW}.".encode() + body)
    assert vapi.verify(SECRET, body=body, headers=result.headers, now=NOW).valid


def test_plan_from_openapi_json() -> None:
    plan = HmacPlan.from_json(
        {
            "type": "hmac",
            "secretKey": "ignored",
            "algorithm": "sha512",
            "signatureHeader": "x-vapi-signature",
            "includeTimestamp": False,
            "payloadFormat": "{body}",
            "signaturePrefix": "sha512=",
            "signatureEncoding": "base64",
            "secretIsBase64": False,
            "messageIdHeader": "x-id",
        }
    )
    assert plan == HmacPlan(
        algorithm="sha512",
        signature_header="x-vapi-signature",
        include_timestamp=False,
        payload_format="{body}",
        signature_prefix="sha512=",
        signature_encoding="base64",
        message_id_header="x-id",
    )
    with pytest.raises(UsageProblem, match="unknown HMAC plan field 'colour'"):
        HmacPlan.from_json({"colour": "blue"})


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"algorithm": "md5"}, "unsupported VAPI HMAC algorithm"),
        ({"signature_encoding": "base32"}, "hex or base64"),
        ({"timestamp_unit": "us"}, "s or ms"),
        ({"include_timestamp": False}, "uses {timestamp}"),
    ],
)
def test_invalid_plans_are_usage_problems(kwargs: dict, words: str) -> None:
    with pytest.raises(UsageProblem, match=words.replace("{", r"\{").replace("}", r"\}")):
        HmacPlan(**kwargs)


def test_missing_placeholder_value_and_bad_base64_secret() -> None:
    with pytest.raises(UsageProblem, match=r"\{url\}"):
        vapi.sign(
            SECRET,
            body=BODY,
            variant="hmac",
            plan=HmacPlan(payload_format="{url}{body}", include_timestamp=False),
        )
    with pytest.raises(UsageProblem, match="base64"):
        vapi.sign("***", body=BODY, variant="hmac", plan=HmacPlan(secret_is_base64=True))
    with pytest.raises(UsageProblem, match="unknown vapi variant"):
        vapi.sign(SECRET, body=BODY, variant="oauth")


def test_detect_variant() -> None:
    assert vapi.detect_variant({"X-Vapi-Secret": "s"}) == "secret"
    assert vapi.detect_variant({"Authorization": "Bearer s"}) == "bearer"
    assert vapi.detect_variant({"X-Signature": "00", "X-Timestamp": "1"}) == "hmac"
    assert vapi.detect_variant({}, HmacPlan()) == "hmac"
    assert vapi.detect_variant({"Authorization": "Basic s"}) is None
