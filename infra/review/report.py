"""Machine-readable plans and reviews (`blueprint plan --json`, `blueprint diff --json`), and the cost side of a review.

The documents follow the JSON Schemas in docs/schemas/, which the tests validate them
against, so CI jobs can rely on their shape. Numbers are US dollars a month and minutes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from streaming_policies import ALL_RULES, Violation

from infra.offline.record import StackPlan
from infra.review.cost import cost_delta, estimate_cost, format_cost_delta
from infra.review.critical_path import critical_path
from infra.review.diff import StackDiff, action, added_or_removed

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class CostChange:
    """A stack's monthly cost before and after a change."""

    before: float | None
    """None when the baseline has no figure (a new stack, an old snapshot)."""
    after: float
    by_component: tuple[tuple[str, float, float], ...]
    """(component, before, after) per changed component; known only against a base revision's plan."""
    lines: tuple[str, ...]


@dataclass(frozen=True)
class PairCost:
    """A DR pair reviewed together: what the two regions cost between them."""

    stacks: tuple[str, str]
    before: float | None
    after: float


def cost_change(base: StackPlan | None, current: StackPlan, before: dict[str, Any]) -> CostChange:
    """Against a base revision's plan when there is one, else against the snapshot's recorded total."""
    after = estimate_cost(current)
    if base is not None:
        delta = cost_delta(estimate_cost(base), after)
        return CostChange(delta.before_total, delta.after_total, delta.by_component, tuple(format_cost_delta(delta)))
    before_total = before.get("monthlyCostUsd")
    if before_total is None:
        return CostChange(None, after.total, (), (f"${after.total:,.0f}/month (no baseline figure)",))
    line = f"Monthly cost: ${before_total:,.0f} -> ${after.total:,.0f} ({after.total - before_total:+,.0f} USD)"
    return CostChange(before_total, after.total, (), (line,))


def dr_pairs(plans: dict[str, StackPlan], costs: dict[str, CostChange]) -> list[PairCost]:
    """Every primary reviewed together with its DR peer, with the pair's total cost."""
    pairs = []
    for stack, plan in plans.items():
        dr = plan.config.get("dr") or {}
        peer = (dr.get("peer_stack") or "").rsplit("/", 1)[-1]
        if dr.get("role") == "primary" and peer in plans and stack in costs and peer in costs:
            both = (costs[stack], costs[peer])
            before = None if None in (both[0].before, both[1].before) else sum(c.before or 0.0 for c in both)
            pairs.append(PairCost((stack, peer), before, both[0].after + both[1].after))
    return pairs


def pair_lines(pair: PairCost) -> list[str]:
    after = f"${pair.after:,.0f}/month"
    if pair.before is None:
        return [f"DR pair `{pair.stacks[0]}` + `{pair.stacks[1]}`: {after}"]
    change = pair.after - pair.before
    return [f"DR pair `{pair.stacks[0]}` + `{pair.stacks[1]}`: ${pair.before:,.0f} -> {after} ({change:+,.0f} USD)"]


def plan_document(plans: dict[str, StackPlan], violations: dict[str, list[Violation]]) -> dict[str, Any]:
    return {"schemaVersion": SCHEMA_VERSION, "stacks": {s: _plan(p, violations[s]) for s, p in plans.items()}}


def _plan(plan: StackPlan, violations: list[Violation]) -> dict[str, Any]:
    custom = list(plan.custom_resources())
    estimate, path = estimate_cost(plan), critical_path(plan)
    blocking = [v for v in violations if v.blocking]
    return {
        "stack": plan.stack,
        "project": plan.project,
        "region": plan.region,
        "tier": plan.config["tier"],
        "counts": {
            "resources": len(custom),
            "components": len(plan.components()),
            "providers": sum(r.type.startswith("pulumi:providers:") for r in plan.resources),
            "byType": dict(sorted(Counter(r.type for r in custom).items())),
        },
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "component": component.name if (component := plan.component_of(r)) else None,
                "region": r.region,
                "protect": r.protect,
            }
            for r in custom
        ],
        "outputs": plan.outputs,
        "cost": {
            "currency": estimate.currency,
            "priceDate": estimate.price_date,
            "monthly": _money(estimate.total),
            "byComponent": {label: _money(usd) for label, usd in estimate.by_component.items()},
            "notPriced": [{"type": n.type, "name": n.name, "reason": n.reason} for n in estimate.not_priced],
        },
        "criticalPath": {
            "minutes": round(path.total_minutes, 1),
            "path": [
                {"urn": s.urn, "type": s.type, "name": s.name, "start": s.start, "finish": s.finish} for s in path.path
            ],
            "tierFinish": [{"tier": tier, "minute": minute} for tier, minute in path.tier_finish],
            "findings": list(path.findings),
        },
        "policy": {
            "rules": len(ALL_RULES),
            "mandatory": len(blocking),
            "advisory": len(violations) - len(blocking),
            "violations": [
                {
                    "rule": v.rule,
                    "urn": v.urn,
                    "type": v.resource_type,
                    "name": v.resource_name,
                    "enforcement": v.enforcement,
                    "severity": v.severity,
                    "blocking": v.blocking,
                    "message": v.message,
                }
                for v in violations
            ],
        },
        "warnings": plan.warnings,
    }


def diff_document(
    diffs: list[StackDiff], costs: dict[str, CostChange], pairs: list[PairCost], base: str
) -> dict[str, Any]:
    """`base` says what was compared against: ``snapshots`` or ``git:<ref>``."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "base": base,
        "risks": sum(len(d.risks) for d in diffs),
        "stacks": [_stack_diff(d, costs.get(d.stack)) for d in diffs],
        "drPairs": [
            {"stacks": list(p.stacks), "cost": {"before": _money(p.before), "after": _money(p.after)}} for p in pairs
        ],
    }


def _stack_diff(diff: StackDiff, cost: CostChange | None) -> dict[str, Any]:
    resources = [
        {
            "resource": change.resource,
            "type": change.type,
            "name": change.resource.split("::", 1)[-1],
            "action": action(change),
            "changedPaths": sorted({(added_or_removed(*p) or p)[0] for p in change.properties}),
            "changes": [{"path": path, "before": was, "after": now} for path, was, now in change.properties],
            "risks": change.risks,
        }
        for change in diff.changes
    ]
    return {
        "stack": diff.stack,
        "summary": dict(sorted(Counter(r["action"] for r in resources).items())),
        "configChanges": [{"path": path, "before": was, "after": now} for path, was, now in diff.config_changes],
        "resources": resources,
        "risks": diff.risks,
        "cost": None
        if cost is None
        else {
            "before": _money(cost.before),
            "after": _money(cost.after),
            "delta": None if cost.before is None else _money(cost.after - cost.before),
            "byComponent": [
                {"component": label, "before": _money(before), "after": _money(after)}
                for label, before, after in cost.by_component
            ],
        },
    }


def _money(usd: float | None) -> float | None:
    return None if usd is None else round(usd, 2) or 0.0  # never -0.0 from float noise
