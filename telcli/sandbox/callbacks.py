"""Signed status callbacks from the sandbox, delivered like the real providers deliver them.

* Twilio: a form-encoded POST signed with ``X-Twilio-Signature`` (HMAC-SHA1 over the URL and
  the sorted params, keyed with the account's auth token, which in the sandbox is the sandbox
  account's token), plus ``I-Twilio-Idempotency-Token``.
* Telnyx: a JSON POST signed with ``telnyx-signature-ed25519`` over ``"{timestamp}|{body}"``
  with the sandbox's published test key pair (RFC 8032 section 7.1 TEST 1, below). Configure
  receivers with :data:`TELNYX_PUBLIC_KEY` (``TELNYX_PUBLIC_KEY=...`` for the official SDKs).

Deliveries run on daemon threads that wait for each step of a lifecycle, so an in-process
sandbox (tests, ``--sandbox``) and ``telcli sandbox serve`` both send them while they live.
A failed delivery is dropped after one retry, as Twilio does by default (``rc=1``).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from telcli.sandbox import SANDBOX_CREDENTIALS

# RFC 8032 section 7.1 TEST 1: a published test key, never a real credential.
TELNYX_PRIVATE_KEY = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
TELNYX_PUBLIC_KEY = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
TWILIO_AUTH_TOKEN = SANDBOX_CREDENTIALS["twilio"]["auth_token"]

_threads: list[threading.Thread] = []
_lock = threading.Lock()


def twilio_request(url: str, params: Sequence[tuple[str, str]]) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one Twilio status callback to ``url``."""
    from telcli.webhooks import sign

    body = urlencode(list(params)).encode()
    content_type = "application/x-www-form-urlencoded"
    signed = sign("twilio", body=body, url=url, secret=TWILIO_AUTH_TOKEN, content_type=content_type)
    headers = {
        "Content-Type": content_type,
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
        **signed.headers,
    }
    return body, headers


def telnyx_request(
    url: str, event_type: str, payload: dict[str, Any], *, meta: bool
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one Telnyx webhook to ``url`` (envelope per the spec's
    OutboundMessageEvent / CallHangupEvent: ``meta`` only on messaging events)."""
    from telcli.webhooks import sign

    envelope: dict[str, Any] = {
        "data": {
            "record_type": "event",
            "event_type": event_type,
            "id": str(uuid.uuid4()),
            "occurred_at": _iso_now(),
            "payload": payload,
        }
    }
    if meta:
        envelope["meta"] = {"attempt": 1, "delivered_to": url}
    body = json.dumps(envelope, separators=(",", ":")).encode()
    signed = sign("telnyx", body=body, private_key=TELNYX_PRIVATE_KEY)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Telnyx Webhooks",
        **signed.headers,
    }
    return body, headers


def _iso_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Delivery:
    """One callback as it was sent, and how the receiver answered (for Telnyx's delivery log)."""

    url: str
    body: bytes
    headers: dict[str, str]
    status: int | None
    response_body: str
    started_at: str
    finished_at: str
    error: str | None


def post(url: str, body: bytes, headers: dict[str, str]) -> Delivery:
    import httpx

    started = _iso_now()
    error = None
    for _ in range(2):
        try:
            answer = httpx.post(url, content=body, headers=headers, timeout=5.0)
            return Delivery(
                url,
                body,
                headers,
                answer.status_code,
                answer.text[:2000],
                started,
                _iso_now(),
                None,
            )
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
    return Delivery(url, body, headers, None, "", started, _iso_now(), error)


Step = tuple[float, Callable[[], tuple[str, bytes, dict[str, str]] | None]]


def schedule(
    created: float,
    steps: Sequence[Step],
    *,
    clock: Callable[[], float],
    record: Callable[[Delivery], None] | None = None,
) -> None:
    """Deliver each step at ``created + offset`` on one daemon thread. A step returns
    ``(url, body, headers)`` built at delivery time (so signatures are fresh), or None.
    ``record`` is told about every delivery (Telnyx keeps a log of them)."""

    def run() -> None:
        for offset, build in steps:
            delay = created + offset - clock()
            if delay > 0:
                time.sleep(delay)
            try:
                request = build()
                if request is not None:
                    delivery = post(*request)
                    if record is not None:
                        record(delivery)
            except Exception:  # a callback must never take the sandbox down
                continue

    thread = threading.Thread(target=run, name="telcli-sandbox-callbacks", daemon=True)
    with _lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()


def drain(timeout: float = 10.0) -> bool:
    """Wait for every scheduled delivery (tests, and ``sandbox serve`` on shutdown).
    True when none is left."""
    deadline = time.monotonic() + timeout
    with _lock:
        pending = list(_threads)
    for thread in pending:
        thread.join(max(0.0, deadline - time.monotonic()))
    return not any(t.is_alive() for t in pending)
