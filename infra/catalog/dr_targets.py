"""The recovery targets as written in infra/data/dr_targets.yaml: per drill scenario its runbook, mechanism,
step estimates and sources, and per tier the RTO and RPO per store.

Plain data, validated on load; infra/planning/dr.py turns it into one stack's targets (some RPOs
depend on the stack's config).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from infra.paths import DATA

TARGETS_FILE = DATA / "dr_targets.yaml"
DERIVED_RPO = frozenset({"kafka-acks", "replicator-alarm"})
"""RPO words the planner computes from the stack's config."""
STORES = frozenset({"kafka", "s3", "cache"})


@dataclass(frozen=True)
class StepEstimate:
    name: str
    min_minutes: float
    max_minutes: float


@dataclass(frozen=True)
class TierTarget:
    rto_minutes: float
    rpo_seconds: Mapping[str, float | str]
    """Per store: seconds, or a word in DERIVED_RPO."""


@dataclass(frozen=True)
class ScenarioTargets:
    scenario: str
    """The drill scenario (`blueprint drill SCENARIO`)."""
    runbook: str
    mechanism: str
    """May hold ``{kafka}``: the planner fills in how the stack's topics are replicated."""
    steps: tuple[StepEstimate, ...]
    sources: tuple[str, ...]
    tiers: Mapping[str, TierTarget]
    strategies: frozenset[str] | None = None
    """DR strategies the scenario applies to (None: every one)."""
    role: str | None = None
    """The DR role it applies to (None: either)."""

    @property
    def max_minutes(self) -> float:
        """The runbook's worst case: every step at its estimated maximum, one after the other."""
        return sum(step.max_minutes for step in self.steps)


class TargetsFileError(ValueError):
    """infra/data/dr_targets.yaml is malformed."""


@cache
def scenario_targets() -> dict[str, ScenarioTargets]:
    data = yaml.safe_load(TARGETS_FILE.read_text())
    return {name: parse_scenario(name, spec) for name, spec in data["scenarios"].items()}


def parse_scenario(name: str, spec: Mapping[str, Any]) -> ScenarioTargets:
    try:
        when = spec.get("when") or {}
        steps = tuple(
            StepEstimate(str(s["name"]), float(s["minutes"][0]), float(s["minutes"][1])) for s in spec["steps"]
        )
        tiers = {
            str(tier): TierTarget(float(t["rto_minutes"]), dict(t["rpo_seconds"])) for tier, t in spec["tiers"].items()
        }
        targets = ScenarioTargets(
            scenario=name,
            runbook=str(spec["runbook"]),
            mechanism=" ".join(str(spec["mechanism"]).split()),
            steps=steps,
            sources=tuple(str(s) for s in spec["sources"]),
            tiers=tiers,
            strategies=frozenset(when["strategy"]) if "strategy" in when else None,
            role=when.get("role"),
        )
    except (KeyError, TypeError, IndexError, ValueError) as error:
        raise TargetsFileError(f"{TARGETS_FILE.name}: scenario {name}: {error!r}") from None
    for tier, target in tiers.items():
        for store, rpo in target.rpo_seconds.items():
            if store not in STORES or not (isinstance(rpo, int | float) or rpo in DERIVED_RPO):
                raise TargetsFileError(f"{TARGETS_FILE.name}: {name}/{tier}: RPO {store}={rpo!r}")
    if any(step.min_minutes > step.max_minutes for step in steps):
        raise TargetsFileError(f"{TARGETS_FILE.name}: {name}: a step's minimum exceeds its maximum")
    return targets
