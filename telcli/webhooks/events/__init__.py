"""What a captured webhook means: one event record for every provider (pure functions, no I/O).

Each provider module maps its own payload onto :class:`Event`, in a table near the top of the
module that cites where the fields come from. The common ``event_type`` vocabulary:

    call.initiated  call.ringing  call.answered  call.forwarding  call.machine-detection
    call.completed  call.busy  call.no-answer  call.failed  call.canceled      (terminal)
    message.queued  message.sent  message.delivered  message.undelivered  message.failed
    message.received  message.canceled  message.unconfirmed (final, but no delivery receipt)
    room.started  participant.joined  participant.left  recording.ended      (LiveKit)

``provider_event_type`` keeps the provider's own word (``CallStatus=in-progress``,
``call.hangup``, ``status-update``). ``event_id`` is what makes a delivery the same event when
it arrives twice (through ``webhook listen``, ``pull`` and ``import``): Telnyx ``data.id``,
Twilio ``I-Twilio-Idempotency-Token`` (else ``twilio:SID:STATUS:SEQUENCE`` when
the callback has a SequenceNumber), LiveKit ``id``,
VAPI ``vapi:CALL:TYPE:STATUS:TIMESTAMP``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

Header = tuple[str, str]

TERMINAL_CALL = frozenset(
    {"call.completed", "call.busy", "call.no-answer", "call.failed", "call.canceled"}
)
TERMINAL_MESSAGE = frozenset(
    {
        "message.delivered",
        "message.undelivered",
        "message.failed",
        "message.canceled",
        "message.unconfirmed",
    }
)
# Metadata a test attached to its request comes back with this prefix in Twilio's callback
# URL query (``meta_run=42``), and as JSON in Telnyx's ``client_state``.
META_PREFIX = "meta_"


@dataclass(frozen=True, slots=True)
class Event:
    provider: str
    event_type: str | None
    provider_event_type: str | None = None
    event_id: str | None = None
    call_id: str | None = None
    message_id: str | None = None
    from_: str | None = None
    to: str | None = None
    direction: str | None = None  # inbound | outbound
    status: str | None = None  # the provider's status word, as sent
    duration_seconds: int | None = None
    hangup_cause: str | None = None
    error_code: str | None = None
    recording_url: str | None = None
    occurred_at: str | None = None  # UTC, milliseconds, ...sssZ
    tenant: str | None = None
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.event_type in TERMINAL_CALL or self.event_type in TERMINAL_MESSAGE

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "provider_event_type": self.provider_event_type,
            "call_id": self.call_id,
            "message_id": self.message_id,
            "from": self.from_,
            "to": self.to,
            "direction": self.direction,
            "status": self.status,
            "duration_seconds": self.duration_seconds,
            "hangup_cause": self.hangup_cause,
            "error_code": self.error_code,
            "recording_url": self.recording_url,
            "occurred_at": self.occurred_at,
            "tenant": self.tenant,
            "meta": dict(self.meta),
        }


def normalize(
    provider: str | None, headers: Sequence[Header], body: bytes, url: str = ""
) -> Event | None:
    """The event a captured delivery reports, or None when it is not one telcli understands
    (an unknown provider, a body that is not the provider's payload). Never raises."""
    from telcli.webhooks.events import livekit, telnyx, twilio, vapi

    module = {"twilio": twilio, "telnyx": telnyx, "vapi": vapi, "livekit": livekit}.get(
        provider or ""
    )
    if module is None:
        return None
    try:
        event = module.normalize(headers, body, url)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError):
        return None  # a payload of the right provider but an unexpected shape
    if event is None:
        return None
    from_url = url_meta(url)
    return replace(event, meta={**from_url, **event.meta}) if from_url else event


def url_meta(url: str) -> dict[str, str]:
    """``meta_KEY=VALUE`` pairs of the URL a delivery was sent to: test metadata that rode in
    the status-callback URL (Twilio signs it with the rest of the URL)."""
    from urllib.parse import parse_qsl, urlsplit

    try:
        query = urlsplit(url).query
    except ValueError:
        return {}
    return {
        key[len(META_PREFIX) :]: value
        for key, value in parse_qsl(query, keep_blank_values=True)
        if key.startswith(META_PREFIX) and len(key) > len(META_PREFIX)
    }


# -- helpers shared by the provider modules -------------------------------------------------------


def header(headers: Sequence[Header], name: str) -> str | None:
    low = name.lower()
    return next((v for k, v in headers if k.lower() == low), None)


def text(value: Any) -> str | None:
    """A scalar as text (numbers too); None for missing, empty or structured values."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        out = str(value).strip()
        return out or None
    return None


def dig(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def seconds(value: Any) -> int | None:
    """A whole, non-negative number of seconds from a number or numeric text."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not 0 <= number < 10**9:  # also false for NaN
        return None
    return int(number)


def utc_iso(when: datetime) -> str:
    """UTC with milliseconds (``...T10:00:05.250Z``), like every webhook time telcli keeps: a
    duration from two events' times (Telnyx reports none) must not move by up to a second at
    the outcome thresholds, and events within one second keep their order."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_time(value: Any) -> str | None:
    """An ISO-8601 time (any offset; naive means UTC) as UTC ``...sssZ`` (utc_iso)."""
    raw = text(value)
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return utc_iso(when if when.tzinfo else when.replace(tzinfo=UTC))


def epoch_time(value: Any, *, millis: bool = False) -> str | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if millis:
        number /= 1000
    if not 0 < number < 2**34:
        return None
    return utc_iso(datetime.fromtimestamp(number, UTC))


def between(start: str | None, end: str | None) -> int | None:
    """Whole seconds from one ``...Z`` time to another; None when either is unknown."""
    if start is None or end is None:
        return None
    a = datetime.fromisoformat(start.replace("Z", "+00:00"))
    b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    return max(0, int((b - a).total_seconds()))
