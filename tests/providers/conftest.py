"""Provider tests answer with 429/5xx on purpose: let transport retries run without waiting."""

from __future__ import annotations

import dataclasses

import pytest

from telcli import transport


@pytest.fixture(autouse=True)
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the pauses the default retry policy would take instead of sleeping them."""
    pauses: list[float] = []
    default = getattr(transport, "DEFAULT_RETRY", None)
    if default is not None:
        monkeypatch.setattr(
            transport, "DEFAULT_RETRY", dataclasses.replace(default, sleep=pauses.append)
        )
    return pauses
