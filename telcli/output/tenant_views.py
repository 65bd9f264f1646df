"""Columns for `telcli tenants plan|apply|status|list|remove` (table and TSV share getters)."""

from __future__ import annotations

from typing import Any

from telcli.output.views import Column, money


def _buys(p: Any) -> str:
    return ",".join(f"{o.phone_number}@{o.provider}" for o in p.buy)


def _plan_cost(p: Any) -> str:
    by: dict[str, Any] = {}
    for o in p.buy:
        if o.monthly_price is not None:
            by[o.currency or "?"] = by.get(o.currency or "?", 0) + o.monthly_price
    return ", ".join(money(v, c) for c, v in sorted(by.items()))


def _changes(p: Any) -> str:
    parts = []
    if p.addresses:
        parts.append(", ".join(f"address {a.action} at {a.provider}" for a in p.addresses))
    if p.retag:
        parts.append(f"tag {len(p.retag)}")
    if p.configure:
        parts.append(f"configure {len(p.configure)}")
    if p.vapi:
        parts.append(f"vapi {len(p.vapi)}")
    return "; ".join(parts)


TENANT_PLANS = (
    Column("Tenant", lambda p: p.tenant, "bold"),
    Column("Holds", lambda p: f"{len(p.held)}/{p.spec.numbers}", justify="right"),
    Column("Buy", _buys),
    Column("Monthly", _plan_cost, justify="right"),
    Column("Changes", _changes),
    Column("Problems", lambda p: "; ".join(p.problems), "red"),
)

TENANT_RESULTS = (
    Column("Tenant", lambda r: r.tenant, "bold"),
    Column("Status", lambda r: r.status),
    Column("Numbers", lambda r: ",".join(n["phone_number"] for n in r.numbers)),
    Column("Error", lambda r: r.error, "red"),
)


def _status_detail(s: Any) -> str:
    """What is not done: each such step's detail, then the latest run's error."""
    parts = [v.detail for v in s.steps.values() if v.status != "done"]
    if s.error and s.error not in parts:
        parts.append(s.error)
    return "; ".join(parts)


TENANT_STATUS = (
    Column("Tenant", lambda s: s.tenant, "bold"),
    Column("Status", lambda s: s.status),
    Column("Steps", lambda s: ", ".join(f"{k}:{v.status}" for k, v in s.steps.items())),
    Column("Detail", _status_detail),
    Column("Check", lambda s: s.check),
    Column("Updated", lambda s: s.updated_at),
)

TENANT_SUMMARIES = (
    Column("Tenant", lambda s: s.tenant, "bold"),
    Column("Name", lambda s: s.name),
    Column("Numbers", lambda s: s.total, justify="right"),
    Column("By provider", lambda s: ",".join(f"{k}:{v}" for k, v in sorted(s.numbers.items()))),
    Column("VAPI", lambda s: f"{s.in_vapi}/{s.total}", justify="right"),
    Column("Assistant", lambda s: f"{s.with_assistant}/{s.total}", justify="right"),
    Column(
        "Monthly",
        lambda s: ", ".join(money(a, c) for c, a in sorted(s.monthly.items())),
        justify="right",
    ),
)

REMOVAL = (
    Column("Number", lambda n: n["phone_number"], "bold"),
    Column("Provider", lambda n: n["provider"], "cyan"),
    Column("ID", lambda n: n["id"], "dim"),
    Column("VAPI ID", lambda n: n["vapi_id"]),
)
