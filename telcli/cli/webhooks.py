"""webhook: the group. Its verbs live in three modules by what they touch, each imported only
when a command line reaches it (LazyVerbGroup):

- webhook_signing.py   sign | verify | keygen   offline signing, no store, no network
- webhook_captures.py  listen | import | export | list | show | pull | outcomes | delete
- webhook_replay.py    replay                   sending captures to a receiver again

Shared option types and helpers are in webhook_common.py. The help strings below are what
``telcli webhook --help`` lists without importing anything; a test keeps them equal to each
command's own docstring (its first paragraph).
"""

from __future__ import annotations

from telcli.cli.base import LazyVerbGroup, TelcliTyper
from telcli.cli.webhook_common import PS_NOTE

_SIGNING = "telcli.cli.webhook_signing"
_CAPTURES = "telcli.cli.webhook_captures"
_REPLAY = "telcli.cli.webhook_replay"

VERBS: dict[str, tuple[str, str]] = {
    "sign": (_SIGNING, "Print the signature headers a provider would send with this body."),
    "verify": (_SIGNING, "Check a delivery's signature: exit 0 when valid, 5 when not."),
    "keygen": (
        _SIGNING,
        "Print a new Ed25519 test key pair (base64) for signing Telnyx-style webhooks.",
    ),
    "import": (
        _CAPTURES,
        "Import captured requests into the store (all or nothing); print the new capture ids.",
    ),
    "export": (
        _CAPTURES,
        "Print captures as NDJSON (one object per line, bodies base64), oldest first.",
    ),
    "list": (_CAPTURES, "List captured webhooks, newest first."),
    "show": (
        _CAPTURES,
        "Show one capture: request, headers, decoded body, the receiver's answer and, when a"
        " secret or key is known, the signature verdict.",
    ),
    "replay": (
        _REPLAY,
        "Send captured webhooks to a receiver again, re-signed for it; exit 7 unless every"
        " response meets --expect-status.",
    ),
    "listen": (
        _CAPTURES,
        "Capture webhooks on a local port (and forward them); Ctrl-C stops, nothing is lost.",
    ),
    "outcomes": (
        _CAPTURES,
        "Classify each captured call and message from its webhook events: completed, no-answer,"
        " busy, failed or canceled (messages: delivered, undelivered, failed, unconfirmed); exit 7"
        " while any"
        " is unsettled.",
    ),
    "delete": (
        _CAPTURES,
        "Delete captures (bodies hold customers' numbers and messages); asks first, --yes"
        " without a TTY.",
    ),
    "pull": (
        _CAPTURES,
        "Pull recent webhook deliveries from the provider into the store (one capture per"
        " attempt).",
    ),
}

app = TelcliTyper(
    help="Capture, sign, verify and replay provider webhooks.\n\n"
    f"{PS_NOTE}; prefer the TELCLI_WEBHOOK_* environment variables.",
    no_args_is_help=True,
    cls=LazyVerbGroup.of(VERBS),
)


@app.callback()
def webhook() -> None:
    pass
