"""Disaster-recovery targets: per failure scenario the RTO and RPO the design aims for, as plain data.

The ``drTargets`` stack output; drills measure against it and runbooks quote it. The figures
follow from the strategy (``dr.strategy``) and the mechanisms it configures
(``infra/components/dr.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.config.schema import StackConfig

# S3 Replication Time Control: 99.99% of objects within 15 minutes; the RTC time and the metrics
# event threshold accept 15 only ("Meeting compliance requirements with S3 Replication Time Control",
# Amazon S3 user guide, checked 2026-11-26).
RTC_MINUTES = 15


@dataclass(frozen=True)
class Target:
    """Expected recovery for one failure scenario: minutes until service is back, minutes of data lost per store."""

    rto_minutes: float | None
    rpo_minutes: Mapping[str, float | None]
    mechanism: str

    def to_output(self) -> dict[str, Any]:
        return {"rtoMinutes": self.rto_minutes, "rpoMinutes": dict(self.rpo_minutes), "mechanism": self.mechanism}


# Design figures behind drTargets (whitepaper "Disaster Recovery of Workloads on AWS": backup & restore =
# hours, warm standby = minutes). Create times from infra/data/create_times.yaml; RTC from S3 docs.
AZ_LOSS_RTO = 20.0
"""EMR lives in one AZ: relaunch in another (~11 min create) and restart the job; MSK, cache and ingest
fail over within Multi-AZ in about a minute."""
REGION_WARM_RTO = 30.0
"""Detect (~1 min of health checks + alarms) + decide (<= 10 min) + promote the Global Datastore
(~2 min) + start the EMR job in the standby (~10 min) + DNS TTL and client reconnects."""
REGION_REBUILD_RTO = 240.0
"""Backup-restore: deploy the stack in the DR region (MSK ~30 min, ElastiCache ~20 min in parallel,
EMR ~11 min, network and edge ~15 min), seed the cache from the export, restore or point at the copies."""
CORRUPTION_RTO = 240.0
"""Restore an AWS Backup point in time into a new bucket/prefix and repoint readers (size-bound)."""
CACHE_LAG_MINUTES = 1 / 60
"""Global Datastore lag is generally under a second (ElastiCache user guide)."""
DAILY = 24 * 60.0


def dr_targets(config: StackConfig) -> dict[str, Target]:
    """Per scenario the RTO/RPO the design aims for (drills measure against these; issue 7)."""
    az_loss = Target(
        AZ_LOSS_RTO,
        {"stream": 0.0, "lake": 0.0, "cache": CACHE_LAG_MINUTES},
        "Multi-AZ: MSK acks=all over 3 AZs, ElastiCache Multi-AZ failover, ALB/ECS across AZs, EMR relaunch in another AZ",
    )
    corruption = Target(
        CORRUPTION_RTO,
        {"stream": 0.0, "lake": 0.0, "cache": DAILY},
        "S3 point-in-time restore (AWS Backup continuous, then daily copies); consumers rewind by timestamp "
        "within Kafka retention; cache from the daily snapshot/export or rebuilt from the stream",
    )
    strategy = config.dr.strategy
    if strategy == "none":
        region = Target(
            None, {"stream": None, "lake": None, "cache": None}, "none: the stack is rebuilt from code, data is lost"
        )
        return {"az-loss": az_loss, "region-loss": region}
    if strategy == "backup-restore":
        region = Target(
            REGION_REBUILD_RTO,
            {"stream": float(RTC_MINUTES), "lake": float(RTC_MINUTES), "cache": DAILY},
            "rebuild in the DR region from code; lake and artifacts from S3 replicas (RTC 15 min), daily backup "
            "copies, cache seeded from the replicated export; Kafka's own log is not copied",
        )
        return {"az-loss": az_loss, "region-loss": region, "data-corruption": corruption}
    region = Target(
        REGION_WARM_RTO,
        {"stream": config.dr.stream_latency_alarm_seconds / 60, "lake": float(RTC_MINUTES), "cache": CACHE_LAG_MINUTES},
        "warm standby: MSK Replicator (identical topics, offsets synced), Global Datastore, S3 RTC replication; "
        "Route 53 failover (or ARC), then the EMR job starts in the standby from a timestamp rewind",
    )
    return {"az-loss": az_loss, "region-loss": region, "data-corruption": corruption}
