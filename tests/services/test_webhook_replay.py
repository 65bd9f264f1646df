"""The replay engine against an in-test receiver: exact bytes, re-signing for the receiver's
URL, idempotency tokens, edits, --twice, expectations, timing and unreachable targets."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from telcli.errors import UsageProblem
from telcli.services import replay as engine
from telcli.services.webhooks import Keys
from telcli.storage.captures import Capture, CapturedResponse
from telcli.webhooks import telnyx as telnyx_scheme
from telcli.webhooks import twilio as twilio_scheme
from tests.webhook_receiver import Receiver, dead_url

TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # fake Auth Token, test-only
SEED_B64 = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="  # RFC 8032 TEST 1 seed
PUBLIC_B64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
SID = "CA" + "0123456789abcdef" * 2
CAPTURED_URL = "https://abc.ngrok.app/twilio/status?tenant=a%2Bb&x=1"
FORM = (
    f"CallSid={SID}&CallStatus=completed&CallToken=&Digits=5678&Digits=1234"
    "&From=%2B14155550100&Body=caf%C3%A9+%2B+%26"
).encode() + b"&Junk=\xff"
TELNYX_BODY = (
    b'{"data": {"event_type": "call.hangup", "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",'
    b' "payload": {"call_control_id": "v3:abc", "to": "+14155550123"}}}\n'
)


def twilio_capture(url: str = CAPTURED_URL, body: bytes = FORM, **kw) -> Capture:
    sig = twilio_scheme.compute_signature(TOKEN, url, twilio_scheme.form_params(body))
    return Capture(
        method="POST",
        url=url,
        headers=(
            ("Host", "abc.ngrok.app"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Twilio-Signature", sig),
            ("I-Twilio-Idempotency-Token", "3b3a63e4-0c47-4a9e-8b3e-1d1bd0c0f6a1"),
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "drop me"),
            ("Content-Length", str(len(body))),
        ),
        body=body,
        provider="twilio",
        id=kw.pop("id", 1),
        **kw,
    )


def telnyx_capture(ts: int) -> Capture:
    signed = telnyx_scheme.sign(SEED_B64, body=TELNYX_BODY, timestamp=str(ts))
    return Capture(
        method="POST",
        url="https://abc.ngrok.app/telnyx",
        headers=(("Content-Type", "application/json"), *signed.headers.items()),
        body=TELNYX_BODY,
        provider="telnyx",
        id=7,
    )


def twilio_app(public_url_base: str):
    """A receiver that validates like a Twilio app behind a proxy: the URL it reconstructs
    is its fixed public base plus the request path (twilio-node ``webhook({url})``)."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)

    class MultiDict(dict):  # what Flask/Django hand the validator: repeated keys kept
        def getlist(self, key):
            return self[key]

    def decide(r):
        params = MultiDict()
        for k, v in twilio_scheme.form_params(r.body):
            params.setdefault(k, []).append(v)
        ok = validator.validate(
            public_url_base + r.path, params, r.header("X-Twilio-Signature") or ""
        )
        return (204, b"") if ok else (403, b"bad signature")

    return decide


def test_target_url_rules():
    assert engine.target_url("http://127.0.0.1:3000", CAPTURED_URL) == (
        "http://127.0.0.1:3000/twilio/status?tenant=a%2Bb&x=1"
    )
    assert engine.target_url("http://127.0.0.1:3000/in", CAPTURED_URL) == (
        "http://127.0.0.1:3000/in?tenant=a%2Bb&x=1"
    )
    assert engine.target_url("http://h/in?q=2", CAPTURED_URL) == "http://h/in?q=2"
    with pytest.raises(UsageProblem):
        engine.target_url("ftp://h", CAPTURED_URL)


def test_resigned_for_the_sign_url_passes_the_official_validator_and_bytes_are_exact():
    public = "https://app.example.com"
    with Receiver(twilio_app(public)) as rx:
        opts = engine.ReplayOptions(
            to=rx.url, sign_url=public + "/twilio/status?tenant=a%2Bb&x=1", keys=Keys(secret=TOKEN)
        )
        [result] = engine.replay([twilio_capture()], opts)
        kept = engine.replay(
            [twilio_capture()],
            engine.ReplayOptions(to=rx.url, keys=Keys(secret=TOKEN), resign=False),
        )
    assert (result.status, result.ok, result.signature) == (204, True, "resigned")
    assert kept[0].status == 403 and kept[0].ok is False and kept[0].signature == "kept"
    got = rx.requests[0]
    assert got.body == FORM
    assert got.path == "/twilio/status?tenant=a%2Bb&x=1"
    names = [k for k, _ in got.headers]
    # Same headers, same order; hop-by-hop ones dropped; nothing added by the client.
    assert names == [
        "Host",
        "Content-Type",
        "X-Twilio-Signature",
        "I-Twilio-Idempotency-Token",
        "Content-Length",
    ]
    assert got.header("Host") == rx.url.removeprefix("http://")
    assert got.header("I-Twilio-Idempotency-Token") == "3b3a63e4-0c47-4a9e-8b3e-1d1bd0c0f6a1"


def test_fresh_idempotency_token_and_twice():
    with Receiver() as rx:
        results = engine.replay(
            [twilio_capture()],
            engine.ReplayOptions(to=rx.url, fresh_idempotency=True, twice=True, resign=False),
        )
    assert [r.attempt for r in results] == [1, 2]
    first, second = rx.requests
    token = first.header("I-Twilio-Idempotency-Token")
    assert token and token != "3b3a63e4-0c47-4a9e-8b3e-1d1bd0c0f6a1"
    # --twice sends the very same delivery again (same token, same bytes).
    assert second.header("I-Twilio-Idempotency-Token") == token and second.body == first.body


def test_set_edits_one_form_param_then_resigns():
    public = "https://app.example.com"
    with Receiver(twilio_app(public)) as rx:
        [result] = engine.replay(
            [twilio_capture()],
            engine.ReplayOptions(
                to=rx.url,
                sign_url=public + "/twilio/status?tenant=a%2Bb&x=1",
                keys=Keys(secret=TOKEN),
                sets=(("CallStatus", "busy"), ("New", "a+b")),
            ),
        )
    assert result.ok, result
    body = rx.requests[0].body
    assert body == FORM.replace(b"CallStatus=completed", b"CallStatus=busy") + b"&New=a%2Bb"
    assert rx.requests[0].header("Content-Length") == str(len(body))


def test_json_twilio_body_gets_body_sha256_on_the_target():
    body = b'{"property": "value", "boolean": true}'
    capture = Capture(
        "POST",
        "https://abc.ngrok.app/j",
        (("Content-Type", "application/json"),),
        body,
        provider="twilio",
        id=3,
    )
    with Receiver() as rx:
        [result] = engine.replay(
            [capture], engine.ReplayOptions(to=rx.url, keys=Keys(secret=TOKEN))
        )
    got = rx.requests[0]
    digest = hashlib.sha256(body).hexdigest()
    assert result.ok and got.path == f"/j?bodySHA256={digest}"
    from twilio.request_validator import RequestValidator

    assert RequestValidator(TOKEN).validate(
        rx.url + got.path, body.decode(), got.header("X-Twilio-Signature")
    )


def test_telnyx_resigned_with_a_test_key_and_a_fresh_timestamp():
    old = int(time.time()) - 3600
    with Receiver() as rx:
        [result] = engine.replay(
            [telnyx_capture(old)], engine.ReplayOptions(to=rx.url, keys=Keys(private_key=SEED_B64))
        )
    got = rx.requests[0]
    ts = got.header("telnyx-timestamp")
    assert result.ok and abs(int(ts) - time.time()) < 60
    sig = base64.b64decode(got.header("telnyx-signature-ed25519"))
    Ed25519PublicKey.from_public_bytes(base64.b64decode(PUBLIC_B64)).verify(
        sig, ts.encode() + b"|" + TELNYX_BODY
    )  # raises if invalid
    assert got.body == TELNYX_BODY


def test_telnyx_set_edits_json_and_public_key_alone_cannot_resign():
    capture = telnyx_capture(int(time.time()))
    with pytest.raises(UsageProblem, match="--private-key"):
        engine.prepare(
            capture,
            engine.ReplayOptions(to="http://h", resign=True, keys=Keys(public_key=PUBLIC_B64)),
        )
    prep = engine.prepare(
        capture,
        engine.ReplayOptions(
            to="http://h",
            keys=Keys(private_key=SEED_B64),
            sets=(("data.payload.to", "+14155550199"),),
        ),
    )
    assert json.loads(prep.body)["data"]["payload"]["to"] == "+14155550199"
    assert prep.signed == "resigned"


def test_expectation_differs_and_unreachable():
    captured = CapturedResponse(200, (), b"ok")
    cap = twilio_capture(response=captured)
    with Receiver(lambda r: (409, b"duplicate")) as rx:
        [r409] = engine.replay([cap], engine.ReplayOptions(to=rx.url, resign=False))
        [ok] = engine.replay(
            [cap],
            engine.ReplayOptions(
                to=rx.url, resign=False, expect=engine.Expectation.parse("2xx,409")
            ),
        )
    assert (r409.status, r409.ok, r409.differs) == (409, False, True)
    assert ok.ok is True
    with Receiver(lambda r: (200, b"ok")) as rx:
        [same] = engine.replay([cap], engine.ReplayOptions(to=rx.url, resign=False))
    assert same.differs is False
    target = dead_url()
    [down] = engine.replay([cap], engine.ReplayOptions(to=target, resign=False))
    assert down.status is None and down.ok is False
    assert down.error == f"cannot connect to {target} (refused or unreachable)"
    with pytest.raises(UsageProblem):
        engine.Expectation.parse("20x")


def test_concurrency_keeps_result_order_and_preserve_timing_keeps_gaps():
    caps = [
        twilio_capture(id=i, received_at=f"2026-11-22T10:00:00.{i * 40:03d}Z") for i in range(1, 11)
    ]
    with Receiver() as rx:
        results = engine.replay(caps, engine.ReplayOptions(to=rx.url, resign=False, concurrency=4))
        assert [r.capture_id for r in results] == list(range(1, 11))
        start = time.monotonic()
        engine.replay(
            caps, engine.ReplayOptions(to=rx.url, resign=False, preserve_timing=True, speed=2)
        )
        elapsed = time.monotonic() - start
    # 360 ms of captured gaps at 2x speed: at least 180 ms, and not serialised beyond that.
    assert 0.17 <= elapsed < 2.0


def test_resign_without_a_scheme_or_key_is_a_usage_error():
    unknown = Capture("POST", "http://h/x", (), b"x", id=9)
    with pytest.raises(UsageProblem, match="cannot tell which scheme"):
        engine.prepare(unknown, engine.ReplayOptions(to="http://h", resign=True))
    with pytest.raises(UsageProblem, match="needs the twilio key"):
        engine.prepare(twilio_capture(), engine.ReplayOptions(to="http://h", resign=True))


def test_warnings_for_kept_signatures():
    opts = engine.ReplayOptions(to="http://127.0.0.1:3000", resign=False)
    stale = telnyx_capture(int(time.time()) - 3600)
    stale = Capture(
        **{
            **{f: getattr(stale, f) for f in stale.__slots__},
            "received_at": "2020-01-01T00:00:00.000Z",
        }
    )
    text = " ".join(engine.warnings_for([twilio_capture(), stale], opts))
    assert "twilio signatures cover the URL" in text and "telnyx signatures expire" in text


def test_large_non_utf8_bodies_replay_byte_for_byte():
    body = bytes(range(256)) * 12_000  # 3 MB, every byte value
    capture = Capture("POST", "https://h.example/bin?a=%2B", (("Content-Type", "x/y"),), body, id=5)
    with Receiver() as rx:
        [result] = engine.replay([capture], engine.ReplayOptions(to=rx.url))
    assert result.ok and result.signature == "none"
    assert rx.requests[0].body == body and rx.requests[0].path == "/bin?a=%2B"


def test_header_values_keep_their_bytes():
    headers = (("X-Latin", "caf\xe9"), ("X-Typed", "café 😀"))
    capture = Capture("POST", "http://h/x", headers, b"x", id=6)
    with Receiver() as rx:
        [result] = engine.replay([capture], engine.ReplayOptions(to=rx.url))
    assert result.ok
    got = rx.requests[0]  # http.server decodes header bytes as ISO-8859-1
    assert got.header("X-Latin").encode("latin-1") == b"caf\xe9"
    assert got.header("X-Typed").encode("latin-1") == "café 😀".encode()
