"""`telcli test sms|call` end to end on the sandbox: every outcome path (table and --json)
with its exit code, signed status callbacks checked with the official validators, and no
second send under injected ambiguous faults.

Time is simulated: the sandbox's clock and the command's sleep share one fake timeline, so
a lifecycle of seconds runs in milliseconds and nothing really waits."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from telcli.sandbox import lifecycles
from telcli.sandbox.transport import SandboxTransport
from telcli.sandbox.wire import DropConnection
from tests.webhook_receiver import QuietHTTPServer

MAGIC_FROM = "+15005550006"


class FakeTime:
    def __init__(self) -> None:
        self.wall = time.time()
        self.mono = 1000.0
        self.slept = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.wall += seconds
        self.mono += seconds


@pytest.fixture
def fake_time(monkeypatch) -> FakeTime:
    ft = FakeTime()
    monkeypatch.setattr(lifecycles, "clock", lambda: ft.wall)
    return ft


@pytest.fixture
def sb(telcli, make_ctx, fake_time, tmp_path):
    def run(*args: str, tty: bool = False, transport=None, input=None):
        ctx = make_ctx(
            tty=tty, monotonic=lambda: fake_time.mono, sleep=fake_time.sleep, transport=transport
        )
        return telcli("--sandbox", *args, ctx=ctx, input=input)

    return run


def sms_args(provider: str, *to: str) -> list[str]:
    dests = [x for t in to for x in ("--to", t)]
    return ["test", "sms", *dests, "--from", MAGIC_FROM, "--provider", provider, "--body", "hi"]


@pytest.mark.parametrize("provider", ["twilio", "telnyx"])
@pytest.mark.parametrize(
    ("to", "expect", "status", "outcome", "code"),
    [
        ("+14155550123", "delivered", "delivered", "passed", 0),
        ("+15005550003", "delivered", "undelivered", "failed", 5),
        ("+15005550002", "delivered", "failed", "failed", 5),
        ("+15005550003", "undelivered", "undelivered", "passed", 0),
        ("+15005550002", "failed", "failed", "passed", 0),
        ("+15005550004", "sent", "sent", "passed", 0),
        ("+15005550005", "delivered", "queued", "unknown", 7),
        ("+15005550001", "delivered", "not-sent", "failed", 5),
    ],
)
def test_sms_outcomes_in_json(sb, provider, to, expect, status, outcome, code):
    result = sb(
        *sms_args(provider, to), "--expect", expect, "--wait", "--timeout", "30", "--yes", "--json"
    )
    assert result.exit_code == code, result
    [data] = json.loads(result.stdout)
    assert (data["to"], data["status"], data["outcome"], data["exit_code"]) == (
        to,
        status,
        outcome,
        code,
    )
    assert (data["provider"], data["expected"], data["kind"]) == (provider, expect, "sms")
    assert (data["encoding"], data["segments"]) == ("GSM-7", 1)
    if status in ("undelivered", "failed"):
        assert data["error_code"] and data["error_meaning"]
    if to == "+15005550001":
        assert data["error_code"] == {"twilio": "21211", "telnyx": "40310"}[provider]
        assert data["id"] is None
    if status == "delivered":
        assert data["price"] and data["currency"] == "USD"


def test_undelivered_without_receipt_on_twilio_is_unknown_at_timeout(sb):
    # Twilio keeps a message "sent" when no receipt comes: the outcome stays open (exit 7).
    result = sb(*sms_args("twilio", "+15005550004"), "--wait", "--timeout", "30", "--yes", "--json")
    assert result.exit_code == 7
    assert json.loads(result.stdout)[0]["note"] == "still sent after 30s"


def test_telnyx_delivery_unconfirmed_is_a_final_wrong_status(sb):
    result = sb(*sms_args("telnyx", "+15005550004"), "--wait", "--timeout", "30", "--yes", "--json")
    assert result.exit_code == 5
    data = json.loads(result.stdout)[0]
    assert (data["status"], data["carrier_status"]) == ("sent", "delivery_unconfirmed")


def test_sms_table_output_and_messages(sb):
    result = sb(*sms_args("twilio", "+14155550123", "+15005550003"), "--wait", "--yes")
    assert result.exit_code == 5
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("+14155550123", "delivered", "delivered", "passed"),
        ("+15005550003", "undelivered", "delivered", "failed"),
    ]
    assert rows[1][6] == "30003 unreachable destination handset (off, out of coverage)"
    assert "encoding        GSM-7, 1 segment (2 characters)" in result.stderr
    assert "estimated cost  0.01580 USD" in result.stderr  # 2 recipients x 1 segment
    assert "ok: +14155550123: delivered (expected delivered)" in result.stderr
    assert "error: +15005550003: undelivered (expected delivered): 30003 unreachable" in (
        result.stderr
    )


def test_several_destinations_run_concurrently_one_object_each(sb, fake_time):
    dests = ["+14155550123", "+15005550003", "+15005550005", "+14155550124"]
    result = sb(*sms_args("twilio", *dests), "--wait", "--timeout", "20", "--yes", "--json")
    data = json.loads(result.stdout)
    assert [d["to"] for d in data] == dests
    assert [d["outcome"] for d in data] == ["passed", "failed", "unknown", "passed"]
    assert result.exit_code == 5  # a wrong final status outranks an unknown one


def test_no_wait_returns_queued_with_exit_0(sb, fake_time):
    result = sb(*sms_args("telnyx", "+15005550003"), "--no-wait", "--yes", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)[0]
    assert (data["status"], data["outcome"]) == ("queued", "sent")
    assert fake_time.slept == 0
    assert "accepted by telnyx as queued" in result.stderr


def test_without_a_tty_a_test_still_waits_for_its_outcome(sb):
    # The README's example marked "exit 5", run from a script: it follows the message to
    # "undelivered" and fails, rather than reporting "sent" and exiting 0.
    result = sb(*sms_args("twilio", "+15005550003"), "--yes", "--json")
    assert result.exit_code == 5, result
    assert json.loads(result.stdout)[0]["status"] == "undelivered"


def test_unicode_body_shows_ucs2_and_segments(sb):
    args = sms_args("twilio", "+14155550123")
    args[args.index("hi")] = "😀" * 40  # 80 UTF-16 units: 2 segments
    result = sb(*args, "--wait", "--yes", "--json")
    data = json.loads(result.stdout)[0]
    assert (data["encoding"], data["segments"]) == ("UCS-2", 2)


def test_sending_needs_yes_without_a_tty(sb):
    result = sb(*sms_args("twilio", "+14155550123"), "--wait")
    assert result.exit_code == 2 and "--yes" in result.stderr and result.stdout == ""


def test_owned_number_is_found_without_provider(sb):
    offer = json.loads(
        sb("numbers", "search", "--provider", "telnyx", "--limit", "1", "--json").stdout
    )[0]
    assert sb("numbers", "buy", offer["phone_number"], "--yes").exit_code == 0
    result = sb(
        "test",
        "sms",
        "--to",
        "+14155550123",
        "--from-owned",
        "--body",
        "x",
        "--wait",
        "--yes",
        "--json",
    )
    assert result.exit_code == 0, result
    data = json.loads(result.stdout)[0]
    assert (data["from"], data["provider"]) == (offer["phone_number"], "telnyx")


def test_from_owned_with_tenant_sends_only_from_that_tenants_number(sb):
    offers = json.loads(
        sb("numbers", "search", "--provider", "twilio", "--limit", "2", "--json").stdout
    )
    first, second = sorted(o["phone_number"] for o in offers)
    assert sb("numbers", "buy", first, "--tenant", "acme-dental", "--yes").exit_code == 0
    assert sb("numbers", "buy", second, "--tenant", "bolt-gym", "--yes").exit_code == 0
    args = ["test", "sms", "--to", "+14155550123", "--from-owned", "--body", "x", "--yes"]

    # Before: --from-owned took the first owned number, tenant acme's, for anyone.
    bolt = sb(*args, "--tenant", "bolt-gym", "--json")
    assert bolt.exit_code == 0, bolt
    assert json.loads(bolt.stdout)[0]["from"] == second
    # Without --tenant no tenant's number is picked by default.
    untagged = sb(*args)
    assert untagged.exit_code == 2 and "belongs to a tenant" in untagged.stderr
    crossing = sb(*args[:4], "--from", first, "--body", "x", "--yes", "--tenant", "bolt-gym")
    assert crossing.exit_code == 2
    assert f"{first} is not a number of tenant bolt-gym" in crossing.stderr


def test_a_voice_only_telnyx_landline_keeps_its_capabilities_and_never_sends_sms(sb):
    # Issue 13: a bought ZA landline listed `capabilities: []` and `address_id: null`, and a
    # test SMS then went out from it. Its capabilities and purchase address survive listing.
    address = sb(
        "addresses", "create", "--provider", "telnyx", "--business-name", "Acme",
        "--street", "1 Main Rd", "--city", "Cape Town", "--region", "WC",
        "--postal-code", "8001", "--country", "ZA", "--json",
    )  # fmt: skip
    address_id = json.loads(address.stdout)["id"]
    offer = json.loads(
        sb("numbers", "search", "--provider", "telnyx", "--country", "ZA", "--json").stdout
    )[0]
    assert offer["capabilities"] == ["voice"]
    bought = sb("numbers", "buy", offer["phone_number"], "--yes", "--json")
    assert json.loads(bought.stdout)["capabilities"] == ["voice"]
    (listed,) = json.loads(sb("numbers", "list", "--provider", "telnyx", "--json").stdout)
    assert (listed["capabilities"], listed["address_id"]) == (["voice"], address_id)

    refused = sb(
        "test", "sms", "--to", "+27217000000", "--provider", "telnyx", "--body", "hi", "--yes"
    )
    assert refused.exit_code == 2, refused
    assert "owns no sms-capable number to send from (none of its 1 numbers has sms)" in (
        refused.stderr
    )
    pinned = sb(
        "test", "sms", "--to", "+27217000000", "--from", offer["phone_number"],
        "--body", "hi", "--yes",
    )  # fmt: skip
    assert pinned.exit_code == 2
    assert f"{offer['phone_number']} (telnyx) cannot send SMS: it has only voice" in pinned.stderr


@pytest.mark.parametrize(
    ("to", "expect", "status", "outcome", "code", "duration"),
    [
        ("+14155550123", "completed", "completed", "passed", 0, 5),
        ("+15005550003", "completed", "busy", "failed", 5, 0),
        ("+15005550003", "busy", "busy", "passed", 0, 0),
        ("+15005550004", "no-answer", "no-answer", "passed", 0, 0),
        ("+15005550002", "failed", "failed", "passed", 0, 0),
        ("+15005550007", "canceled", "canceled", "passed", 0, 0),
        ("+15005550007", "completed", "canceled", "failed", 5, 0),
        ("+15005550005", "completed", "ringing", "unknown", 7, None),
        ("+15005550001", "completed", "not-sent", "failed", 5, None),
    ],
)
def test_twilio_call_outcomes(sb, to, expect, status, outcome, code, duration):
    result = sb(
        "test",
        "call",
        "--to",
        to,
        "--from",
        MAGIC_FROM,
        "--provider",
        "twilio",
        "--expect",
        expect,
        "--wait",
        "--timeout",
        "60",
        "--yes",
        "--json",
    )
    assert result.exit_code == code, result
    data = json.loads(result.stdout)[0]
    assert (data["status"], data["outcome"], data["duration"]) == (status, outcome, duration)
    if status == "completed":
        assert data["price"] == "0.01400" and data["answered"] is True


def test_min_duration_fails_a_short_call(sb):
    base = ["test", "call", "--to", "+15005550008", "--from", MAGIC_FROM, "--provider", "twilio"]
    short = sb(*base, "--min-duration", "3", "--wait", "--yes", "--json")
    assert short.exit_code == 5
    data = json.loads(short.stdout)[0]
    assert (data["status"], data["duration"], data["min_duration"]) == ("completed", 1, 3)
    assert "less than --min-duration 3s" in data["note"]
    assert sb(*base, "--min-duration", "1", "--wait", "--yes").exit_code == 0


@pytest.mark.parametrize(
    ("to", "expect", "status", "code"),
    [
        ("+14155550123", "completed", "completed", 0),
        # The README's magic numbers hold for Telnyx too: the cause comes from the leg's
        # call.hangup event (ListCallEvents); all of these read no-answer before.
        ("+15005550003", "busy", "busy", 0),
        ("+15005550003", "completed", "busy", 5),
        ("+15005550002", "failed", "failed", 0),
        ("+15005550007", "canceled", "canceled", 0),
        ("+15005550004", "no-answer", "no-answer", 0),
        ("+15005550005", "completed", "queued", 7),
    ],
)
def test_telnyx_call_outcomes(sb, to, expect, status, code):
    result = sb(
        "test",
        "call",
        "--to",
        to,
        "--from",
        MAGIC_FROM,
        "--provider",
        "telnyx",
        "--connection-id",
        "1494404757140276705",
        "--expect",
        expect,
        "--wait",
        "--yes",
        "--json",
    )
    assert result.exit_code == code, result
    data = json.loads(result.stdout)[0]
    assert data["status"] == status and data["id"].startswith("v3:")
    assert data["session_id"] and data["leg_id"]
    causes = {"busy": "user_busy", "failed": "call_rejected", "canceled": "originator_cancel"}
    if status in causes:
        assert data["carrier_status"] == causes[status]


def test_telnyx_call_without_connection_is_a_usage_error(sb):
    result = sb(
        "test",
        "call",
        "--to",
        "+14155550123",
        "--from",
        MAGIC_FROM,
        "--provider",
        "telnyx",
        "--yes",
        "--json",
    )
    assert result.exit_code == 2
    assert json.loads(result.stdout)[0]["error"].startswith("Telnyx dials from a Call Control")


# -- faults: an answer lost after the carrier acted must never lead to a second send ----------


class LoseAnswer:
    """Commit the operation, then drop the connection (the ambiguous case)."""

    def __init__(self, operation: str, *, also_fail: str | None = None) -> None:
        self.operation = operation
        self.also_fail = also_fail
        self.seen: list[str] = []

    def before(self, operation, request):
        self.seen.append(operation)
        if operation == self.also_fail:
            from telcli.sandbox.twilio import error

            return error(503, 20503, "Service unavailable")
        return None

    def after(self, operation, request, response):
        if operation == self.operation:
            raise DropConnection()
        return response


def test_lost_sms_answer_is_reconciled_and_never_resent(sb, home):
    faults = LoseAnswer("twilio.messages.create")
    transport = SandboxTransport(home / "sandbox.db", faults=faults)
    result = sb(
        *sms_args("twilio", "+14155550123"), "--wait", "--yes", "--json", transport=transport
    )
    assert result.exit_code == 0, result
    assert faults.seen.count("twilio.messages.create") == 1
    assert "twilio.messages.list" in faults.seen
    data = json.loads(result.stdout)[0]
    assert data["status"] == "delivered"
    assert [a["outcome"] for a in data["attempts"]] == ["unknown", "reconciled"]


def test_lost_sms_answer_that_cannot_be_checked_is_exit_7(sb, home):
    faults = LoseAnswer("twilio.messages.create", also_fail="twilio.messages.list")
    transport = SandboxTransport(home / "sandbox.db", faults=faults)
    result = sb(
        *sms_args("twilio", "+14155550123"), "--wait", "--yes", "--json", transport=transport
    )
    assert result.exit_code == 7
    assert faults.seen.count("twilio.messages.create") == 1
    data = json.loads(result.stdout)[0]
    assert data["outcome"] == "unknown" and "may or may not" in data["error"]


def test_lost_telnyx_answer_is_unknown_and_never_resent(sb, home):
    faults = LoseAnswer("telnyx.messages.send")
    transport = SandboxTransport(home / "sandbox.db", faults=faults)
    result = sb(
        *sms_args("telnyx", "+14155550123"), "--wait", "--yes", "--json", transport=transport
    )
    assert result.exit_code == 7
    assert faults.seen.count("telnyx.messages.send") == 1
    [data] = json.loads(result.stdout)
    assert "offers no way to look it up" in data["error"]
    # What it takes to look the message up by hand: who sent it, from where, how it went.
    assert (data["from"], data["provider"]) == (MAGIC_FROM, "telnyx")
    assert [a["outcome"] for a in data["attempts"]] == ["unknown"]


def test_lost_call_answer_is_reconciled_and_never_redialed(sb, home):
    faults = LoseAnswer("twilio.calls.create")
    transport = SandboxTransport(home / "sandbox.db", faults=faults)
    result = sb(
        "test",
        "call",
        "--to",
        "+14155550123",
        "--from",
        MAGIC_FROM,
        "--provider",
        "twilio",
        "--wait",
        "--yes",
        "--json",
        transport=transport,
    )
    assert result.exit_code == 0, result
    assert faults.seen.count("twilio.calls.create") == 1
    assert json.loads(result.stdout)[0]["status"] == "completed"


def test_sends_are_ledgered(sb, home):
    sb(*sms_args("twilio", "+14155550123"), "--wait", "--yes")
    from telcli.storage.state import StateDB

    [entry] = StateDB(home / "state.db").ledger_entries(op="sms")
    assert (entry.status, entry.target, entry.provider) == ("succeeded", "+14155550123", "twilio")
    assert entry.profile == "default (sandbox)" and entry.result_id.startswith("SM")


def test_the_history_keeps_what_a_followed_test_cost(sb):
    # The carrier prices a message or call once it is done, after the send's answer: the
    # ledger row (`telcli history`, for finance) gets the price the result shows.
    sms = sb(*sms_args("twilio", "+14155550123"), "--wait", "--yes", "--json")
    to = ("--to", "+14155550123", "--from", MAGIC_FROM, "--provider", "twilio")
    call = sb("test", "call", *to, "--yes", "--json")
    shown = [json.loads(r.stdout)[0] for r in (call, sms)]
    assert all(s["price"] for s in shown), shown
    history = json.loads(sb("history", "--json").stdout)
    assert [(h["action"], h["price"], h["currency"]) for h in history] == [
        (s["kind"], s["price"], s["currency"]) for s in shown
    ]


# -- signed status callbacks, verified with the official validators --------------------------


class Receiver:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = QuietHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/status"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def fast(monkeypatch):
    # Callbacks run on real threads and real time: speed the lifecycles up instead.
    monkeypatch.setenv(lifecycles.SPEED_ENV, "200")


def test_twilio_sms_callbacks_verify_with_the_request_validator(telcli, receiver, fast):
    from twilio.request_validator import RequestValidator

    from telcli.sandbox import SANDBOX_CREDENTIALS
    from telcli.sandbox.callbacks import drain
    from telcli.webhooks.twilio import form_params

    result = telcli(
        "--sandbox",
        *sms_args("twilio", "+15005550003"),
        "--callback-url",
        receiver.url,
        "--wait",
        "--yes",
        "--json",
    )
    assert result.exit_code == 5
    assert drain(10)
    statuses = []
    validator = RequestValidator(SANDBOX_CREDENTIALS["twilio"]["auth_token"])
    for _, headers, body in receiver.requests:
        params = dict(form_params(body))
        assert validator.validate(receiver.url, params, headers["X-Twilio-Signature"])
        assert not validator.validate(receiver.url + "x", params, headers["X-Twilio-Signature"])
        statuses.append(params["MessageStatus"])
    assert statuses == ["sending", "sent", "undelivered"]
    assert params["ErrorCode"] == "30003"


def test_twilio_call_callbacks_verify(telcli, receiver, fast):
    from twilio.request_validator import RequestValidator

    from telcli.sandbox import SANDBOX_CREDENTIALS
    from telcli.sandbox.callbacks import drain
    from telcli.webhooks.twilio import form_params

    result = telcli(
        "--sandbox",
        "test",
        "call",
        "--to",
        "+14155550123",
        "--from",
        MAGIC_FROM,
        "--provider",
        "twilio",
        "--callback-url",
        receiver.url,
        "--wait",
        "--yes",
    )
    assert result.exit_code == 0, result
    assert drain(10)
    validator = RequestValidator(SANDBOX_CREDENTIALS["twilio"]["auth_token"])
    seen = []
    for _, headers, body in receiver.requests:
        params = dict(form_params(body))
        assert validator.validate(receiver.url, params, headers["X-Twilio-Signature"])
        seen.append(params["CallStatus"])
    assert seen == ["ringing", "in-progress", "completed"]
    assert params["CallDuration"] == "5"


def test_telnyx_callbacks_verify_with_the_published_test_key(telcli, receiver, fast):
    from telcli.sandbox.callbacks import TELNYX_PUBLIC_KEY, drain
    from telcli.webhooks import verify

    result = telcli(
        "--sandbox",
        *sms_args("telnyx", "+14155550123"),
        "--callback-url",
        receiver.url,
        "--wait",
        "--yes",
    )
    assert result.exit_code == 0, result
    assert drain(10)
    events = []
    for _, headers, body in receiver.requests:
        verdict = verify("telnyx", body=body, headers=headers, public_key=TELNYX_PUBLIC_KEY)
        assert verdict.valid, verdict
        data = json.loads(body)["data"]
        events.append((data["event_type"], data["payload"]["to"][0]["status"]))
    assert events == [("message.sent", "sent"), ("message.finalized", "delivered")]


def test_telnyx_callbacks_land_in_the_delivery_log_for_webhook_pull(telcli, receiver, fast):
    # Telnyx logs every webhook it sends (GetWebhookDeliveries); so does the sandbox, so
    # `webhook pull` finds exactly what the receiver got, and replays verify with the test key.
    from telcli.sandbox.callbacks import drain

    result = telcli(
        "--sandbox",
        *sms_args("telnyx", "+14155550123"),
        "--callback-url",
        receiver.url,
        "--wait",
        "--yes",
    )
    assert result.exit_code == 0, result
    assert drain(10)
    pulled = telcli("--sandbox", "webhook", "pull", "--provider", "telnyx", "--json")
    assert pulled.exit_code == 0, pulled
    listed = json.loads(telcli("webhook", "list", "--source", "pull", "--json").stdout)
    assert sorted(c["event_type"] for c in listed) == ["message.finalized", "message.sent"]
    assert {c["url"] for c in listed} == {receiver.url}
    assert all(c["response"]["status"] == 200 for c in listed)
    again = telcli("--sandbox", "webhook", "pull", "--provider", "telnyx", "--json")
    assert again.exit_code == 0
    assert len(json.loads(telcli("webhook", "list", "--json").stdout)) == 2  # nothing twice


@pytest.mark.slow
def test_telnyx_callbacks_verify_with_the_official_sdk(telcli, receiver, fast):
    telnyx_sdk = pytest.importorskip("telnyx")
    from telcli.sandbox.callbacks import TELNYX_PUBLIC_KEY, drain

    result = telcli(
        "--sandbox",
        "test",
        "call",
        "--to",
        "+15005550003",
        "--from",
        MAGIC_FROM,
        "--provider",
        "telnyx",
        "--connection-id",
        "1494404757140276705",
        "--callback-url",
        receiver.url,
        "--wait",
        "--expect",
        "busy",  # the hangup cause the callback carries, which telcli now reads too
        "--yes",
    )
    assert result.exit_code == 0, result
    assert drain(10)
    client = telnyx_sdk.Telnyx(api_key="KEY_test_not_real", public_key=TELNYX_PUBLIC_KEY)
    events = [
        client.webhooks.unwrap(body.decode(), headers=headers).data
        for _, headers, body in receiver.requests
    ]
    assert [e.event_type for e in events] == ["call.initiated", "call.hangup"]
    assert events[-1].payload.hangup_cause == "user_busy"


# -- the same through the sandbox's own fault config (TELCLI_SANDBOX_FAULTS) ------------------


@pytest.fixture
def sb_faults(telcli, make_ctx, fake_time):
    def run(faults: str, *args: str):
        ctx = make_ctx(
            env={"TELCLI_SANDBOX_FAULTS": faults},
            monotonic=lambda: fake_time.mono,
            sleep=fake_time.sleep,
        )
        return telcli("--sandbox", *args, ctx=ctx)

    return run


def _sent_to(home, provider: str, to: str) -> int:
    from telcli.sandbox.state import SandboxState

    return sum(
        a.data["to"] == to
        for a in lifecycles._all(SandboxState(home / "sandbox.db"), provider, "message")
    )


@pytest.mark.parametrize(
    ("provider", "faults", "code", "sent"),
    [
        ("twilio", "twilio.messages.create:drop-response", 0, 1),  # reconciled: delivered
        ("twilio", "twilio.messages.create:timeout", 6, 0),  # listed: provably not sent
        ("twilio", "twilio.messages.create:status=503", 6, 0),
        ("telnyx", "telnyx.messages.send:drop-response", 7, 1),  # cannot be listed: unknown
        ("telnyx", "telnyx.messages.send:status=500", 7, 0),  # 5xx on a send is ambiguous
    ],
)
def test_fault_config_never_sends_twice(sb_faults, home, provider, faults, code, sent):
    result = sb_faults(faults, *sms_args(provider, "+14155550123"), "--wait", "--yes", "--json")
    assert result.exit_code == code, result
    assert _sent_to(home, provider, "+14155550123") == sent


def test_fault_config_on_calls_never_dials_twice(sb_faults, home):
    from telcli.sandbox.state import SandboxState

    result = sb_faults(
        "twilio.calls.create:drop-response",
        "test",
        "call",
        "--to",
        "+15005550003",
        "--from",
        MAGIC_FROM,
        "--provider",
        "twilio",
        "--expect",
        "busy",
        "--wait",
        "--yes",
        "--json",
    )
    assert result.exit_code == 0, result
    calls = lifecycles._all(SandboxState(home / "sandbox.db"), "twilio", "call")
    assert len(calls) == 1


# -- --assistant: the call goes out through VAPI (the sandbox's /call emulator) ---------------

ASSISTANT = "5a4db0c5-a551-4000-8000-000000000003"
VAPI_NUMBER_ID = "5a4db0c5-7e1e-4000-8000-000000000001"


@pytest.fixture
def imported(monkeypatch):
    """+15005550006 counts as imported into VAPI (the number lookup is VAPI's own concern)."""
    from telcli.providers import vapi

    seen: list[str] = []

    def lookup(provider, number):
        seen.append(number)
        return VAPI_NUMBER_ID if number == MAGIC_FROM else None

    monkeypatch.setattr(vapi, "vapi_phone_number_id", lookup)
    return seen


@pytest.mark.parametrize(
    ("to", "expect", "status", "code"),
    [
        ("+14155550123", "completed", "completed", 0),
        ("+15005550003", "busy", "busy", 0),
        ("+15005550004", "completed", "no-answer", 5),
        ("+15005550005", "completed", "ringing", 7),
    ],
)
def test_assistant_calls(sb, imported, to, expect, status, code):
    result = sb(
        "test",
        "call",
        "--to",
        to,
        "--from",
        MAGIC_FROM,
        "--assistant",
        ASSISTANT,
        "--expect",
        expect,
        "--wait",
        "--timeout",
        "60",
        "--yes",
        "--json",
    )
    assert result.exit_code == code, result
    data = json.loads(result.stdout)[0]
    assert (data["status"], data["provider"], data["from"]) == (status, "vapi", MAGIC_FROM)
    assert imported == [MAGIC_FROM]
    if status == "completed":
        assert data["duration"] == 5 and data["price"] == "0.05"


def test_assistant_call_from_a_number_not_in_vapi(sb, imported):
    result = sb(
        "test",
        "call",
        "--to",
        "+14155550123",
        "--from",
        "+14155550100",
        "--assistant",
        ASSISTANT,
        "--yes",
    )
    assert result.exit_code == 2
    assert "+14155550100 is not imported into VAPI" in result.stderr
    assert "`telcli --sandbox vapi import NUMBER --assistant ID`" in result.stderr


@pytest.mark.parametrize(
    "extra",
    [["--say", "hi"], ["--provider", "twilio"], []],
)
def test_assistant_usage_errors(sb, imported, extra):
    args = ["test", "call", "--to", "+14155550123", "--assistant", ASSISTANT, "--yes", *extra]
    if extra:
        args += ["--from", MAGIC_FROM]
    result = sb(*args)
    assert result.exit_code == 2, result


def test_lost_assistant_call_answer_is_reconciled(sb, imported, home):
    faults = LoseAnswer("vapi.calls.create")
    transport = SandboxTransport(home / "sandbox.db", faults=faults)
    result = sb(
        "test",
        "call",
        "--to",
        "+14155550123",
        "--from",
        MAGIC_FROM,
        "--assistant",
        ASSISTANT,
        "--wait",
        "--yes",
        "--json",
        transport=transport,
    )
    assert result.exit_code == 0, result
    assert faults.seen.count("vapi.calls.create") == 1 and "vapi.calls.list" in faults.seen
