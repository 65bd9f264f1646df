"""Call outcomes from events (services/outcomes.py): the documented classes and boundaries, a
class that depends only on the final facts (never on arrival order or duplicates), and the
`webhook outcomes` command over a store."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telcli.services.outcomes import Thresholds, classify_call, outcome_of

T = Thresholds()


def ev(kind: str, at: str, **extra) -> dict:
    return {
        "provider": "twilio",
        "event_id": f"{kind}@{at}",
        "event_type": kind,
        "call_id": "CA1",
        "occurred_at": f"2026-12-01T10:00:{at}Z",
        **extra,
    }


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (0, "failed"),
        (2, "failed"),
        (3, "no-answer"),  # 3 s is not "shorter than 3 s"
        (9, "no-answer"),
        (10, "completed"),  # 10 s is "answered >= 10 s"
        (3600, "completed"),
    ],
)
def test_the_3_and_10_second_boundaries_are_as_documented(duration, expected):
    assert classify_call("completed", duration, T)[0] == expected


@pytest.mark.parametrize("final", ["busy", "no-answer", "canceled", "failed"])
def test_terminal_statuses_other_than_completed_are_their_own_class(final):
    assert classify_call(final, 0, T, reason="user_busy") == (final, "user_busy")


def test_thresholds_are_configurable_and_checked():
    assert classify_call("completed", 12, Thresholds(15, 5))[0] == "no-answer"
    with pytest.raises(ValueError):
        Thresholds(answered_min_seconds=2, failed_below_seconds=3)


def test_duration_comes_from_the_answered_and_final_events_when_none_is_reported():
    telnyx = [
        ev("call.initiated", "00"),
        ev("call.answered", "05"),
        ev("call.completed", "17", hangup_cause="normal_clearing"),
    ]
    outcome = outcome_of(telnyx, T)
    assert (outcome.outcome_class, outcome.duration_seconds, outcome.complete) == (
        "completed",
        12,
        True,
    )
    # Answered, but no way to tell for how long: unsettled, not guessed.
    unsure = outcome_of([ev("call.completed", "17")], T)
    assert (unsure.outcome_class, unsure.complete) == (None, False)
    waiting = outcome_of([ev("call.ringing", "01")], T)
    assert waiting.outcome_class is None and "last: call.ringing" in waiting.reason


@pytest.mark.parametrize(
    ("answered", "hangup", "expected"),
    [
        ("00.950000", "10.100000", "no-answer"),  # 9.15 s: not 10 s because the seconds changed
        ("00.100000", "10.100000", "completed"),  # 10.0 s
        ("00.900000", "03.050000", "failed"),  # 2.15 s
    ],
)
def test_a_telnyx_duration_from_event_times_keeps_their_fractions(answered, hangup, expected):
    """Telnyx reports no duration: it comes from call.answered to call.hangup, whose
    ``occurred_at`` carry microseconds; whole seconds would move the 3 s and 10 s boundaries by
    up to a second."""
    from telcli.webhooks.events import normalize

    def telnyx(kind: str, at: str, **payload) -> dict:
        data = {"event_type": kind, "id": kind, "occurred_at": f"2026-12-01T10:00:{at}Z",
                "payload": {"call_control_id": "v3:x", **payload}}  # fmt: skip
        body = json.dumps({"data": data}).encode()
        return normalize("telnyx", [("Content-Type", "application/json")], body).to_json()

    events = [
        telnyx("call.answered", answered),
        telnyx("call.hangup", hangup, hangup_cause="normal_clearing"),
    ]
    assert outcome_of(events, T).outcome_class == expected


def test_messages_settle_on_their_final_status():
    sms = [
        {"event_id": "1", "event_type": "message.sent", "message_id": "SM1"},
        {"event_id": "2", "event_type": "message.undelivered", "message_id": "SM1",
         "error_code": "30003"},
    ]  # fmt: skip
    outcome = outcome_of(sms, T)
    assert (outcome.kind, outcome.outcome_class, outcome.reason) == (
        "message",
        "undelivered",
        "30003",
    )

    # Telnyx finalizes a message it got no receipt for: settled, and says so.
    unconfirmed = [
        {"event_id": "1", "event_type": "message.sent", "message_id": "m1"},
        {"event_id": "2", "event_type": "message.unconfirmed", "message_id": "m1",
         "status": "delivery_unconfirmed"},
    ]  # fmt: skip
    outcome = outcome_of(unconfirmed, T)
    assert (outcome.outcome_class, outcome.complete) == ("unconfirmed", True)


SEQUENCES = st.sampled_from(
    [
        # (events, the class their final facts give)
        ([ev("call.initiated", "00"), ev("call.ringing", "01"), ev("call.answered", "03"),
          ev("call.completed", "20", duration_seconds=17)], "completed"),
        ([ev("call.initiated", "00"), ev("call.answered", "03"),
          ev("call.completed", "08", duration_seconds=5)], "no-answer"),
        ([ev("call.initiated", "00"), ev("call.answered", "03"),
          ev("call.completed", "04", duration_seconds=1)], "failed"),
        ([ev("call.initiated", "00"), ev("call.ringing", "01"),
          ev("call.busy", "02", hangup_cause="user_busy")], "busy"),
        ([ev("call.initiated", "00"), ev("call.no-answer", "30")], "no-answer"),
        ([ev("call.initiated", "00"), ev("call.answered", "02"),
          ev("call.completed", "40")], "completed"),  # duration from the events' times
    ]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(data=st.data(), sequence=SEQUENCES)
def test_the_class_depends_only_on_the_final_facts(data, sequence):
    events, expected = sequence
    terminal = events[-1]
    answered = [e for e in events if e["event_type"] == "call.answered"]
    # Lose any middle events (never the terminal one, nor the answered one when the duration
    # depends on it), repeat some, and shuffle.
    needed = [terminal] + ([] if terminal.get("duration_seconds") is not None else answered)
    optional = [e for e in events if e not in needed]
    kept = data.draw(st.lists(st.sampled_from(optional), unique_by=id)) if optional else []
    repeated = data.draw(st.lists(st.sampled_from(events), max_size=4))
    arrival = data.draw(st.permutations(needed + kept + repeated))
    outcome = outcome_of(arrival, T)
    assert outcome.outcome_class == expected
    assert outcome.events == len({e["event_id"] for e in arrival})


def test_webhook_outcomes_over_captured_events(telcli, tmp_path):
    lines = []
    for call, status, duration in (("CA1", "completed", 42), ("CA2", "completed", 5),
                                   ("CA3", "busy", None), ("CA4", "ringing", None)):  # fmt: skip
        form = f"CallSid={call}&CallStatus={status}&From=%2B14155550100&To=%2B14155550199"
        if duration is not None:
            form += f"&CallDuration={duration}"
        lines.append(
            json.dumps(
                {"method": "POST", "url": "https://hooks.example.com/status", "provider": "twilio",
                 "headers": [["Content-Type", "application/x-www-form-urlencoded"],
                             ["X-Twilio-Signature", "x"]],
                 "body": form, "received_at": "2026-12-01T10:00:00Z"}
            )
        )  # fmt: skip
    path = tmp_path / "calls.ndjson"
    path.write_text("\n".join(lines) + "\n")
    assert telcli("webhook", "import", str(path)).exit_code == 0
    result = telcli("webhook", "outcomes", "--json")
    assert result.exit_code == 7  # CA4 is still ringing
    classes = {o["id"]: o["outcome_class"] for o in json.loads(result.stdout)}
    assert classes == {"CA1": "completed", "CA2": "no-answer", "CA3": "busy", "CA4": None}
    assert "CA4" in result.stderr
    stricter = telcli("webhook", "outcomes", "--call", "CA1", "--answered-min-seconds", "60")
    assert stricter.exit_code == 0 and "no-answer" in stricter.stdout
    bad = telcli("webhook", "outcomes", "--answered-min-seconds", "2")
    assert bad.exit_code == 2 and "--failed-below-seconds" in bad.stderr
    listed = json.loads(telcli("webhook", "list", "--call", "CA3", "--json").stdout)
    assert [c["event"]["event_type"] for c in listed] == ["call.busy"]
    assert (
        json.loads(telcli("webhook", "list", "--status", "ringing", "--json").stdout)[0]["sid"]
        == "CA4"
    )
    normalized = telcli("webhook", "export", "--normalized").stdout.splitlines()
    assert {json.loads(x)["call_id"] for x in normalized} == {"CA1", "CA2", "CA3", "CA4"}
