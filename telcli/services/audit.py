"""Drift between the carriers and VAPI (``telcli audit``).

Findings, one row per problem, each with the command that fixes it:

* ``not_in_vapi``  owned at a carrier, not imported into VAPI
* ``no_assistant`` in VAPI without an assistant
* ``not_owned``    in VAPI, but its carrier no longer owns it (released, or another account)
* ``no_webhook``   owned, not in VAPI, and neither voice nor SMS goes anywhere (Twilio: no
  voice or SMS URL; Telnyx: no connection or messaging profile). A number in VAPI counts as
  wired: VAPI answers its calls.
* ``tenant_mismatch`` the carrier records one tenant (telcli/tenancy.py), VAPI's name another
  (or none).

With ``tenant``, only that tenant's numbers are audited: those the carriers record for it and
those VAPI's names give it.

A carrier that cannot be listed is skipped with a note, and VAPI numbers of that carrier are
not called orphans (their owner could not be asked).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
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


def _webhook_fix(telcli: str, number: OwnedNumber) -> str:
    if str(number.provider) == "telnyx":
        return f"{telcli} numbers configure {number.phone_number} --connection-id ID"
    return f"{telcli} numbers configure {number.phone_number} --voice-url URL --sms-url URL"


def _tenant_fix(telcli: str, e164: str, number: OwnedNumber, imported: VapiNumber) -> str:
    from telcli.tenancy import vapi_name

    name = f"'{vapi_name(number.tenant, None)}'" if number.tenant else "NAME"
    return f"{telcli} vapi import {e164} --assistant {imported.assistant_id or 'ID'} --name {name}"


def audit(
    carriers: Sequence[Any],
    vapi: Any,
    *,
    tenant: str | None = None,
    telcli: str = "telcli",
    notify: Notify = _quiet,
    without_vapi: Collection[str] = (),
) -> Listing[Drift]:
    """Every drift finding, sorted by number then kind (with ``tenant``: that tenant's);
    ``errors`` names the carriers that could not be listed (their numbers are not judged).
    ``without_vapi``: tenants a plan keeps out of VAPI (``vapi: false``), whose numbers are
    not "not in VAPI" drift. Fix commands start with ``telcli``: the program and the global
    options the caller runs with (``telcli --sandbox``)."""
    # Everything is listed even for one tenant: a number VAPI names for the tenant may be
    # owned under another (tenant_mismatch), which is not the same as not owned at all.
    listed = failover.each(
        carriers, lambda c: c.list_owned(), what="listing numbers", notify=notify
    )
    asked = {str(c.name) for c, _ in listed}
    everything: dict[str, OwnedNumber] = {n.phone_number: n for _, items in listed for n in items}
    in_vapi: dict[str, VapiNumber] = {n.phone_number: n for n in vapi.list_numbers()}
    owned = everything
    if tenant is not None:
        owned = {k: n for k, n in everything.items() if n.tenant == tenant}
        in_vapi = {k: n for k, n in in_vapi.items() if k in owned or n.tenant == tenant}

    found: list[Drift] = []
    for e164, imported in in_vapi.items():
        number = everything.get(e164)
        if number is not None and number.tenant != imported.tenant:
            found.append(
                Drift(
                    e164,
                    "tenant_mismatch",
                    str(number.provider),
                    f"{number.provider} records tenant {number.tenant or '(none)'}, VAPI's name"
                    f" {imported.tenant or '(none)'}",
                    _tenant_fix(telcli, e164, number, imported),
                )
            )
    for e164, number in owned.items():
        carrier = str(number.provider)
        imported = in_vapi.get(e164)
        if imported is None and number.tenant not in without_vapi:
            found.append(
                Drift(
                    e164,
                    "not_in_vapi",
                    carrier,
                    f"owned at {carrier}, not imported into VAPI",
                    f"{telcli} vapi import {e164} --assistant ID",
                )
            )
        if imported is None and not _wired(number):
            found.append(
                Drift(
                    e164,
                    "no_webhook",
                    carrier,
                    "no voice or SMS webhook is configured",
                    _webhook_fix(telcli, number),
                )
            )
        elif imported is not None and imported.assistant_id is None:
            found.append(
                Drift(
                    e164,
                    "no_assistant",
                    carrier,
                    "in VAPI without an assistant: calls are not answered",
                    f"{telcli} vapi assign {e164} --assistant ID",
                )
            )
    for e164, imported in in_vapi.items():
        if e164 in everything or imported.carrier not in asked:
            continue
        found.append(
            Drift(
                e164,
                "not_owned",
                imported.carrier,
                f"in VAPI, but {imported.carrier} no longer owns it",
                f"{telcli} vapi remove {e164} --yes",
            )
        )
    order = ("not_owned", "tenant_mismatch", "not_in_vapi", "no_assistant", "no_webhook")
    found.sort(key=lambda d: (d.phone_number, order.index(d.kind)))
    return Listing(found, listed.errors)
