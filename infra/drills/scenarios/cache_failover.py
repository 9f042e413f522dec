"""`cache-failover`: ElastiCache TestFailover on one shard; a replica in another AZ becomes primary.

TestFailover is limited to 15 node groups per rolling 24 h (ElastiCache API reference,
TestFailover, checked 2026-11-26): the drill fails over one shard. Detection and recovery
come from the replication group's events; there is nothing to roll back (the old primary
rejoins as a replica).
"""

from __future__ import annotations

from datetime import timedelta

from infra.drills.calls import Call
from infra.drills.clock import iso, parse_iso
from infra.drills.model import DrillContext, Facts, PreconditionError, Record, Scenario, Step, Verdict
from infra.drills.scenarios.common import (
    canary_metrics_step,
    canary_seen,
    canary_verify_step,
    canary_write_step,
    detect_step,
    drill_alarms,
    own,
    replication_group,
)


def _preflight(ctx: DrillContext) -> Facts:
    group_id = ctx.out("cacheReplicationGroupId")
    group = replication_group(ctx, group_id, ctx.region)
    problems = [
        f"{name} is {group.get(key)}"
        for name, key, wanted in (
            ("status", "Status", "available"),
            ("automatic failover", "AutomaticFailover", "enabled"),
            ("Multi-AZ", "MultiAZ", "enabled"),
        )
        if group.get(key) != wanted
    ]
    if problems:
        raise PreconditionError(f"replication group {group_id}: {'; '.join(problems)}")
    shards = sorted(str(g["NodeGroupId"]) for g in group.get("NodeGroups", []))
    shard = str(ctx.options.get("shard") or shards[0])
    if shard not in shards:
        raise PreconditionError(f"shard {shard} is not in {group_id} (shards: {shards})")
    return {"replicationGroupId": group_id, "arn": ctx.out("cacheReplicationGroupArn"), "shard": shard}


def _failover_events(ctx: DrillContext) -> list[str]:
    started = ctx.recorded("test-failover", "facts", "startedAt")
    events = ctx.clients("elasticache", ctx.region).describe_events(
        SourceIdentifier=ctx.out("cacheReplicationGroupId"),
        SourceType="replication-group",
        StartTime=parse_iso(started) - timedelta(seconds=5),
    )["Events"]
    return [str(e["Message"]) for e in events if "failover" in str(e["Message"]).lower()]


def _failing_over(ctx: DrillContext) -> str | None:
    messages = _failover_events(ctx)
    return f"event: {messages[0]}" if messages else None


def _recovered(ctx: DrillContext, _: Record) -> Verdict:
    group = replication_group(ctx, ctx.out("cacheReplicationGroupId"), ctx.region)
    completed = [m for m in _failover_events(ctx) if "complete" in m.lower()]
    done = group.get("Status") == "available" and bool(completed)
    return Verdict(
        done, f"status {group.get('Status')}; " + (completed[-1] if completed else "failover not completed yet")
    )


def steps(ctx: DrillContext) -> list[Step]:
    return [
        Step(
            "preflight",
            "preflight",
            "replication group available, Multi-AZ with automatic failover, tagged",
            10,
            prepare=_preflight,
            targets=lambda c, f: [own(c, f["arn"])],
        ),
        canary_write_step(),
        Step(
            "test-failover",
            "fault",
            "fail over one shard's primary (elasticache:TestFailover)",
            10,
            prepare=lambda c: {
                "replicationGroupId": c.out("cacheReplicationGroupId"),
                "arn": c.out("cacheReplicationGroupArn"),
                "shard": c.recorded("preflight", "facts", "shard"),
                "startedAt": iso(c.clock.now()),
            },
            targets=lambda c, f: [own(c, f["arn"])],
            calls=lambda c, f: [
                Call(
                    "elasticache",
                    "test_failover",
                    c.region,
                    {"ReplicationGroupId": f["replicationGroupId"], "NodeGroupId": f["shard"]},
                    key="failover",
                )
            ],
        ),
        detect_step(
            "a failover event appears, the replication-lag alarm fires or the canary sees a failure",
            lambda c: _failing_over(c) or canary_seen(c, "cache"),
            alarms=lambda c: drill_alarms(c, "cache-failover"),
            timeout=300,
            poll=10,
            expected_seconds=60,
        ),
        Step(
            "replica-promoted",
            "recover",
            "failover completed and the group is available again",
            120,
            verify=_recovered,
            timeout_seconds=900,
            poll_seconds=15,
        ),
        canary_metrics_step(("cache",)),
        canary_verify_step(summary="every canary written before the failover is still in the cache"),
    ]


SCENARIO = Scenario(
    "cache-failover",
    "fail over one cache shard to a replica in another AZ",
    steps,
    canary_stores=("cache",),
)
