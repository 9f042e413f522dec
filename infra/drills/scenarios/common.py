"""Steps every scenario shares: canary writes before the fault, detection, canary verification."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from infra.drills.calls import Call
from infra.drills.canary_metrics import canary_of, canary_problem, read_canary
from infra.drills.clock import iso, parse_iso
from infra.drills.guard import TagTarget, alarms_in_state
from infra.drills.model import DrillContext, Facts, Record, Step, Verdict

CANARY_COUNT = 5
CANARY_INTERVAL_SECONDS = 2.0


def canary_write_step(count: int = CANARY_COUNT, interval: float = CANARY_INTERVAL_SECONDS) -> Step:
    """Write sequences 1..count to every canary, ``interval`` apart, just before the fault."""

    def calls(ctx: DrillContext, _: Facts) -> list[Call]:
        return [
            Call(f"canary:{store}", "write", ctx.region, {"drill": ctx.drill_id, "sequences": f"1..{count}"})
            for store in ctx.canaries
        ]

    def run(ctx: DrillContext, _: Facts, __: Sequence[Call]) -> Record:
        started = iso(ctx.clock.now())
        writes: dict[str, list[dict[str, object]]] = {store: [] for store in ctx.canaries}
        for sequence in range(1, count + 1):
            at = ctx.clock.now()
            for store, canary in ctx.canaries.items():
                canary.write(ctx.drill_id, sequence, at)
                writes[store].append({"sequence": sequence, "at": iso(at)})
            if sequence < count:
                ctx.clock.sleep(interval)
        return {"writes": writes, "startedAt": started}

    return Step(
        "write-canaries",
        "canary",
        f"write {count} numbered canaries to each store, {interval:g} s apart",
        expected_seconds=count * interval + 30,
        calls=calls,
        run=run,
    )


def canary_verify_step(
    timeout: float = 300, poll: float = 15, summary: str = "read the canaries at the recovery target"
) -> Step:
    """Poll every canary until all its writes are visible; what never arrives is measured loss, not a failure."""

    def verify(ctx: DrillContext, record: Record) -> Verdict:
        written = ctx.recorded("write-canaries", "writes")
        reads = {}
        missing = []
        for store, canary in ctx.canaries.items():
            sequences = canary.read(ctx.drill_id)
            reads[store] = {"at": iso(ctx.clock.now()), "sequences": sequences}
            wanted = {int(w["sequence"]) for w in written.get(store, [])}
            if not wanted <= set(sequences):
                missing.append(f"{store} {len(wanted & set(sequences))}/{len(wanted)}")
        record["reads"] = reads
        return Verdict(not missing, "all canaries arrived" if not missing else "waiting for " + ", ".join(missing))

    return Step(
        "verify-canaries",
        "verify",
        summary,
        expected_seconds=timeout,
        verify=verify,
        timeout_seconds=timeout,
        poll_seconds=poll,
        on_timeout="continue",
    )


def canary_metrics_step(stores: Sequence[str], timeout: float = 300, poll: float = 60) -> Step:
    """Read what the stack's deployed canary measured since the drill's canary writes: RPO per store."""

    def verify(ctx: DrillContext, record: Record) -> Verdict:
        """The stack's RPO canary has published for every store since the drill began (GetMetricData)."""
        if canary_of(ctx.outputs) is None:
            return Verdict(True, "the stack has no RPO canary: nothing to read")
        since = parse_iso(ctx.recorded("write-canaries", "startedAt")) - timedelta(seconds=60)
        readings = read_canary(ctx, ctx.region, ctx.outputs, stores, since, ctx.clock.now(), replicated=False)
        record["canaryMetrics"] = readings
        waiting = [store for store in stores if store not in readings]
        if waiting:
            return Verdict(False, "no canary metrics yet for " + ", ".join(waiting))
        return Verdict(
            True, "; ".join(f"{s}: {r['lostRecords']:g} lost, RPO {r['rpoSeconds']:g} s" for s, r in readings.items())
        )

    return Step(
        "canary-metrics",
        "verify",
        f"read the RPO canary's metrics ({', '.join(stores)}): failed writes, lost records",
        expected_seconds=poll,
        verify=verify,
        timeout_seconds=timeout,
        poll_seconds=poll,
        on_timeout="continue",
    )


def canary_seen(ctx: DrillContext, store: str) -> str | None:
    """Detection by the stack's RPO canary: a failed write or a lost record since the drill's canary writes."""
    return canary_problem(ctx, store, parse_iso(ctx.recorded("write-canaries", "startedAt")))


def detect_step(
    summary: str,
    observed: Callable[[DrillContext], str | None],
    *,
    region: Callable[[DrillContext], str] | None = None,
    alarms: Callable[[DrillContext], Sequence[str]] | None = None,
    timeout: float = 600,
    poll: float = 15,
    expected_seconds: float = 120,
) -> Step:
    """Poll until the fault is seen: by ``observed`` (a state the service reports) or an expected alarm firing."""

    def prepare(ctx: DrillContext) -> Facts:
        return {"alarmsExpected": list(alarms(ctx)) if alarms else []}

    def verify(ctx: DrillContext, record: Record) -> Verdict:
        expected = record["facts"]["alarmsExpected"]
        fired = alarms_in_state(ctx.clients, region(ctx) if region else ctx.region, expected)
        record["alarmsFired"] = sorted(set(record.get("alarmsFired", [])) | set(fired))
        sign = observed(ctx)
        if sign or fired:
            record["detected"] = sign or f"alarm {fired[0]} in ALARM"
            return Verdict(True, record["detected"])
        return Verdict(False, "fault not visible yet")

    return Step(
        "detect",
        "detect",
        summary,
        expected_seconds=expected_seconds,
        prepare=prepare,
        verify=verify,
        timeout_seconds=timeout,
        poll_seconds=poll,
        on_timeout="continue",
    )


def drill_alarms(ctx: DrillContext, scenario: str) -> list[str]:
    """Alarms the stack expects a scenario to fire (drillAlarms output)."""
    detect = (ctx.outputs.get("drillAlarms") or {}).get("detect") or {}
    return list(detect.get(scenario) or [])


def own(ctx: DrillContext, arn: str) -> TagTarget:
    """A target in this stack's region that must carry this stack's tag."""
    return TagTarget(arn, ctx.region, ctx.stack)


def ecs_service_arn(region: str, account: str, cluster: str, service: str) -> str:
    return f"arn:aws:ecs:{region}:{account}:service/{cluster}/{service}"


def cluster_state(ctx: DrillContext) -> str:
    return str(
        ctx.clients("kafka", ctx.region).describe_cluster_v2(ClusterArn=ctx.out("kafkaClusterArn"))["ClusterInfo"][
            "State"
        ]
    )


def replication_group(ctx: DrillContext, group_id: str, region: str) -> dict[str, Any]:
    groups = ctx.clients("elasticache", region).describe_replication_groups(ReplicationGroupId=group_id)
    return dict(groups["ReplicationGroups"][0])
