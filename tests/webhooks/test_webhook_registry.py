"""The uniform entry points: sign, verify, detect_provider, event_type."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

import telcli.webhooks as webhooks
from telcli.errors import UsageProblem
from telcli.webhooks import SCHEMES, SignResult, Verdict, detect_provider, event_type

NOW = 1700000000
SEED = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="  # RFC 8032 TEST 1
PUBLIC = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
TWILIO_TOKEN = "0123456789abcdef0123456789abcdef"
URL = "https://hooks.example.com/twilio/voice?tenant=7"

# scheme -> (sign kwargs, verify kwargs)
CASES: dict[str, tuple[dict, dict]] = {
    "twilio": (
        {"url": URL, "secret": TWILIO_TOKEN, "content_type": "application/x-www-form-urlencoded"},
        {"url": URL, "secret": TWILIO_TOKEN},
    ),
    "telnyx": ({"private_key": SEED}, {"public_key": PUBLIC}),
    "vapi": ({"secret": "s3cret", "variant": "hmac"}, {"secret": "s3cret"}),
    "livekit": (
        {"api_key": "APIabc", "secret": "livekit-secret"},
        {"secret": "livekit-secret", "api_key": "APIabc"},
    ),
    "hmac-sha256": (
        {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
        {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    ),
}
BODY = urlencode({"CallSid": "CA" + "0" * 32, "CallStatus": "ringing"}).encode()


def test_every_scheme_is_registered_and_covered() -> None:
    assert set(SCHEMES) == {"twilio", "telnyx", "vapi", "livekit", "hmac-sha256"} == set(CASES)
    assert not SCHEMES["twilio"].time_bound and SCHEMES["telnyx"].time_bound


@pytest.mark.parametrize("scheme", list(CASES))
def test_round_trip_through_the_uniform_entry_points(scheme: str) -> None:
    sign_kwargs, verify_kwargs = CASES[scheme]
    result = webhooks.sign(scheme, body=BODY, now=NOW, **sign_kwargs)
    assert isinstance(result, SignResult) and result.headers
    verdict = webhooks.verify(
        scheme, body=BODY, headers=result.headers, now=NOW + 5, **verify_kwargs
    )
    assert isinstance(verdict, Verdict)
    assert verdict.valid, verdict.reason
    assert verdict.scheme == scheme
    tampered = webhooks.verify(
        scheme, body=BODY + b"&x=1", headers=result.headers, now=NOW + 5, **verify_kwargs
    )
    assert not tampered.valid


@pytest.mark.parametrize("scheme", ["telnyx", "vapi", "livekit", "hmac-sha256"])
def test_time_bound_schemes_reject_stale_deliveries(scheme: str) -> None:
    sign_kwargs, verify_kwargs = CASES[scheme]
    result = webhooks.sign(scheme, body=BODY, now=NOW, **sign_kwargs)
    late = webhooks.verify(
        scheme, body=BODY, headers=result.headers, now=NOW + 3600, **verify_kwargs
    )
    assert not late.valid
    assert "old" in late.reason or "expired" in late.reason


def test_telnyx_verify_accepts_the_private_key_in_place_of_the_public_key() -> None:
    result = webhooks.sign("telnyx", body=BODY, private_key=SEED, now=NOW)
    assert webhooks.verify(
        "telnyx", body=BODY, headers=result.headers, private_key=SEED, now=NOW
    ).valid
    with pytest.raises(UsageProblem, match="not both"):
        webhooks.verify(
            "telnyx", body=BODY, headers=result.headers, private_key=SEED, public_key=PUBLIC
        )


@pytest.mark.parametrize(
    ("scheme", "kwargs", "words"),
    [
        ("twilio", {"secret": "t", "url": URL, "private_key": SEED}, "does not use: private key"),
        ("telnyx", {"private_key": SEED, "secret": "x"}, "does not use: secret"),
        ("livekit", {"api_key": "k", "secret": "s", "message_id": "m"}, "does not use: message id"),
        (
            "hmac-sha256",
            {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "api_key": "k"},
            "does not use: api key",
        ),
        ("twilio", {"secret": "t"}, "needs the URL"),
        ("telnyx", {}, "needs a private key"),
        ("livekit", {"secret": "s"}, "needs an API key"),
        ("vapi", {}, "needs a secret"),
        ("twilio", {"secret": "t", "url": URL, "variant": "md5"}, "no variant 'md5'"),
        ("nexmo", {}, "unknown webhook scheme"),
    ],
)
def test_sign_usage_problems(scheme: str, kwargs: dict, words: str) -> None:
    with pytest.raises(UsageProblem, match=words):
        webhooks.sign(scheme, body=BODY, **kwargs)


def test_url_and_content_type_are_accepted_by_every_scheme() -> None:
    for scheme, (sign_kwargs, _) in CASES.items():
        extra = {} if scheme == "twilio" else {"url": URL, "content_type": "application/json"}
        webhooks.sign(scheme, body=b"{}", now=NOW, **sign_kwargs, **extra)


def test_livekit_timestamp_sets_the_token_window() -> None:
    result = webhooks.sign("livekit", body=BODY, api_key="k", secret="s", timestamp=NOW)
    assert webhooks.verify(
        "livekit", body=BODY, headers=result.headers, secret="s", now=NOW + 359
    ).valid
    assert not webhooks.verify(
        "livekit", body=BODY, headers=result.headers, secret="s", now=NOW + 360
    ).valid


def test_twilio_sha256_variant() -> None:
    result = webhooks.sign("twilio", body=BODY, url=URL, secret=TWILIO_TOKEN, variant="sha256")
    assert "algorithm=HMAC_SHA256" in result.headers.values()
    assert webhooks.verify(
        "twilio", body=BODY, url=URL, secret=TWILIO_TOKEN, headers=result.headers
    ).valid


def test_to_json_shapes() -> None:
    signed = webhooks.sign(
        "twilio", body=b"{}", url=URL, secret=TWILIO_TOKEN, content_type="application/json"
    )
    data = signed.to_json()
    assert set(data) == {"headers", "url"} and data["url"].endswith(
        "bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    )
    form = webhooks.sign("twilio", body=BODY, url=URL, secret=TWILIO_TOKEN).to_json()
    assert set(form) == {"headers"}
    verdict = webhooks.verify(
        "twilio", body=BODY, url=URL, secret=TWILIO_TOKEN, headers={}, explain=True
    )
    assert json.loads(json.dumps(verdict.to_json())) == {
        "valid": False,
        "scheme": "twilio",
        "reason": "missing X-Twilio-Signature header",
        "matched_url": None,
        "variant": None,
        "checks": [
            {"name": "signature header", "ok": False, "detail": "no X-Twilio-Signature header"}
        ],
    }


def test_secrets_never_appear_in_verdicts() -> None:
    for scheme, (sign_kwargs, verify_kwargs) in CASES.items():
        result = webhooks.sign(scheme, body=BODY, now=NOW, **sign_kwargs)
        for kwargs in (verify_kwargs, {**verify_kwargs, "now": NOW + 9999}):
            call = {"now": NOW, **kwargs}
            bad = webhooks.verify(
                scheme, body=BODY + b"x", headers=result.headers, explain=True, **call
            )
            text = json.dumps(bad.to_json())
            for secret in (
                TWILIO_TOKEN,
                SEED,
                "s3cret",
                "livekit-secret",
                "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            ):
                assert secret not in text


# --- detection and event types ------------------------------------------------------------

TELNYX_BODY = b'{"data":{"record_type":"event","event_type":"call.hangup","id":"x"}}'
VAPI_BODY = b'{"message":{"type":"end-of-call-report","endedReason":"customer-ended-call"}}'
LIVEKIT_BODY = b'{"event":"participant_joined","room":{"name":"r"}}'
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJrIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("headers", "body", "provider"),
    [
        (
            {"X-Twilio-Signature": "abc=", "Content-Type": "application/x-www-form-urlencoded"},
            BODY,
            "twilio",
        ),
        ({"HTTP_X_TWILIO_SIGNATURE": "abc="}, BODY, "twilio"),
        ({"telnyx-signature-ed25519": "sig", "telnyx-timestamp": "1"}, TELNYX_BODY, "telnyx"),
        (
            {"Content-Type": "application/webhook+json", "Authorization": JWT},
            LIVEKIT_BODY,
            "livekit",
        ),
        ({"Content-Type": "application/json", "Authorization": JWT}, LIVEKIT_BODY, "livekit"),
        ({"X-Vapi-Secret": "s"}, b"{}", "vapi"),
        ([("x-vapi-signature", "00")], b"{}", "vapi"),
        ({"Content-Type": "application/json"}, VAPI_BODY, "vapi"),
        ({"webhook-signature": "v1,abc"}, b"{}", "hmac-sha256"),
        ({"Stripe-Signature": "t=1,v1=00"}, b"{}", "hmac-sha256"),
        (
            {"Content-Type": "application/json", "Authorization": "Bearer " + JWT},
            LIVEKIT_BODY,
            None,
        ),
        ({}, b"not json", None),
        ({}, b'{"message": "hello"}', None),
    ],
)
def test_detect_provider(headers, body: bytes, provider: str | None) -> None:
    assert detect_provider(headers, body) == provider


@pytest.mark.parametrize(
    ("provider", "headers", "body", "expected"),
    [
        ("twilio", {}, b"CallSid=CA1&CallStatus=completed", "completed"),
        ("twilio", {}, b"MessageSid=SM1&SmsStatus=delivered&MessageStatus=delivered", "delivered"),
        ("twilio", {}, b"SmsStatus=received&Body=hi", "received"),
        ("twilio", {}, b"Digits=1", None),
        ("twilio", {"Content-Type": "application/json"}, b'{"CallStatus": "x"}', None),
        ("telnyx", {}, TELNYX_BODY, "call.hangup"),
        ("vapi", {}, VAPI_BODY, "end-of-call-report"),
        ("livekit", {}, LIVEKIT_BODY, "participant_joined"),
        ("hmac-sha256", {}, b'{"type": "invoice.paid"}', "invoice.paid"),
        ("telnyx", {}, b"\xff\xfe", None),
        ("vapi", {}, b'{"message": {"type": 3}}', None),
        ("livekit", {}, b"[]", None),
        (None, {}, LIVEKIT_BODY, None),
    ],
)
def test_event_type(provider, headers, body: bytes, expected: str | None) -> None:
    assert event_type(provider, headers, body) == expected


def test_importing_the_package_does_not_load_nacl_or_sdks() -> None:
    import subprocess
    import sys

    code = (
        "import sys, telcli.webhooks; "
        "print(sorted(m for m in ('nacl', 'twilio', 'telnyx', 'jwt', 'httpx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
