"""region-failover (prod -> prod-dr): Global Datastore, MSK Replicator, EMR scaling/steps and ARC routing controls
through Stubber; ECS, Application Auto Scaling, CloudWatch and S3 in moto. A failover sends nothing to us-east-1."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest

from infra.drills.calls import Arn
from infra.drills.canaries import S3Canary
from infra.drills.clock import iso
from infra.drills.jobstep import generation_of, rewound_step
from infra.drills.model import Peer
from infra.drills.report import build_report
from infra.drills.scenarios import SCENARIOS
from infra.drills.targets import target_for
from infra.offline.record import StackPlan
from tests.drills.conftest import START, Kit, create_alarms, kit, set_alarm

SCENARIO = SCENARIOS["region-failover"]
EAST, WEST = "us-east-1", "us-west-2"
ARC = "route53-recovery-cluster"
JOB_STEP = {
    "Id": "s-PRIMARY1",
    "Name": "streaming-job generation 0",
    "ActionOnFailure": "CONTINUE",
    "Config": {"Jar": "command-runner.jar", "Args": ["spark-submit", "main.py"]},
    "Status": {"State": "RUNNING"},
}


@pytest.fixture
def pair(plans: dict[str, StackPlan]) -> tuple[dict[str, Any], dict[str, Any]]:
    return dict(plans["prod"].outputs), dict(plans["prod-dr"].outputs)


def _moto_side(outputs: dict[str, Any], region: str, stack: str, desired: int, minimum: int, maximum: int) -> None:
    ecs = boto3.client("ecs", region_name=region)
    ecs.create_cluster(clusterName=outputs["ecsClusterName"])
    ecs.register_task_definition(
        family="gateway", containerDefinitions=[{"name": "gateway", "image": "connect", "memory": 512}]
    )
    ecs.create_service(
        cluster=outputs["ecsClusterName"],
        serviceName=outputs["ingestServiceName"],
        taskDefinition="gateway",
        desiredCount=desired,
        tags=[{"key": "stack", "value": stack}],
    )
    boto3.client("application-autoscaling", region_name=region).register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{outputs['ecsClusterName']}/{outputs['ingestServiceName']}",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=minimum,
        MaxCapacity=maximum,
    )
    s3 = boto3.client("s3", region_name=region)
    config = {} if region == EAST else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=outputs["lakeBucket"]["name"], **config)


def _gds(prod: dict[str, Any], dr: dict[str, Any], primary: str, status: str = "available") -> dict[str, Any]:
    roles = {
        prod["cacheReplicationGroupId"]: "PRIMARY" if primary == EAST else "SECONDARY",
        dr["cacheReplicationGroupId"]: "PRIMARY" if primary == WEST else "SECONDARY",
    }
    members = [
        {
            "ReplicationGroupId": rg,
            "ReplicationGroupRegion": EAST if rg == prod["cacheReplicationGroupId"] else WEST,
            "Role": role,
        }
        for rg, role in roles.items()
    ]
    return {
        "GlobalReplicationGroups": [
            {"GlobalReplicationGroupId": prod["cacheGlobalDatastoreId"], "Status": status, "Members": members}
        ]
    }


def _tags(stack: str) -> dict[str, Any]:
    return {"TagList": [{"Key": "stack", "Value": stack}]}


def _setup(pair: tuple[dict[str, Any], dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> tuple[Kit, dict[str, Any]]:
    prod, dr = pair
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "3")
    _moto_side(prod, EAST, "prod", desired=5, minimum=3, maximum=24)
    _moto_side(dr, WEST, "prod-dr", desired=3, minimum=3, maximum=6)
    create_alarms(EAST, prod["drillAlarms"]["stop"])
    create_alarms(WEST, dr["drillAlarms"]["stop"])
    k = kit(stubbed=("elasticache", "kafka", "emr", ARC))
    stubs = {
        f"{s}-{r}": k.factory.stub(s, r, k.clients)
        for s, r in (
            ("elasticache", EAST),
            ("elasticache", WEST),
            ("kafka", WEST),
            ("emr", EAST),
            ("emr", WEST),
        )
    }
    stubs["arc"] = k.factory.stub(ARC, WEST, k.clients, _endpoint(dr))
    gds = {"GlobalReplicationGroupId": prod["cacheGlobalDatastoreId"], "ShowMemberInfo": True}
    stubs["elasticache-us-west-2"].add_response("describe_global_replication_groups", _gds(prod, dr, EAST), gds)
    replicator = dr["kafkaReplicatorArn"]
    stubs["kafka-us-west-2"].add_response(
        "describe_replicator",
        {"ReplicatorArn": replicator, "ReplicatorState": "RUNNING"},
        {"ReplicatorArn": replicator},
    )
    dr_emr = {
        "Id": dr["emrClusterId"],
        "Name": "sp-prod-dr-spark",
        "Status": {"State": "WAITING"},
        "ClusterArn": dr["emrClusterArn"],
        "Tags": [{"Key": "stack", "Value": "prod-dr"}],
    }
    stubs["emr-us-west-2"].add_response("describe_cluster", {"Cluster": dr_emr}, {"ClusterId": dr["emrClusterId"]})
    limits = {"UnitType": "InstanceFleetUnits", "MinimumCapacityUnits": 2, "MaximumCapacityUnits": 6}
    stubs["emr-us-west-2"].add_response(
        "get_managed_scaling_policy",
        {"ManagedScalingPolicy": {"ComputeLimits": limits}},
        {"ClusterId": dr["emrClusterId"]},
    )
    steps = {"StepStates": ["PENDING", "RUNNING"]}
    stubs["emr-us-west-2"].add_response("list_steps", {"Steps": []}, {"ClusterId": dr["emrClusterId"], **steps})
    stubs["elasticache-us-west-2"].add_response(
        "list_tags_for_resource", _tags("prod-dr"), {"ResourceName": dr["cacheReplicationGroupArn"]}
    )
    stubs["kafka-us-west-2"].add_response(
        "list_tags_for_resource", {"Tags": {"stack": "prod-dr"}}, {"ResourceArn": replicator}
    )
    stubs["emr-us-west-2"].add_response("describe_cluster", {"Cluster": dr_emr}, {"ClusterId": dr["emrClusterId"]})
    stubs["arc"].add_response(
        "update_routing_control_states", {}, {"UpdateRoutingControlStateEntries": _states(dr, off=EAST, on=WEST)}
    )
    return k, stubs


def _endpoint(dr: dict[str, Any]) -> str:
    """The ARC endpoint the drill uses: the standby's region's, from the standby's outputs."""
    return next(e["endpoint"] for e in dr["arcClusterEndpoints"] if e["region"] == WEST)


def _states(dr: dict[str, Any], off: str, on: str) -> list[dict[str, str]]:
    controls = dr["drRoutingControlArns"]
    return [
        {"RoutingControlArn": controls[off], "RoutingControlState": "Off"},
        {"RoutingControlArn": controls[on], "RoutingControlState": "On"},
    ]


def _control_state(stubs: dict[str, Any], dr: dict[str, Any], *states: str) -> None:
    """ARC answers the detect polls for the primary's control with these states in turn."""
    arn = dr["drRoutingControlArns"][EAST]
    for state in states:
        stubs["arc"].add_response(
            "get_routing_control_state",
            {"RoutingControlArn": arn, "RoutingControlState": state},
            {"RoutingControlArn": arn},
        )


def _replicated(prod: dict[str, Any], dr: dict[str, Any], upto: int, drill_id: str) -> None:
    """What S3 replication delivered to the DR lake by the time of the check: canaries 1..upto."""
    east, west = boto3.client("s3", region_name=EAST), boto3.client("s3", region_name=WEST)
    for seq in range(1, upto + 1):
        key = f"drills/canary/{drill_id}/{seq:08d}"
        body = east.get_object(Bucket=prod["lakeBucket"]["name"], Key=key)["Body"].read()
        west.put_object(Bucket=dr["lakeBucket"]["name"], Key=key, Body=body)


def _context(k: Kit, prod: dict[str, Any], dr: dict[str, Any]) -> Any:
    ctx = k.context("region-failover", "prod", prod, execute=True, peer=Peer("prod-dr", WEST, dr))
    ctx.canaries = {
        "s3": S3Canary(
            k.clients("s3", EAST), prod["lakeBucket"]["name"], k.clients("s3", WEST), dr["lakeBucket"]["name"]
        )
    }
    return ctx


def test_failover_runs_in_order_and_measures_rpo_from_the_replicated_canaries(
    aws: None, pair: tuple[dict[str, Any], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    prod, dr = pair
    k, stubs = _setup(pair, monkeypatch)
    ctx = _context(k, prod, dr)
    _control_state(stubs, dr, "On", "Off")  # ARC has the primary's control Off at the second detect poll
    boto3.client("cloudwatch", region_name=WEST).put_metric_data(
        Namespace="AWS/Kafka",
        MetricData=[
            {
                "MetricName": "ReplicationLatency",
                "Dimensions": [{"Name": "ReplicatorName", "Value": dr["kafkaReplicatorName"]}],
                "Value": 1200.0,
                "Timestamp": k.clock.now() + timedelta(seconds=20),
            }
        ],
    )
    stubs["elasticache-us-west-2"].add_response(
        "failover_global_replication_group",
        {"GlobalReplicationGroup": {"Status": "modifying"}},
        {
            "GlobalReplicationGroupId": prod["cacheGlobalDatastoreId"],
            "PrimaryRegion": WEST,
            "PrimaryReplicationGroupId": dr["cacheReplicationGroupId"],
        },
    )
    gds = {"GlobalReplicationGroupId": prod["cacheGlobalDatastoreId"], "ShowMemberInfo": True}
    stubs["elasticache-us-west-2"].add_response(
        "describe_global_replication_groups", _gds(prod, dr, EAST, "modifying"), gds
    )
    stubs["elasticache-us-west-2"].add_response("describe_global_replication_groups", _gds(prod, dr, WEST), gds)
    stubs["emr-us-west-2"].add_response(
        "put_managed_scaling_policy",
        {},
        {
            "ClusterId": dr["emrClusterId"],
            "ManagedScalingPolicy": {
                "ComputeLimits": {
                    "UnitType": "InstanceFleetUnits",
                    "MinimumCapacityUnits": 4,
                    "MaximumCapacityUnits": 20,
                    # core 4 + spark.taskOnDemandPercent (50%) of the 16 task units
                    "MaximumOnDemandCapacityUnits": 12,
                    "MaximumCoreCapacityUnits": 4,
                }
            },
        },
    )
    # T0 = the fence, after 8 s of canaries; the job rewinds to T0 - 1.2 s of replication latency - 5 min, generation 0 + 1.
    rewind_ms = str(int((START + timedelta(seconds=8)).timestamp() * 1000) - 1200 - 300_000)
    dr_step = rewound_step(dr["emrJobStep"], rewind_ms, 1, ctx.drill_id)
    stubs["emr-us-west-2"].add_response(
        "add_job_flow_steps", {"StepIds": ["s-DR1"]}, {"JobFlowId": dr["emrClusterId"], "Steps": [dr_step]}
    )
    stubs["emr-us-west-2"].add_response(
        "describe_step",
        {"Step": {"Id": "s-DR1", "Status": {"State": "RUNNING"}}},
        {"ClusterId": dr["emrClusterId"], "StepId": "s-DR1"},
    )
    k.clock.after(60, lambda: _replicated(prod, dr, 4, ctx.drill_id))  # the 5th canary never makes it

    # As the CLI does for a failover: only the standby's stop alarms (the primary's are why it runs).
    state = k.runner(SCENARIO, ctx, {WEST: dr["drillAlarms"]["stop"]}).execute()

    assert state.status == "completed", state.stop_reason
    for stub in stubs.values():
        stub.assert_no_pending_responses()
    assert [(r.service, r.operation, r.region) for r in k.clients.mutating_calls()] == [
        *[("s3", "PutObject", EAST)] * 5,
        (ARC, "UpdateRoutingControlStates", WEST),
        ("elasticache", "FailoverGlobalReplicationGroup", WEST),
        ("application-autoscaling", "RegisterScalableTarget", WEST),
        ("ecs", "UpdateService", WEST),
        ("emr", "PutManagedScalingPolicy", WEST),
        ("emr", "AddJobFlowSteps", WEST),
    ]
    service = boto3.client("ecs", region_name=WEST).describe_services(
        cluster=dr["ecsClusterName"], services=[dr["ingestServiceName"]]
    )["services"][0]
    # The primary's floor: its current count is out of reach.
    assert service["desiredCount"] == prod["ingestCapacity"]["minTasks"]
    target = boto3.client("application-autoscaling", region_name=WEST).describe_scalable_targets(
        ServiceNamespace="ecs"
    )["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (3, prod["ingestCapacity"]["maxTasks"])
    # Only the canaries, which measure what the primary loses, write to us-east-1; nothing else is sent there.
    assert [(r.service, r.operation) for r in k.clients.log if r.region == EAST] == [("s3", "PutObject")] * 5
    assert dr_step["HadoopJarStep"]["Args"][dr_step["HadoopJarStep"]["Args"].index("--checkpoint-root") + 1].startswith(
        f"s3://{dr['checkpointsBucket']['name']}/"
    )  # a NEW checkpoint (generation 1) under the DR region's own checkpoint root
    report = build_report(state, target_for("region-failover", prod), SCENARIO.canary_stores)
    assert report["replicationLagAtCutover"]["kafkaReplicationLatencyMs"] == 1200.0
    s3 = next(c for c in report["canaries"] if c["store"] == "s3")
    assert (s3["written"], s3["recovered"], s3["lost"], s3["rpo_seconds"]) == (5, 4, [5], 2.0)
    assert report["unmeasuredStores"] == ["kafka", "cache"]
    assert report["result"] == "INCOMPLETE"  # kafka and cache canaries need clients inside the VPC
    assert {row["target"]: row["verdict"] for row in report["targets"]}["RPO s3"] == "PASS"


def test_a_stop_condition_during_promotion_rolls_everything_back_newest_first(
    aws: None, pair: tuple[dict[str, Any], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    prod, dr = pair
    k, stubs = _setup(pair, monkeypatch)
    _control_state(stubs, dr, "Off")
    stubs["elasticache-us-west-2"].add_response(
        "failover_global_replication_group", {"GlobalReplicationGroup": {"Status": "modifying"}}, None
    )
    gds = {"GlobalReplicationGroupId": prod["cacheGlobalDatastoreId"], "ShowMemberInfo": True}
    stubs["elasticache-us-west-2"].add_response(
        "describe_global_replication_groups", _gds(prod, dr, EAST, "modifying"), gds
    )
    stubs["elasticache-us-west-2"].add_response(
        "describe_global_replication_groups", _gds(prod, dr, EAST, "modifying"), gds
    )
    # Rollback, newest first, sent to us-west-2: the cache goes back to us-east-1, then the routing controls.
    stubs["elasticache-us-west-2"].add_response(
        "failover_global_replication_group",
        {"GlobalReplicationGroup": {"Status": "modifying"}},
        {
            "GlobalReplicationGroupId": prod["cacheGlobalDatastoreId"],
            "PrimaryRegion": EAST,
            "PrimaryReplicationGroupId": prod["cacheReplicationGroupId"],
        },
    )
    stubs["arc"].add_response(
        "update_routing_control_states", {}, {"UpdateRoutingControlStateEntries": _states(dr, off=WEST, on=EAST)}
    )
    k.clock.after(20, lambda: set_alarm(WEST, dr["drillAlarms"]["stop"][0], "ALARM"))

    state = k.runner(SCENARIO, _context(k, prod, dr), {WEST: dr["drillAlarms"]["stop"]}).execute()

    assert state.status == "stopped" and dr["drillAlarms"]["stop"][0] in (state.stop_reason or "")
    assert state.rollback == "complete"
    for stub in stubs.values():
        stub.assert_no_pending_responses()
    operations = [(r.operation, r.region) for r in k.clients.mutating_calls() if r.service != "s3"]
    assert operations[-2:] == [("FailoverGlobalReplicationGroup", WEST), ("UpdateRoutingControlStates", WEST)]
    assert [s.status for s in state.steps if s.status == "rolled-back"] == ["rolled-back"] * 2
    assert not [r for r in k.clients.log if r.region == EAST and r.service != "s3"]


def test_pair_scenarios_run_against_the_primary_only(plans: dict[str, StackPlan]) -> None:
    assert SCENARIO.applies(plans["prod"].outputs) is None
    assert SCENARIO.applies(plans["prod-dr"].outputs) == "run it against the pair's primary (prod)"
    assert SCENARIO.applies(plans["staging"].outputs) == "DR strategy is 'backup-restore': there is no standby region"


FAILOVER_AT = START - timedelta(hours=2)  # when the region-failover happened (--since)


def _replicator_summary(name: str, source: str, target: str, state: str, *, reference: bool = False) -> dict[str, Any]:
    """A ListReplicators entry: the replication names its source and target clusters by alias."""
    region = Arn.parse(target).region
    return {
        "ReplicatorArn": f"arn:aws:kafka:{region}:123456789012:replicator/{name}/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0-2",
        "ReplicatorName": name,
        "ReplicatorState": state,
        "IsReplicatorReference": reference,
        "KafkaClustersSummary": [
            {"AmazonMskCluster": {"MskClusterArn": source}, "KafkaClusterAlias": "source"},
            {"AmazonMskCluster": {"MskClusterArn": target}, "KafkaClusterAlias": "target"},
        ],
        "ReplicationInfoSummaryList": [{"SourceKafkaClusterAlias": "source", "TargetKafkaClusterAlias": "target"}],
    }


def _forward_reference(prod: dict[str, Any], dr: dict[str, Any]) -> dict[str, Any]:
    """The forward replicator as us-east-1 (its source region) lists it: a reference, copying prod -> prod-dr."""
    return _replicator_summary(
        dr["kafkaReplicatorName"], prod["kafkaClusterArn"], dr["kafkaClusterArn"], "RUNNING", reference=True
    )


def _failback_preflight(
    pair: tuple[dict[str, Any], dict[str, Any]], monkeypatch: pytest.MonkeyPatch, replicators: list[dict[str, Any]]
) -> tuple[Kit, dict[str, Any], Any]:
    """Both sides after a failover (prod-dr serving), and the reads of failback's preflight up to ListReplicators."""
    prod, dr = pair
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "3")
    _moto_side(prod, EAST, "prod", desired=3, minimum=3, maximum=24)
    _moto_side(dr, WEST, "prod-dr", desired=5, minimum=5, maximum=24)  # serving since the failover
    create_alarms(EAST, prod["drillAlarms"]["stop"])
    create_alarms(WEST, dr["drillAlarms"]["stop"])
    k = kit(stubbed=("elasticache", "kafka", "emr"))
    stubs = {
        f"{s}-{r}": k.factory.stub(s, r, k.clients)
        for s, r in (
            ("elasticache", EAST),
            ("elasticache", WEST),
            ("kafka", EAST),
            ("kafka", WEST),
            ("emr", EAST),
            ("emr", WEST),
        )
    }
    stubs["elasticache-us-east-1"].add_response(
        "describe_global_replication_groups",
        _gds(prod, dr, WEST),
        {"GlobalReplicationGroupId": prod["cacheGlobalDatastoreId"], "ShowMemberInfo": True},
    )
    stubs["kafka-us-east-1"].add_response("list_replicators", {"Replicators": replicators}, {})
    ctx = k.context(
        "failback", "prod", prod, execute=False, peer=Peer("prod-dr", WEST, dr), options={"since": iso(FAILOVER_AT)}
    )
    return k, stubs, ctx


def test_failback_dry_run_plans_the_mirror_image_through_the_reverse_replicator_and_changes_nothing(
    aws: None, pair: tuple[dict[str, Any], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    prod, dr = pair
    reverse = _replicator_summary("sp-prod-kafka-failback", dr["kafkaClusterArn"], prod["kafkaClusterArn"], "RUNNING")
    k, stubs, ctx = _failback_preflight(pair, monkeypatch, [_forward_reference(prod, dr), reverse])
    east_cache, west_cache = stubs["elasticache-us-east-1"], stubs["elasticache-us-west-2"]
    east_emr, west_emr = stubs["emr-us-east-1"], stubs["emr-us-west-2"]
    prod_emr = {
        "Id": prod["emrClusterId"],
        "Name": "sp-prod-spark",
        "Status": {"State": "WAITING"},
        "ClusterArn": prod["emrClusterArn"],
        "Tags": [{"Key": "stack", "Value": "prod"}],
    }
    east_emr.add_response("describe_cluster", {"Cluster": prod_emr}, {"ClusterId": prod["emrClusterId"]})
    west_emr.add_response("get_managed_scaling_policy", {}, {"ClusterId": dr["emrClusterId"]})
    east_emr.add_response("get_managed_scaling_policy", {}, {"ClusterId": prod["emrClusterId"]})
    dr_job = {**JOB_STEP, "Id": "s-DR1", "Name": "streaming-job generation 1 failover"}
    west_emr.add_response("list_steps", {"Steps": [dr_job]}, None)
    east_emr.add_response("list_steps", {"Steps": []}, None)
    west_cache.add_response("list_tags_for_resource", _tags("prod-dr"), None)
    east_cache.add_response("list_tags_for_resource", _tags("prod"), None)
    east_emr.add_response("describe_cluster", {"Cluster": prod_emr}, None)
    west_emr.add_response(
        "describe_cluster",
        {"Cluster": {"Id": dr["emrClusterId"], "Tags": [{"Key": "stack", "Value": "prod-dr"}]}},
        None,
    )
    # Lag metrics of both replicators, each in its own region: the drill must read the reverse one's (us-east-1).
    for region, name, latency in ((EAST, "sp-prod-kafka-failback", 800.0), (WEST, dr["kafkaReplicatorName"], 1200.0)):
        boto3.client("cloudwatch", region_name=region).put_metric_data(
            Namespace="AWS/Kafka",
            MetricData=[
                {
                    "MetricName": metric,
                    "Dimensions": [{"Name": "ReplicatorName", "Value": name}],
                    "Value": value,
                    "Timestamp": k.clock.now() - timedelta(seconds=30),
                }
                for metric, value in (("ReplicationLatency", latency), ("MessageLag", latency / 100))
            ],
        )

    result = k.runner(
        SCENARIOS["failback"], ctx, {EAST: prod["drillAlarms"]["stop"], WEST: dr["drillAlarms"]["stop"]}
    ).dry_run()

    assert result.ok, result.problems
    assert k.clients.mutating_calls() == []
    for stub in stubs.values():
        stub.assert_no_pending_responses()  # the forward replicator (kafka in us-west-2) is never asked
    kafka_reads = [(r.operation, r.region) for r in k.clients.log if r.service == "kafka"]
    assert kafka_reads == [("ListReplicators", EAST)]
    preflight = ctx.records["preflight"]["facts"]
    assert (preflight["replicatorArn"], preflight["replicatorRegion"]) == (reverse["ReplicatorArn"], EAST)
    assert ctx.records["replication-lag"]["facts"]["replication_lag"]["kafkaReplicationLatencyMs"] == 800.0
    assert ctx.records["replication-lag"]["facts"]["replication_lag"]["kafkaMessageLag"] == 8.0
    planned = [line.split("would call ", 1)[1] for line in result.lines if "would call" in line]
    services = [(line.split("(")[0], line.rsplit("[", 1)[1].rstrip("]").split(" via ")[0]) for line in planned]
    assert services == [
        (f"{ARC}.update_routing_control_states", EAST),
        ("emr.cancel_steps", WEST),
        ("elasticache.failover_global_replication_group", EAST),
        ("application-autoscaling.register_scalable_target", EAST),
        ("ecs.update_service", EAST),
        ("emr.put_managed_scaling_policy", EAST),
        ("emr.add_job_flow_steps", EAST),
        ("application-autoscaling.register_scalable_target", WEST),
        ("ecs.update_service", WEST),
        ("emr.put_managed_scaling_policy", WEST),
    ]
    controls = prod["drRoutingControlArns"]
    assert f'"RoutingControlArn": "{controls[WEST]}", "RoutingControlState": "Off"' in planned[0]
    assert 'StepIds=["s-DR1"]' in planned[1]
    assert f'PrimaryRegion="{EAST}", PrimaryReplicationGroupId="{prod["cacheReplicationGroupId"]}"' in planned[2]
    assert "MinCapacity=5, MaxCapacity=24" in planned[3]  # the primary takes the DR's current load back
    assert "desiredCount=5" in planned[4]
    assert "MinCapacity=3, MaxCapacity=6" in planned[7]  # the standby returns to its own floor and ceiling


def test_failback_job_rewinds_to_the_failover_time_not_to_the_failback_t0(
    aws: None, pair: tuple[dict[str, Any], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    prod, _ = pair
    k, _, ctx = _failback_preflight(pair, monkeypatch, [])
    ctx.execute = True
    # What an execution has recorded by then: a failback T0 now and a measured lag, neither of which may count.
    ctx.records = {
        "fence-traffic": {"facts": {"t0": iso(k.clock.now())}},
        "replication-lag": {"facts": {"replication_lag": {"kafkaReplicationLatencyMs": 1200.0}}},
    }
    start_job = next(step for step in SCENARIOS["failback"].steps(ctx) if step.name == "start-job")

    [call] = start_job.calls(ctx, {})

    rewind_ms = str(int((FAILOVER_AT - timedelta(minutes=5)).timestamp() * 1000))
    generation = generation_of(prod["emrJobStep"]) + 1
    assert (call.service, call.method, call.region) == ("emr", "add_job_flow_steps", EAST)
    assert call.params == {
        "JobFlowId": prod["emrClusterId"],
        "Steps": [rewound_step(prod["emrJobStep"], rewind_ms, generation, ctx.drill_id)],
    }
    args = call.params["Steps"][0]["HadoopJarStep"]["Args"]
    assert args[args.index("--starting-timestamp") + 1] == rewind_ms


@pytest.mark.parametrize(
    ("replicators", "message"),
    [
        ([], "no MSK Replicator in us-east-1 copies"),
        (["forward-reference"], "flip dr.activeRegion and `pulumi up` prod as runbooks/prod/failback.md says"),
        (["reverse-creating"], "the reverse MSK Replicator is not RUNNING (sp-prod-kafka-failback CREATING)"),
    ],
)
def test_failback_refuses_without_a_running_reverse_replicator(
    aws: None,
    pair: tuple[dict[str, Any], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    replicators: list[str],
    message: str,
) -> None:
    prod, dr = pair
    entries = {
        "forward-reference": _forward_reference(prod, dr),
        "reverse-creating": _replicator_summary(
            "sp-prod-kafka-failback", dr["kafkaClusterArn"], prod["kafkaClusterArn"], "CREATING"
        ),
    }
    k, stubs, ctx = _failback_preflight(pair, monkeypatch, [entries[name] for name in replicators])

    result = k.runner(
        SCENARIOS["failback"], ctx, {EAST: prod["drillAlarms"]["stop"], WEST: dr["drillAlarms"]["stop"]}
    ).dry_run()

    assert not result.ok
    assert any(problem.startswith("preflight: ") and message in problem for problem in result.problems), result.problems
    assert k.clients.mutating_calls() == []
    stubs["kafka-us-east-1"].assert_no_pending_responses()
    assert not any("would call" in line for line in result.lines)


def test_failback_refuses_without_the_failover_time(
    aws: None, pair: tuple[dict[str, Any], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    prod, dr = pair
    k, _, ctx = _failback_preflight(pair, monkeypatch, [])
    ctx.options = {}

    result = k.runner(
        SCENARIOS["failback"], ctx, {EAST: prod["drillAlarms"]["stop"], WEST: dr["drillAlarms"]["stop"]}
    ).dry_run()

    assert result.problems == [
        "preflight: failback needs the failover time (--since ISO8601): the primary's job rewinds to it"
    ]
    assert [r.operation for r in k.clients.log if r.service in ("kafka", "elasticache", "emr")] == []
