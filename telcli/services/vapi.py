"""VAPI use cases: import a carrier's number (idempotently), assign and unassign assistants,
list numbers and assistants. Numbers are addressed by E.164 and assistants by ID or exact
name; VAPI's own UUIDs for numbers never need to be known.

The Twilio auth token (or API key secret) and the Telnyx API key are sent to VAPI on import:
they travel only in request bodies, never in messages (errors are cleaned of them here).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from telcli.errors import ProviderError, ProviderRejected, TelcliError, UsageProblem
from telcli.models import Assistant, Listing, ProviderFailure, VapiNumber
from telcli.services import numbers as numbers_svc
from telcli.tenancy import name_of_label, tenant_of_vapi_name, vapi_name

Notify = Callable[[str], None]
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
TELNYX_CREDENTIAL_NAME = "telcli telnyx"


class VapiApi(Protocol):
    """What these use cases need of :class:`telcli.providers.vapi.VapiProvider`."""

    def list_assistants(self) -> list[Assistant]: ...
    def get_assistant(self, assistant_id: str) -> Assistant: ...
    def list_numbers(self) -> list[VapiNumber]: ...
    def find_number(self, phone_number: str) -> VapiNumber | None: ...
    def create_number(self, body: dict[str, Any]) -> VapiNumber: ...
    def update_number(self, number: VapiNumber, changes: dict[str, Any]) -> VapiNumber: ...
    def delete_number(self, number: VapiNumber) -> None: ...
    def list_credentials(self) -> list[dict[str, Any]]: ...
    def create_credential(self, provider: str, api_key: str, name: str) -> str: ...


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class Imported:
    number: VapiNumber
    action: str  # "created" | "updated"

    def __getattr__(self, attr: str) -> Any:  # table columns read the number's fields
        return getattr(self.number, attr)

    def to_json(self) -> dict[str, Any]:
        return {**self.number.to_json(), "action": self.action}


def resolve_assistant(vapi: VapiApi, ref: str) -> Assistant:
    """An assistant by ID, or by name (exact, else ignoring case). ProviderRejected (exit 5)
    with a "did you mean" when there is none,
    UsageProblem (exit 2) when a name is ambiguous."""
    ref = ref.strip()
    assistants = vapi.list_assistants()
    for assistant in assistants:
        if assistant.id == ref:
            return assistant
    named = assistants_named(assistants, ref)
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise UsageProblem(
            f"{len(named)} VAPI assistants are named {ref!r}",
            hint="use the ID instead: " + ", ".join(a.id for a in named),
        )
    if _UUID.match(ref):
        # Beyond the listing's limit, perhaps: ask for it directly.
        try:
            return vapi.get_assistant(ref)
        except ProviderRejected:
            pass
    close = closest_name(assistants, ref)
    raise ProviderRejected(
        f"no VAPI assistant has the ID or name {ref!r}",
        provider="vapi",
        hint=f"did you mean {close!r}? See them with `telcli vapi assistants`"
        if close
        else "see them with `telcli vapi assistants`",
    )


def assistants_named(assistants: Sequence[Assistant], ref: str) -> list[Assistant]:
    """The assistants named ``ref``: exactly, else ignoring case."""
    return [a for a in assistants if a.name == ref] or [
        a for a in assistants if (a.name or "").casefold() == ref.casefold()
    ]


def closest_name(assistants: Sequence[Assistant], ref: str) -> str | None:
    """The assistant name nearest to ``ref`` (for "did you mean"), if one is close."""
    import difflib

    by_folded = {(a.name or "").casefold(): a.name for a in assistants if a.name}
    close = difflib.get_close_matches(ref.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[close[0]] if close else None


def _named(vapi_numbers: list[VapiNumber], assistants: list[Assistant]) -> list[VapiNumber]:
    names = {a.id: a.name for a in assistants}
    return [replace(n, assistant_name=names.get(n.assistant_id or "")) for n in vapi_numbers]


def list_numbers(
    vapi: VapiApi, *, tenant: str | None = None, notify: Notify = _quiet
) -> Listing[VapiNumber]:
    """VAPI's phone numbers sorted by number, each with its assistant's name; with
    ``tenant``, those whose VAPI name carries it (VAPI's listing has no name filter). When the
    assistants cannot be listed the numbers come with assistant IDs only, and ``errors``
    says why (the answer is incomplete)."""
    found = sorted(vapi.list_numbers(), key=lambda n: n.phone_number)
    if tenant is not None:
        found = [n for n in found if n.tenant == tenant]
    if not any(n.assistant_id for n in found):
        return Listing(found)
    try:
        return Listing(_named(found, vapi.list_assistants()))
    except TelcliError as exc:
        error = f"assistant names unavailable: {exc.message}"
        notify(f"vapi: {error}")
        return Listing(found, [ProviderFailure("vapi", error, int(exc.exit_code))])


def list_assistants(vapi: VapiApi) -> list[Assistant]:
    return sorted(vapi.list_assistants(), key=lambda a: ((a.name or "").lower(), a.id))


def imported(vapi: VapiApi, phone_number: str) -> VapiNumber | None:
    """``phone_number`` in VAPI, or None when it is not imported."""
    return vapi.find_number(phone_number)


Owns = Callable[[str], bool | None]  # does this profile own the number? None: cannot tell


def find(vapi: VapiApi, phone_number: str, *, owns: Owns | None = None) -> VapiNumber:
    """The number in VAPI. ProviderRejected (exit 5) when it is not there, with a hint that
    suggests importing it only when ``owns`` says this profile owns it."""
    number = vapi.find_number(phone_number)
    if number is None:
        owned = owns(phone_number) if owns is not None else None
        if owned:
            hint = f"import it first: `telcli vapi import {phone_number} --assistant ID`"
        elif owned is False:
            hint = "this profile does not own it either; `telcli numbers list` shows what it owns"
        else:
            hint = "`telcli vapi numbers` lists the imported numbers"
        raise ProviderRejected(
            f"{phone_number} is not imported into VAPI", provider="vapi", hint=hint
        )
    return number


def _clean(exc: TelcliError, secrets: Sequence[str]) -> TelcliError:
    """``exc`` with every carrier secret removed from its message (VAPI may echo a body)."""
    from telcli.transport import redact

    message, hint = redact(exc.message, secrets), redact(exc.hint or "", secrets) or None
    if message == exc.message and hint == exc.hint:
        return exc
    if isinstance(exc, ProviderError):
        return type(exc)(
            message,
            provider=exc.provider,
            status=exc.status,
            code=exc.code,
            hint=hint,
            request_id=exc.request_id,
        )
    return type(exc)(message, hint=hint)


def _telnyx_credential(vapi: VapiApi, api_key: str, notify: Notify) -> str:
    """The VAPI credential for Telnyx that telcli created once (by name), else a new one."""
    for credential in vapi.list_credentials():
        if credential.get("provider") == "telnyx" and credential.get("name") == (
            TELNYX_CREDENTIAL_NAME
        ):
            return str(credential["id"])
    notify("creating the VAPI credential for Telnyx (once; reused by later imports)")
    return str(vapi.create_credential("telnyx", api_key, TELNYX_CREDENTIAL_NAME))


def import_number(
    vapi: VapiApi,
    carriers: Sequence[Any],
    phone_number: str,
    *,
    assistant: str,
    carrier_credentials: Callable[[str], Mapping[str, str]],
    name: str | None = None,
    server_url: str | None = None,
    notify: Notify = _quiet,
    state: Any = None,
    profile: str = "",
) -> Imported:
    """Import ``phone_number`` into VAPI with ``assistant``; idempotent.

    The carrier owning the number is found first (ProviderRejected, exit 5, when none does).
    A number VAPI already has is updated (PATCH with its ``provider``), never duplicated.
    ``carrier_credentials(name)`` gives the carrier's credentials; Twilio's account SID and
    auth token (or API key and secret) go to VAPI, and Telnyx numbers get a VAPI credential
    created once and reused. Ledgered as ``vapi.import`` (provider ``vapi``).
    """
    from telcli.storage.state import operation

    with operation(state, "vapi.import", "vapi", profile, phone_number) as step:
        imported = _import(
            vapi,
            carriers,
            phone_number,
            assistant=assistant,
            carrier_credentials=carrier_credentials,
            name=name,
            server_url=server_url,
            notify=notify,
        )
        step.result_id = imported.number.id
        step.detail = {"action": imported.action, "assistant_id": imported.number.assistant_id}
    return imported


def _import(
    vapi: VapiApi,
    carriers: Sequence[Any],
    phone_number: str,
    *,
    assistant: str,
    carrier_credentials: Callable[[str], Mapping[str, str]],
    name: str | None,
    server_url: str | None,
    notify: Notify,
) -> Imported:
    chosen = resolve_assistant(vapi, assistant)
    existing = vapi.find_number(phone_number)
    changes: dict[str, Any] = {"assistantId": chosen.id}
    if name is not None:
        changes["name"] = name
    if server_url is not None:
        changes["server"] = {"url": server_url}
    if existing is not None:
        notify(f"{phone_number} is already in VAPI ({existing.carrier}); updating it")
        if name is not None and existing.tenant:
            changes["name"] = _tenant_name(existing.tenant, name)  # a new name keeps the tenant
        updated = vapi.update_number(existing, changes)
        return Imported(replace(updated, assistant_name=chosen.name), "updated")

    carrier, owned = numbers_svc.locate(carriers, phone_number, notify=notify)
    if owned.tenant:
        # The carrier records the number's tenant: VAPI's name says it too (telcli/tenancy.py).
        changes["name"] = _tenant_name(owned.tenant, name or name_of_label(owned.friendly_name))
    creds = dict(carrier_credentials(str(carrier.name)))
    secrets = [v for k, v in creds.items() if k != "account_sid"]
    body: dict[str, Any] = {"provider": str(carrier.name), "number": phone_number, **changes}
    try:
        if str(carrier.name) == "twilio":
            body["twilioAccountSid"] = creds["account_sid"]
            if creds.get("api_key") and creds.get("api_secret"):
                body["twilioApiKey"], body["twilioApiSecret"] = (
                    creds["api_key"],
                    creds["api_secret"],
                )
            else:
                body["twilioAuthToken"] = creds.get("auth_token", "")
        else:
            body["credentialId"] = _telnyx_credential(vapi, creds.get("api_key", ""), notify)
        created = vapi.create_number(body)
    except TelcliError as exc:
        raise _clean(exc, secrets) from None
    return Imported(replace(created, assistant_name=chosen.name), "created")


def _tenant_name(tenant: str, name: str | None) -> str:
    """VAPI's name for a number of ``tenant``: ``name`` as given when it already carries a
    tenant (it was written that way on purpose), else ``tenant · name``."""
    if name and tenant_of_vapi_name(name):
        return name
    return vapi_name(tenant, name)


def assign(
    vapi: VapiApi,
    phone_number: str,
    assistant: str,
    *,
    state: Any = None,
    profile: str = "",
    owns: Owns | None = None,
) -> VapiNumber:
    """Point ``phone_number`` at ``assistant`` (ledgered as ``vapi.assign``)."""
    from telcli.storage.state import operation

    with operation(state, "vapi.assign", "vapi", profile, phone_number) as step:
        chosen = resolve_assistant(vapi, assistant)
        number = find(vapi, phone_number, owns=owns)
        updated = vapi.update_number(number, {"assistantId": chosen.id})
        step.result_id, step.detail = updated.id, {"assistant_id": chosen.id}
    return replace(updated, assistant_name=chosen.name)


def unassign(
    vapi: VapiApi,
    phone_number: str,
    *,
    state: Any = None,
    profile: str = "",
    owns: Owns | None = None,
) -> VapiNumber:
    """Detach the assistant (``assistantId: null``, which VAPI accepts though the spec types
    it as a string). Idempotent: a number without an assistant is returned as it is.
    Ledgered as ``vapi.unassign``."""
    from telcli.storage.state import operation

    with operation(state, "vapi.unassign", "vapi", profile, phone_number) as step:
        number = find(vapi, phone_number, owns=owns)
        step.result_id = number.id
        if number.assistant_id is None:
            step.detail = {"unchanged": True}
            return number
        updated = vapi.update_number(number, {"assistantId": None})
    return replace(updated, assistant_id=None, assistant_name=None)


def remove(
    vapi: VapiApi,
    phone_number: str,
    *,
    confirm: Callable[[VapiNumber], None] | None = None,
    state: Any = None,
    profile: str = "",
) -> VapiNumber | None:
    """Remove a number from VAPI (PhoneNumberController_remove); the carrier keeps it.
    Idempotent: None when it is not in VAPI (nothing asked, nothing done). ``confirm`` sees
    the number before it goes. Ledgered as ``vapi.remove``."""
    from telcli.storage.state import operation

    number = vapi.find_number(phone_number)
    if number is None:
        return None
    if confirm is not None:
        confirm(number)
    with operation(state, "vapi.remove", "vapi", profile, phone_number) as step:
        vapi.delete_number(number)
        step.result_id = number.id
    return number
