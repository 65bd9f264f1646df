"""listen -> forward -> capture -> replay, against receivers that verify signatures the way
real apps do: Twilio's RequestValidator over the URL the app reconstructs, and Telnyx's
Ed25519 check with a ±300 s window. The replay target sits behind a different public URL
than the one the provider signed, so only a re-signed replay passes."""

from __future__ import annotations

import base64
import http.client
import json
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from telcli.services.listen import CaptureServer
from telcli.webhooks import telnyx as telnyx_scheme
from telcli.webhooks import twilio as twilio_scheme
from tests.webhook_receiver import Receiver

TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"  # fake Auth Token, test-only
SEED_B64 = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="  # RFC 8032 TEST 1: the "Telnyx" key
PUBLIC_B64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
TEST_PRIVATE, TEST_PUBLIC = telnyx_scheme.keygen()  # the local test pair for replays
SID = "CA" + "0123456789abcdef" * 2
PUBLIC_BASE = "https://abc.ngrok.app"  # where the provider delivered (and what it signed)
STAGING_BASE = "https://staging.example.com"  # what the replay receiver reconstructs
FORM = (
    f"AccountSid=AC{'a' * 32}&CallSid={SID}&CallStatus=completed&CallToken=&Digits=1234"
    "&Digits=5678&From=%2B14155550100&To=%2B14155550123&Body=It%27s+%2B+caf%C3%A9+%F0%9F%98%80"
).encode()
TELNYX_BODY = (
    b'{"data": {"record_type": "event", "event_type": "call.initiated",'
    b' "id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",'
    b' "payload": {"call_control_id": "v3:abc", "to": "+14155550123"}}}'
)


class MultiDict(dict):
    def getlist(self, key):
        return self[key]


def twilio_app(base: str):
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)

    def decide(r):
        params = MultiDict()
        for k, v in twilio_scheme.form_params(r.body):
            params.setdefault(k, []).append(v)
        if validator.validate(base + r.path, params, r.header("X-Twilio-Signature") or ""):
            return 200, b"<Response/>"
        return 403, b"invalid signature"

    return decide


def telnyx_app(public_b64: str):
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))

    def decide(r):
        ts = r.header("telnyx-timestamp") or "0"
        if abs(time.time() - int(ts)) > 300:
            return 400, b"stale"
        try:
            sig = base64.b64decode(r.header("telnyx-signature-ed25519") or "")
            key.verify(sig, ts.encode() + b"|" + r.body)
        except (InvalidSignature, ValueError):
            return 403, b"invalid signature"
        return 200, b"ok"

    return decide


def _deliver(port: int, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        conn.putheader(name, value)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def test_twilio_listen_forward_capture_replay(telcli, make_ctx):
    ctx = make_ctx()
    db_path = ctx.state.path
    ctx.state.conn  # noqa: B018 - migrate before the server's writer thread opens it
    path = "/twilio/status?tenant=a%2Bb"
    sig = twilio_scheme.compute_signature(
        TOKEN, PUBLIC_BASE + path, twilio_scheme.form_params(FORM)
    )
    headers = {
        "Host": "abc.ngrok.app",
        "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
        "X-Twilio-Signature": sig,
        "I-Twilio-Idempotency-Token": "3b3a63e4-0c47-4a9e-8b3e-1d1bd0c0f6a1",
        "User-Agent": "TwilioProxy/1.1",
        "X-Forwarded-Proto": "https",  # set by the TLS-terminating tunnel
    }
    # 1. Live: Twilio -> (ngrok) -> telcli listen -> the app. The app sees the public Host,
    #    so the original signature verifies through the forwarder.
    with (
        Receiver(twilio_app(PUBLIC_BASE)) as app,
        CaptureServer(db_path, forward_to=app.url) as server,
    ):
        status, body = _deliver(server.port, path, headers, FORM)
    assert (status, body) == (200, b"<Response/>")
    assert app.requests[0].body == FORM

    listed = json.loads(telcli("webhook", "list", "--json", ctx=ctx).stdout)
    assert [(c["provider"], c["event_type"], c["sid"], c["source"]) for c in listed] == [
        ("twilio", "completed", SID, "listen")
    ]
    assert listed[0]["response"]["status"] == 200
    capture_id = str(listed[0]["id"])
    shown = json.loads(
        telcli("webhook", "show", capture_id, "--secret", TOKEN, "--json", ctx=ctx).stdout
    )
    assert shown["url"] == PUBLIC_BASE + path  # the URL Twilio signed, via X-Forwarded-Proto
    assert shown["verdict"]["valid"] is True
    assert base64.b64decode(shown["body_b64"]) == FORM

    # 2. Later: replay to a staging app that reconstructs a different public URL.
    with Receiver(twilio_app(STAGING_BASE)) as staging:
        kept = telcli(
            "webhook", "replay", capture_id, "--to", staging.url, "--keep-signature", ctx=ctx
        )
        resigned = telcli(
            "webhook",
            "replay",
            capture_id,
            "--to",
            staging.url,
            "--sign-url",
            STAGING_BASE + path,
            "--secret",
            TOKEN,
            "--twice",
            "--json",
            ctx=ctx,
        )
    assert kept.exit_code == 7  # the captured signature covers the old URL
    assert resigned.exit_code == 0, resigned
    rows = json.loads(resigned.stdout)
    assert [(r["attempt"], r["status"], r["ok"], r["differs"]) for r in rows] == [
        (1, 200, True, False),
        (2, 200, True, False),
    ]
    replayed = staging.requests[-1]
    assert replayed.body == FORM and replayed.path == path
    assert replayed.header("I-Twilio-Idempotency-Token") == "3b3a63e4-0c47-4a9e-8b3e-1d1bd0c0f6a1"
    assert TOKEN not in resigned.stdout + resigned.stderr


def test_telnyx_listen_forward_capture_replay(telcli, make_ctx, tmp_path):
    ctx = make_ctx()
    ctx.state.conn  # noqa: B018
    signed = telnyx_scheme.sign(SEED_B64, body=TELNYX_BODY)
    headers = {"Host": "abc.ngrok.app", "Content-Type": "application/json", **signed.headers}
    # Live forwarding inside the window: the original Telnyx signature is accepted.
    with (
        Receiver(telnyx_app(PUBLIC_B64)) as app,
        CaptureServer(ctx.state.path, forward_to=app.url) as server,
    ):
        assert _deliver(server.port, "/telnyx", headers, TELNYX_BODY) == (200, b"ok")
    [capture] = json.loads(telcli("webhook", "list", "--json", ctx=ctx).stdout)
    cid = str(capture["id"])
    assert capture["event_type"] == "call.initiated" and capture["sid"] == "v3:abc"

    # A staging app configured with the local test public key: the captured signature
    # fails there, a test-key re-signature passes, and the body is untouched.
    key_file = tmp_path / "test.key"
    key_file.write_text(TEST_PRIVATE)
    with Receiver(telnyx_app(TEST_PUBLIC)) as staging:
        kept = telcli("webhook", "replay", cid, "--to", staging.url, ctx=ctx)
        ok = telcli(
            "webhook", "replay", cid, "--to", staging.url, "--private-key", str(key_file), ctx=ctx
        )
        edited = telcli(
            "webhook",
            "replay",
            cid,
            "--to",
            staging.url,
            "--private-key",
            str(key_file),
            "--set",
            "data.payload.to=+14155550199",
            "--json",
            ctx=ctx,
        )
    assert kept.exit_code == 7 and ok.exit_code == 0, (kept, ok)
    assert edited.exit_code == 0, edited
    assert staging.requests[1].body == TELNYX_BODY
    assert json.loads(staging.requests[2].body)["data"]["payload"]["to"] == "+14155550199"
    assert TEST_PRIVATE not in ok.stdout + ok.stderr + edited.stdout + edited.stderr
