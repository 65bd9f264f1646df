"""LiveKit webhook events (``application/webhook+json``) as events.

Sources: LiveKit's documented WebhookEvent (``event``: room_started, room_finished,
participant_joined, participant_left, track_published, egress_ended...; ``id``;
``createdAt`` in Unix seconds; ``room.sid``, ``room.name``, ``room.creationTime``;
``participant.identity`` and ``participant.attributes`` with ``sip.phoneNumber`` and
``sip.trunkPhoneNumber`` for SIP participants; ``egressInfo.fileResults[].location``). A room
is the call: its sid is the call id.
"""

from __future__ import annotations

from collections.abc import Sequence

from telcli.webhooks._common import label_json
from telcli.webhooks.events import Event, Header, between, dig, epoch_time, text

EVENTS = {
    "room_started": "room.started",
    "participant_joined": "participant.joined",
    "participant_left": "participant.left",
    "room_finished": "call.completed",
    "egress_ended": "recording.ended",
}


def normalize(headers: Sequence[Header], body: bytes, url: str = "") -> Event | None:
    data = label_json(body)
    kind = text(dig(data, "event"))
    if kind is None:
        return None
    attributes = dig(data, "participant", "attributes")
    caller = text(dig(attributes, "sip.phoneNumber"))
    trunk = text(dig(attributes, "sip.trunkPhoneNumber"))
    occurred = epoch_time(dig(data, "createdAt"))
    started = epoch_time(dig(data, "room", "creationTime"))
    files = dig(data, "egressInfo", "fileResults")
    recording = text(dig(files[0], "location")) if isinstance(files, list) and files else None
    return Event(
        provider="livekit",
        event_type=EVENTS.get(kind),
        provider_event_type=kind,
        event_id=text(dig(data, "id")),
        call_id=text(dig(data, "room", "sid")) or text(dig(data, "egressInfo", "roomId")),
        from_=caller,
        to=trunk,
        direction="inbound" if caller else None,
        status=kind,
        duration_seconds=between(started, occurred) if kind == "room_finished" else None,
        recording_url=recording,
        occurred_at=occurred,
    )
