"""Expected RTO and RPO per drill scenario: what a drill is judged against, and what `blueprint plan` shows.

Targets come from the stack's ``drTargets`` output when it has one (the DR design of the
stack), else from the tier defaults below. Either way they are plain data in the plan, so a
pull request that worsens a target shows up in the plan diff.

Defaults (seconds), and where the numbers come from (checked 2026-11-26):
- region failover / failback: RTO 30 min is the platform's DR objective for prod (README,
  "Disaster recovery"); stream RPO 1 min bounds MSK Replicator lag (no AWS latency SLA:
  the DR alarms watch ReplicationLatency and MessageLag); S3 RPO 15 min is S3 Replication
  Time Control's objective (99.99% of objects within 15 minutes, Amazon S3 User Guide,
  "Meeting compliance requirements with S3 Replication Time Control"); cache RPO 1 s
  follows ElastiCache Global Datastore lag, "generally under one second" (ElastiCache
  User Guide, "Replication across AWS Regions using global datastores").
- AZ outage, broker reboot, cache failover: no acknowledged write may be lost (acks=all with
  min.insync.replicas = RF - 1; cache replicas in other AZs), and service recovers within
  minutes (ECS replaces tasks, ElastiCache promotes a replica).
- restore: daily backups bound the RPO to a day; a restore of the lake into a scratch
  bucket and of a cache snapshot into a scratch group must finish within 4 h (prod) / 8 h.
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
    source: str = "tier default"

    def describe(self) -> str:
        rto = f"RTO <= {_duration(self.rto_seconds)}" if self.rto_seconds is not None else "RTO n/a"
        rpo = ", ".join(f"{store} {_duration(seconds)}" for store, seconds in self.rpo_seconds.items()) or "n/a"
        return f"{rto}; RPO {rpo}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds >= HOUR and seconds % HOUR == 0:
        return f"{seconds / HOUR:g} h"
    if seconds >= MINUTE and seconds % MINUTE == 0:
        return f"{seconds / MINUTE:g} min"
    return f"{seconds:g} s"


_ZERO_LOSS = {"kafka": 0.0, "cache": 1.0}
_REGION = {"kafka": 1 * MINUTE, "s3": 15 * MINUTE, "cache": 1.0}

TIER_TARGETS: Mapping[str, Mapping[str, DrillTarget]] = {
    "prod": {
        "az-outage": DrillTarget("az-outage", 5 * MINUTE, _ZERO_LOSS),
        "broker-reboot": DrillTarget("broker-reboot", 15 * MINUTE, {"kafka": 0.0}),
        "cache-failover": DrillTarget("cache-failover", 5 * MINUTE, {"cache": 1.0}),
        "region-failover": DrillTarget("region-failover", 30 * MINUTE, _REGION),
        "failback": DrillTarget("failback", 30 * MINUTE, _REGION),
        "restore": DrillTarget("restore", 4 * HOUR, {"s3": 24 * HOUR, "cache": 24 * HOUR}),
    },
    "staging": {
        "az-outage": DrillTarget("az-outage", 10 * MINUTE, _ZERO_LOSS),
        "broker-reboot": DrillTarget("broker-reboot", 15 * MINUTE, {"kafka": 0.0}),
        "cache-failover": DrillTarget("cache-failover", 5 * MINUTE, {"cache": 1.0}),
        "restore": DrillTarget("restore", 8 * HOUR, {"s3": 24 * HOUR, "cache": 24 * HOUR}),
    },
    "dev": {
        "broker-reboot": DrillTarget("broker-reboot", 30 * MINUTE, {"kafka": 0.0}),
        "cache-failover": DrillTarget("cache-failover", 10 * MINUTE, {"cache": 1.0}),
    },
}


# drTargets (infra/planning/dr.py) names failure scopes and stores its own way.
DR_SCOPE = {
    "az-outage": "az-loss",
    "broker-reboot": "az-loss",
    "cache-failover": "az-loss",
    "region-failover": "region-loss",
    "failback": "region-loss",
    "restore": "data-corruption",
}
DR_STORE = {"stream": "kafka", "lake": "s3", "cache": "cache"}


def from_output(scenario: str, entry: Mapping[str, Any], stores: tuple[str, ...]) -> DrillTarget:
    """One scope of the ``drTargets`` output (``{"rtoMinutes": n, "rpoMinutes": {store: n}}``), limited to ``stores``."""
    rto = entry.get("rtoMinutes")
    rpo = {
        DR_STORE.get(store, store): float(minutes) * MINUTE
        for store, minutes in (entry.get("rpoMinutes") or {}).items()
    }
    return DrillTarget(
        scenario,
        None if rto is None else float(rto) * MINUTE,
        {store: seconds for store, seconds in rpo.items() if store in stores},
        source=f"drTargets output ({DR_SCOPE[scenario]})",
    )


def target_for(scenario: str, tier: str, outputs: Mapping[str, Any]) -> DrillTarget | None:
    """The stack's own DR design (drTargets output) for the scenario, else its tier's default, else None.

    The stores judged are those the tier default names for the scenario (a broker reboot is
    judged on the stream only, even though its scope, an AZ loss, also covers the cache).
    """
    default = TIER_TARGETS.get(tier, {}).get(scenario)
    declared = outputs.get("drTargets") or {}
    scope = declared.get(DR_SCOPE.get(scenario, "")) if isinstance(declared, Mapping) else None
    if isinstance(scope, Mapping) and default is not None:
        return from_output(scenario, scope, tuple(default.rpo_seconds))
    return default


def drill_targets(plan: Any) -> list[str]:
    """Lines for `blueprint plan`: per scenario, the expected RTO/RPO of this stack's design, or why it has no drill."""
    from infra.drills.scenarios import SCENARIOS

    tier = str(plan.config["tier"])
    lines = ["Drill targets (expected from the design; `blueprint drill SCENARIO --stack STACK`):"]
    for name, scenario in SCENARIOS.items():
        reason = scenario.applies(plan.outputs)
        if reason is not None:
            lines.append(f"  {name:16s} no drill: {reason}")
            continue
        target = target_for(name, tier, plan.outputs)
        lines.append(f"  {name:16s} {target.describe()} [{target.source}]" if target else f"  {name:16s} no target set")
    return lines
