"""VAPI over REST (httpx). Credentials: a private API key as a Bearer token.

Only ``verify`` exists so far (used by ``telcli auth login vapi``); phone-number and assistant
operations arrive with the ``telcli vapi`` commands.
"""

from __future__ import annotations

from typing import Any

import httpx

from telcli.models import CallResult, ProviderName
from telcli.providers.base import ProviderSettings
from telcli.transport import build_client, send, status_error

BASE_URL = "https://api.vapi.ai"


class VapiProvider:
    name = ProviderName.vapi

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            s = self.settings
            self._client = build_client(
                s.base_urls.get("api", BASE_URL),
                headers={"Authorization": f"Bearer {s.credentials['api_key']}"},
                transport=s.transport,
                timeout=s.timeout or 20.0,
                retry=s.retry,
                debug_log=s.debug_log,
                secrets=s.secrets,
            )
        return self._client

    def _check(self, response: httpx.Response, what: str) -> httpx.Response:
        if response.is_success:
            return response
        try:
            body = response.json()
            message = body.get("message") if isinstance(body, dict) else None
            if isinstance(message, list):
                message = "; ".join(map(str, message))
        except ValueError:
            message = None
        raise status_error("vapi", response, str(message or response.reason_phrase), what=what)

    def verify(self) -> str:
        # AssistantController_findAll with limit=1: the cheapest authenticated read.
        response = self._check(
            send(self.client, "GET", "/assistant", provider="vapi", params={"limit": 1}),
            "verify",
        )
        count = len(response.json()) if isinstance(response.json(), list) else 0
        return "VAPI org reachable" + (f", {count}+ assistants" if count else "")


# -- outbound assistant calls (issue 6: `telcli test call --assistant`) ---------------------
# CallController_create / CallController_findOne / CallController_findAll, and
# PhoneNumberController_findAll to find the imported number a call goes out from. Module-level
# functions so they sit beside the provider class without touching it.

# endedReason (627 values in the spec) -> Twilio's call vocabulary; anything not listed here
# and not a normal hang-up counts as failed.
_VAPI_ENDED = {
    "customer-busy": "busy",
    "customer-did-not-answer": "no-answer",
    "manually-canceled": "canceled",
}
_VAPI_NORMAL_END = ("ended-call", "silence-timed-out", "exceeded-max-duration", "voicemail")


def vapi_phone_number_id(provider: VapiProvider, phone_number: str) -> str | None:
    """The VAPI id of an imported number (PhoneNumberController_findAll), or None."""
    response = provider._check(
        send(provider.client, "GET", "/phone-number", provider="vapi", params={"limit": 1000}),
        f"lookup of {phone_number} in VAPI",
    )
    for item in response.json() if isinstance(response.json(), list) else []:
        if isinstance(item, dict) and item.get("number") == phone_number:
            return str(item.get("id"))
    return None


def place_assistant_call(
    provider: VapiProvider, *, assistant_id: str, phone_number_id: str, to: str, from_: str
) -> CallResult:
    """CallController_create: the assistant calls ``to`` from an imported number. Not
    idempotent: never retried (the transport retries no POST)."""
    body = {
        "assistantId": assistant_id,
        "phoneNumberId": phone_number_id,
        "customer": {"number": to},
    }
    response = provider._check(
        send(provider.client, "POST", "/call", provider="vapi", json=body), f"call to {to}"
    )
    return _vapi_call(response.json(), to=to, from_=from_)


def fetch_assistant_call(
    provider: VapiProvider, call_id: str, *, to: str, from_: str
) -> CallResult:
    """CallController_findOne."""
    response = provider._check(
        send(provider.client, "GET", f"/call/{call_id}", provider="vapi"),
        f"status of call {call_id}",
    )
    return _vapi_call(response.json(), to=to, from_=from_)


def find_assistant_calls(
    provider: VapiProvider, *, phone_number_id: str, to: str, from_: str, since: Any
) -> list[CallResult]:
    """Calls from ``phone_number_id`` to ``to`` created since ``since`` (reconciliation)."""
    params = {
        "phoneNumberId": phone_number_id,
        "createdAtGe": since.isoformat().replace("+00:00", "Z"),
        "limit": 100,
    }
    response = provider._check(
        send(provider.client, "GET", "/call", provider="vapi", params=params), f"calls to {to}"
    )
    items = response.json() if isinstance(response.json(), list) else []
    return [
        _vapi_call(i, to=to, from_=from_)
        for i in items
        if isinstance(i, dict) and (i.get("customer") or {}).get("number") == to
    ]


def _vapi_call(data: Any, *, to: str, from_: str) -> CallResult:
    from datetime import datetime
    from decimal import Decimal

    from telcli.models import CallResult

    data = data if isinstance(data, dict) else {}

    def when(key: str) -> datetime | None:
        value = data.get(key)
        try:
            return datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    raw = str(data.get("status") or "queued")
    reason = data.get("endedReason")
    started, ended = when("startedAt"), when("endedAt")
    duration = int((ended - started).total_seconds()) if started and ended else None
    if raw != "ended":
        status = {"scheduled": "queued", "forwarding": "in-progress"}.get(raw, raw)
    elif reason in _VAPI_ENDED:
        status = _VAPI_ENDED[reason]
    elif isinstance(reason, str) and any(k in reason for k in _VAPI_NORMAL_END):
        status = "completed"
    else:
        status = "failed"
    cost = data.get("cost")
    return CallResult(
        provider=ProviderName.vapi,
        id=str(data.get("id") or ""),
        to=(data.get("customer") or {}).get("number") or to,
        from_=from_,
        status=status,
        carrier_status=f"{raw}: {reason}" if reason else raw,
        duration=(duration or 0) if raw == "ended" else None,
        answered=None if raw != "ended" else status == "completed",
        error_code=str(reason) if status == "failed" and reason else None,
        price=Decimal(str(cost)) if isinstance(cost, int | float) else None,
        currency="USD" if isinstance(cost, int | float) else None,
        started_at=started,
        ended_at=ended,
    )
