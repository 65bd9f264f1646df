"""Test SMS and test calls: send once, follow to a final status, classify against --expect.

A send reaches a person and costs money, so it runs through :func:`failover.write` and is
never repeated, and never moved to another carrier once the request may have reached one:
the transport never retries it, and an ambiguous failure (the request may have reached the
carrier) is settled by polling the carrier's messages/calls over the settle window
(services/settling.py) for one this send could have created (same to/from and body, created
after its intent, not another ledger entry's result). Where the carrier cannot list them
(Telnyx), or the wait does not fit the deadline, the outcome is unknown (exit 7). Every send
is in the operation ledger (intent before, outcome after).

Services take what they need as arguments and report through callbacks; the clock and the
sleep are injectable so tests never really wait.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from telcli.errors import (
    ExitCode,
    OutcomeUnknown,
    ProviderRejected,
    ProviderUnavailable,
    TelcliError,
    UsageProblem,
)
from telcli.interrupt import Cancel
from telcli.models import Attempt, CallResult, MessageResult
from telcli.providers.base import HangupUnavailable
from telcli.segments import SegmentInfo, analyze
from telcli.services import failover
from telcli.services.outcomes import Thresholds, classify_call
from telcli.services.settling import Settle, await_landing, in_flight, matches_since

Notify = Callable[[str], None]
Update = Callable[[str, str], None]  # (destination, status text)

MESSAGE_FINAL = frozenset({"delivered", "undelivered", "failed", "canceled"})
CALL_FINAL = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
# Carrier statuses that end a message's life while it reads "sent" (no delivery receipt).
_FINAL_SENT = frozenset({"delivery_unconfirmed"})
DEFAULT_CALL_TWIML = "<Response><Say>This is a telcli test call.</Say></Response>"

# What the carriers' error codes mean (Twilio: twilio.com/docs/api/errors; the Telnyx codes
# are the sandbox's, the real ones come with their own title/detail in ``errors[]``).
ERROR_MEANINGS: dict[str, str] = {
    "21211": "the destination is not a valid phone number",
    "21408": "the account may not send to this region (geo permissions)",
    "21610": "the recipient replied STOP: messages to them are blocked",
    "21614": "the destination cannot receive SMS",
    "30001": "queue overflow: too many messages queued for this sender",
    "30002": "the account is suspended",
    "30003": "unreachable destination handset (off, out of coverage)",
    "30004": "message blocked by the recipient or their carrier",
    "30005": "unknown destination handset (the number does not exist)",
    "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier as spam or a policy violation",
    "30008": "unknown error from the carrier",
    "30034": "sender not registered for US A2P 10DLC",
    "40001": "not routable: a landline or a number that cannot receive SMS",
    "40008": "undeliverable: the handset is unreachable",
    "40300": "blocked: the recipient opted out (STOP)",
    "40310": "invalid destination address",
}


def meaning(code: str | None, fallback: str | None = None) -> str | None:
    if code is None:
        return fallback
    return ERROR_MEANINGS.get(code, fallback)


def _quiet(*_: Any) -> None:
    pass


# -- safety -----------------------------------------------------------------------------------


def allowed(destination: str, patterns: Sequence[str]) -> bool:
    """Whether ``destination`` matches one allowlist entry: an E.164 prefix, or a glob
    pattern (``*``, ``?``, ``[...]``) matched against the whole number."""
    for pattern in patterns:
        if any(c in pattern for c in "*?["):
            if fnmatch.fnmatchcase(destination, pattern):
                return True
        elif destination.startswith(pattern):
            return True
    return False


def check_allowlist(destinations: Sequence[str], patterns: Sequence[str]) -> None:
    """UsageProblem (exit 2) naming the destinations outside ``test.allowed_destinations``."""
    outside = [d for d in destinations if not allowed(d, patterns)]
    if outside:
        listed = ", ".join(outside)
        raise UsageProblem(
            f"{listed} {'is' if len(outside) == 1 else 'are'} not in test.allowed_destinations",
            hint="add the number or a prefix under `test: allowed_destinations:` in config.yaml,"
            " pass --force to reach it anyway, or try it with --sandbox",
        )


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestOutcome:
    """One destination's test: what was sent, how it ended, and whether that was expected.

    ``outcome``: passed (final status matches --expect), failed (a different final status,
    or the send was refused), unknown (no final status by the timeout, or an ambiguous send),
    sent (--no-wait: accepted, not followed), error (the carrier could not be reached)."""

    __test__ = False  # not a pytest class

    kind: str  # "sms" | "call"
    to: str
    expected: str
    outcome: str
    exit_code: int
    result: MessageResult | CallResult | None = None
    from_: str | None = None
    provider: str | None = None
    error: str | None = None
    error_code: str | None = None
    note: str | None = None
    elapsed: float = 0.0
    min_duration: int | None = None
    segments: SegmentInfo | None = None
    attempts: tuple[Attempt, ...] = field(default=())
    outcome_class: str | None = None  # calls: completed, no-answer, busy, failed, canceled
    hint: str | None = None  # the next step after a failed or unclear send (stderr only)

    @property
    def status(self) -> str:
        if self.result is not None:
            return self.result.status
        # "not-sent" only on proof; a send that may have gone out is "unknown"
        return "unknown" if self.outcome == "unknown" else "not-sent"

    def to_json(self) -> dict[str, Any]:
        r = self.result
        code = self.error_code or (r.error_code if r is not None else None)
        carrier_text = r.error_message if r is not None else None
        data: dict[str, Any] = {
            "kind": self.kind,
            "to": self.to,
            "from": r.from_ if r is not None and r.from_ else self.from_,
            "id": r.id if r is not None else None,
            "status": self.status,
            "carrier_status": r.carrier_status if r is not None else None,
            "expected": self.expected,
            "outcome": self.outcome,
            "passed": self.outcome == "passed",
            "exit_code": self.exit_code,
            "error_code": code,
            "error_meaning": meaning(code, carrier_text or self.error),
            "error": self.error,
            "note": self.note,
            "price": None if r is None or r.price is None else format(r.price, "f"),
            "currency": r.currency if r is not None else None,
            "elapsed_seconds": round(self.elapsed, 3),
            "attempts": [a.to_json() for a in self.attempts],
        }
        if self.kind == "sms":
            seg = self.segments
            data["encoding"] = seg.encoding if seg else None
            data["segments"] = (
                r.segments if isinstance(r, MessageResult) and r.segments else None
            ) or (seg.segments if seg else None)
        else:
            call = r if isinstance(r, CallResult) else None
            data["duration"] = call.duration if call else None
            data["min_duration"] = self.min_duration
            data["answered"] = call.answered if call else None
            data["session_id"] = call.session_id if call else None
            data["leg_id"] = call.leg_id if call else None
            data["outcome_class"] = self.outcome_class
        data["provider"] = self.provider or (str(r.provider) if r is not None else None)
        return data


_EXIT_ORDER = (
    ExitCode.INTERRUPTED,
    ExitCode.AUTH,
    ExitCode.USAGE,
    ExitCode.REJECTED,
    ExitCode.UNAVAILABLE,
    ExitCode.INCOMPLETE,
    ExitCode.BUG,
)


def exit_code(outcomes: Sequence[TestOutcome]) -> int:
    """0 when every destination passed (or was sent with --no-wait); otherwise the most
    serious code among them: 130 (Ctrl-C), 4, 2, 5 (wrong final status), 6, 7 (unknown), 1."""
    codes = {o.exit_code for o in outcomes}
    for code in _EXIT_ORDER:
        if int(code) in codes:
            return int(code)
    return 0


# -- classification ---------------------------------------------------------------------------


def message_verdict(result: MessageResult, expect: str) -> str | None:
    """passed / failed when the status decides the test, None while it may still change."""
    status = result.status
    final = status in MESSAGE_FINAL or (result.carrier_status or "") in _FINAL_SENT
    if expect == "sent" and status in ("sent", "delivered"):
        return "passed"
    if final:
        return "passed" if status == expect else "failed"
    return None


def call_class(result: CallResult | None, thresholds: Thresholds) -> str | None:
    """The outcome class of a finished call, by the rules ``webhook outcomes`` applies to
    captured events (services/outcomes.classify_call); None while it is not over."""
    if result is None or result.status not in CALL_FINAL:
        return None
    return classify_call(result.status, result.duration, thresholds)[0]


def call_verdict(
    result: CallResult,
    expect: str | None,
    min_duration: int,
    *,
    expect_class: str | None = None,
    thresholds: Thresholds | None = None,
) -> str | None:
    """passed/failed once the call is over (None before): ``expect`` compares the carrier's
    status, ``expect_class`` the outcome class; either may be None (not checked)."""
    if result.status not in CALL_FINAL:
        return None
    if expect is not None:
        if result.status != expect:
            return "failed"
        if expect == "completed" and (result.duration or 0) < min_duration:
            return "failed"
    if expect_class is not None and call_class(result, thresholds or Thresholds()) != expect_class:
        return "failed"
    return "passed"


def with_meta(url: str | None, meta: Sequence[tuple[str, str]]) -> str | None:
    """The status-callback URL carrying ``--meta`` as ``meta_KEY=VALUE`` query parameters:
    providers send the URL back with every callback (Twilio signs it), so a test's callbacks
    can be picked out (``webhook list``, ``webhook outcomes``)."""
    if url is None or not meta:
        return url
    from urllib.parse import urlencode, urlsplit, urlunsplit

    from telcli.webhooks.events import META_PREFIX

    parts = urlsplit(url)
    extra = urlencode([(META_PREFIX + k, v) for k, v in meta])
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def client_state(meta: Sequence[tuple[str, str]]) -> str | None:
    """``--meta`` as Telnyx's ``client_state`` (base64 of a JSON object), which every call
    event of the leg carries back (DialCall, ``client_state``)."""
    if not meta:
        return None
    import base64
    import json

    return base64.b64encode(json.dumps(dict(meta), separators=(",", ":")).encode()).decode()


def _exit_for(outcome: str) -> int:
    return {
        "passed": 0,
        "sent": 0,
        "failed": int(ExitCode.REJECTED),
        "unknown": int(ExitCode.INCOMPLETE),
        "interrupted": int(ExitCode.INTERRUPTED),
    }.get(outcome, int(ExitCode.BUG))


@dataclass
class Clock:
    """Time as a test sees it: ``monotonic`` and ``sleep`` injectable (AppContext's)."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def poll_intervals(first: float = 0.5, cap: float = 5.0) -> Any:
    """0.5, 1, 2, 4, 5, 5, ... seconds: quick at first (most messages settle in seconds),
    then gentle on the carrier's rate limits."""
    delay = first
    while True:
        yield delay
        delay = min(cap, delay * 2)


def follow(
    fetch: Callable[[], Any],
    first: Any,
    verdict: Callable[[Any], str | None],
    *,
    timeout: float,
    clock: Clock,
    on_status: Callable[[Any], None] = _quiet,
    notify: Notify = _quiet,
    cancel: Cancel | None = None,
) -> tuple[Any, str]:
    """Poll ``fetch`` with backoff until ``verdict`` decides, ``timeout`` passes or
    ``cancel`` is set. Returns (last result, "passed" | "failed" | "unknown" |
    "interrupted"). Transient fetch failures are noted and polled through; rejected
    credentials end the wait with the error."""
    start = clock.monotonic()
    current = first
    on_status(current)
    decided = verdict(current)
    intervals = poll_intervals()
    while decided is None:
        remaining = timeout - (clock.monotonic() - start)
        if cancel:
            return current, "interrupted"
        if remaining <= 0:
            return current, "unknown"
        pause = min(next(intervals), remaining)
        if cancel is None:
            clock.sleep(pause)
        elif cancel.sleep(pause, None if clock.sleep is time.sleep else clock.sleep):
            return current, "interrupted"
        try:
            latest = fetch()
        except (ProviderUnavailable, ProviderRejected) as exc:
            if isinstance(exc, ProviderRejected) and exc.status not in (404, None):
                raise
            notify(f"status check failed ({exc.message}); still waiting")
            continue
        if latest.status != current.status:
            on_status(latest)
        current = latest
        decided = verdict(current)
    return current, decided


# -- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    """Where a test goes out from: a carrier and a number it owns (or may send from)."""

    carrier: Any
    from_: str
    connection_id: str | None = None

    @property
    def name(self) -> str:
        return str(self.carrier.name)


def pick_senders(
    carriers: Sequence[Any],
    from_: str | None,
    *,
    capability: str,
    explicit_provider: bool,
    to: Sequence[str] = (),
    notify: Notify = _quiet,
    tenant: str | None = None,
) -> list[Sender]:
    """The carriers (in failover order) and the number each sends from.

    ``--from`` pins the carrier that owns it (with ``--provider`` a number the account does
    not own is taken as given, e.g. one it may send from without owning it). Without
    ``--from``, each carrier sends from a number it owns with ``capability``, preferring one
    in the country of the destinations ``to`` (most of them, when they differ); a carrier
    with no such number is left out of the failover. A number without ``capability`` is never
    used: UsageProblem (exit 2) saying why.

    No default crosses tenants: with ``tenant`` only that tenant's numbers are used (a
    ``--from`` of another tenant's is refused); without one the automatic pick takes only
    untagged numbers."""
    if from_ and explicit_provider:
        carrier = carriers[0]
        owned = _owned_number(carrier, from_)
        if tenant is not None and (owned is None or owned.tenant != tenant):
            raise _not_the_tenants(from_, tenant)
        if owned is not None:
            _check_capable(owned, capability)
        return [Sender(carrier, from_, owned.connection_id if owned else None)]
    found = failover.each(
        carriers, lambda c: c.list_owned(tenant), what="listing numbers", notify=notify
    )
    if from_:
        for carrier, numbers in found:
            for number in numbers:
                if number.phone_number == from_:
                    _check_capable(number, capability)
                    return [Sender(carrier, from_, number.connection_id)]
        if tenant is not None:
            raise _not_the_tenants(from_, tenant)
        names = " or ".join(str(c.name) for c in carriers)
        raise UsageProblem(
            f"{from_} is not a number this profile owns at {names}",
            hint="pick one from `telcli numbers list`, or name its carrier with --provider",
        )
    from telcli.phone import country_of

    wanted = [c for c in (country_of(d) for d in to) if c]
    senders = []
    skipped: set[str] = set()
    for carrier, numbers in found:
        capable = [n for n in numbers if capability in {str(c) for c in n.capabilities}]
        if tenant is None:
            skipped.update(n.tenant for n in capable if n.tenant is not None)
            capable = [n for n in capable if n.tenant is None]
        if not capable:
            if numbers:
                notify(f"{carrier.name}: no {capability}-capable number to send from; skipped")
            continue
        # Most destinations in the number's country first, then in E.164 order.
        best = min(
            capable,
            key=lambda n: (-sum(c == _country(n) for c in wanted), n.phone_number),
        )
        senders.append(Sender(carrier, best.phone_number, best.connection_id))
    if senders:
        return senders
    if tenant is not None:
        raise UsageProblem(
            f"tenant {tenant} holds no {capability}-capable number to send from",
            hint=f"see its numbers with `telcli numbers list --tenant {tenant}`",
        )
    if skipped:
        raise UsageProblem(
            f"every {capability}-capable number of this profile belongs to a tenant"
            f" ({', '.join(sorted(skipped))}); telcli does not pick one by default",
            hint="pass --tenant ID to send from that tenant's numbers, or --from NUMBER",
        )
    owned = sum(len(numbers) for _, numbers in found)
    raise UsageProblem(
        f"this profile owns no {capability}-capable number to send from"
        + (f" (none of its {owned} numbers has {capability})" if owned else ""),
        hint="buy one (`telcli numbers search --capability "
        f"{capability}`, then `telcli numbers buy NUMBER`) or pass --from with --provider",
    )


def _not_the_tenants(number: str, tenant: str) -> UsageProblem:
    return UsageProblem(
        f"{number} is not a number of tenant {tenant}",
        hint=f"pick one from `telcli numbers list --tenant {tenant}`",
    )


def _country(number: Any) -> str | None:
    from telcli.phone import country_of

    return (number.country or country_of(number.phone_number) or "").upper() or None


def _check_capable(number: Any, capability: str) -> None:
    """UsageProblem (exit 2) when the owned ``number`` cannot do ``capability``."""
    caps = [str(c) for c in number.capabilities]
    if capability in caps:
        return
    has = f"it has only {', '.join(caps)}" if caps else "its carrier reports no capabilities"
    raise UsageProblem(
        f"{number.phone_number} ({number.provider}) cannot {_VERB[capability]}: {has}",
        hint=f"pick a {capability}-capable number from `telcli numbers list`, or leave out --from",
    )


_VERB = {"sms": "send SMS", "voice": "place calls", "mms": "send MMS"}


def _owned_number(carrier: Any, number: str) -> Any:
    try:
        return carrier.find_owned(number)
    except TelcliError:
        return None


def _reconciler(
    to: str,
    intent: datetime,
    *,
    op: str,
    state: Any,
    settle: Settle,
    notify: Notify,
    finder: str,
    what: str,
    done: str,
    log: str,
    matches: Callable[[Any], bool] = lambda _: True,
) -> Callable[[Any, Any, str], Any]:
    """How a lost answer to a send is settled (it is never sent again, anywhere): poll what
    the carrier created for ``to`` from the sender (``finder``: ``find_messages`` /
    ``find_calls``) over the settle window, and take the first that this send could have
    created: created at or after ``intent`` on the carrier's clock, ``matches`` (same body),
    and not already the result of another ledger entry. None once absence is proven past
    the window; a carrier that cannot list, or a wait the deadline cuts short, is
    OutcomeUnknown (exit 7)."""

    def claimed() -> set[str]:
        return {e.result_id for e in state.ledger_entries(op=op, target=to) if e.result_id}

    def reconcile(carrier: Any, exc: ProviderUnavailable, sender: str) -> Any:
        inner = failover.unguarded(carrier)
        name = str(carrier.name)
        hint = (
            f"look in the {name} {log} for the {what} to {to} from {sender}, sent at"
            f" {intent:%H:%M:%S} UTC; telcli never sends it again on its own"
        )
        if not callable(getattr(inner, finder, None)):
            raise OutcomeUnknown(
                f"the {what} to {to} may or may not have been {done} by {name}"
                f" ({exc.message}); {name} offers no way to look it up",
                hint=hint,
            )

        def look() -> Any:
            since = matches_since(intent, settle.clock_offset(name))
            taken = claimed()
            found = getattr(inner, finder)(to, sender, since)
            return next((i for i in found if matches(i) and i.id not in taken), None)

        landing = await_landing(
            look,
            settle,
            proof_in=None if in_flight(exc) else 0,
            notify=lambda m: notify(f"{name}: {m}"),
        )
        if landing.found is not None or landing.proven:
            return landing.found
        raise OutcomeUnknown(
            f"the {what} to {to} may or may not have been {done} by {name} ({exc.message});"
            f" {landing.why}",
            hint=hint,
        )

    return reconcile


class AssistantCaller:
    """VAPI as the carrier of an assistant call (``test call --assistant``): the call goes out
    from a number imported into VAPI, so it cannot fail over to another carrier."""

    name = "vapi"

    def __init__(self, vapi: Any, assistant_id: str, phone_number_id: str) -> None:
        self.vapi = vapi
        self.assistant_id = assistant_id
        self.phone_number_id = phone_number_id

    def place_call(self, to: str, from_: str, **_: Any) -> CallResult:
        from telcli.providers.vapi import place_assistant_call

        return place_assistant_call(
            self.vapi,
            assistant_id=self.assistant_id,
            phone_number_id=self.phone_number_id,
            to=to,
            from_=from_,
        )

    def fetch_call(self, call_id: str, *, to: str = "", from_: str = "") -> CallResult:
        from telcli.providers.vapi import fetch_assistant_call

        return fetch_assistant_call(self.vapi, call_id, to=to, from_=from_)

    def hangup_call(self, call_id: str) -> None:
        """End the call through VAPI's live call control (HangupUnavailable where the
        assistant's control is off or refused)."""
        from telcli.providers.vapi import end_assistant_call

        end_assistant_call(self.vapi, call_id)

    def find_calls(self, to: str, from_: str, since: datetime) -> list[CallResult]:
        from telcli.providers.vapi import find_assistant_calls

        return find_assistant_calls(
            self.vapi, phone_number_id=self.phone_number_id, to=to, from_=from_, since=since
        )


def assistant_sender(
    vapi: Any, assistant_id: str, from_: str | None, *, tenant: str | None = None
) -> Sender:
    """The Sender for an assistant call from ``from_``, a number imported into VAPI.
    UsageProblem (exit 2) when it is not imported (or no number is given), or with
    ``tenant``, when VAPI's name for it does not say that tenant."""
    from telcli.providers.vapi import vapi_phone_number_id

    if not from_:
        raise UsageProblem(
            "--assistant needs --from: the number imported into VAPI that the assistant calls from",
            hint="see `telcli vapi numbers` for the imported numbers",
        )
    if tenant is not None:
        imported = vapi.find_number(from_)
        if imported is not None and imported.tenant != tenant:
            raise _not_the_tenants(from_, tenant)
    number_id = vapi_phone_number_id(vapi, from_)
    if number_id is None:
        raise UsageProblem(
            f"{from_} is not imported into VAPI",
            hint="call from an imported number (`telcli vapi numbers`), or import one this"
            " profile owns (`telcli numbers list`) with `telcli vapi import NUMBER --assistant ID`",
        )
    return Sender(AssistantCaller(vapi, assistant_id, number_id), from_)


def _ledgered(
    state: Any,
    profile: str,
    op: str,
    to: str,
    senders: Sequence[Sender],
    act: Callable[[Sender], Any],
    reconcile: Callable[[Any, Any, str], Any],
    notify: Notify,
) -> tuple[Any, list[Attempt], Sender, int | None]:
    """Send through the failover with a ledger row per carrier tried: the result, the
    attempts, the sender that did it and its ledger row (None when nothing recorded it)."""
    by_carrier = {id(s.carrier): s for s in senders}
    used: dict[str, Sender] = {}
    entries: dict[int, int] = {}

    def run(carrier: Any) -> Any:
        sender = by_carrier[id(carrier)]
        used["sender"] = sender
        entries[id(carrier)] = state.ledger_begin(
            op, sender.name, profile, to, {"from": sender.from_}
        )
        return act(sender)

    def settle(carrier: Any, exc: ProviderUnavailable) -> Any:
        found = reconcile(carrier, exc, by_carrier[id(carrier)].from_)
        entry = entries.get(id(carrier))
        if entry is not None:
            if found is None:
                state.ledger_finish(entry, "failed", detail={"error": exc.message})
            else:
                state.ledger_finish(
                    entry, "succeeded", result_id=found.id, detail={"reconciled": True}
                )
        return found

    what = "the test SMS" if op == "sms" else "the test call"
    try:
        result, attempts = failover.write(
            [s.carrier for s in senders], run, what=what, notify=notify, reconcile=settle
        )
    except OutcomeUnknown as exc:
        for entry in entries.values():
            state.ledger_finish(entry, "unknown", detail={"error": exc.message})
        raise
    except TelcliError as exc:
        for entry in entries.values():
            state.ledger_finish(entry, "failed", detail={"error": exc.message})
        raise
    except BaseException:
        for entry in entries.values():
            state.ledger_finish(entry, "unknown", detail={"error": "interrupted"})
        raise
    sender = used["sender"]
    done = entries.get(id(sender.carrier))
    if done is not None:
        price = getattr(result, "price", None)
        state.ledger_finish(
            done,
            "succeeded",
            result_id=result.id,
            price=None if price is None else str(price),
            currency=getattr(result, "currency", None) if price is not None else None,
        )
    return result, attempts, sender, done


def _priced(state: Any, entry: int | None, outcome: TestOutcome) -> TestOutcome:
    """Record in the ledger what a followed test cost, once its result carries a price."""
    price = getattr(outcome.result, "price", None)
    if entry is not None and price is not None:
        state.ledger_price(entry, str(price), getattr(outcome.result, "currency", None))
    return outcome


@dataclass(frozen=True)
class SmsTest:
    body: str
    media: tuple[str, ...] = ()
    callback_url: str | None = None
    expect: str = "delivered"
    wait: bool = True
    timeout: float = 120.0


@dataclass(frozen=True)
class CallTest:
    twiml: str | None = None
    url: str | None = None
    callback_url: str | None = None
    expect: str | None = "completed"  # None: the carrier's status is not compared
    expect_class: str | None = None  # completed, no-answer, busy, failed, canceled
    thresholds: Thresholds = field(default_factory=Thresholds)
    meta: tuple[tuple[str, str], ...] = ()

    @property
    def expected(self) -> str:
        """What passes, as shown: the status, the class, or both (``completed, class
        completed``)."""
        parts = [self.expect] if self.expect is not None else []
        if self.expect_class is not None:
            parts.append(f"class {self.expect_class}")
        return ", ".join(parts)

    wait: bool = True
    timeout: float = 120.0
    min_duration: int = 0
    connection_id: str | None = None
    ring_timeout: int = 30
    time_limit: int = 120
    assistant_id: str | None = None  # place the call through VAPI with this assistant


def _failed(
    kind: str,
    to: str,
    expected: str,
    exc: TelcliError,
    start: float,
    clock: Clock,
    senders: Sequence[Sender] = (),
) -> TestOutcome:
    """The verdict on a send that failed or whose outcome is unknown; it keeps the tries
    made (``exc.attempts``, failover.write) and the carrier and From number last tried, so
    an unclear send can be looked up."""
    attempts: tuple[Attempt, ...] = getattr(exc, "attempts", ())
    provider = str(attempts[-1].provider) if attempts else getattr(exc, "provider", None)
    from_ = next((s.from_ for s in senders if str(s.name) == provider), None)
    code = getattr(exc, "code", None)
    outcome = "unknown" if isinstance(exc, OutcomeUnknown) else "failed"
    if int(exc.exit_code) not in (int(ExitCode.REJECTED), int(ExitCode.INCOMPLETE)):
        outcome = "error"
    return TestOutcome(
        kind=kind,
        to=to,
        expected=expected,
        outcome=outcome,
        exit_code=int(exc.exit_code),
        provider=provider,
        from_=from_,
        attempts=attempts,
        error=exc.message,
        error_code=code,
        elapsed=clock.monotonic() - start,
        hint=exc.hint,
    )


def _lost_track(base: TestOutcome, exc: TelcliError, elapsed: float) -> TestOutcome:
    """The send happened but following it failed (credentials rejected mid-way...): report
    what is known, with the error's exit code, instead of losing the other destinations."""
    return replace(
        base,
        outcome="unknown" if int(exc.exit_code) == int(ExitCode.INCOMPLETE) else "error",
        exit_code=int(exc.exit_code),
        error=f"sent, but its status could not be followed: {exc.message}",
        elapsed=elapsed,
    )


def _followed(
    base: TestOutcome,
    test: SmsTest | CallTest,
    fetch: Callable[[], Any],
    verdict: Callable[[Any], str | None],
    *,
    start: float,
    clock: Clock,
    notify: Notify,
    update: Update,
    explain: Callable[[Any], str | None] = lambda _: None,
    cancel: Cancel | None = None,
) -> TestOutcome:
    """Follow what ``base`` sent to a verdict (:func:`follow`, unless ``test.wait`` is off)
    and make it the outcome: a note when still undecided at the timeout, else ``explain``'s."""
    to, timeout = base.to, test.timeout
    if not test.wait:
        update(to, base.result.status)
        return replace(base, elapsed=clock.monotonic() - start)
    try:
        final, decided = follow(
            fetch,
            base.result,
            verdict,
            timeout=timeout,
            clock=clock,
            on_status=lambda r: update(to, r.status),
            notify=lambda m: notify(f"{to}: {m}"),
            cancel=cancel,
        )
    except TelcliError as exc:
        return _lost_track(base, exc, clock.monotonic() - start)
    if decided == "unknown":
        note = f"still {final.status} after {timeout:g}s"
    elif decided == "interrupted":
        note = f"interrupted while {final.status}"
    else:
        note = explain(final)
    return replace(
        base,
        result=final,
        outcome=decided,
        exit_code=_exit_for(decided),
        note=note,
        elapsed=clock.monotonic() - start,
    )


def run_sms(
    senders: Sequence[Sender],
    to: str,
    test: SmsTest,
    *,
    state: Any,
    profile: str,
    clock: Clock | None = None,
    settle: Settle | None = None,
    notify: Notify = _quiet,
    update: Update = _quiet,
    cancel: Cancel | None = None,
) -> TestOutcome:
    """Send one test SMS to ``to`` and (with ``test.wait``) follow it to a verdict.
    ``settle``: how a lost answer is settled (default: the default window on ``clock``).
    Once ``cancel`` is set (Ctrl-C) nothing is sent and following stops (a send under way
    completes and is ledgered)."""
    clock = clock or Clock()
    settle = settle or Settle(monotonic=clock.monotonic, sleep=clock.sleep)
    segments = analyze(test.body)
    if cancel:
        update(to, "not started")
        return replace(_not_started("sms", to, test.expect), segments=segments)
    start = clock.monotonic()
    started = datetime.now(UTC)
    update(to, "sending")
    try:
        sent, attempts, sender, entry = _ledgered(
            state,
            profile,
            "sms",
            to,
            senders,
            lambda s: s.carrier.send_sms(
                to, s.from_, test.body, media_urls=test.media, status_callback=test.callback_url
            ),
            _reconciler(
                to,
                started,
                op="sms",
                state=state,
                settle=settle,
                notify=notify,
                finder="find_messages",
                what="SMS",
                done="sent",
                log="message log",
                matches=lambda m: m.body is None or m.body == test.body,
            ),
            notify,
        )
    except TelcliError as exc:
        update(to, "unknown" if isinstance(exc, OutcomeUnknown) else "not sent")
        failed = _failed("sms", to, test.expect, exc, start, clock, senders)
        return replace(failed, segments=segments)
    base = TestOutcome(
        kind="sms",
        to=to,
        expected=test.expect,
        outcome="sent",
        exit_code=0,
        result=sent,
        from_=sender.from_,
        provider=sender.name,
        segments=segments,
        attempts=tuple(attempts),
    )
    carrier = sender.carrier
    done = _followed(
        base,
        test,
        lambda: carrier.fetch_message(sent.id),
        lambda r: message_verdict(r, test.expect),
        start=start,
        clock=clock,
        notify=notify,
        update=update,
        cancel=cancel,
    )
    return _priced(state, entry, done)


def _not_started(kind: str, to: str, expected: str) -> TestOutcome:
    """A destination Ctrl-C reached before anything was sent to it."""
    return TestOutcome(
        kind=kind,
        to=to,
        expected=expected,
        outcome="interrupted",
        exit_code=int(ExitCode.INTERRUPTED),
        note="not started: interrupted",
    )


# How long a hang-up is followed to the call's end: the carrier may take a moment (VAPI ends
# a call after its control message; Telnyx reports the hang-up as an event).
HANGUP_SETTLE_SECONDS = 5.0


def _hang_up(
    carrier: Any,
    call: CallResult,
    fetch: Callable[[], CallResult],
    notify: Notify,
    clock: Clock,
) -> tuple[CallResult, str]:
    """End a call telcli placed that Ctrl-C caught unfinished: how it ended, and a note.
    The carrier's breaker is bypassed: stopping a call must not be refused. A carrier that
    offers no way to end this call (no ``hangup_call``, or HangupUnavailable: an assistant
    whose VAPI live call control is off) leaves it to end on its own, and that is said."""
    hang = getattr(failover.unguarded(carrier), "hangup_call", None)
    try:
        if hang is None:
            raise HangupUnavailable("it offers no way to end a call", provider=str(carrier.name))
        hang(call.id)
    except HangupUnavailable as exc:
        notify(
            f"{call.to}: {carrier.name} cannot hang up call {call.id}: {exc.message};"
            " it ends on its own"
        )
        why = f"{carrier.name} cannot hang up; the call ends on its own"
    except TelcliError as exc:
        notify(f"{call.to}: hang-up of call {call.id} failed: {exc.message}")
        why = "the hang-up failed; the call may still be up"
    else:
        final, _ = follow(
            lambda: _fetched(fetch, call),
            _fetched(fetch, call),
            lambda r: "ended" if r.status in CALL_FINAL else None,
            timeout=HANGUP_SETTLE_SECONDS,
            clock=clock,
        )
        if final.status in CALL_FINAL:
            return final, "interrupted: hung up"
        return final, f"interrupted: hung up, still {final.status} {HANGUP_SETTLE_SECONDS:g}s later"
    final = _fetched(fetch, call)
    if final.status in CALL_FINAL:  # it ended by itself meanwhile (the carrier's 21220/422)
        return final, f"interrupted: the call ended {final.status} before the hang-up"
    return final, f"interrupted: {why}"


def _fetched(fetch: Callable[[], CallResult], known: CallResult) -> CallResult:
    """The call's latest state, or ``known`` when it cannot be read."""
    try:
        return fetch()
    except TelcliError:
        return known


def run_call(
    senders: Sequence[Sender],
    to: str,
    test: CallTest,
    *,
    state: Any,
    profile: str,
    clock: Clock | None = None,
    settle: Settle | None = None,
    notify: Notify = _quiet,
    update: Update = _quiet,
    cancel: Cancel | None = None,
) -> TestOutcome:
    """Place one test call to ``to`` and (with ``test.wait``) follow it to a verdict.
    ``settle``: how a lost answer is settled (default: the default window on ``clock``).
    Once ``cancel`` is set (Ctrl-C) no call is placed, and one placed that is still queued,
    ringing or in progress is hung up (outcome ``interrupted``, status as the carrier
    ended it: ``canceled`` before an answer)."""
    clock = clock or Clock()
    settle = settle or Settle(monotonic=clock.monotonic, sleep=clock.sleep)
    if cancel:
        update(to, "not started")
        return replace(_not_started("call", to, test.expected), min_duration=test.min_duration)
    start = clock.monotonic()
    started = datetime.now(UTC)
    update(to, "dialing")

    def place(s: Sender) -> CallResult:
        if str(s.carrier.name) == "vapi":
            return cast(CallResult, s.carrier.place_call(to, s.from_))
        if str(s.carrier.name) == "telnyx":
            connection = test.connection_id or s.connection_id
            if not connection:
                raise UsageProblem(
                    f"Telnyx dials from a Call Control connection, and {s.from_} has none",
                    hint="pass --connection-id, or attach one with `telcli numbers configure"
                    f" {s.from_} --connection-id ID`",
                )
            if test.twiml or test.url:
                raise UsageProblem(
                    "--say, --twiml and --url are TwiML and apply to Twilio calls only",
                    hint="drop them for Telnyx, or pass --provider twilio",
                )
            return cast(
                CallResult,
                s.carrier.place_call(
                    to,
                    s.from_,
                    connection_id=connection,
                    status_callback=test.callback_url,
                    timeout=test.ring_timeout,
                    time_limit=test.time_limit,
                    **({"client_state": client_state(test.meta)} if test.meta else {}),
                ),
            )
        return cast(
            CallResult,
            s.carrier.place_call(
                to,
                s.from_,
                twiml=None if test.url else (test.twiml or DEFAULT_CALL_TWIML),
                url=test.url,
                status_callback=test.callback_url,
                timeout=test.ring_timeout,
                time_limit=test.time_limit,
            ),
        )

    try:
        placed, attempts, sender, entry = _ledgered(
            state,
            profile,
            "call",
            to,
            senders,
            place,
            _reconciler(
                to,
                started,
                op="call",
                state=state,
                settle=settle,
                notify=notify,
                finder="find_calls",
                what="call",
                done="placed",
                log="call log",
            ),
            notify,
        )
    except TelcliError as exc:
        update(to, "unknown" if isinstance(exc, OutcomeUnknown) else "not placed")
        return replace(
            _failed("call", to, test.expected, exc, start, clock, senders),
            min_duration=test.min_duration,
        )
    if not placed.to or not placed.from_:
        placed = replace(placed, to=placed.to or to, from_=placed.from_ or sender.from_)
    base = TestOutcome(
        kind="call",
        to=to,
        expected=test.expected,
        outcome="sent",
        exit_code=0,
        result=placed,
        from_=sender.from_,
        provider=sender.name,
        min_duration=test.min_duration,
        attempts=tuple(attempts),
    )
    carrier = sender.carrier

    def fetch() -> CallResult:
        got: CallResult = carrier.fetch_call(placed.id)
        return replace(got, to=got.to or to, from_=got.from_ or sender.from_)

    def too_short(final: CallResult) -> str | None:
        lasted = final.duration or 0
        if final.status == "completed" and lasted < test.min_duration:
            return f"answered but lasted {lasted}s, less than --min-duration {test.min_duration}s"
        return None

    done = _followed(
        base,
        test,
        fetch,
        lambda r: call_verdict(
            r,
            test.expect,
            test.min_duration,
            expect_class=test.expect_class,
            thresholds=test.thresholds,
        ),
        start=start,
        clock=clock,
        notify=notify,
        update=update,
        explain=too_short,
        cancel=cancel,
    )
    final = done.result if isinstance(done.result, CallResult) else None
    if cancel and final is not None and final.status not in CALL_FINAL:
        update(to, "hanging up")
        final, note = _hang_up(carrier, final, fetch, notify, clock)
        update(to, final.status)
        done = replace(
            done,
            result=final,
            outcome="interrupted",
            exit_code=int(ExitCode.INTERRUPTED),
            note=note,
            elapsed=clock.monotonic() - start,
        )
    return _priced(state, entry, replace(done, outcome_class=call_class(final, test.thresholds)))


def abandon_open_sends(state: Any, ops: tuple[str, ...] | None = ("sms", "call")) -> int:
    """Mark this run's sends still open in the ledger (``pending``: the answer never came
    back) as ``unknown``, when the process must end at once (a second Ctrl-C); ``ops=None``:
    every open row of the run (`tenants apply`: purchases and their steps). A connection of
    its own: the caller may interrupt a thread in the middle of a write. Returns how many."""
    own = type(state)(state.path, state.run)
    run = state.run.operation_id
    entries = [
        e
        for e in own.ledger_entries(statuses=("pending",))
        if e.operation_id == run and (ops is None or e.op in ops)
    ]
    for e in entries:
        own.ledger_finish(e.id, "unknown", detail={"error": "interrupted before the answer"})
    return len(entries)


class ThreadSafeState:
    """The state DB for concurrent tests: its SQLite connection is bound to the thread that
    opened it, so worker threads each get their own ``StateDB`` on the same file (WAL and
    ``BEGIN IMMEDIATE`` keep them consistent, as for parallel processes)."""

    def __init__(self, state: Any) -> None:
        import threading

        self._state = state
        self._owner = threading.get_ident()
        self._local = threading.local()

    def _db(self) -> Any:
        import threading

        if threading.get_ident() == self._owner or not hasattr(self._state, "path"):
            return self._state
        db = getattr(self._local, "db", None)
        if db is None:
            # Same run: the worker's ledger rows carry this command's operation id too.
            db = self._local.db = type(self._state)(self._state.path, self._state.run)
        return db

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db(), name)


def run_all(
    destinations: Sequence[str], one: Callable[[str], TestOutcome], *, workers: int = 8
) -> list[TestOutcome]:
    """Run ``one`` for every destination concurrently; results in destination order."""
    if len(destinations) == 1:
        return [one(destinations[0])]
    import contextvars
    from concurrent.futures import wait

    with ThreadPoolExecutor(max_workers=min(workers, len(destinations))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, one, d) for d in destinations]
        pending = set(futures)
        while pending:  # in short waits: Python runs a Ctrl-C handler in this thread only
            _, pending = wait(pending, timeout=0.2)
        return [f.result() for f in futures]


def estimate(segments: SegmentInfo, price: Decimal | None, recipients: int) -> Decimal | None:
    return None if price is None else price * segments.segments * recipients


@dataclass(frozen=True)
class SmsQuote:
    """What a test SMS will be before it is sent: its encoding and segments, the carrier's
    price per segment where it publishes one, and the estimated total."""

    segments: SegmentInfo
    price: Decimal | None
    currency: str | None
    cost: Decimal | None


@dataclass(frozen=True)
class CallQuote:
    """What test calls may cost before they are placed: the carrier's price per minute to the
    first destination where it publishes one, and the most they can cost (every call lasting
    its whole time limit, billed by the started minute)."""

    per_minute: Decimal | None
    currency: str | None
    at_most: Decimal | None


def quote_call(sender: Sender, to: Sequence[str], time_limit: int) -> CallQuote:
    """Twilio publishes voice prices (Pricing v1 FetchVoiceNumber); a lookup that fails, or
    another carrier, leaves the cost unknown rather than stopping the test."""
    lookup = getattr(failover.unguarded(sender.carrier), "call_price", None)
    price: Decimal | None = None
    currency: str | None = None
    if callable(lookup) and to:
        try:
            price, currency = lookup(to[0])
        except TelcliError:
            price, currency = None, None
    minutes = -(-time_limit // 60)
    at_most = None if price is None else price * minutes * len(to)
    return CallQuote(price, currency, at_most)


def quote_sms(sender: Sender, to: Sequence[str], body: str) -> SmsQuote:
    """Encoding, segments and estimated cost of sending ``body`` from ``sender`` to every
    number in ``to`` (priced for the first; Twilio Pricing v1 publishes SMS prices, a lookup
    that fails leaves the price unknown rather than stopping the test)."""
    info = analyze(body)
    price: Decimal | None = None
    currency: str | None = None
    lookup = getattr(failover.unguarded(sender.carrier), "sms_price", None)
    if callable(lookup) and to:
        try:
            price, currency = lookup(to[0])
        except TelcliError:
            price, currency = None, None
    return SmsQuote(info, price, currency, estimate(info, price, len(to)))
