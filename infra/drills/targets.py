"""Expected RTO and RPO per drill scenario: what a drill is judged against, and what `blueprint plan` shows.

A drill's target is the stack's own ``drTargets`` output for the scenario: the figures written once in
infra/data/dr_targets.yaml, made specific to the stack by infra/planning/dr.py at plan time. A stack
that exports none for the scenario (its tier has no target, or an older deployment) is not judged:
the report says so. A store whose RPO is null (no claim, e.g. Kafka with min.insync.replicas 1) is
not judged either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MINUTE = 60.0
HOUR = 3600.0


@dataclass(frozen=True)
class DrillTarget:
    scenario: str
    rto_seconds: float | None
    rpo_seconds: Mapping[str, float] = field(default_factory=dict)
    """Per data store (kafka, s3, cache)."""
    source: str = "drTargets output"
    unclaimed: tuple[str, ...] = ()
    """Stores the design makes no RPO claim for: shown, never judged."""

    def describe(self) -> str:
        rto = f"RTO <= {duration(self.rto_seconds)}" if self.rto_seconds is not None else "RTO n/a"
        rpo = [f"{store} {duration(seconds)}" for store, seconds in self.rpo_seconds.items()]
        rpo += [f"{store} no claim" for store in self.unclaimed]
        return f"{rto}; RPO {', '.join(rpo) or 'n/a'}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds >= HOUR and seconds % HOUR == 0:
        return f"{seconds / HOUR:g} h"
    if seconds >= MINUTE and seconds % MINUTE == 0:
        return f"{seconds / MINUTE:g} min"
    return f"{seconds:g} s"


def target_for(scenario: str, outputs: Mapping[str, Any]) -> DrillTarget | None:
    """The stack's ``drTargets`` entry for the scenario (stores without a claim left out), else None."""
    declared = outputs.get("drTargets")
    entry = declared.get(scenario) if isinstance(declared, Mapping) else None
    if not isinstance(entry, Mapping):
        return None
    rto = entry.get("rtoMinutes")
    rpo = entry.get("rpoSeconds") or {}
    return DrillTarget(
        scenario,
        None if rto is None else float(rto) * MINUTE,
        {store: float(seconds) for store, seconds in rpo.items() if seconds is not None},
        source="drTargets output (infra/data/dr_targets.yaml)",
        unclaimed=tuple(store for store, seconds in rpo.items() if seconds is None),
    )


def drill_targets(plan: Any) -> list[str]:
    """Lines for `blueprint plan`: per scenario, the expected RTO/RPO of this stack's design, or why it has no drill."""
    from infra.drills.scenarios import SCENARIOS

    lines = ["Drill targets (expected from the design; `blueprint drill SCENARIO --stack STACK`):"]
    for name, scenario in SCENARIOS.items():
        reason = scenario.applies(plan.outputs)
        if reason is not None:
            lines.append(f"  {name:16s} no drill: {reason}")
            continue
        target = target_for(name, plan.outputs)
        lines.append(f"  {name:16s} {target.describe()}" if target else f"  {name:16s} no target for this stack")
    return lines
