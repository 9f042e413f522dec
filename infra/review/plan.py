"""Renders a StackPlan for people (`blueprint plan`) and for machines (`--json`)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from streaming_policies import ALL_RULES, Violation, evaluate_plan

from infra.drills.targets import drill_targets
from infra.offline.record import StackPlan
from infra.review.cost import estimate_cost, format_cost
from infra.review.critical_path import critical_path, format_critical_path


def render_plan(plan: StackPlan, violations: list[Violation]) -> list[str]:
    """The readable plan: counts per component and type, AZ spread, outputs, cost, deploy time,
    the policy pack's `violations` (computed once by the caller, which also acts on them), drill targets."""
    custom = list(plan.custom_resources())
    lines = [f"Stack {plan.stack} ({plan.config['tier']}) in {plan.region}: {resource_count(plan)}"]
    if plan.warnings:
        lines += ["", "Warnings:"] + [f"  ! {w}" for w in plan.warnings]
    lines += ["", "Resources per component:"]
    per_component: dict[str, Counter[str]] = defaultdict(Counter)
    for resource in custom:
        component = plan.component_of(resource)
        label = f"{component.type} {component.name}" if component else "(no component)"
        per_component[label][resource.type] += 1
    for label in sorted(per_component):
        counts = per_component[label]
        lines.append(f"  {label}: {sum(counts.values())}")
        lines += [f"      {n:3d} x {t}" for t, n in sorted(counts.items())]
    lines += ["", "AZ spread (subnets per tier):"]
    lines += [f"  {row}" for row in az_spread(plan)]
    lines += ["", "Stack outputs:"]
    lines += [f"  {row}" for key in sorted(plan.outputs) for row in _value_lines(key, plan.outputs[key])]
    lines += ["", *format_cost(estimate_cost(plan))]
    lines += ["", *format_critical_path(critical_path(plan))]
    lines += ["", *format_policy(violations)]
    lines += ["", *drill_targets(plan)]
    return lines


def resource_count(plan: StackPlan) -> str:
    """The one resource count (the text plan, its JSON's resource list and the benchmark agree): every
    resource the program registers, and what they are, e.g. ``334 resources (319 AWS resources, ...)``."""
    kinds: Counter[str] = Counter()
    for resource in plan.resources:
        if not resource.custom:
            kinds["component"] += 1
        elif resource.type.startswith("pulumi:providers:"):
            kinds["provider"] += 1
        elif resource.type == "pulumi:pulumi:StackReference":
            kinds["stack reference"] += 1
        else:
            kinds["AWS resource"] += 1
    order = ("AWS resource", "stack reference", "component", "provider")
    parts = [f"{kinds[kind]} {kind}{'' if kinds[kind] == 1 else 's'}" for kind in order if kinds[kind]]
    return f"{len(plan.resources)} resources ({', '.join(parts)})"


def policy_violations(plan: StackPlan) -> list[Violation]:
    """The whole CrossGuard pack (policies/) over the offline plan, enforced by the stack's tier."""
    return evaluate_plan(plan.resources, plan.config["tier"], plan.stack)


def format_policy(violations: list[Violation]) -> list[str]:
    rules = len(ALL_RULES)
    if not violations:
        return [f"Policy pack: {rules} rules, no violation"]
    blocking = [v for v in violations if v.blocking]
    lines = [
        f"Policy pack: {rules} rules, {len(blocking)} mandatory and {len(violations) - len(blocking)} advisory violations"
    ]
    lines += [
        f"  {'BLOCK' if v.blocking else 'warn '} {v.rule}: {v.resource_type} {v.resource_name}: {v.message}"
        for v in sorted(violations, key=lambda v: (not v.blocking, v.rule))
    ]
    return lines


def az_spread(plan: StackPlan) -> list[str]:
    """One row per subnet tier: how many subnets in each AZ."""
    spread: dict[str, Counter[str]] = defaultdict(Counter)
    for subnet in plan.of_type("aws:ec2/subnet:Subnet"):
        tier = subnet.inputs.get("tags", {}).get("tier", "?")
        spread[tier][subnet.inputs["availabilityZone"]] += 1
    return [
        f"{tier:13s} " + "  ".join(f"{az}: {count}" for az, count in sorted(counts.items()))
        for tier, counts in sorted(spread.items())
    ]


def _value_lines(key: str, value: Any, indent: int = 0) -> list[str]:
    pad = "  " * indent
    if isinstance(value, dict) and value:
        out = [f"{pad}{key}:"]
        for sub in value:
            out += _value_lines(str(sub), value[sub], indent + 1)
        return out
    if isinstance(value, list) and value and any(isinstance(v, dict | list) for v in value):
        out = [f"{pad}{key}:"]
        for i, item in enumerate(value):
            out += _value_lines(f"[{i}]", item, indent + 1)
        return out
    text = json.dumps(value) if isinstance(value, list | dict) else str(value)
    return [f"{pad}{key}: {text}"]
