"""Standard Webhooks and Stripe-style HMAC-SHA256 signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from telcli.errors import UsageProblem
from telcli.webhooks import hmac_sha256

# The Standard Webhooks reference vector (go, js, php, csharp and java test suites).
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TS = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
STRIPE_SECRET = "whsec_test_secret_not_real"


def sw_headers(sig: str = SW_SIG, ts: int | str = SW_TS, msg_id: str = SW_ID) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sig}


# --- Standard Webhooks ---------------------------------------------------------------------


def test_standard_webhooks_vector_sign() -> None:
    result = hmac_sha256.sign(SW_SECRET, body=SW_BODY, message_id=SW_ID, timestamp=SW_TS)
    assert result.headers == sw_headers()


def test_standard_webhooks_vector_verify() -> None:
    verdict = hmac_sha256.verify(SW_SECRET, body=SW_BODY, headers=sw_headers(), now=SW_TS)
    assert verdict.valid, verdict.reason
    assert verdict.variant == "standard"


def test_standard_secret_with_or_without_prefix_and_padding() -> None:
    bare = SW_SECRET.removeprefix("whsec_")
    assert hmac_sha256.standard_key(bare) == hmac_sha256.standard_key(SW_SECRET)
    key = base64.b64encode(b"sixteen byte key").decode()  # "...a2V5" has no padding anyway
    unpadded = base64.b64encode(b"seventeen bytes!!").decode().rstrip("=")
    assert hmac_sha256.standard_key(unpadded) == b"seventeen bytes!!"
    assert hmac_sha256.standard_key("whsec_" + key) == b"sixteen byte key"
    with pytest.raises(UsageProblem, match="base64 after 'whsec_'"):
        hmac_sha256.standard_key("whsec_not*base64")


def test_signature_list_with_rotation_and_unknown_versions() -> None:
    other = "v1," + base64.b64encode(b"x" * 32).decode()
    listed = f"v1a,abcdef {other} {SW_SIG}"
    verdict = hmac_sha256.verify(
        SW_SECRET, body=SW_BODY, headers=sw_headers(listed), now=SW_TS, explain=True
    )
    assert verdict.valid
    assert verdict.checks[0].detail == "v1 signature 2 of 2 matches"


def test_standard_rejections() -> None:
    tampered = hmac_sha256.verify(SW_SECRET, body=SW_BODY + b" ", headers=sw_headers(), now=SW_TS)
    assert not tampered.valid and tampered.reason.startswith("signature: none of 1")
    other_id = hmac_sha256.verify(
        SW_SECRET, body=SW_BODY, headers=sw_headers(msg_id="msg_2"), now=SW_TS
    )
    assert not other_id.valid
    wrong = hmac_sha256.verify(
        "whsec_" + base64.b64encode(b"k" * 24).decode(),
        body=SW_BODY,
        headers=sw_headers(),
        now=SW_TS,
    )
    assert not wrong.valid
    only_v2 = hmac_sha256.verify(SW_SECRET, body=SW_BODY, headers=sw_headers("v2,abc"), now=SW_TS)
    assert not only_v2.valid and "no v1 signature" in only_v2.reason


@pytest.mark.parametrize(
    ("offset", "valid", "words"),
    [
        (300, True, "300 s old"),
        (301, False, "301 s old"),
        (-300, True, "future"),
        (-301, False, "301 s in the future"),
    ],
)
def test_standard_window_both_directions(offset: int, valid: bool, words: str) -> None:
    verdict = hmac_sha256.verify(
        SW_SECRET, body=SW_BODY, headers=sw_headers(), now=SW_TS + offset, explain=True
    )
    assert verdict.valid is valid
    assert words in verdict.checks[1].detail


def test_standard_missing_headers_and_svix_names() -> None:
    verdict = hmac_sha256.verify(
        SW_SECRET, body=SW_BODY, headers={"webhook-signature": SW_SIG}, variant="standard"
    )
    assert verdict.reason == "missing required header: webhook-id, webhook-timestamp"
    svix = {"svix-id": SW_ID, "svix-timestamp": str(SW_TS), "svix-signature": SW_SIG}
    assert hmac_sha256.verify(SW_SECRET, body=SW_BODY, headers=svix, now=SW_TS).valid


def test_generated_message_id() -> None:
    result = hmac_sha256.sign(SW_SECRET, body=SW_BODY, now=SW_TS)
    assert result.headers["webhook-id"].startswith("msg_")
    assert result.headers["webhook-timestamp"] == str(SW_TS)
    assert hmac_sha256.verify(SW_SECRET, body=SW_BODY, headers=result.headers, now=SW_TS).valid


def test_standardwebhooks_library_as_oracle() -> None:
    lib = pytest.importorskip("standardwebhooks")
    from datetime import UTC, datetime

    wh = lib.Webhook(SW_SECRET)
    stamp = datetime.fromtimestamp(SW_TS, tz=UTC)
    assert wh.sign(SW_ID, stamp, SW_BODY.decode()) == SW_SIG
    body = '{"type": "invoice.paid", "note": "é 😀"}'.encode()
    fresh = hmac_sha256.sign(SW_SECRET, body=body, message_id="msg_oracle")
    assert wh.verify(body, fresh.headers) == {"type": "invoice.paid", "note": "é 😀"}
    with pytest.raises(lib.WebhookVerificationError):
        wh.verify(body + b" ", fresh.headers)


# --- Stripe-style --------------------------------------------------------------------------


def stripe_sig(ts: int, body: bytes, secret: str = STRIPE_SECRET) -> str:
    return hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()


def test_stripe_sign_uses_the_secret_verbatim() -> None:
    result = hmac_sha256.sign(STRIPE_SECRET, body=SW_BODY, variant="stripe", timestamp=SW_TS)
    assert result.headers == {"Stripe-Signature": f"t={SW_TS},v1={stripe_sig(SW_TS, SW_BODY)}"}
    verdict = hmac_sha256.verify(STRIPE_SECRET, body=SW_BODY, headers=result.headers, now=SW_TS)
    assert verdict.valid and verdict.variant == "stripe"


def test_stripe_multiple_v1_and_v0_entries() -> None:
    header = f"t={SW_TS},v1={'0' * 64},v0=deadbeef,v1={stripe_sig(SW_TS, SW_BODY)}"
    verdict = hmac_sha256.verify(
        STRIPE_SECRET, body=SW_BODY, headers={"stripe-signature": header}, now=SW_TS
    )
    assert verdict.valid


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (f"v1={stripe_sig(SW_TS, SW_BODY)}", "no t= timestamp"),
        (f"t={SW_TS}", "no v1 signature"),
        (f"t={SW_TS},v1=zz", "none of 1"),
        (f"t={SW_TS + 1},v1={stripe_sig(SW_TS, SW_BODY)}", "none of 1"),
    ],
)
def test_stripe_rejections(header: str, words: str) -> None:
    verdict = hmac_sha256.verify(
        STRIPE_SECRET, body=SW_BODY, headers={"Stripe-Signature": header}, now=SW_TS
    )
    assert not verdict.valid and words in verdict.reason


@pytest.mark.parametrize("offset", [301, -301])
def test_stripe_window_both_directions(offset: int) -> None:
    result = hmac_sha256.sign(STRIPE_SECRET, body=SW_BODY, variant="stripe", timestamp=SW_TS)
    verdict = hmac_sha256.verify(
        STRIPE_SECRET, body=SW_BODY, headers=result.headers, now=SW_TS + offset
    )
    assert not verdict.valid and verdict.reason.startswith("timestamp:")


def test_stripe_and_standard_do_not_accept_each_other() -> None:
    stripe = hmac_sha256.sign(SW_SECRET, body=SW_BODY, variant="stripe", timestamp=SW_TS)
    assert not hmac_sha256.verify(
        SW_SECRET, body=SW_BODY, headers=stripe.headers, variant="standard", now=SW_TS
    ).valid


@pytest.mark.parametrize("variant", ["standard", "stripe"])
def test_non_utf8_bodies(variant: str) -> None:
    body = b"\xff\xfe\x00\x80 not text"
    result = hmac_sha256.sign(SW_SECRET, body=body, variant=variant, timestamp=SW_TS)
    assert hmac_sha256.verify(SW_SECRET, body=body, headers=result.headers, now=SW_TS).valid
    assert not hmac_sha256.verify(
        SW_SECRET, body=body[:-1], headers=result.headers, now=SW_TS
    ).valid


def test_usage_problems() -> None:
    with pytest.raises(UsageProblem, match="variant"):
        hmac_sha256.sign(SW_SECRET, body=b"", variant="github")
    with pytest.raises(UsageProblem, match="message id"):
        hmac_sha256.sign(SW_SECRET, body=b"", variant="stripe", message_id="msg_1")
    with pytest.raises(UsageProblem, match="Unix time"):
        hmac_sha256.sign(SW_SECRET, body=b"", timestamp="yesterday")
    with pytest.raises(UsageProblem, match="needs a secret"):
        hmac_sha256.verify("", body=b"", headers={})


def test_no_recognised_headers() -> None:
    verdict = hmac_sha256.verify(SW_SECRET, body=b"", headers={"X-Other": "1"}, now=time.time())
    assert not verdict.valid and "no Stripe-Signature or webhook-signature" in verdict.reason
