"""Telnyx webhooks (``{"data": {...}}``) as events.

Sources: the ``webhooks`` of ``telnyx_v2.json`` (CallInitiated, CallAnswered, CallHangup,
CallMachineDetectionEnded, InboundMessage, DeliveryUpdate): ``data.id`` (the event id),
``data.event_type``, ``data.occurred_at``, ``data.payload`` with ``call_control_id``, ``from``,
``to``, ``direction``, ``hangup_cause`` (call_rejected, normal_clearing, originator_cancel,
timeout, time_limit, user_busy, not_found, no_answer, unspecified), ``client_state`` (base64,
carried back from the dial command) and ``tags``; messages carry ``id``, ``from.phone_number``,
``to[].phone_number`` and ``to[].status``, ``errors[].code``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from telcli.webhooks._common import label_json
from telcli.webhooks.events import TERMINAL_MESSAGE, Event, Header, dig, iso_time, text

# call.hangup's hangup_cause -> the terminal event (the sandbox answers the same way).
HANGUP_EVENTS = {
    "normal_clearing": "call.completed",
    "time_limit": "call.completed",
    "user_busy": "call.busy",
    "timeout": "call.no-answer",
    "no_answer": "call.no-answer",
    "originator_cancel": "call.canceled",
    "call_rejected": "call.failed",
    "not_found": "call.failed",
    "unspecified": "call.failed",
}
CALL_EVENTS = {
    "call.initiated": "call.initiated",
    "call.answered": "call.answered",
    "call.bridged": "call.answered",
    "call.machine.detection.ended": "call.machine-detection",
}
# message.finalized's per-recipient status -> the terminal event.
MESSAGE_STATUS = {
    "delivered": "message.delivered",
    "sent": "message.sent",
    "queued": "message.queued",
    "sending": "message.sent",
    "delivery_unconfirmed": "message.sent",
    "delivery_failed": "message.undelivered",
    "sending_failed": "message.failed",
    "expired": "message.undelivered",
}


def client_state(value: Any) -> dict[str, str]:
    """``client_state`` as telcli sends it: base64 of a JSON object of strings."""
    raw = text(value)
    if raw is None:
        return {}
    try:
        data = json.loads(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str | int | float)}


def _tenant(tags: Any) -> str | None:
    for tag in tags if isinstance(tags, list) else ():
        if isinstance(tag, str) and tag.startswith("tenant:"):
            return tag.removeprefix("tenant:") or None
    return None


def _number(value: Any) -> str | None:
    return text(dig(value, "phone_number")) if isinstance(value, dict) else text(value)


def normalize(headers: Sequence[Header], body: bytes, url: str = "") -> Event | None:
    data = dig(label_json(body), "data")
    kind = text(dig(data, "event_type"))
    payload = dig(data, "payload")
    if kind is None or not isinstance(payload, dict):
        return None
    common: dict[str, Any] = {
        "provider": "telnyx",
        "provider_event_type": kind,
        "event_id": text(dig(data, "id")),
        "occurred_at": iso_time(dig(data, "occurred_at")),
        "tenant": _tenant(payload.get("tags")),
        "meta": client_state(payload.get("client_state")),
    }
    if kind.startswith("message."):
        recipients = payload.get("to") if isinstance(payload.get("to"), list) else []
        first = recipients[0] if recipients and isinstance(recipients[0], dict) else {}
        status = text(first.get("status"))
        if kind == "message.received":
            event_type = "message.received"
        else:
            event_type = MESSAGE_STATUS.get(status or "", "message.sent")
            if kind == "message.finalized" and event_type not in TERMINAL_MESSAGE:
                # DeliveryUpdate's message.finalized is the last word: a recipient still
                # "sent" (delivery_unconfirmed) got no receipt, and none will come.
                event_type = "message.unconfirmed"
        errors = payload.get("errors") if isinstance(payload.get("errors"), list) else []
        return Event(
            event_type=event_type,
            message_id=text(payload.get("id")),
            from_=_number(payload.get("from")),
            to=_number(first) if first else _number(payload.get("to")),
            direction="inbound" if payload.get("direction") == "inbound" else "outbound",
            status=status,
            error_code=text(dig(errors[0], "code")) if errors else None,
            **common,
        )
    if not kind.startswith("call."):
        return None
    cause = text(payload.get("hangup_cause"))
    event_type = (
        HANGUP_EVENTS.get(cause or "", "call.failed")
        if kind == "call.hangup"
        else (CALL_EVENTS.get(kind))
    )
    direction = text(payload.get("direction"))
    return Event(
        event_type=event_type,
        call_id=text(payload.get("call_control_id")),
        from_=text(payload.get("from")),
        to=text(payload.get("to")),
        direction=None
        if direction is None
        else ("inbound" if direction in ("incoming", "inbound") else "outbound"),
        status=text(payload.get("state")),
        hangup_cause=cause,
        recording_url=text(dig(payload, "recording_urls", "mp3")),
        **common,
    )
