"""What happened to each call and message, from its webhook events (``webhook outcomes``), and
the one classification ``test call`` shares with it.

A call's class depends only on its final facts, never on the order events arrived in or on
duplicates: the terminal event (the latest by ``occurred_at``, ties broken by event type and
id), the longest duration any event reports (else answered-to-terminal from the events'
times), and the hangup cause. With the default thresholds (those of the call-outcomes system):

    answered and lasted >= 10 s         completed
    answered and lasted 3 s to < 10 s   no-answer   (voicemail, a hang-up on greeting)
    answered and lasted < 3 s           failed
    busy / no-answer / canceled         as reported
    failed                              failed, with the provider's reason

A call with no terminal event yet, or answered with no way to tell for how long, is unsettled
(``outcome_class`` null; ``webhook outcomes`` exits 7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CALL_CLASSES = ("completed", "no-answer", "busy", "failed", "canceled")
MESSAGE_CLASSES = ("delivered", "undelivered", "failed", "canceled", "unconfirmed")
_TERMINAL_CALL = {
    "call.completed": "completed",
    "call.busy": "busy",
    "call.no-answer": "no-answer",
    "call.failed": "failed",
    "call.canceled": "canceled",
}
_TERMINAL_MESSAGE = {
    "message.delivered": "delivered",
    "message.undelivered": "undelivered",
    "message.failed": "failed",
    "message.canceled": "canceled",
    "message.unconfirmed": "unconfirmed",  # final without a delivery receipt (Telnyx)
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    answered_min_seconds: int = 10
    failed_below_seconds: int = 3

    def __post_init__(self) -> None:
        if not 0 <= self.failed_below_seconds <= self.answered_min_seconds:
            raise ValueError("failed_below_seconds must be between 0 and answered_min_seconds")


def classify_call(
    final: str, duration: int | None, thresholds: Thresholds, *, reason: str | None = None
) -> tuple[str | None, str | None]:
    """(class, reason) for a call whose terminal status is ``final`` (completed, busy,
    no-answer, failed, canceled); class None when an answered call's duration is unknown."""
    if final != "completed":
        return final, reason
    if duration is None:
        return None, "answered, but how long it lasted is not known yet"
    if duration < thresholds.failed_below_seconds:
        return "failed", f"answered for {duration}s, under {thresholds.failed_below_seconds}s"
    if duration < thresholds.answered_min_seconds:
        return "no-answer", f"answered for {duration}s, under {thresholds.answered_min_seconds}s"
    return "completed", reason


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str  # call | message
    id: str
    provider: str
    outcome_class: str | None
    reason: str | None
    duration_seconds: int | None
    events: int
    complete: bool
    final_event: str | None
    from_: str | None = None
    to: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    tenant: str | None = None
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def settled(self) -> bool:
        return self.outcome_class is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "provider": self.provider,
            "outcome_class": self.outcome_class,
            "reason": self.reason,
            "duration_seconds": self.duration_seconds,
            "events": self.events,
            "complete": self.complete,
            "final_event": self.final_event,
            "from": self.from_,
            "to": self.to,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "tenant": self.tenant,
            "meta": dict(self.meta),
        }


def _key(event: Mapping[str, Any]) -> tuple[str, str, str]:
    return (
        str(event.get("occurred_at") or ""),
        str(event.get("event_type") or ""),
        str(event.get("event_id") or ""),
    )


def _seconds_between(start: str, end: str) -> int:
    a = datetime.fromisoformat(start.replace("Z", "+00:00"))
    b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    return max(0, int((b - a).total_seconds()))


# The fields an outcome takes from the first event that has them.
_FIRST_OF = ("call_id", "message_id", "from", "to", "tenant")


def outcome_of(events: Iterable[Mapping[str, Any]], thresholds: Thresholds) -> Outcome | None:
    """The outcome of one call or message from its events (normalised records, in any order,
    duplicates allowed); None when none of them names a call or message."""
    unique = {e.get("event_id") or repr(sorted(e.items())): e for e in events}
    ordered = sorted(unique.values(), key=_key)
    if not ordered:
        return None
    # One pass (`webhook outcomes` runs this for every call in the store): the first value
    # of each field, every time, every reported duration, the merged meta.
    first: dict[str, Any] = {}
    times: list[str] = []
    reported: list[int] = []
    meta: dict[str, str] = {}
    for e in ordered:
        for name in _FIRST_OF:
            if name not in first and e.get(name):
                first[name] = e[name]
        if e.get("occurred_at"):
            times.append(e["occurred_at"])
        if e.get("duration_seconds") is not None:
            reported.append(e["duration_seconds"])
        if e.get("meta"):
            meta.update(e["meta"])
    call_id, message_id = first.get("call_id"), first.get("message_id")
    if call_id is None and message_id is None:
        return None
    kind = "message" if message_id is not None and call_id is None else "call"
    table = _TERMINAL_MESSAGE if kind == "message" else _TERMINAL_CALL
    final = next((e for e in reversed(ordered) if e.get("event_type") in table), None)
    common = {
        "kind": kind,
        "id": str(call_id or message_id),
        "provider": str(ordered[0].get("provider") or ""),
        "events": len(ordered),
        "from_": first.get("from"),
        "to": first.get("to"),
        "started_at": times[0] if times else None,
        "ended_at": final.get("occurred_at") if final else None,
        "tenant": first.get("tenant"),
        "meta": meta,
    }
    if final is None:
        last = ordered[-1].get("event_type") or ordered[-1].get("provider_event_type")
        return Outcome(
            outcome_class=None,
            reason=f"no final event yet (last: {last})",
            duration_seconds=None,
            complete=False,
            final_event=None,
            **common,
        )
    why = final.get("hangup_cause") or final.get("error_code") or None
    if kind == "message":
        return Outcome(
            outcome_class=table[final["event_type"]],
            reason=why,
            duration_seconds=None,
            complete=True,
            final_event=final["event_type"],
            **common,
        )
    duration = max(reported) if reported else None
    if duration is None:
        answered = [e for e in ordered if e.get("event_type") == "call.answered"]
        if answered and answered[0].get("occurred_at") and final.get("occurred_at"):
            duration = _seconds_between(answered[0]["occurred_at"], final["occurred_at"])
    status = table[final["event_type"]]
    outcome_class, reason = classify_call(status, duration, thresholds, reason=why)
    return Outcome(
        outcome_class=outcome_class,
        reason=reason,
        duration_seconds=duration,
        complete=outcome_class is not None,
        final_event=final["event_type"],
        **common,
    )


def outcomes(events: Iterable[Mapping[str, Any]], thresholds: Thresholds) -> list[Outcome]:
    """One outcome per call and message among ``events`` (grouped by call or message id),
    oldest first."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        key = event.get("call_id") or event.get("message_id")
        if key:
            groups.setdefault(str(key), []).append(event)
    found = [o for o in (outcome_of(g, thresholds) for g in groups.values()) if o is not None]
    return sorted(found, key=lambda o: (o.started_at or "", o.id))


def _group(event: Mapping[str, Any]) -> str | None:
    key = event.get("call_id") or event.get("message_id")
    return None if key is None else str(key)


def from_store(store: Any, flt: Any, thresholds: Thresholds) -> list[Outcome]:
    """The outcomes of the calls and messages with an event matching ``flt`` (a CaptureFilter),
    newest ``flt.limit`` of them. All events of those calls count, also those outside the
    filter (before --since, a status not asked for): a call's class must not depend on where
    a filter cut its events."""
    from dataclasses import replace

    from telcli.services.webhooks import normalize_stored

    normalize_stored(store)
    matching = list(store.iter_events(replace(flt, limit=None)))
    if flt.since or flt.number or flt.status or flt.event_type or flt.source or flt.sid:
        wanted = {_group(e) for e in matching} - {None}
        everything = store.iter_events(type(flt)(provider=flt.provider, call=flt.call))
        matching = [e for e in everything if _group(e) in wanted]
    found = outcomes(matching, thresholds)
    return found[-flt.limit :] if flt.limit else found
