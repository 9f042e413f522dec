"""Every drill scenario, by the name `blueprint drill SCENARIO` takes."""

from __future__ import annotations

from infra.drills.model import Scenario
from infra.drills.scenarios import az_outage, broker_reboot, cache_failover, region, restore

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        az_outage.SCENARIO,
        broker_reboot.SCENARIO,
        cache_failover.SCENARIO,
        region.FAILOVER,
        region.FAILBACK,
        restore.SCENARIO,
    )
}
