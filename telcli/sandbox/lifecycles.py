"""Message and call lifecycles in the sandbox: Twilio Messages/Calls (2010-04-01) and Telnyx
SendMessage/GetMessage/DialCall/RetrieveCallStatus, with signed status callbacks.

A message or call gets its whole timeline when it is created, from its destination (the magic
numbers below); each fetch reports the step reached by the time elapsed since. Time runs at
``TELCLI_SANDBOX_SPEED`` times real time (default 1: a message is delivered after 3 s, a call
completes after 8 s); the module-level :data:`clock` is injectable for tests.

Magic destinations (``To``), in the spirit of Twilio's test credentials:

==============  ===========================================  ==========================
number          SMS                                          call
==============  ===========================================  ==========================
+15005550001    rejected at send: invalid To (21211/40310)    rejected: invalid To
+15005550002    failed (30006 landline or unreachable)        failed
+15005550003    undelivered (30003 unreachable handset)       busy
+15005550004    sent, never a delivery receipt                no-answer
+15005550005    stays queued (outcome never known)            rings forever
+15005550007    delivered                                     canceled
+15005550008    delivered                                     completed after 1 s
anything else   delivered after about 3 s                     completed, 5 s long
==============  ===========================================  ==========================

``From`` must be a number the emulated account owns (buy one first), or ``+15005550006``,
which every sandbox account may send and call from (Twilio's magic test From number).

Operation names for the fault injector: ``twilio.messages.create``, ``twilio.messages.fetch``,
``twilio.messages.list``, ``twilio.calls.create``, ``twilio.calls.fetch``,
``twilio.calls.list``, ``telnyx.messages.send``, ``telnyx.messages.fetch``,
``telnyx.calls.dial``, ``telnyx.calls.fetch``, ``telnyx.call_events.list``,
``vapi.calls.create``, ``vapi.calls.fetch``, ``vapi.calls.list``, ``vapi.calls.control``.
"""

from __future__ import annotations

import base64
import json
import math
import os
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from telcli import envvars
from telcli.sandbox import VAPI_CONTROL_HOST, callbacks
from telcli.sandbox import telnyx as tx
from telcli.sandbox import twilio as tw
from telcli.sandbox.state import SandboxState
from telcli.sandbox.wire import Api, ApiError, Request, Response, json_response, route

SPEED_ENV = envvars.TELCLI_SANDBOX_SPEED
MAGIC_FROM = "+15005550006"
# Injectable wall clock (seconds since the epoch): the timelines are stored in these units.
clock: Callable[[], float] = time.time

# Sandbox list prices, USD: Twilio US SMS per segment, per started minute of an outbound call;
# Telnyx per message part.
TWILIO_SMS_PRICE = "0.00790"
TWILIO_CALL_PRICE = "0.01400"
TELNYX_SMS_PRICE = "0.00400"


@dataclass(frozen=True)
class Outcome:
    """One scripted lifecycle: ``steps`` are (nominal seconds after creation, status)."""

    steps: tuple[tuple[float, str], ...]
    twilio_error: tuple[int, str] | None = None
    telnyx_error: tuple[str, str] | None = None
    duration: int = 0  # calls: seconds answered
    rejected: bool = False

    @property
    def final(self) -> str:
        return self.steps[-1][1]


_INVALID_TO = Outcome(((0.0, "rejected"),), rejected=True)
MESSAGE_DELIVERED = Outcome(((0, "queued"), (0.4, "sending"), (1.2, "sent"), (3.0, "delivered")))
MESSAGE_OUTCOMES: dict[str, Outcome] = {
    "+15005550001": _INVALID_TO,
    "+15005550002": Outcome(
        ((0, "queued"), (0.4, "sending"), (1.0, "failed")),
        (30006, "Landline or unreachable carrier"),
        ("40001", "Not routable: the destination is a landline or cannot receive SMS"),
    ),
    "+15005550003": Outcome(
        ((0, "queued"), (0.4, "sending"), (1.2, "sent"), (4.0, "undelivered")),
        (30003, "Unreachable destination handset"),
        ("40008", "Undeliverable: the handset is unreachable"),
    ),
    "+15005550004": Outcome(((0, "queued"), (0.4, "sending"), (1.2, "sent"))),
    "+15005550005": Outcome(((0, "queued"),)),
}
CALL_COMPLETED = Outcome(
    ((0, "queued"), (1.0, "ringing"), (3.0, "in-progress"), (8.0, "completed")), duration=5
)
CALL_OUTCOMES: dict[str, Outcome] = {
    "+15005550001": _INVALID_TO,
    "+15005550002": Outcome(((0, "queued"), (1.0, "failed"))),
    "+15005550003": Outcome(((0, "queued"), (1.0, "ringing"), (2.5, "busy"))),
    "+15005550004": Outcome(((0, "queued"), (1.0, "ringing"), (7.0, "no-answer"))),
    "+15005550005": Outcome(((0, "queued"), (1.0, "ringing"))),
    "+15005550007": Outcome(((0, "queued"), (1.0, "ringing"), (2.0, "canceled"))),
    "+15005550008": Outcome(
        ((0, "queued"), (1.0, "ringing"), (3.0, "in-progress"), (4.0, "completed")), duration=1
    ),
}
_TELNYX_MESSAGE_STATUS = {
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "delivery_failed",
    "failed": "sending_failed",
}
_HANGUP_CAUSE = {
    "completed": "normal_clearing",
    "busy": "user_busy",
    "no-answer": "timeout",
    "failed": "call_rejected",
    "canceled": "originator_cancel",
}
_FINAL = {"delivered", "undelivered", "failed", "completed", "busy", "no-answer", "canceled"}


def speed() -> float:
    try:
        value = float(os.environ.get(SPEED_ENV) or 1.0)
    except ValueError:
        return 1.0
    return value if 0 < value < math.inf else 1.0  # nan and inf too


# -- storage: one table in the sandbox's SQLite file ----------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS activity (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL,
    kind     TEXT NOT NULL,
    id       TEXT NOT NULL,
    created  REAL NOT NULL,
    speed    REAL NOT NULL,
    data     TEXT NOT NULL,
    UNIQUE (provider, kind, id)
)
"""


@contextmanager
def _db(state: SandboxState) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(state.db_path, isolation_level=None, timeout=10)
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute(_SCHEMA)
        yield conn
    finally:
        conn.close()


@dataclass(frozen=True)
class Activity:
    provider: str
    kind: str  # "message" | "call"
    id: str
    created: float
    speed: float
    data: dict[str, Any]

    @property
    def outcome(self) -> Outcome:
        table = MESSAGE_OUTCOMES if self.kind == "message" else CALL_OUTCOMES
        default = MESSAGE_DELIVERED if self.kind == "message" else CALL_COMPLETED
        scripted = table.get(self.data["to"], default)
        ended = self.data.get("ended")  # [nominal offset, status]: hung up by the API
        if not ended:
            return scripted
        at, status = float(ended[0]), str(ended[1])
        answered = next((o for o, s in scripted.steps if s == "in-progress"), None)
        lasted = int(at - answered) if status == "completed" and answered is not None else 0
        steps = (*(s for s in scripted.steps if s[0] < at), (at, status))
        return replace(scripted, steps=steps, duration=lasted)

    def step_at(self, now: float) -> tuple[float, str]:
        """The (nominal offset, status) reached at ``now``."""
        elapsed = (now - self.created) * self.speed
        reached = [s for s in self.outcome.steps if s[0] <= elapsed]
        return reached[-1] if reached else self.outcome.steps[0]

    def at(self, offset: float) -> float:
        """Wall-clock time of a nominal offset."""
        return self.created + offset / self.speed


def _telnyx_log(state: SandboxState) -> Callable[[callbacks.Delivery], None]:
    """Keep each Telnyx callback in the account's webhook delivery log (GetWebhookDeliveries),
    as Telnyx does, so `telcli --sandbox webhook pull` finds what the sandbox sent."""
    from telcli.sandbox.webhook_deliveries import record_delivery

    def record(d: callbacks.Delivery) -> None:
        record_delivery(
            state,
            event=json.loads(d.body)["data"],
            url=d.url,
            request_headers=list(d.headers.items()),
            status=d.status,
            response_body=d.response_body,
            started_at=d.started_at,
            finished_at=d.finished_at,
            error=d.error,
        )

    return record


def _save(state: SandboxState, activity: Activity) -> None:
    with _db(state) as conn:
        conn.execute(
            "INSERT INTO activity (provider, kind, id, created, speed, data)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                activity.provider,
                activity.kind,
                activity.id,
                activity.created,
                activity.speed,
                json.dumps(activity.data),
            ),
        )


def _load(state: SandboxState, provider: str, kind: str, id_: str) -> Activity | None:
    with _db(state) as conn:
        row = conn.execute(
            "SELECT created, speed, data FROM activity WHERE provider = ? AND kind = ? AND id = ?",
            (provider, kind, id_),
        ).fetchone()
    if row is None:
        return None
    return Activity(provider, kind, id_, row[0], row[1], json.loads(row[2]))


def _all(state: SandboxState, provider: str, kind: str) -> list[Activity]:
    with _db(state) as conn:
        rows = conn.execute(
            "SELECT id, created, speed, data FROM activity WHERE provider = ? AND kind = ?"
            " ORDER BY seq DESC",
            (provider, kind),
        ).fetchall()
    return [Activity(provider, kind, r[0], r[1], r[2], json.loads(r[3])) for r in rows]


def _end(state: SandboxState, a: Activity, status: str, now: float) -> Activity:
    """Hang up ``a`` at ``now``: its lifecycle ends there with ``status`` (the API's hang-up
    request), and the scripted steps after that point never happen."""
    offset = max(0.0, (now - a.created) * a.speed)
    ended = replace(a, data={**a.data, "ended": [offset, status]})
    with _db(state) as conn:
        conn.execute(
            "UPDATE activity SET data = ? WHERE provider = ? AND kind = ? AND id = ?",
            (json.dumps(ended.data), a.provider, a.kind, a.id),
        )
    return ended


def _superseded(state: SandboxState, a: Activity, offset: float) -> bool:
    """Whether a scripted callback at ``offset`` no longer happens: the call was hung up
    before it (the hang-up sent its own final callback)."""
    now = _load(state, a.provider, a.kind, a.id)
    ended = now.data.get("ended") if now is not None else None
    return bool(ended) and offset >= float(ended[0])


def _new(provider: str, kind: str, id_: str, data: dict[str, Any]) -> Activity:
    return Activity(provider, kind, id_, clock(), speed(), data)


def _owns(state: SandboxState, provider: str, number: str) -> bool:
    return number == MAGIC_FROM or _owned(state, provider, number) is not None


def _owned(state: SandboxState, provider: str, number: str) -> dict[str, Any] | None:
    return next((r for r in state.list_numbers(provider) if r.get("phone_number") == number), None)


def _texts(state: SandboxState, provider: str, number: str) -> bool:
    """Whether an owned number (or the magic From) can send SMS: Twilio's capabilities.sms,
    the Telnyx number's features (kept beside the resource in the sandbox)."""
    record = _owned(state, provider, number)
    if record is None:
        return number == MAGIC_FROM
    if provider == tw.PROVIDER:
        return bool((record.get("capabilities") or {}).get("sms"))
    return "sms" in (record.get(tx._INTERNAL) or {}).get("capabilities", ())


def _rfc2822(when: float) -> str:
    return format_datetime(datetime.fromtimestamp(int(when), UTC))


def _iso(when: float) -> str:
    stamp = datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def _hex_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


# -- Twilio Messages --------------------------------------------------------------------------


def _twilio_message(a: Activity, now: float) -> dict[str, Any]:
    offset, status = a.step_at(now)
    d = a.data
    sent = status in ("sent", "delivered", "undelivered")
    error = a.outcome.twilio_error if status in ("failed", "undelivered") else None
    path = tw._account_path(f"/Messages/{a.id}")
    return {
        "account_sid": tw.ACCOUNT_SID,
        "api_version": tw.API_VERSION,
        "body": d["body"],
        "date_created": _rfc2822(a.created),
        "date_sent": _rfc2822(a.at(1.2)) if sent else None,
        "date_updated": _rfc2822(a.at(offset)),
        "direction": "outbound-api",
        "error_code": error[0] if error else None,
        "error_message": error[1] if error else None,
        "from": d["from"],
        "messaging_service_sid": None,
        "num_media": str(len(d.get("media") or [])),
        "num_segments": str(d["segments"]),
        "price": f"-{_times(TWILIO_SMS_PRICE, d['segments'])}" if sent else None,
        "price_unit": "USD",
        "sid": a.id,
        "status": status,
        "subresource_uris": {"media": path + "/Media.json"},
        "to": d["to"],
        "uri": path + ".json",
    }


def _times(price: str, count: int) -> str:
    from decimal import Decimal

    return format(Decimal(price) * count, "f")


def _twilio_callbacks(
    a: Activity,
    build: Callable[[str], list[tuple[str, str]] | None],
    state: SandboxState | None = None,
) -> None:
    """Schedule ``a``'s status callbacks; with ``state``, one the API hung up first is not
    sent (a call: :func:`_superseded`)."""
    url = a.data.get("callback")
    if not url:
        return
    steps = []
    for offset, status in a.outcome.steps[1:]:

        def make(
            status: str = status, offset: float = offset
        ) -> tuple[str, bytes, dict[str, str]] | None:
            if state is not None and _superseded(state, a, offset):
                return None
            params = build(status)
            if params is None:
                return None
            body, headers = callbacks.twilio_request(url, params)
            return url, body, headers

        steps.append((offset / a.speed, make))
    callbacks.schedule(a.created, steps, clock=clock)


def twilio_message_create(
    state: SandboxState, request: Request, params: dict[str, str]
) -> Response:
    """CreateMessage: To, From, Body and/or MediaUrl, StatusCallback. 201 with status queued."""
    from telcli.segments import analyze

    form = request.form_items
    fields = dict(form)
    to, from_ = fields.get("To", ""), fields.get("From", "")
    body = fields.get("Body", "")
    media = [v for k, v in form if k == "MediaUrl"]
    if not to:
        raise ApiError(tw.error(400, 21604, "A 'To' phone number is required."))
    if not from_:
        raise ApiError(tw.error(400, 21603, "A 'From' phone number is required."))
    if not body and not media:
        raise ApiError(tw.error(400, 21602, "Message body is required."))
    if MESSAGE_OUTCOMES.get(to) is _INVALID_TO:
        raise ApiError(tw.error(400, 21211, f"Invalid 'To' Phone Number: {to}"))
    if not _texts(state, tw.PROVIDER, from_):
        # Twilio's answer both for a number the account does not own and for one without
        # SMS (a voice-only landline): 21606.
        raise ApiError(
            tw.error(
                400,
                21606,
                f"The From phone number {from_} is not a valid, SMS-capable inbound phone"
                " number or short code for your account.",
            )
        )
    data = {
        "to": to,
        "from": from_,
        "body": body,
        "media": media,
        "segments": analyze(body).segments,
        "callback": fields.get("StatusCallback") or None,
    }
    a = _new(tw.PROVIDER, "message", _hex_sid("SM"), data)
    _save(state, a)

    def params_for(status: str) -> list[tuple[str, str]]:
        # The form Twilio posts to a message's StatusCallback.
        out = [
            ("AccountSid", tw.ACCOUNT_SID),
            ("ApiVersion", tw.API_VERSION),
            ("From", from_),
            ("MessageSid", a.id),
            ("MessageStatus", status),
            ("SmsSid", a.id),
            ("SmsStatus", status),
            ("To", to),
        ]
        error = a.outcome.twilio_error
        if error and status in ("failed", "undelivered"):
            out.append(("ErrorCode", str(error[0])))
        return out

    _twilio_callbacks(a, params_for)
    return json_response(201, _twilio_message(a, clock()))


def twilio_message_fetch(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """FetchMessage."""
    a = _load(state, tw.PROVIDER, "message", params["sid"])
    if a is None:
        return tw.not_found(request)
    return json_response(200, _twilio_message(a, clock()))


def _twilio_list(request: Request, key: str, items: list[dict[str, Any]], path: str) -> Response:
    q = {k.lower(): v for k, v in request.query_items}
    if q.get("to"):
        items = [i for i in items if i["to"] == tw._normalize_number(q["to"])]
    if q.get("from"):
        items = [i for i in items if i["from"] == tw._normalize_number(q["from"])]
    size = tw._int("PageSize", q.get("pagesize"), 50, 1, 1000)
    chunk = items[:size]
    uri = f"{path}?PageSize={size}&Page=0"
    return json_response(
        200,
        {
            key: chunk,
            "end": max(len(chunk) - 1, 0),
            "first_page_uri": uri,
            "next_page_uri": None,
            "page": 0,
            "page_size": size,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        },
    )


def twilio_message_list(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListMessage (To/From filters; newest first; one page)."""
    now = clock()
    items = [_twilio_message(a, now) for a in _all(state, tw.PROVIDER, "message")]
    return _twilio_list(request, "messages", items, tw._account_path("/Messages.json"))


# -- Twilio Calls -----------------------------------------------------------------------------


def _twilio_call(a: Activity, now: float) -> dict[str, Any]:
    offset, status = a.step_at(now)
    d = a.data
    answered_at = next((o for o, s in a.outcome.steps if s == "in-progress"), None)
    ended = status in _FINAL
    duration = a.outcome.duration if ended and status == "completed" else 0
    path = tw._account_path(f"/Calls/{a.id}")
    minutes = math.ceil(duration / 60)
    return {
        "account_sid": tw.ACCOUNT_SID,
        "answered_by": None,
        "api_version": tw.API_VERSION,
        "caller_name": None,
        "date_created": _rfc2822(a.created),
        "date_updated": _rfc2822(a.at(offset)),
        "direction": "outbound-api",
        "duration": str(duration) if ended else None,
        "end_time": _rfc2822(a.at(offset)) if ended else None,
        "forwarded_from": None,
        "from": d["from"],
        "from_formatted": d["from"],
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": d.get("from_sid"),
        # Calls that never connect cost nothing; Twilio leaves their price empty.
        "price": f"-{_times(TWILIO_CALL_PRICE, minutes)}" if ended and minutes else None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": a.id,
        "start_time": _rfc2822(a.at(answered_at))
        if answered_at is not None and (offset >= answered_at)
        else None,
        "status": status,
        "subresource_uris": {"recordings": path + "/Recordings.json"},
        "to": d["to"],
        "to_formatted": d["to"],
        "trunk_sid": None,
        "uri": path + ".json",
    }


# Twilio's StatusCallbackEvent names per call status.
_CALL_EVENT = {
    "queued": "initiated",
    "ringing": "ringing",
    "in-progress": "answered",
    **{s: "completed" for s in ("completed", "busy", "no-answer", "failed", "canceled")},
}


def twilio_call_create(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """CreateCall: To, From, Url or Twiml, StatusCallback(+Event), Timeout, TimeLimit."""
    form = request.form_items
    fields = dict(form)
    to, from_ = fields.get("To", ""), fields.get("From", "")
    if not to:
        raise ApiError(tw.error(400, 21201, "No 'To' number is specified"))
    if not from_:
        raise ApiError(tw.error(400, 21213, "No 'From' number is specified"))
    if not (fields.get("Url") or fields.get("Twiml") or fields.get("ApplicationSid")):
        raise ApiError(tw.error(400, 21205, "Either Url, Twiml or ApplicationSid is required"))
    if CALL_OUTCOMES.get(to) is _INVALID_TO:
        raise ApiError(tw.error(400, 21211, f"Invalid 'To' Phone Number: {to}"))
    if not _owns(state, tw.PROVIDER, from_):
        raise ApiError(tw.error(400, 21210, f"The source phone number {from_} is not verified"))
    events = [v for k, v in form if k == "StatusCallbackEvent"] or ["completed"]
    owned = [r for r in state.list_numbers(tw.PROVIDER) if r.get("phone_number") == from_]
    data = {
        "to": to,
        "from": from_,
        "from_sid": owned[0]["sid"] if owned else None,
        "callback": fields.get("StatusCallback") or None,
        "events": events,
    }
    a = _new(tw.PROVIDER, "call", _hex_sid("CA"), data)
    _save(state, a)
    sequence = iter(range(1000))

    def params_for(status: str) -> list[tuple[str, str]] | None:
        return _twilio_call_params(a, status, sequence)

    _twilio_callbacks(a, params_for, state)
    return json_response(201, _twilio_call(a, clock()))


def _twilio_call_params(
    a: Activity, status: str, sequence: Iterator[int]
) -> list[tuple[str, str]] | None:
    """The form Twilio posts to a call's StatusCallback for ``status`` (None when the call's
    StatusCallbackEvent list leaves that event out)."""
    d = a.data
    if _CALL_EVENT[status] not in d["events"]:
        return None
    out = [
        ("AccountSid", tw.ACCOUNT_SID),
        ("ApiVersion", tw.API_VERSION),
        ("CallSid", a.id),
        ("CallStatus", status),
        ("CallbackSource", "call-progress-events"),
        ("Called", d["to"]),
        ("Caller", d["from"]),
        ("Direction", "outbound-api"),
        ("From", d["from"]),
        ("SequenceNumber", str(next(sequence))),
        ("Timestamp", _rfc2822(clock())),
        ("To", d["to"]),
    ]
    if status in _FINAL:
        duration = a.outcome.duration if status == "completed" else 0
        out += [("CallDuration", str(duration)), ("Duration", str(math.ceil(duration / 60)))]
    return out


def twilio_call_update(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """UpdateCall with Status: ``canceled`` ends a queued or ringing call (an answered one
    goes on, as at Twilio); ``completed`` hangs up whatever its state (a call not yet
    answered ends canceled). An ended call cannot be updated: 400 21220."""
    a = _load(state, tw.PROVIDER, "call", params["sid"])
    if a is None:
        return tw.not_found(request)
    wanted = dict(request.form_items).get("Status", "")
    if wanted not in ("canceled", "completed"):
        raise ApiError(tw.error(400, 21218, f"Invalid Status: {wanted or '(none)'}"))
    now = clock()
    _, status = a.step_at(now)
    if status in _FINAL:
        raise ApiError(tw.error(400, 21220, "Call is not in-progress. Cannot redirect."))
    answered = status == "in-progress"
    if wanted == "canceled" and answered:
        return json_response(200, _twilio_call(a, now))
    a = _end(state, a, "completed" if answered else "canceled", now)
    final = a.outcome.final
    if a.data.get("callback"):
        # Callbacks already sent, counted so the final one carries the next SequenceNumber.
        sent = sum(1 for o, st in a.outcome.steps[1:-1] if _CALL_EVENT[st] in a.data["events"])
        built = _twilio_call_params(a, final, iter(range(sent, 1000)))
        if built is not None:
            url = a.data["callback"]
            body, headers = callbacks.twilio_request(url, built)
            callbacks.schedule(now, [(0.0, lambda: (url, body, headers))], clock=clock)
    return json_response(200, _twilio_call(a, now))


def twilio_call_fetch(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """FetchCall."""
    a = _load(state, tw.PROVIDER, "call", params["sid"])
    if a is None:
        return tw.not_found(request)
    return json_response(200, _twilio_call(a, clock()))


def twilio_call_list(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListCall (To/From filters; newest first; one page)."""
    now = clock()
    items = [_twilio_call(a, now) for a in _all(state, tw.PROVIDER, "call")]
    return _twilio_list(request, "calls", items, tw._account_path("/Calls.json"))


# -- Telnyx messages --------------------------------------------------------------------------


def _telnyx_message(a: Activity, now: float) -> dict[str, Any]:
    offset, status = a.step_at(now)
    d = a.data
    raw = _TELNYX_MESSAGE_STATUS[status]
    if status == "sent" and offset == a.outcome.steps[-1][0] and (now - a.at(offset)) * a.speed > 3:
        raw = "delivery_unconfirmed"  # no receipt came: Telnyx finalizes as unconfirmed
    sent = status in ("sent", "delivered", "undelivered")
    error = a.outcome.telnyx_error if status in ("failed", "undelivered") else None
    final = raw in ("delivered", "delivery_failed", "sending_failed", "delivery_unconfirmed")
    record = {
        "record_type": "message",
        "direction": "outbound",
        "id": a.id,
        "type": "MMS" if d.get("media") else "SMS",
        "messaging_profile_id": d.get("messaging_profile_id"),
        "from": {"phone_number": d["from"], "carrier": "Telnyx", "line_type": "VoIP"},
        "to": [
            {
                "phone_number": d["to"],
                "status": raw,
                "carrier": "T-Mobile USA",
                "line_type": "Wireless",
            }
        ],
        "text": d["body"],
        "media": [
            {"url": u, "content_type": None, "sha256": None, "size": None}
            for u in d.get("media") or []
        ],
        "webhook_url": d.get("callback"),
        "webhook_failover_url": None,
        "encoding": d["encoding"],
        "parts": d["segments"],
        "tags": [],
        "cost": {"amount": _times(TELNYX_SMS_PRICE, d["segments"]), "currency": "USD"}
        if sent
        else None,
        "received_at": _iso(a.created),
        "sent_at": _iso(a.at(1.2)) if sent else None,
        "completed_at": _iso(a.at(offset)) if final else None,
        "valid_until": None,
        "errors": [{"code": error[0], "title": error[1].split(":")[0], "detail": error[1]}]
        if error
        else [],
    }
    if record["messaging_profile_id"] is None:
        del record["messaging_profile_id"]  # a string in the schema: absent, not null
    return record


def telnyx_message_send(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """SendMessage: from, to, text and/or media_urls, webhook_url."""
    from telcli.segments import analyze

    body = tx._body(request)
    to = tx._optional_string(body, "to") or ""
    from_ = tx._optional_string(body, "from") or ""
    text = tx._optional_string(body, "text") or ""
    media = tx._string_list(body, "media_urls") or []
    if not to:
        raise tx._bad_body("/to", "The 'to' parameter is required.", status=400)
    if not text and not media:
        raise tx._bad_body("/text", "Either 'text' or 'media_urls' is required.", status=400)
    if MESSAGE_OUTCOMES.get(to) is _INVALID_TO:
        raise ApiError(tx.error(400, "40310", "Invalid 'to' address", f"{to} is not routable."))
    if not from_ or not _owns(state, tx.PROVIDER, from_):
        raise ApiError(
            tx.error(
                400,
                "40305",
                "Invalid 'from' address",
                f"{from_ or 'from'} is not a number on your account with a messaging profile.",
                pointer="/from",
            )
        )
    if not _texts(state, tx.PROVIDER, from_):
        # messaging_Errors shape (code, title, detail, source.pointer); the spec lists no
        # codes, so the sandbox's "invalid from" code is kept, with the reason in detail.
        raise ApiError(
            tx.error(
                400,
                "40305",
                "Invalid 'from' address",
                f"{from_} cannot send SMS: the number has no SMS feature.",
                pointer="/from",
            )
        )
    info = analyze(text)
    data = {
        "to": to,
        "from": from_,
        "body": text,
        "media": media,
        "segments": info.segments,
        "encoding": "GSM-7" if info.encoding == "GSM-7" else "UCS-2",
        "callback": tx._optional_string(body, "webhook_url"),
        "messaging_profile_id": tx._optional_string(body, "messaging_profile_id"),
    }
    a = _new(tx.PROVIDER, "message", str(uuid.uuid4()), data)
    _save(state, a)
    url = str(data["callback"] or "")
    if url:
        steps = []
        for offset, status in a.outcome.steps[1:]:
            if status not in ("sent", *_FINAL):
                continue
            event = "message.sent" if status == "sent" else "message.finalized"

            def make(
                offset: float = offset, event: str = event
            ) -> tuple[str, bytes, dict[str, str]]:
                payload = _telnyx_message(a, a.at(offset) + 0.0001)
                body, headers = callbacks.telnyx_request(url, event, payload, meta=True)
                return url, body, headers

            steps.append((offset / a.speed, make))
        callbacks.schedule(a.created, steps, clock=clock, record=_telnyx_log(state))
    return json_response(200, {"data": _telnyx_message(a, clock())})


def telnyx_message_fetch(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """GetMessage."""
    a = _load(state, tx.PROVIDER, "message", params["id"])
    if a is None:
        return tx.not_found(request)
    return json_response(200, {"data": _telnyx_message(a, clock())})


# -- Telnyx calls -----------------------------------------------------------------------------


def _telnyx_call(a: Activity, now: float) -> dict[str, Any]:
    offset, status = a.step_at(now)
    d = a.data
    ended = status in _FINAL
    answered_at = next((o for o, s in a.outcome.steps if s == "in-progress"), None)
    record: dict[str, Any] = {
        "record_type": "call",
        "call_control_id": a.id,
        "call_leg_id": d["leg"],
        "call_session_id": d["session"],
        "is_alive": status == "in-progress",
    }
    if answered_at is not None and offset >= answered_at:
        record["start_time"] = _iso(a.at(answered_at))
    if ended:
        record["end_time"] = _iso(a.at(offset))
        record["call_duration"] = a.outcome.duration if status == "completed" else 0
    return record


_CALL_EVENTS = {"ringing": "call.initiated", "in-progress": "call.answered"}


def _call_event_name(status: str) -> str:
    return _CALL_EVENTS.get(status, "call.hangup" if status in _FINAL else "")


def _telnyx_call_payload(a: Activity, offset: float, status: str, event: str) -> dict[str, Any]:
    """The ``payload`` of a call.* webhook (CallInitiated, CallAnswered, CallHangup)."""
    d = a.data
    payload: dict[str, Any] = {
        "call_control_id": a.id,
        "call_leg_id": d["leg"],
        "call_session_id": d["session"],
        "client_state": d.get("client_state"),
        "connection_id": d["connection_id"],
        "from": d["from"],
        "to": d["to"],
        "direction": "outgoing",
        "state": {"call.initiated": "bridging", "call.answered": "answered"}.get(event, "hangup"),
    }
    if event == "call.hangup":
        payload["hangup_cause"] = _HANGUP_CAUSE[status]
        payload["hangup_source"] = "caller" if d.get("ended") else "callee"
        payload["end_time"] = _iso(a.at(offset))
    return payload


def telnyx_call_events(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """ListCallEvents: the call.* events each call has reached so far, oldest first, as
    CallEvent records (type ``webhook``; ``metadata.event`` is the webhook's ``data``, raw
    event as sent). filter[leg_id], filter[application_session_id], filter[name]; paged."""
    f = tx._deep_object(request.query_items).get("filter", {})
    f = f if isinstance(f, dict) else {}
    leg = tx._text(f.get("leg_id"), "filter[leg_id]")
    session = tx._text(f.get("application_session_id"), "filter[application_session_id]")
    name = tx._text(f.get("name"), "filter[name]")
    now = clock()
    events: list[dict[str, Any]] = []
    for a in reversed(_all(state, tx.PROVIDER, "call")):
        if (leg and a.data["leg"] != leg) or (session and a.data["session"] != session):
            continue
        reached, _ = a.step_at(now)
        for offset, status in a.outcome.steps[1:]:
            event = _call_event_name(status)
            if not event or offset > reached or (name and event != name):
                continue
            when = _iso(a.at(offset))
            raw = {
                "record_type": "event",
                "event_type": event,
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{a.id}/{event}")),
                "occurred_at": when,
                "payload": _telnyx_call_payload(a, offset, status, event),
            }
            events.append(
                {
                    "record_type": "call_event",
                    "call_leg_id": a.data["leg"],
                    "call_session_id": a.data["session"],
                    "event_timestamp": when,
                    "name": event,
                    "type": "webhook",
                    "metadata": {"event": raw},
                }
            )
    page, meta = tx._page(request, events)
    return json_response(200, {"data": page, "meta": meta})


def telnyx_call_dial(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """DialCall: connection_id, to, from required; webhook_url gets the call.* events."""
    body = tx._body(request)
    for key in ("connection_id", "to", "from"):
        if not tx._optional_string(body, key):
            raise tx._bad_body(f"/{key}", f"The '{key}' parameter is required.")
    to, from_ = body["to"], body["from"]
    if CALL_OUTCOMES.get(to) is _INVALID_TO:
        raise ApiError(
            tx.error(422, "90018", "Invalid destination", f"{to} is not a valid destination.")
        )
    if not _owns(state, tx.PROVIDER, from_):
        raise tx._bad_body("/from", f"{from_} is not a number on your account.")
    token = base64.urlsafe_b64encode(secrets.token_bytes(33)).decode()
    data = {
        "to": to,
        "from": from_,
        "connection_id": body["connection_id"],
        "leg": str(uuid.uuid4()),
        "session": str(uuid.uuid4()),
        "callback": tx._optional_string(body, "webhook_url"),
        # DialCall's client_state (base64) comes back in every event of the call.
        "client_state": tx._optional_string(body, "client_state"),
    }
    a = _new(tx.PROVIDER, "call", "v3:" + token, data)
    _save(state, a)
    url = str(data["callback"] or "")
    if url:
        steps = []
        for offset, status in a.outcome.steps[1:]:
            event = _call_event_name(status)
            if not event:
                continue

            def make(offset: float = offset, status: str = status, event: str = event) -> Any:
                if _superseded(state, a, offset):
                    return None
                payload = _telnyx_call_payload(a, offset, status, event)
                body, headers = callbacks.telnyx_request(url, event, payload, meta=False)
                return url, body, headers

            steps.append((offset / a.speed, make))
        callbacks.schedule(a.created, steps, clock=clock, record=_telnyx_log(state))
    return json_response(200, {"data": _telnyx_call(a, a.created)})


def telnyx_call_fetch(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """RetrieveCallStatus."""
    a = _load(state, tx.PROVIDER, "call", params["call_control_id"])
    if a is None:
        return tx.not_found(request)
    return json_response(200, {"data": _telnyx_call(a, clock())})


def telnyx_call_hangup(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """HangupCall: ends a call being dialed (call.hangup, originator_cancel) or answered
    (normal_clearing); an ended call answers 422 90018, as Telnyx does for a command on a
    call that is no longer alive."""
    tx._body(request)  # HangupRequest: a JSON object (client_state, command_id optional)
    a = _load(state, tx.PROVIDER, "call", params["call_control_id"])
    if a is None:
        return tx.not_found(request)
    now = clock()
    _, status = a.step_at(now)
    if status in _FINAL:
        raise ApiError(
            tx.error(422, "90018", "Call has already ended", "This call is no longer active.")
        )
    a = _end(state, a, "completed" if status == "in-progress" else "canceled", now)
    url = str(a.data.get("callback") or "")
    if url:
        offset, final = a.outcome.steps[-1]
        payload = _telnyx_call_payload(a, offset, final, "call.hangup")
        body, headers = callbacks.telnyx_request(url, "call.hangup", payload, meta=False)
        callbacks.schedule(
            now, [(0.0, lambda: (url, body, headers))], clock=clock, record=_telnyx_log(state)
        )
    return json_response(200, {"data": {"result": "ok"}})


# -- routes (added to the provider APIs in sandbox/app.py) ----------------------------------

_ACCOUNT = "/2010-04-01/Accounts/{account}"
TWILIO_ROUTES = [
    route("POST", _ACCOUNT + "/Messages.json", "twilio.messages.create", twilio_message_create),
    route("GET", _ACCOUNT + "/Messages.json", "twilio.messages.list", twilio_message_list),
    route("GET", _ACCOUNT + "/Messages/{sid}.json", "twilio.messages.fetch", twilio_message_fetch),
    route("POST", _ACCOUNT + "/Calls.json", "twilio.calls.create", twilio_call_create),
    route("GET", _ACCOUNT + "/Calls.json", "twilio.calls.list", twilio_call_list),
    route("GET", _ACCOUNT + "/Calls/{sid}.json", "twilio.calls.fetch", twilio_call_fetch),
    route("POST", _ACCOUNT + "/Calls/{sid}.json", "twilio.calls.update", twilio_call_update),
]
TELNYX_ROUTES = [
    route("POST", "/v2/messages", "telnyx.messages.send", telnyx_message_send),
    route("GET", "/v2/messages/{id}", "telnyx.messages.fetch", telnyx_message_fetch),
    route("POST", "/v2/calls", "telnyx.calls.dial", telnyx_call_dial),
    route("GET", "/v2/calls/{call_control_id}", "telnyx.calls.fetch", telnyx_call_fetch),
    route(
        "POST",
        "/v2/calls/{call_control_id}/actions/hangup",
        "telnyx.calls.hangup",
        telnyx_call_hangup,
    ),
    route("GET", "/v2/call_events", "telnyx.call_events.list", telnyx_call_events),
]


# -- Twilio Pricing v1: FetchMessagingCountry (the estimate `test sms` shows) ----------------

_COUNTRY_NAMES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom", "DE": "Germany"}


def twilio_messaging_price(
    state: SandboxState, request: Request, params: dict[str, str]
) -> Response:
    """FetchMessagingCountry: US/CA at the sandbox's US list price, elsewhere 0.0500 USD."""
    iso = params["iso"].upper()
    price = TWILIO_SMS_PRICE if iso in ("US", "CA") else "0.05000"
    prices = [
        {"number_type": kind, "base_price": price, "current_price": price}
        for kind in ("local", "mobile", "toll free")
    ]
    carriers = (("Sandbox Mobile", "310", "260"), ("Sandbox Wireless", "311", "480"))
    return json_response(
        200,
        {
            "country": _COUNTRY_NAMES.get(iso, iso),
            "iso_country": iso,
            "outbound_sms_prices": [
                {"carrier": name, "mcc": mcc, "mnc": mnc, "prices": prices}
                for name, mcc, mnc in carriers
            ],
            "inbound_sms_prices": [
                {"number_type": "local", "base_price": price, "current_price": price}
            ],
            "price_unit": "USD",
            "url": f"https://pricing.twilio.com/v1/Messaging/Countries/{iso}",
        },
    )


def twilio_voice_price(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """FetchVoiceNumber: the sandbox's US call price per minute for +1, elsewhere 0.1000."""
    number = params["number"]
    price = TWILIO_CALL_PRICE if number.startswith("+1") else "0.10000"
    iso = "US" if number.startswith("+1") else None
    return json_response(
        200,
        {
            "number": number,
            "country": _COUNTRY_NAMES.get(iso, iso) if iso else None,
            "iso_country": iso,
            "outbound_call_price": {"base_price": price, "current_price": price},
            "inbound_call_price": {"base_price": price, "current_price": price, "number_type":
                                   "local"},
            "price_unit": "USD",
            "url": f"https://pricing.twilio.com/v1/Voice/Numbers/{number}",
        },
    )  # fmt: skip


PRICING_ROUTES = [
    route(
        "GET", "/v1/Messaging/Countries/{iso}", "twilio.pricing.messaging", twilio_messaging_price
    ),
    route("GET", "/v1/Voice/Numbers/{number}", "twilio.pricing.voice", twilio_voice_price),
]


# -- VAPI outbound calls: CallController_create / findOne / findAll ---------------------------

VAPI = "vapi"
VAPI_ORG_ID = "5a4db0c5-0000-4000-8000-00000000c0de"
VAPI_PRICE_PER_MINUTE = "0.05"
# How a sandbox call's final status reads as a VAPI endedReason.
_ENDED_REASON = {
    "completed": "customer-ended-call",
    "busy": "customer-busy",
    "no-answer": "customer-did-not-answer",
    "failed": "twilio-failed-to-connect-call",
    "canceled": "manually-canceled",
}


def _vapi_error(status: int, message: str) -> Response:
    error = {400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    return json_response(status, {"message": [message], "error": error, "statusCode": status})


def _vapi_call(a: Activity, now: float, request: Request) -> dict[str, Any]:
    offset, status = a.step_at(now)
    d = a.data
    answered_at = next((o for o, s in a.outcome.steps if s == "in-progress"), None)
    record: dict[str, Any] = {
        "id": a.id,
        "orgId": VAPI_ORG_ID,
        "type": "outboundPhoneCall",
        "createdAt": _iso(a.created),
        "updatedAt": _iso(a.at(offset)),
        "status": "ended" if status in _FINAL else status,
        "assistantId": d["assistant"],
        "phoneNumberId": d["phone_number_id"],
        "customer": {"number": d["to"]},
        # Call.monitor (schema Monitor): live call control is on, as by default
        # (MonitorPlan.controlEnabled), without authentication (controlAuthenticationEnabled
        # false). No listenUrl: the sandbox streams no audio.
        "monitor": {"controlUrl": f"{request.base_url(VAPI_CONTROL_HOST)}/{a.id}/control"},
    }
    if answered_at is not None and offset >= answered_at:
        record["startedAt"] = _iso(a.at(answered_at))
    if status in _FINAL:
        # Ended through the control URL: "manually-canceled", the spec's endedReason for a
        # call its placer stopped (the status at hang-up keeps the duration and cost right).
        record["endedReason"] = "manually-canceled" if d.get("ended") else _ENDED_REASON[status]
        record["endedAt"] = _iso(
            a.at(answered_at) + a.outcome.duration if answered_at else a.at(offset)
        )
        minutes = math.ceil(a.outcome.duration / 60) if status == "completed" else 0
        record["cost"] = float(_times(VAPI_PRICE_PER_MINUTE, minutes))
    return record


def vapi_call_create(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """CallController_create with assistantId, phoneNumberId and customer.number."""
    try:
        body = request.json()
    except ValueError:
        return _vapi_error(400, "body must be JSON")
    if not isinstance(body, dict):
        return _vapi_error(400, "body must be a JSON object")
    customer: dict[str, Any] = body["customer"] if isinstance(body.get("customer"), dict) else {}
    to = customer.get("number")
    if not body.get("assistantId") or not body.get("phoneNumberId") or not to:
        return _vapi_error(400, "assistantId, phoneNumberId and customer.number are required")
    if CALL_OUTCOMES.get(to) is _INVALID_TO:
        return _vapi_error(400, f"customer.number {to} is not a valid phone number")
    data = {"to": to, "assistant": body["assistantId"], "phone_number_id": body["phoneNumberId"]}
    a = _new(VAPI, "call", str(uuid.uuid4()), data)
    _save(state, a)
    return json_response(201, _vapi_call(a, clock(), request))


def vapi_call_fetch(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """CallController_findOne."""
    a = _load(state, VAPI, "call", params["id"])
    if a is None:
        return _vapi_error(404, f"Couldn't find call {params['id']}")
    return json_response(200, _vapi_call(a, clock(), request))


def vapi_call_list(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """CallController_findAll (phoneNumberId and assistantId filters; newest first)."""
    q = dict(request.query_items)
    now = clock()
    items = [_vapi_call(a, now, request) for a in _all(state, VAPI, "call")]
    for key in ("phoneNumberId", "assistantId"):
        if q.get(key):
            items = [i for i in items if i[key] == q[key]]
    return json_response(200, items)


# ClientInboundMessage's types (the spec's ClientInboundMessage* schemas); the sandbox carries
# out end-call only.
_CONTROL_TYPES = ("add-message", "control", "say", "end-call", "transfer", "send-transport-message")


def vapi_call_control(state: SandboxState, request: Request, params: dict[str, str]) -> Response:
    """Live Call Control: a control message POSTed as bare JSON to the call's
    ``monitor.controlUrl`` (docs.vapi.ai/calls/call-features; not an operation of the REST
    API, and on its own host). ``{"type": "end-call"}`` (ClientInboundMessageEndCall) ends a
    call not yet ended at once: ``status: ended``, ``endedReason: manually-canceled``. Sandbox
    choices: the other message types, and unknown ones, are 400; a call that has already
    ended answers 400 (as Twilio's 21220 and Telnyx's 90018 do); the control URL needs no
    key (control authentication is off, VAPI's default)."""
    a = _load(state, VAPI, "call", params["id"])
    if a is None:
        return _vapi_error(404, f"Couldn't find call {params['id']}")
    try:
        body = request.json()
    except ValueError:
        return _vapi_error(400, "body must be JSON")
    kind = body.get("type") if isinstance(body, dict) else None
    if kind not in _CONTROL_TYPES:
        return _vapi_error(
            400, "type must be one of the following values: " + ", ".join(_CONTROL_TYPES)
        )
    if kind != "end-call":
        return _vapi_error(400, f"the sandbox carries out end-call only, not {kind}")
    now = clock()
    _, status = a.step_at(now)
    if status in _FINAL:
        return _vapi_error(400, "Call has already ended.")
    _end(state, a, "completed" if status == "in-progress" else "canceled", now)
    return json_response(200, {"type": "end-call", "status": "ok"})


VAPI_ROUTES = [
    route("POST", "/call", "vapi.calls.create", vapi_call_create),
    route("GET", "/call", "vapi.calls.list", vapi_call_list),
    route("GET", "/call/{id}", "vapi.calls.fetch", vapi_call_fetch),
]
VAPI_CONTROL_API = Api(
    name="vapi-control",
    authenticate=lambda _request: None,  # controlAuthenticationEnabled: false
    routes=[route("POST", "/{id}/control", "vapi.calls.control", vapi_call_control)],
    not_found=lambda request: _vapi_error(404, f"Cannot {request.method} {request.path}"),
)
