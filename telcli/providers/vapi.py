"""VAPI over REST (httpx). Credentials: a private API key as a Bearer token.

Operations (``vapi.json``): AssistantController_findAll / findOne, PhoneNumberController_
findAll / create / update / remove. ``/credential`` (create and list a Telnyx credential that
Telnyx numbers reference by ``credentialId``) is not in the published spec; its shape follows
the spec's other Create*CredentialDTOs: ``{"provider", "apiKey", "name"}`` in, the credential
without its secret (``id``, ``orgId``, ``provider``, ``name``, ``createdAt``...) out.

Every PATCH of a phone number sends ``provider``: the spec's body is a ``oneOf`` of five
Update*PhoneNumberDTOs keyed on it, and without it a body matches several branches.

A call is ended through Live Call Control, on a per-call host that never sees the API key
(:func:`end_assistant_call`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from telcli import correlation, tenancy
from telcli.errors import ProviderUnavailable
from telcli.models import Assistant, CallResult, ProviderName, VapiNumber
from telcli.providers.base import HangupUnavailable, ProviderSettings, segment
from telcli.transport import build_client, cite, request_id_of, send, status_error

BASE_URL = "https://api.vapi.ai"
# PhoneNumberController_findAll / AssistantController_findAll: limit maximum is 1000.
_LIMIT = 1000


class VapiProvider:
    name = ProviderName.vapi

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings
        self._client: httpx.Client | None = None
        self._control_client: httpx.Client | None = None
        # call id -> its monitor.controlUrl, from the create/fetch answers (end_assistant_call)
        self._control_urls: dict[str, str] = {}

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
                # VAPI's OpenAPI document declares no request-id header; keep one if it is sent.
                request_id_header="x-request-id",
            )
        return self._client

    @property
    def control_client(self) -> httpx.Client:
        """The client for a call's live call control host: it carries no Authorization
        header. The private API key is for the API host only; a control URL that asks for a
        key asks for the org's public one (MonitorPlan.controlAuthenticationEnabled)."""
        if self._control_client is None:
            s = self.settings
            self._control_client = build_client(
                transport=s.transport,
                timeout=s.timeout or 20.0,
                retry=s.retry,
                debug_log=s.debug_log,
                secrets=s.secrets,
            )
        return self._control_client

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

    # -- plumbing -----------------------------------------------------------------------------

    def _json(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        response = self._check(send(self.client, method, path, provider="vapi", **kwargs), what)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            request_id = request_id_of(response)
            raise ProviderUnavailable(
                f"vapi sent an unreadable response on {what}{cite(request_id)}",
                provider="vapi",
                request_id=request_id,
            ) from None

    # -- assistants ---------------------------------------------------------------------------

    def list_assistants(self) -> list[Assistant]:
        body = self._json("GET", "/assistant", "assistant listing", params={"limit": _LIMIT})
        return [_assistant(a) for a in body or [] if isinstance(a, dict) and a.get("id")]

    def get_assistant(self, assistant_id: str) -> Assistant:
        body = self._json("GET", f"/assistant/{segment(assistant_id)}", f"lookup of {assistant_id}")
        return _assistant(body if isinstance(body, dict) else {"id": assistant_id})

    # -- phone numbers ------------------------------------------------------------------------

    def list_numbers(self) -> list[VapiNumber]:
        body = self._json("GET", "/phone-number", "number listing", params={"limit": _LIMIT})
        return [_number(n) for n in body or [] if isinstance(n, dict) and n.get("id")]

    def find_number(self, phone_number: str) -> VapiNumber | None:
        return next((n for n in self.list_numbers() if n.phone_number == phone_number), None)

    def create_number(self, body: dict[str, Any]) -> VapiNumber:
        """PhoneNumberController_create. ``body`` is a Create*PhoneNumberDTO."""
        what = f"import of {body.get('number')}"
        return _number(self._json("POST", "/phone-number", what, json=body) or {})

    def update_number(self, number: VapiNumber, changes: dict[str, Any]) -> VapiNumber:
        """PhoneNumberController_update, always with ``provider`` (see module docstring)."""
        body = {"provider": number.carrier, **changes}
        what = f"update of {number.phone_number}"
        data = self._json("PATCH", f"/phone-number/{segment(number.id)}", what, json=body)
        return _number(data) if isinstance(data, dict) and data.get("id") else number

    def delete_number(self, number: VapiNumber) -> None:
        self._json(
            "DELETE", f"/phone-number/{segment(number.id)}", f"removal of {number.phone_number}"
        )

    # -- credentials (Telnyx numbers reference one) ------------------------------------------

    def list_credentials(self) -> list[dict[str, Any]]:
        body = self._json("GET", "/credential", "credential listing")
        return [c for c in body or [] if isinstance(c, dict)]

    def create_credential(self, provider: str, api_key: str, name: str) -> str:
        body = {"provider": provider, "apiKey": api_key, "name": name}
        with correlation.watching() as seen:
            data = self._json("POST", "/credential", f"{provider} credential creation", json=body)
        credential_id = data.get("id") if isinstance(data, dict) else None
        if not credential_id:
            request_id = seen.last("vapi")
            raise ProviderUnavailable(
                f"vapi sent no credential id{cite(request_id)}",
                provider="vapi",
                request_id=request_id,
            )
        return str(credential_id)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _assistant(data: dict[str, Any]) -> Assistant:
    return Assistant(
        id=str(data.get("id") or ""),
        name=data.get("name") or None,
        created_at=_time(data.get("createdAt")),
        updated_at=_time(data.get("updatedAt")),
    )


def _number(data: dict[str, Any]) -> VapiNumber:
    server = data.get("server") if isinstance(data.get("server"), dict) else {}
    return VapiNumber(
        id=str(data.get("id") or ""),
        phone_number=str(data.get("number") or ""),
        carrier=str(data.get("provider") or ""),
        name=data.get("name") or None,
        assistant_id=data.get("assistantId") or None,
        server_url=(server or {}).get("url") or data.get("serverUrl") or None,
        status=data.get("status") or None,
        created_at=_time(data.get("createdAt")),
        tenant=tenancy.tenant_of_vapi_name(data.get("name")),
    )


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
    data = response.json()
    _keep_control_url(provider, data)
    return _vapi_call(data, to=to, from_=from_)


def fetch_assistant_call(
    provider: VapiProvider, call_id: str, *, to: str, from_: str
) -> CallResult:
    """CallController_findOne."""
    data = _find_call(provider, call_id)
    _keep_control_url(provider, data)
    return _vapi_call(data, to=to, from_=from_)


def _find_call(provider: VapiProvider, call_id: str) -> Any:
    """CallController_findOne: the Call as VAPI sends it."""
    response = provider._check(
        send(provider.client, "GET", f"/call/{segment(call_id)}", provider="vapi"),
        f"status of call {call_id}",
    )
    return response.json()


def _keep_control_url(provider: VapiProvider, data: Any) -> None:
    """Remember a Call's ``monitor.controlUrl`` (schema Monitor), for a hang-up later."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return
    monitor = data.get("monitor")
    url = monitor.get("controlUrl") if isinstance(monitor, dict) else None
    if isinstance(url, str) and url:
        provider._control_urls[data["id"]] = url


# ClientInboundMessageEndCall, POSTed bare (not in ClientInboundMessage's ``message``
# envelope, which is the client SDKs' websocket frame), as docs.vapi.ai/calls/call-features
# shows for every control message.
_END_CALL = {"type": "end-call"}


def end_assistant_call(provider: VapiProvider, call_id: str) -> None:
    """End a call through VAPI's Live Call Control (docs.vapi.ai/calls/call-features): POST
    ``{"type": "end-call"}`` to the call's ``monitor.controlUrl``, kept from
    CallController_create/findOne, else read with CallController_findOne. That URL is on a
    per-call host (``phone-call-websocket.*.vapi.ai``), not the API's: the API key is never
    sent there (with MonitorPlan.controlAuthenticationEnabled it wants the org's *public*
    key, which telcli does not hold). Only an https URL is posted to, or one on the API base
    URL's own origin (the sandbox served over HTTP).

    Raises HangupUnavailable when the call has no controlUrl (MonitorPlan.controlEnabled is
    off), the URL is not one telcli posts to, or the control host refuses (401/403/404);
    ProviderRejected for another 4xx (the call has already ended); ProviderUnavailable when
    the host cannot be reached or fails."""
    url = provider._control_urls.get(call_id)
    if url is None:
        _keep_control_url(provider, _find_call(provider, call_id))
        url = provider._control_urls.get(call_id)
    if url is None:
        raise HangupUnavailable(
            "live call control is off for its assistant (the call has no monitor.controlUrl)",
            provider="vapi",
        )
    where = _control_origin(url, provider.client.base_url)
    if where is not None:
        raise HangupUnavailable(
            f"its control URL is not https ({where}); telcli does not post there",
            provider="vapi",
        )
    # Ending a call twice changes nothing: safe to retry like a read.
    response = send(
        provider.control_client, "POST", url, provider="vapi", idempotent=True, json=_END_CALL
    )
    status = response.status_code
    if status in (401, 403):
        raise HangupUnavailable(
            f"its control URL refused the end-call ({status}): control authentication is on"
            " for its assistant, and takes VAPI's public key, which telcli does not hold",
            provider="vapi",
            status=status,
        )
    if status == 404:
        raise HangupUnavailable(
            "its control URL does not know the call (404)", provider="vapi", status=status
        )
    provider._check(response, f"end of call {call_id}")


def _control_origin(url: str, api: httpx.URL) -> str | None:
    """None when ``url`` is one to post a control message to: https, or http on the API
    base URL's origin (scheme, host and port: the sandbox served over HTTP, a local mock).
    Otherwise the scheme and host to name it by (never the whole URL)."""
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL:
        return "not a URL"
    if target.host and target.scheme == "https":
        return None
    if target.host and (target.scheme, target.host, target.port) == (
        api.scheme,
        api.host,
        api.port,
    ):
        return None
    return f"{target.scheme or '?'}://{target.host or '?'}"


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
