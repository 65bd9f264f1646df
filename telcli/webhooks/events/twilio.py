"""Twilio status callbacks (form-encoded) as events.

Sources: the 2010 API's documented callback parameters (voice ``StatusCallback``: CallSid,
CallStatus, From, To, Direction, CallDuration, Timestamp, SequenceNumber, RecordingUrl,
SipResponseCode; messaging ``StatusCallback``: MessageSid, MessageStatus, ErrorCode), and
the ``call_status``/``message_status`` enums of ``twilio_api_v2010.json``
(``api.v2010.account.call``, ``api.v2010.account.message``). Twilio sends
``I-Twilio-Idempotency-Token`` with each delivery (../shared/notes/webhook-signing.md §1);
without it the event id is derived as ``twilio:SID:STATUS:SEQUENCE`` when the callback has a
SequenceNumber (voice callbacks do), and is None otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parsedate_to_datetime

from telcli.webhooks.events import Event, Header, header, seconds, text, utc_iso

# CallStatus -> event type (call_status enum: queued, ringing, in-progress, canceled, completed,
# failed, busy, no-answer; "initiated" is a callback-only status).
CALL_EVENTS = {
    "queued": "call.initiated",
    "initiated": "call.initiated",
    "ringing": "call.ringing",
    "in-progress": "call.answered",
    "completed": "call.completed",
    "busy": "call.busy",
    "no-answer": "call.no-answer",
    "failed": "call.failed",
    "canceled": "call.canceled",
}
# MessageStatus -> event type (message_status enum).
MESSAGE_EVENTS = {
    "accepted": "message.queued",
    "scheduled": "message.queued",
    "queued": "message.queued",
    "sending": "message.sent",
    "sent": "message.sent",
    "delivered": "message.delivered",
    "read": "message.delivered",
    "undelivered": "message.undelivered",
    "failed": "message.failed",
    "receiving": "message.received",
    "received": "message.received",
    "canceled": "message.canceled",
    "partially_delivered": "message.delivered",
}


def _direction(value: str | None) -> str | None:
    if value is None:
        return None
    return "inbound" if value.startswith("inbound") else "outbound"


def _timestamp(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return utc_iso(parsedate_to_datetime(value))  # RFC 2822, e.g. "Mon, 16 Aug 2010 ..."
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def normalize(headers: Sequence[Header], body: bytes, url: str = "") -> Event | None:
    from telcli.webhooks.twilio import form_params

    if "json" in (header(headers, "Content-Type") or "").lower():
        return None
    params: dict[str, str] = {}
    for key, value in form_params(body):
        params.setdefault(key, value)  # the first occurrence wins, as Twilio sends one
    call_sid = text(params.get("CallSid"))
    message_sid = text(params.get("MessageSid") or params.get("SmsSid"))
    if message_sid:
        status = text(params.get("MessageStatus") or params.get("SmsStatus"))
        event_type = MESSAGE_EVENTS.get(status or "")
        call_sid = None
    elif call_sid:
        status = text(params.get("CallStatus"))
        event_type = CALL_EVENTS.get(status or "")
    else:
        return None
    sid = message_sid or call_sid
    # Without Twilio's token, a voice callback is identified by its call, status and sequence
    # number; a callback carrying neither has no id (it is never merged with another).
    sequence = text(params.get("SequenceNumber"))
    derived = f"twilio:{sid}:{status}:{sequence}" if sequence is not None else None
    event_id = header(headers, "I-Twilio-Idempotency-Token") or derived
    return Event(
        provider="twilio",
        event_type=event_type,
        provider_event_type=status,
        event_id=event_id,
        call_id=call_sid,
        message_id=message_sid,
        from_=text(params.get("From")),
        to=text(params.get("To")),
        direction=_direction(text(params.get("Direction"))),
        status=status,
        duration_seconds=seconds(params.get("CallDuration")),
        hangup_cause=text(params.get("SipResponseCode")),
        error_code=text(params.get("ErrorCode")),
        recording_url=text(params.get("RecordingUrl")),
        occurred_at=_timestamp(text(params.get("Timestamp"))),
    )
