"""The full telnyx 4.x client accepts telcli's test-key signatures via ``webhooks.unwrap``.

Kept in its own module and marked slow: ``import telnyx`` plus its webhook types take about
four seconds. ``test_telnyx_signing.py`` runs the same verifier code (loaded from its file)
on every run; deselect this one with ``-m "not slow"`` in a quick loop.
"""

from __future__ import annotations

import pytest

from telcli.webhooks import telnyx as scheme

SEED_B64 = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="  # RFC 8032 TEST 1 seed
PUBLIC_B64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
BODY = (
    b'{"data":{"record_type":"event","event_type":"call.initiated",'
    b'"id":"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0","occurred_at":"2024-01-01T00:00:00Z",'
    b'"payload":{"call_control_id":"v3:abc","from":"+14155550100","to":"+14155550123"}}}'
)


@pytest.mark.slow
def test_client_webhooks_unwrap_accepts_telcli_signatures() -> None:
    telnyx_sdk = pytest.importorskip("telnyx")
    from telnyx.lib.webhook_verification import WebhookVerificationError

    client = telnyx_sdk.Telnyx(api_key="KEY_test_not_real", public_key=PUBLIC_B64)
    signed = scheme.sign(SEED_B64, body=BODY)
    event = client.webhooks.unwrap(BODY.decode(), headers=signed.headers)
    assert event.data.event_type == "call.initiated"

    with pytest.raises(WebhookVerificationError):
        client.webhooks.unwrap(
            BODY.decode().replace("+14155550123", "+14155550124"), headers=signed.headers
        )
    other_private, other_public = scheme.keygen()
    with pytest.raises(WebhookVerificationError):
        client.webhooks.unwrap(BODY.decode(), headers=signed.headers, key=other_public)
    resigned = scheme.sign(other_private, body=BODY)
    assert client.webhooks.unwrap(BODY.decode(), headers=resigned.headers, key=other_public)
