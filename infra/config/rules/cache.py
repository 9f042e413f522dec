"""Rules for the ElastiCache replication group, checked against the engine catalog.

What ElastiCache would reject at `pulumi up` time (after a 10-35 minute wait) is caught
here instead: engine versions and node types from ``infra/catalog/cache_engines.py``, IAM
authentication's minimum versions, Global Datastore node families for the warm-standby
pair, Multi-AZ needing a replica per shard, window formats, lengths and overlap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from infra.catalog.cache_engines import EngineCatalog, engine_catalog, supports_global_datastore
from infra.config.problems import Problem, error
from infra.config.schema import StackConfig

# ElastiCache node limit per cluster-mode-enabled replication group for engine 5.0.6+
# (CreateReplicationGroup, Amazon ElastiCache API reference, checked 2026-11-26).
MAX_NODES = 500
# Both windows must last at least 60 minutes and must not overlap: ElastiCache answers
# "Snapshot window must be at least 60 minutes" and "The snapshot window and maintenance
# window must not overlap" (hashicorp/terraform-provider-aws#2153, hashicorp/terraform#17247;
# CreateReplicationGroup API reference, PreferredMaintenanceWindow; checked 2026-11-26).
MIN_WINDOW_MINUTES = 60
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAILY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_WEEKLY = re.compile(
    r"^(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):([0-5]\d)-(sun|mon|tue|wed|thu|fri|sat):([01]\d|2[0-3]):([0-5]\d)$"
)
DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES


def check(config: StackConfig) -> Iterator[Problem]:
    cache_config, catalog = config.cache, engine_catalog()
    if cache_config.replicas_per_shard < 1:
        yield error(
            "cache.replicasPerShard",
            cache_config.replicas_per_shard,
            "Multi-AZ with automatic failover needs at least 1 replica per shard (allowed: 1..5)",
        )
    nodes = cache_config.shards * (cache_config.replicas_per_shard + 1)
    if nodes > MAX_NODES:
        yield error(
            "cache.shards",
            cache_config.shards,
            f"{nodes} nodes in total; a replication group holds at most {MAX_NODES}",
        )
    if config.tier != "dev" and cache_config.snapshot_retention_days < 1:
        yield error(
            "cache.snapshotRetentionDays",
            cache_config.snapshot_retention_days,
            f"{config.tier} keeps daily snapshots (allowed: 1..35)",
        )
    yield from _engine_problems(config, catalog)
    yield from _node_type_problems(config, catalog)
    yield from _window_problems(cache_config.snapshot_window, cache_config.maintenance_window)


def _engine_problems(config: StackConfig, catalog: EngineCatalog) -> Iterator[Problem]:
    engine, version = config.cache.engine, config.cache.engine_version
    if catalog.family(engine, version) is None:
        yield error(
            "cache.engineVersion", version, f"{engine} versions supported: {', '.join(catalog.versions(engine))}"
        )
        return
    if config.cache.auth == "iam" and not catalog.supports_iam(engine, version):
        yield error(
            "cache.engineVersion",
            version,
            f"IAM authentication needs {engine} {catalog.iam_min_version[engine]} or later; upgrade or set cache.auth: token",
        )


def _node_type_problems(config: StackConfig, catalog: EngineCatalog) -> Iterator[Problem]:
    node_type = config.cache.node_type
    family = catalog.node_family(node_type)
    if family is None:
        allowed = ", ".join(f"cache.{f}.{{{','.join(sizes)}}}" for f, sizes in catalog.node_families.items())
        yield error(
            "cache.nodeType", node_type, f"not an ElastiCache node type for {config.cache.engine}; allowed: {allowed}"
        )
        return
    if family in catalog.data_tiering_families:
        yield error(
            "cache.nodeType",
            node_type,
            f"{family} nodes run only with data tiering, which this blueprint does not enable",
        )
    if config.dr.strategy == "warm-standby" and not supports_global_datastore(node_type, catalog):
        families = ", ".join(sorted(catalog.global_datastore_families))
        yield error(
            "cache.nodeType",
            node_type,
            f"warm-standby replicates the cache with a Global Datastore, which supports only {families} (large or bigger)",
        )


def _window_problems(snapshot_window: str, maintenance_window: str) -> Iterator[Problem]:
    snapshot = daily_window(snapshot_window)
    maintenance = weekly_window(maintenance_window)
    if snapshot is None:
        yield error("cache.snapshotWindow", snapshot_window, "format hh24:mi-hh24:mi (UTC), e.g. 03:00-05:00")
    elif _length(snapshot, DAY_MINUTES) < MIN_WINDOW_MINUTES:
        yield error("cache.snapshotWindow", snapshot_window, f"must last at least {MIN_WINDOW_MINUTES} minutes")
    if maintenance is None:
        yield error(
            "cache.maintenanceWindow",
            maintenance_window,
            "format ddd:hh24:mi-ddd:hh24:mi (UTC), e.g. sun:05:30-sun:06:30",
        )
    elif _length(maintenance, WEEK_MINUTES) < MIN_WINDOW_MINUTES:
        yield error("cache.maintenanceWindow", maintenance_window, f"must last at least {MIN_WINDOW_MINUTES} minutes")
    if snapshot is not None and maintenance is not None and windows_overlap(snapshot, maintenance):
        yield error(
            "cache.snapshotWindow",
            snapshot_window,
            f"overlaps cache.maintenanceWindow {maintenance_window}; ElastiCache rejects that",
        )


def daily_window(text: str) -> tuple[int, int] | None:
    """``03:00-05:00`` -> (start, end) in minutes of the day, or None when malformed."""
    match = _DAILY.match(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    return h1 * 60 + m1, h2 * 60 + m2


def weekly_window(text: str) -> tuple[int, int] | None:
    """``sun:05:30-sun:06:30`` -> (start, end) in minutes of the week (Sunday 00:00 = 0), or None."""
    match = _WEEKLY.match(text)
    if match is None:
        return None
    d1, h1, m1, d2, h2, m2 = match.groups()
    return (
        DAYS.index(d1) * DAY_MINUTES + int(h1) * 60 + int(m1),
        DAYS.index(d2) * DAY_MINUTES + int(h2) * 60 + int(m2),
    )


def _length(window: tuple[int, int], cycle: int) -> int:
    """Minutes a window lasts; windows may wrap past the end of the day or week."""
    return (window[1] - window[0]) % cycle


def _minutes(window: tuple[int, int], cycle: int) -> set[int]:
    return {(window[0] + offset) % cycle for offset in range(_length(window, cycle))}


def windows_overlap(snapshot: tuple[int, int], maintenance: tuple[int, int]) -> bool:
    """True when the daily snapshot window shares a minute with the weekly maintenance window on any day."""
    weekly_snapshot = {day * DAY_MINUTES + minute for day in range(7) for minute in _minutes(snapshot, DAY_MINUTES)}
    return bool(weekly_snapshot & _minutes(maintenance, WEEK_MINUTES))
