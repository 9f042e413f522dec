"""Rules for the ElastiCache replication group: Multi-AZ needs a replica per shard."""

from __future__ import annotations

from collections.abc import Iterator

from infra.config.problems import Problem, error
from infra.config.schema import StackConfig


def check(config: StackConfig) -> Iterator[Problem]:
    cache = config.cache
    if cache.replicas_per_shard < 1:
        yield error(
            "cache.replicasPerShard", cache.replicas_per_shard,
            "Multi-AZ with automatic failover needs at least 1 replica per shard (allowed: 1..5)",
        )  # fmt: skip
    if config.tier != "dev" and cache.snapshot_retention_days < 1:
        yield error("cache.snapshotRetentionDays", cache.snapshot_retention_days, f"{config.tier} keeps daily snapshots (allowed: 1..35)")
