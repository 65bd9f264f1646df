"""VAPI server messages (``{"message": {...}}``) as events.

Sources: ``ServerMessageStatusUpdate`` and ``ServerMessageEndOfCallReport`` in the VAPI
OpenAPI document (``message.type``, ``message.status``: scheduled, queued, ringing,
in-progress, forwarding, ended; ``message.endedReason``; ``message.timestamp`` in epoch
milliseconds; ``message.call`` with ``id`` and ``type``; ``message.customer.number``;
``message.phoneNumber.number``; ``message.startedAt``/``endedAt``;
``message.artifact.recordingUrl``). VAPI sends no event id, so it is derived as
``vapi:CALL:TYPE:STATUS:TIMESTAMP``.
"""

from __future__ import annotations

from collections.abc import Sequence

from telcli.webhooks._common import label_json
from telcli.webhooks.events import Event, Header, between, dig, epoch_time, iso_time, text

STATUS_EVENTS = {
    "scheduled": "call.initiated",
    "queued": "call.initiated",
    "ringing": "call.ringing",
    "in-progress": "call.answered",
    "forwarding": "call.forwarding",
}
# endedReason -> the terminal event; anything else that names an error is call.failed, and
# the rest (customer-ended-call, assistant-ended-call, exceeded-max-duration...) completed.
ENDED_EVENTS = {
    "customer-busy": "call.busy",
    "call.forwarding.operator-busy": "call.busy",
    "customer-did-not-answer": "call.no-answer",
    "call.forwarding.no-answer": "call.no-answer",
    "voicemail": "call.no-answer",
    "manually-canceled": "call.canceled",
    "scheduled-call-deleted": "call.canceled",
}


def ended_event(reason: str | None) -> str:
    if reason in ENDED_EVENTS:
        return ENDED_EVENTS[reason]
    if reason and ("error" in reason or "fault" in reason or "failed" in reason):
        return "call.failed"
    return "call.completed"


def normalize(headers: Sequence[Header], body: bytes, url: str = "") -> Event | None:
    message = dig(label_json(body), "message")
    kind = text(dig(message, "type"))
    if kind not in ("status-update", "end-of-call-report"):
        return None
    call_id = text(dig(message, "call", "id"))
    reason = text(dig(message, "endedReason"))
    status = text(dig(message, "status"))
    if kind == "end-of-call-report" or status == "ended":
        event_type = ended_event(reason)
    else:
        event_type = STATUS_EVENTS.get(status or "")
    call_type = text(dig(message, "call", "type")) or ""
    ours = text(dig(message, "phoneNumber", "number"))
    customer = text(dig(message, "customer", "number"))
    inbound = call_type.startswith("inbound")
    stamp = dig(message, "timestamp")
    started, ended = iso_time(dig(message, "startedAt")), iso_time(dig(message, "endedAt"))
    return Event(
        provider="vapi",
        event_type=event_type,
        provider_event_type=kind if status is None else f"{kind}:{status}",
        event_id=f"vapi:{call_id}:{kind}:{status or reason or ''}:{text(stamp) or ''}",
        call_id=call_id,
        from_=customer if inbound else ours,
        to=ours if inbound else customer,
        direction=("inbound" if inbound else "outbound") if call_type else None,
        status=status or ("ended" if kind == "end-of-call-report" else None),
        duration_seconds=between(started, ended),
        hangup_cause=reason,
        recording_url=text(dig(message, "artifact", "recordingUrl"))
        or text(dig(message, "recordingUrl")),
        occurred_at=epoch_time(stamp, millis=True) or ended,
    )
