"""Correlation ids (stdlib only): telcli's operation id for one command run, and the request
ids providers send back, collected for the ledger entry that caused them.

``transport.send`` reports each response's request id (Twilio ``Twilio-Request-Id``, Telnyx
``x-request-id``) with :func:`saw`; :meth:`storage.state.StateDB.ledger_begin` opens a
:class:`Collector` that receives every id seen from then on in the same thread (or in a thread
run with a copy of its context), and ``ledger_finish`` stores the last one from the entry's
own provider (a VAPI import also asks the carriers who owns the number).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


def new_operation_id() -> str:
    """A fresh id for one command run: ``op_`` and 12 hex digits (48 random bits)."""
    return "op_" + secrets.token_hex(6)


class Collector:
    """The ``(provider, request id)`` pairs seen while one ledger entry is open, oldest
    first."""

    __slots__ = ("active", "ids")

    def __init__(self) -> None:
        self.ids: list[tuple[str, str]] = []
        self.active = True

    def of(self, provider: str) -> list[str]:
        """``provider``'s request ids, oldest first, each once."""
        return list(dict.fromkeys(rid for name, rid in self.ids if name == provider))

    def last(self, provider: str) -> str | None:
        """``provider``'s latest request id, if it sent one."""
        return next((rid for name, rid in reversed(self.ids) if name == provider), None)

    def close(self) -> None:
        self.active = False


_OPEN: ContextVar[tuple[Collector, ...]] = ContextVar("telcli_request_ids", default=())


def collect() -> Collector:
    """Start collecting request ids in this context until the collector is closed."""
    collector = Collector()
    _OPEN.set((*(c for c in _OPEN.get() if c.active), collector))
    return collector


def saw(provider: str, request_id: str | None) -> None:
    """Hand one response's request id to every open collector of this context."""
    if not request_id:
        return
    for collector in _OPEN.get():
        if collector.active:
            collector.ids.append((provider, request_id))


@contextmanager
def watching() -> Iterator[Collector]:
    """The request ids seen inside the block: for an error raised about an answer that came
    back well-formed but without what telcli needs, which must still cite its request id."""
    collector = collect()
    try:
        yield collector
    finally:
        collector.close()
