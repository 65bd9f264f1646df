"""Drift between the carriers and VAPI (``telcli audit``).

Findings, one row per problem, each with the command that fixes it:

* ``not_in_vapi``  owned at a carrier, not imported into VAPI
* ``no_assistant`` in VAPI without an assistant
* ``not_owned``    in VAPI, but its carrier no longer owns it (released, or another account)
* ``no_webhook``   owned, not in VAPI, and neither voice nor SMS goes anywhere (Twilio: no
  voice or SMS URL; Telnyx: no connection or messaging profile). A number in VAPI counts as
  wired: VAPI answers its calls.

A carrier that cannot be listed is skipped with a note, and VAPI numbers of that carrier are
not called orphans (their owner could not be asked).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telcli.models import Drift, Listing, OwnedNumber, VapiNumber
from telcli.services import failover

Notify = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def _wired(number: OwnedNumber) -> bool:
    return bool(
        number.voice_url or number.sms_url or number.connection_id or number.messaging_profile_id
    )


def _webhook_fix(number: OwnedNumber) -> str:
    if str(number.provider) == "telnyx":
        return f"telcli numbers configure {number.phone_number} --connection-id ID"
    return f"telcli numbers configure {number.phone_number} --voice-url URL --sms-url URL"


def audit(carriers: Sequence[Any], vapi: Any, *, notify: Notify = _quiet) -> Listing[Drift]:
    """Every drift finding, sorted by number then kind; ``errors`` names the carriers that
    could not be listed (their numbers are not judged)."""
    listed = failover.each(
        carriers, lambda c: c.list_owned(), what="listing numbers", notify=notify
    )
    asked = {str(c.name) for c, _ in listed}
    owned: dict[str, OwnedNumber] = {n.phone_number: n for _, items in listed for n in items}
    in_vapi: dict[str, VapiNumber] = {n.phone_number: n for n in vapi.list_numbers()}

    found: list[Drift] = []
    for e164, number in owned.items():
        carrier = str(number.provider)
        imported = in_vapi.get(e164)
        if imported is None:
            found.append(
                Drift(
                    e164,
                    "not_in_vapi",
                    carrier,
                    f"owned at {carrier}, not imported into VAPI",
                    f"telcli vapi import {e164} --assistant ID",
                )
            )
            if not _wired(number):
                found.append(
                    Drift(
                        e164,
                        "no_webhook",
                        carrier,
                        "no voice or SMS webhook is configured",
                        _webhook_fix(number),
                    )
                )
        elif imported.assistant_id is None:
            found.append(
                Drift(
                    e164,
                    "no_assistant",
                    carrier,
                    "in VAPI without an assistant: calls are not answered",
                    f"telcli vapi assign {e164} --assistant ID",
                )
            )
    for e164, imported in in_vapi.items():
        if e164 in owned or imported.carrier not in asked:
            continue
        found.append(
            Drift(
                e164,
                "not_owned",
                imported.carrier,
                f"in VAPI, but {imported.carrier} no longer owns it",
                f"telcli vapi remove {e164} --yes",
            )
        )
    order = ("not_owned", "not_in_vapi", "no_assistant", "no_webhook")
    found.sort(key=lambda d: (d.phone_number, order.index(d.kind)))
    return Listing(found, listed.errors)
