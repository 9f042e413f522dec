"""`region-failover` and `failback`: move the warm-standby pair's service to the other region and back.

Run against the primary stack (prod); the peer (prod-dr) comes from ``dr.peerStack``.
Failover works with the primary region gone: every call goes to a surviving region and reads
identifiers from the DR stack's outputs. In the order AWS documents for MSK Replicator and Global
Datastore: fence the primary's traffic with ARC routing controls (data plane: one of the
cluster's regional endpoints outside the primary's region; Route 53's own control plane is
served from us-east-1), see ARC report the primary's control Off, measure replication lag at the
cut-over, promote the DR cache (FailoverGlobalReplicationGroup, sent to the DR region; the
primary's job is not stopped: its cache turns read-only), raise the DR ingest and EMR capacity
to the primary's configured capacity, then start the DR job with a NEW checkpoint from a
timestamp rewind. Failback, with both regions up, is the mirror image, with three differences:
it also stops the DR job and reads both sides' current capacity. Kafka data must
flow DR -> primary, through the REVERSE replicator the program creates in the primary's region
while the primary's dr.activeRegion names the DR region (runbooks/<stack>/failback.md). And the primary's
job rewinds to the FAILOVER time (``since`` option, ``--since``), not to the failback's T0: what
the DR region processed never reached the primary's lake (S3 replication runs primary -> DR only).
Each step's rollback undoes it, so a stop condition midway returns the pair to where it started.

After a real failover, and only once the primary region is back, make the IaC agree: `pulumi
config set dr.activeRegion <region>` in both stacks and `pulumi up` (the runbook's last, separate step).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from infra.drills.calls import Arn, Call
from infra.drills.canary_metrics import read_canary
from infra.drills.clock import iso, parse_iso
from infra.drills.guard import TagTarget
from infra.drills.jobstep import epoch_ms, generation_of, rewind_point, rewound_step
from infra.drills.model import DrillContext, Facts, PreconditionError, Record, Scenario, Step, Verdict
from infra.drills.scenarios.common import canary_verify_step, canary_write_step

# Stack outputs these scenarios read (primary stack P, DR stack D).
GLOBAL_DATASTORE = "cacheGlobalDatastoreId"  # P and D
ROUTING_CONTROLS = "drRoutingControlArns"  # P and D: {region: ARC routing control ARN}
CLUSTER_ENDPOINTS = "arcClusterEndpoints"  # P and D (re-exported): [{endpoint, region}] of the ARC cluster
REPLICATOR = "kafkaReplicatorArn"  # D (the forward replicator lives in the target region)
KAFKA_CLUSTER = "kafkaClusterArn"  # P and D: the reverse replicator copies D's cluster into P's
ARC_DATA_PLANE = "route53-recovery-cluster"
JOB_STATES = ["PENDING", "RUNNING"]


def applies(outputs: Mapping[str, Any]) -> str | None:
    if outputs.get("drStrategy") != "warm-standby":
        return f"DR strategy is '{outputs.get('drStrategy', 'none')}': there is no standby region"
    if outputs.get("drRole") != "primary":
        return f"run it against the pair's primary ({str(outputs.get('drPeerStack') or '').rsplit('/', 1)[-1]})"
    return None


def _side(ctx: DrillContext, active: str) -> dict[str, Any]:
    """Names of the region that serves now (``active``: primary or dr) and of the one that takes over."""
    peer = ctx.require_peer()
    primary = {"stack": ctx.stack, "region": ctx.region, "outputs": ctx.outputs}
    dr = {"stack": peer.stack, "region": peer.region, "outputs": peer.outputs}
    return {"from": primary, "to": dr} if active == "primary" else {"from": dr, "to": primary}


def _o(ctx: DrillContext, side: Mapping[str, Any], path: str) -> Any:
    return ctx.out(path, side["outputs"], side["stack"])


def _service(ctx: DrillContext, side: Mapping[str, Any]) -> dict[str, Any]:
    cluster, service = _o(ctx, side, "ecsClusterName"), _o(ctx, side, "ingestServiceName")
    found = ctx.clients("ecs", side["region"]).describe_services(cluster=cluster, services=[service])["services"]
    if not found:
        raise PreconditionError(f"{side['stack']}: ECS service {service} not found")
    return dict(found[0])


def _scalable_target(ctx: DrillContext, side: Mapping[str, Any]) -> dict[str, Any]:
    resource = f"service/{_o(ctx, side, 'ecsClusterName')}/{_o(ctx, side, 'ingestServiceName')}"
    found = ctx.clients("application-autoscaling", side["region"]).describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[resource], ScalableDimension="ecs:service:DesiredCount"
    )["ScalableTargets"]
    if not found:
        raise PreconditionError(f"{side['stack']}: no autoscaling target for {resource}")
    return {"resource": resource, "min": found[0]["MinCapacity"], "max": found[0]["MaxCapacity"]}


def _job_steps(ctx: DrillContext, side: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The streaming job's pending or running steps, with what it takes to submit them again."""
    steps = ctx.clients("emr", side["region"]).list_steps(
        ClusterId=_o(ctx, side, "emrClusterId"), StepStates=JOB_STATES
    )
    return [
        {
            "Id": s["Id"],
            "Name": s["Name"],
            "ActionOnFailure": s.get("ActionOnFailure", "CONTINUE"),
            "HadoopJarStep": {"Jar": s["Config"]["Jar"], "Args": list(s["Config"].get("Args", []))},
        }
        for s in steps["Steps"]
        if str(s["Name"]).startswith("streaming-job")
    ]


def _arc(ctx: DrillContext, active: str) -> tuple[Mapping[str, str], Mapping[str, str]]:
    """The pair's routing controls and the ARC endpoint to flip them through: from the side taking over,
    in its region when the cluster has an endpoint there, never in the region being left."""
    side = _side(ctx, active)
    new, old = side["to"], side["from"]
    controls, endpoints = new["outputs"].get(ROUTING_CONTROLS), new["outputs"].get(CLUSTER_ENDPOINTS)
    if not controls or not endpoints:
        raise PreconditionError(
            f"{new['stack']} exports no ARC routing controls ({ROUTING_CONTROLS}, {CLUSTER_ENDPOINTS}): the pair moves "
            f"traffic without {old['region']} only through them; set dr.routingControls in both stacks and deploy"
        )
    usable = [e for e in endpoints if e["region"] != old["region"]]
    return controls, next((e for e in usable if e["region"] == new["region"]), usable[0])


def _members(ctx: DrillContext, side: Mapping[str, Any]) -> dict[str, Any]:
    """Global Datastore status and the role of each member replication group, asked in ``side``'s region."""
    found = ctx.clients("elasticache", side["region"]).describe_global_replication_groups(
        GlobalReplicationGroupId=_o(ctx, side, GLOBAL_DATASTORE), ShowMemberInfo=True
    )["GlobalReplicationGroups"][0]
    return {"status": found["Status"], "roles": {m["ReplicationGroupId"]: m["Role"] for m in found.get("Members", [])}}


def _source_and_target(summary: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """A ListReplicators entry's source and target MSK cluster ARNs: its replication names the clusters by alias."""
    arns = {
        cluster.get("KafkaClusterAlias"): cluster.get("AmazonMskCluster", {}).get("MskClusterArn")
        for cluster in summary.get("KafkaClustersSummary", [])
    }
    replication = (summary.get("ReplicationInfoSummaryList") or [{}])[0]
    return arns.get(replication.get("SourceKafkaClusterAlias")), arns.get(replication.get("TargetKafkaClusterAlias"))


def _reverse_replicator(ctx: DrillContext) -> dict[str, Any]:
    """The replicator that copies the DR cluster back into the primary's: it lives in the primary's region.

    `pulumi up` of the primary with dr.activeRegion flipped to the DR region creates it. References
    (IsReplicatorReference: a replicator's entry in its source region) are skipped: the replicator
    itself, and its metrics, live in the target region.
    """
    source, target = ctx.peer_out(KAFKA_CLUSTER), ctx.out(KAFKA_CLUSTER)
    pages = ctx.clients("kafka", ctx.region).get_paginator("list_replicators").paginate()
    found = [
        summary
        for page in pages
        for summary in page.get("Replicators", [])
        if not summary.get("IsReplicatorReference") and _source_and_target(summary) == (source, target)
    ]
    if not found:
        raise PreconditionError(
            f"no MSK Replicator in {ctx.region} copies {source} into {target}: flip dr.activeRegion and "
            f"`pulumi up` {ctx.stack} as runbooks/{ctx.stack}/failback.md says, then wait until its MessageLag is 0"
        )
    running = [summary for summary in found if summary.get("ReplicatorState") == "RUNNING"]
    if not running:
        states = ", ".join(f"{s['ReplicatorName']} {s.get('ReplicatorState')}" for s in found)
        raise PreconditionError(f"the reverse MSK Replicator is not RUNNING ({states})")
    return dict(running[0])


def _failover_time(ctx: DrillContext) -> datetime:
    """When the pair failed over (``since`` option): the primary's job must reprocess everything from then."""
    since = ctx.options.get("since")
    if not since:
        raise PreconditionError("failback needs the failover time (--since ISO8601): the primary's job rewinds to it")
    moment = parse_iso(str(since))
    if moment >= ctx.clock.now():
        raise PreconditionError(f"the failover time {iso(moment)} is not in the past")
    return moment


def _replicator(ctx: DrillContext, active: str) -> tuple[dict[str, Any], str]:
    """The replicator that carries Kafka data towards the side taking over, and its region."""
    if active == "dr":
        return _reverse_replicator(ctx), ctx.region
    region = ctx.require_peer().region
    replicator = ctx.clients("kafka", region).describe_replicator(ReplicatorArn=ctx.peer_out(REPLICATOR))
    if replicator["ReplicatorState"] != "RUNNING":
        raise PreconditionError(f"MSK Replicator is {replicator['ReplicatorState']}, not RUNNING")
    return replicator, region


def _preflight(active: str) -> Any:
    def prepare(ctx: DrillContext) -> Facts:
        """Reads in the side taking over; on failback (both regions up) the serving side's state too."""
        side = _side(ctx, active)
        old, new = side["from"], side["to"]
        if active == "dr":
            _failover_time(ctx)
        _arc(ctx, active)
        members = _members(ctx, new)
        if members["roles"].get(_o(ctx, old, "cacheReplicationGroupId")) != "PRIMARY":
            raise PreconditionError(f"the cache primary is not in {old['region']}: {members['roles']}")
        replicator, replicator_region = _replicator(ctx, active)
        cluster = ctx.clients("emr", new["region"]).describe_cluster(ClusterId=_o(ctx, new, "emrClusterId"))["Cluster"]
        if cluster["Status"]["State"] not in ("WAITING", "RUNNING"):
            raise PreconditionError(f"{new['stack']} EMR cluster is {cluster['Status']['State']}")
        facts = {
            "newService": {key: _service(ctx, new)[key] for key in ("serviceArn", "desiredCount")},
            "newScaling": _scalable_target(ctx, new),
            "newEmrPolicy": ctx.clients("emr", new["region"])
            .get_managed_scaling_policy(ClusterId=_o(ctx, new, "emrClusterId"))
            .get("ManagedScalingPolicy"),
            "newEmrArn": cluster["ClusterArn"],
            "newJobSteps": _job_steps(ctx, new),
            "replicatorArn": replicator["ReplicatorArn"],
            "replicatorRegion": replicator_region,
        }
        if active == "dr":
            facts.update(
                {
                    "oldService": _service(ctx, old)["desiredCount"],
                    "oldScaling": _scalable_target(ctx, old),
                    "oldEmrPolicy": ctx.clients("emr", old["region"])
                    .get_managed_scaling_policy(ClusterId=_o(ctx, old, "emrClusterId"))
                    .get("ManagedScalingPolicy"),
                    "oldJobSteps": _job_steps(ctx, old),
                }
            )
        return facts

    return prepare


def _targets(active: str) -> Any:
    def targets(ctx: DrillContext, facts: Facts) -> list[TagTarget]:
        """What the drill changes, tag-checked in its region; on failover nothing in the region being left."""
        side = _side(ctx, active)
        old, new = side["from"], side["to"]
        peer = ctx.require_peer()
        # The forward replicator is the DR stack's; the reverse one is the primary stack's, found by its
        # clusters (both stack outputs) and only read, never changed.
        replicator = (
            [TagTarget(facts["replicatorArn"], facts["replicatorRegion"], peer.stack)] if active == "primary" else []
        )
        found = [
            TagTarget(_o(ctx, new, "cacheReplicationGroupArn"), new["region"], new["stack"]),
            *replicator,
            TagTarget(facts["newService"]["serviceArn"], new["region"], new["stack"]),
            TagTarget(facts["newEmrArn"], new["region"], new["stack"]),
        ]
        if active == "dr":
            account = Arn.parse(_o(ctx, old, "cacheReplicationGroupArn")).account
            found += [
                TagTarget(_o(ctx, old, "cacheReplicationGroupArn"), old["region"], old["stack"]),
                TagTarget(_emr_arn(ctx, old, account), old["region"], old["stack"]),
            ]
        return found

    return targets


def _emr_arn(ctx: DrillContext, side: Mapping[str, Any], account: str) -> str:
    return f"arn:aws:elasticmapreduce:{side['region']}:{account}:cluster/{_o(ctx, side, 'emrClusterId')}"


def _fence(active: str) -> Any:
    """Routing controls: the side taking over On, the side being left Off, in one call to ARC's data plane."""

    def _calls(ctx: DrillContext, serve_new: bool) -> list[Call]:
        side = _side(ctx, active)
        controls, endpoint = _arc(ctx, active)
        on, off = (side["to"], side["from"]) if serve_new else (side["from"], side["to"])
        entries = [
            {"RoutingControlArn": controls[off["region"]], "RoutingControlState": "Off"},
            {"RoutingControlArn": controls[on["region"]], "RoutingControlState": "On"},
        ]
        return [
            Call(
                ARC_DATA_PLANE,
                "update_routing_control_states",
                endpoint["region"],
                {"UpdateRoutingControlStateEntries": entries},
                endpoint_url=endpoint["endpoint"],
            )
        ]

    def calls(ctx: DrillContext, _: Facts) -> list[Call]:
        return _calls(ctx, True)

    def rollback(ctx: DrillContext, _: Record) -> list[Call]:
        return _calls(ctx, False)

    return calls, rollback


def _fenced(active: str) -> Any:
    def verify(ctx: DrillContext, record: Record) -> Verdict:
        """ARC's data plane reports the left side's control Off: its RECOVERY_CONTROL health check fails, DNS moves."""
        left = _side(ctx, active)["from"]["region"]
        controls, endpoint = _arc(ctx, active)
        state = ctx.clients(ARC_DATA_PLANE, endpoint["region"], endpoint["endpoint"]).get_routing_control_state(
            RoutingControlArn=controls[left]
        )["RoutingControlState"]
        if state == "Off":
            record["detected"] = f"ARC reports the {left} routing control Off"
        return Verdict(state == "Off", f"{left} routing control {state}")

    return verify


def _lag(active: str) -> Any:
    def prepare(ctx: DrillContext) -> Facts:
        """Replication lag at the cut-over, from the metrics AWS publishes for each mechanism."""
        side = _side(ctx, active)
        now = ctx.clock.now()
        # The forward replicator is the standby's, named in its outputs; the reverse one is found by preflight.
        if active == "primary":
            replicator, replicator_region = _o(ctx, side["to"], "kafkaReplicatorName"), side["to"]["region"]
        else:
            replicator = Arn.parse(ctx.recorded("preflight", "facts", "replicatorArn")).resource.split("/")[1]
            replicator_region = ctx.recorded("preflight", "facts", "replicatorRegion")

        def latest(region: str, namespace: str, metric: str, dims: dict[str, str], stat: str) -> float | None:
            points = ctx.clients("cloudwatch", region).get_metric_statistics(
                Namespace=namespace,
                MetricName=metric,
                Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
                StartTime=now - timedelta(minutes=5),
                EndTime=now,
                Period=60,
                Statistics=[stat],
            )["Datapoints"]
            return float(max(points, key=lambda p: p["Timestamp"])[stat]) if points else None

        members = _o(ctx, side["to"], "cacheMemberClusters")
        cache_lags = [
            lag
            for member in members
            if (
                lag := latest(
                    side["to"]["region"],
                    "AWS/ElastiCache",
                    "GlobalDatastoreReplicationLag",
                    {"CacheClusterId": member},
                    "Maximum",
                )
            )
            is not None
        ]
        return {
            "replication_lag": {
                "kafkaReplicationLatencyMs": latest(
                    replicator_region, "AWS/Kafka", "ReplicationLatency", {"ReplicatorName": replicator}, "Maximum"
                ),
                "kafkaMessageLag": latest(
                    replicator_region, "AWS/Kafka", "MessageLag", {"ReplicatorName": replicator}, "Sum"
                ),
                "cacheGlobalDatastoreLagSeconds": max(cache_lags) if cache_lags else None,
            },
            # What the standby's RPO canary read through the copies in the 5 minutes before the cut-over.
            "canaryMetrics": read_canary(
                ctx,
                side["to"]["region"],
                side["to"]["outputs"],
                ("kafka", "cache", "s3"),
                now - timedelta(minutes=5),
                now,
                replicated=True,
            ),
        }

    return prepare


def _stop_jobs(active: str) -> Any:
    def calls(ctx: DrillContext, _: Facts) -> list[Call]:
        old = _side(ctx, active)["from"]
        steps = ctx.recorded("preflight", "facts", "oldJobSteps")
        if not steps:
            return []
        ids = [step["Id"] for step in steps]
        params = {
            "ClusterId": _o(ctx, old, "emrClusterId"),
            "StepIds": ids,
            "StepCancellationOption": "TERMINATE_PROCESS",
        }
        return [Call("emr", "cancel_steps", old["region"], params)]

    def rollback(ctx: DrillContext, record: Record) -> list[Call]:
        """Submit the stopped steps again: in their own region they resume their own checkpoint."""
        old = _side(ctx, active)["from"]
        steps = ctx.recorded("preflight", "facts", "oldJobSteps")
        if not record["calls"] or not steps:
            return []
        again = [{k: v for k, v in step.items() if k != "Id"} for step in steps]
        return [
            Call(
                "emr", "add_job_flow_steps", old["region"], {"JobFlowId": _o(ctx, old, "emrClusterId"), "Steps": again}
            )
        ]

    return calls, rollback


def _promote(active: str) -> Any:
    def calls(ctx: DrillContext, _: Facts) -> list[Call]:
        new = _side(ctx, active)["to"]
        params = {
            "GlobalReplicationGroupId": _o(ctx, new, GLOBAL_DATASTORE),
            "PrimaryRegion": new["region"],
            "PrimaryReplicationGroupId": _o(ctx, new, "cacheReplicationGroupId"),
        }
        return [Call("elasticache", "failover_global_replication_group", new["region"], params)]

    def verify(ctx: DrillContext, _: Record) -> Verdict:
        new = _side(ctx, active)["to"]
        members = _members(ctx, new)
        role = members["roles"].get(_o(ctx, new, "cacheReplicationGroupId"))
        return Verdict(
            role == "PRIMARY" and members["status"] == "available",
            f"{new['region']} role {role}, status {members['status']}",
        )

    def rollback(ctx: DrillContext, _: Record) -> list[Call]:
        """Sent, like the promotion, to the region that took over: it answered then, the other may not now."""
        side = _side(ctx, active)
        old, new = side["from"], side["to"]
        params = {
            "GlobalReplicationGroupId": _o(ctx, new, GLOBAL_DATASTORE),
            "PrimaryRegion": old["region"],
            "PrimaryReplicationGroupId": _o(ctx, old, "cacheReplicationGroupId"),
        }
        return [Call("elasticache", "failover_global_replication_group", new["region"], params)]

    return calls, verify, rollback


def _emr_policy(limits: Mapping[str, Any]) -> dict[str, Any]:
    """A ManagedScalingPolicy from an ``emrManagedScaling`` output."""
    return {
        "ComputeLimits": {
            "UnitType": limits["unitType"],
            "MinimumCapacityUnits": limits["minimumUnits"],
            "MaximumCapacityUnits": limits["maximumUnits"],
            "MaximumOnDemandCapacityUnits": limits["maximumOnDemandUnits"],
            "MaximumCoreCapacityUnits": limits["maximumCoreUnits"],
        }
    }


def _capacity_calls(
    ctx: DrillContext, side: Mapping[str, Any], scaling: Mapping[str, Any], desired: int, emr_policy: Any
) -> list[Call]:
    """Autoscaling bounds and desired count of a side's ingest service, and its EMR managed scaling policy."""
    region, cluster = side["region"], _o(ctx, side, "emrClusterId")
    calls = [
        Call(
            "application-autoscaling",
            "register_scalable_target",
            region,
            {
                "ServiceNamespace": "ecs",
                "ResourceId": scaling["resource"],
                "ScalableDimension": "ecs:service:DesiredCount",
                "MinCapacity": scaling["min"],
                "MaxCapacity": scaling["max"],
            },
        ),
        Call(
            "ecs",
            "update_service",
            region,
            {
                "cluster": _o(ctx, side, "ecsClusterName"),
                "service": _o(ctx, side, "ingestServiceName"),
                "desiredCount": desired,
            },
        ),
    ]
    if emr_policy:
        calls.append(
            Call(
                "emr", "put_managed_scaling_policy", region, {"ClusterId": cluster, "ManagedScalingPolicy": emr_policy}
            )
        )
    else:
        calls.append(Call("emr", "remove_managed_scaling_policy", region, {"ClusterId": cluster}))
    return calls


def _primary_capacity(active: str) -> Any:
    """The taking-over side gets the primary stack's capacity: its ingest bounds and EMR limits (from its outputs).

    Desired tasks start at the primary's floor, or on failback at the DR side's current count when larger, so
    the new side can take the load at once; autoscaling takes over from there.
    """

    def calls(ctx: DrillContext, _: Facts) -> list[Call]:
        new = _side(ctx, active)["to"]
        capacity = ctx.out("ingestCapacity")
        # On failover the primary's current count is out of reach: its configured floor, then autoscaling.
        serving = ctx.recorded("preflight", "facts", "oldService") if active == "dr" else capacity["minTasks"]
        desired = max(int(serving), int(capacity["minTasks"]))
        resource = ctx.recorded("preflight", "facts", "newScaling", "resource")
        scaling = {"resource": resource, "min": desired, "max": max(desired, int(capacity["maxTasks"]))}
        return _capacity_calls(ctx, new, scaling, desired, _emr_policy(ctx.out("emrManagedScaling")))

    def verify(ctx: DrillContext, _: Record) -> Verdict:
        service = _service(ctx, _side(ctx, active)["to"])
        return Verdict(
            service["runningCount"] >= service["desiredCount"],
            f"{service['runningCount']}/{service['desiredCount']} tasks running",
        )

    def rollback(ctx: DrillContext, _: Record) -> list[Call]:
        new = _side(ctx, active)["to"]
        desired = int(ctx.recorded("preflight", "facts", "newService", "desiredCount"))
        return _capacity_calls(
            ctx,
            new,
            ctx.recorded("preflight", "facts", "newScaling"),
            desired,
            ctx.recorded("preflight", "facts", "newEmrPolicy"),
        )

    return calls, verify, rollback


def _standby_capacity(ctx: DrillContext, _: Facts) -> list[Call]:
    """After failback, the DR side returns to its own configured (standby) capacity."""
    dr = _side(ctx, "dr")["from"]
    capacity = _o(ctx, dr, "ingestCapacity")
    resource = ctx.recorded("preflight", "facts", "oldScaling", "resource")
    scaling = {"resource": resource, "min": int(capacity["minTasks"]), "max": int(capacity["maxTasks"])}
    return _capacity_calls(ctx, dr, scaling, int(capacity["minTasks"]), _emr_policy(_o(ctx, dr, "emrManagedScaling")))


def _standby_rollback(ctx: DrillContext, _: Record) -> list[Call]:
    dr = _side(ctx, "dr")["from"]
    facts = ctx.recorded("preflight", "facts")
    return _capacity_calls(ctx, dr, facts["oldScaling"], int(facts["oldService"]), facts["oldEmrPolicy"])


def _start_job(active: str) -> Any:
    def calls(ctx: DrillContext, _: Facts) -> list[Call]:
        new = _side(ctx, active)["to"]
        base = _o(ctx, new, "emrJobStep")
        if active == "dr":
            # Everything the DR region processed since the failover is missing from the primary's lake.
            starting = epoch_ms(rewind_point(_failover_time(ctx)))
        elif ctx.execute:
            lag_ms = ctx.recorded("replication-lag", "facts", "replication_lag", "kafkaReplicationLatencyMs") or 0
            starting = epoch_ms(rewind_point(parse_iso(ctx.recorded("fence-traffic", "facts", "t0")), lag_ms / 1000))
        else:
            starting = "<T0 - replication lag - 5 min, epoch ms>"
        step = rewound_step(base, starting, generation_of(base) + 1, ctx.drill_id)
        return [
            Call(
                "emr",
                "add_job_flow_steps",
                new["region"],
                {"JobFlowId": _o(ctx, new, "emrClusterId"), "Steps": [step]},
                key="job",
            )
        ]

    def verify(ctx: DrillContext, record: Record) -> Verdict:
        new = _side(ctx, active)["to"]
        step_id = record["results"]["job"]["StepIds"][0]
        state = ctx.clients("emr", new["region"]).describe_step(ClusterId=_o(ctx, new, "emrClusterId"), StepId=step_id)[
            "Step"
        ]["Status"]["State"]
        return Verdict(
            state == "RUNNING", f"job step {step_id} {state}", failed=state in ("FAILED", "CANCELLED", "INTERRUPTED")
        )

    def rollback(ctx: DrillContext, record: Record) -> list[Call]:
        new = _side(ctx, active)["to"]
        job = record.get("results", {}).get("job")
        if not job:
            return []
        params = {
            "ClusterId": _o(ctx, new, "emrClusterId"),
            "StepIds": job["StepIds"],
            "StepCancellationOption": "TERMINATE_PROCESS",
        }
        return [Call("emr", "cancel_steps", new["region"], params)]

    return calls, verify, rollback


def _steps(active: str) -> Any:
    """Failover starts from the primary (active) and needs nothing of its region; failback does the reverse."""

    def steps(ctx: DrillContext) -> list[Step]:
        fence_calls, fence_rollback = _fence(active)
        stop_calls, stop_rollback = _stop_jobs(active)
        promote_calls, promote_verify, promote_rollback = _promote(active)
        capacity_calls, capacity_verify, capacity_rollback = _primary_capacity(active)
        job_calls, job_verify, job_rollback = _start_job(active)
        side = _side(ctx, active)
        to = side["to"]["region"]
        replicator = "reverse replicator (DR -> primary)" if active == "dr" else "replicator"
        rewind = "the failover time (--since)" if active == "dr" else "T0 - lag"
        steps = [
            Step(
                "preflight",
                "preflight",
                f"cache primary in {side['from']['region']}, {replicator} RUNNING, {to} EMR ready, all tagged",
                30,
                prepare=_preflight(active),
                targets=_targets(active),
            ),
            canary_write_step(),
            Step(
                "fence-traffic",
                "fault",
                f"ARC routing controls: {side['from']['region']} Off, {to} On (traffic goes to {to})",
                10,
                prepare=lambda c: {"t0": iso(c.clock.now())},
                calls=fence_calls,
                rollback=fence_rollback,
            ),
            Step(
                "detect",
                "detect",
                f"ARC reports the {side['from']['region']} routing control Off (its RECOVERY_CONTROL health check fails)",
                30,
                verify=_fenced(active),
                timeout_seconds=600,
                poll_seconds=15,
                on_timeout="continue",
            ),
            Step(
                "replication-lag",
                "decide",
                "read replication lag at the cut-over (MSK Replicator, Global Datastore, the standby's RPO canary)",
                10,
                prepare=_lag(active),
            ),
            *(
                [
                    Step(
                        "stop-serving-job",
                        "recover",
                        f"stop the streaming job in {side['from']['region']} before its cache turns read-only",
                        60,
                        calls=stop_calls,
                        rollback=stop_rollback,
                    )
                ]
                # On failover the primary's region may be gone: its job fails on the read-only cache instead.
                if active == "dr"
                else []
            ),
            Step(
                "promote-cache",
                "recover",
                f"promote the {to} cache (FailoverGlobalReplicationGroup)",
                300,
                calls=promote_calls,
                verify=promote_verify,
                rollback=promote_rollback,
                timeout_seconds=1200,
                poll_seconds=30,
            ),
            Step(
                "scale-up",
                "recover",
                f"give {to} the primary's capacity: ingest tasks and bounds, EMR scaling limits",
                300,
                calls=capacity_calls,
                verify=capacity_verify,
                rollback=capacity_rollback,
                timeout_seconds=900,
                poll_seconds=15,
            ),
            Step(
                "start-job",
                "recover",
                f"start the {to} job: NEW checkpoint generation, Kafka from {rewind} - 5 min",
                300,
                calls=job_calls,
                verify=job_verify,
                rollback=job_rollback,
                timeout_seconds=1200,
                poll_seconds=30,
            ),
            canary_verify_step(
                timeout=900, poll=30, summary=f"canaries written in {side['from']['region']} are readable in {to}"
            ),
        ]
        if active == "dr":
            steps.append(
                Step(
                    "standby-capacity",
                    "cleanup",
                    f"return {side['from']['region']} to its standby capacity",
                    60,
                    calls=_standby_capacity,
                    rollback=_standby_rollback,
                )
            )
        return steps

    return steps


FAILOVER = Scenario(
    "region-failover",
    "fail the warm-standby pair over to the DR region",
    _steps("primary"),
    canary_stores=("kafka", "s3", "cache"),
    needs_peer=True,
    applies=applies,
)
FAILBACK = Scenario(
    "failback",
    "return the pair's service to the primary region after a failover",
    _steps("dr"),
    canary_stores=("kafka", "s3", "cache"),
    needs_peer=True,
    applies=applies,
)
